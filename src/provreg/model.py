"""Value types shared by every layer: field specs, provider definitions,
instances, secret references and diagnostics.

Owns: the frozen value classes and the small enums and limits around them.
May import: the standard library, `provreg.value_class` (their shared methods)
and `provreg.severity` (`Severity`, re-exported here) only. Never pydantic: it
is imported only where user-written definitions are validated
(`provreg.definition_schema`), so `provreg --check` starts without it.

The classes are frozen slotted value classes (`ValueClass`) and check nothing
when built (the callers build them from values already checked), except
`ModelSpec`, which tools' files reach directly. A definition a user writes is
checked by `provreg.definition_schema`, which holds the rules of its shape.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from provreg.severity import Severity as Severity  # defined apart for the dashboard's start
from provreg.value_class import ValueClass
from provreg.value_class import field as _field

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
"""Instance and definition ids: short, lower case, safe in file names and keyring users."""

ID_RE = re.compile(ID_PATTERN)

FIELD_ID_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
FIELD_ID_RE = re.compile(FIELD_ID_PATTERN)

RESERVED_KEYS = frozenset({"id", "name", "provider"})
"""Instance keys that are not provider fields."""

INSTANCE_SETTINGS = frozenset({"helpers", "models", "allow_http"})
"""Reserved instance keys that are settings of the instance, not provider fields:
kept in `values` (so writes, digests and change detection treat them as any
value), never a field id. `helpers: false` keeps `provreg secret get` from
printing the instance's keys; `models:` lists the models the instance serves
(`ModelSpec`s), for every provider type; `allow_http: true` lets `provreg probe`
send the key over plain http to a host that is not loopback."""

MODEL_ID_MAX_LENGTH = 200

ApiKind = Literal["openai", "anthropic", "gemini", "azure-openai", "ollama"]
"""Wire protocols a provider type can speak (`ProviderDefinition.api`)."""
API_KINDS: tuple[ApiKind, ...] = ("openai", "anthropic", "gemini", "azure-openai", "ollama")

NAME_MAX_LENGTH = 100


def name_length_ok(name: str) -> bool:
    """The one length rule of instance names (the old app's `customName` too):
    1 to `NAME_MAX_LENGTH` characters, surrounding spaces not counted."""
    return 1 <= len(name.strip()) <= NAME_MAX_LENGTH


BOUND_MAGNITUDE_LIMIT = 2**53
"""Largest `min`/`max` of a field spec: whole numbers up to it are exact floats,
and the validators built from a spec take them as integers."""


def model_spec_problem(
    model_id: object, context_window: object, max_output_tokens: object
) -> str | None:
    """What makes these a model `ModelSpec` refuses, or None: an id of 1 to
    `MODEL_ID_MAX_LENGTH` characters without surrounding spaces, tabs or line
    breaks; limits that are None or whole numbers from 1 to `BOUND_MAGNITUDE_LIMIT`."""
    if not isinstance(model_id, str):
        return f"id must be text, not {type(model_id).__name__}"
    if not 1 <= len(model_id) <= MODEL_ID_MAX_LENGTH:
        return f"id must be 1 to {MODEL_ID_MAX_LENGTH} characters"
    if model_id != model_id.strip() or any(ch.isspace() and ch != " " for ch in model_id):
        return "a model id has no surrounding spaces, tabs or line breaks"
    for key, limit in (
        ("context_window", context_window),
        ("max_output_tokens", max_output_tokens),
    ):
        if limit is None:
            continue
        if isinstance(limit, bool) or not isinstance(limit, int):
            return f"{key} must be a whole number, not {type(limit).__name__}"
        if not 1 <= limit <= BOUND_MAGNITUDE_LIMIT:
            return f"{key} must be between 1 and {BOUND_MAGNITUDE_LIMIT}"
    return None


class FieldType(StrEnum):
    """The value types a provider field can have."""

    TEXT = "text"
    URL = "url"
    SECRET = "secret"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    CHOICE = "choice"
    LIST = "list"


class FieldSpec(ValueClass):
    """One field of a provider definition, as declared in the catalog or a config file."""

    id: str
    """Key of the field in an instance mapping (snake_case)."""
    label: str | None = None
    """Human label for forms; defaults to the id."""
    type: FieldType = FieldType.TEXT
    """Value type; `secret` fields hold only references, never values."""
    required: bool = False
    """An instance must give a value (or the field must have a default)."""
    default: Any = None
    """Value used when an instance leaves the field out."""
    help: str | None = None
    """One sentence shown beside the field in forms and in `provreg catalog`."""
    pattern: str | None = None
    """Regular expression a `text` value must match (searched, anchor it yourself)."""
    min: float | None = None
    """Lower bound: the value for `int`/`float`, the length for `text`/`list`."""
    max: float | None = None
    """Upper bound: the value for `int`/`float`, the length for `text`/`list`."""
    choices: tuple[str, ...] | None = None
    """Allowed values of a `choice` field."""
    env: str | None = None
    """Environment variable that tools conventionally read for this value."""

    @property
    def is_secret(self) -> bool:
        return self.type is FieldType.SECRET

    @property
    def display_label(self) -> str:
        return self.label or self.id.replace("_", " ")


class ModelSpec(ValueClass):
    """One model an instance serves: its id, and the limits tools ask for.

    Written as a plain string when it has no limits (`- gpt-4.1`), else as a
    mapping (`- {id: llama-3.3-70b, context_window: 131072}`). Several tools
    need the limits (Zed requires `max_tokens`; crush, Continue and aichat take
    them), so an export carries them where the tool has a place for them.
    """

    id: str
    """The model id as the provider's API names it."""
    context_window: int | None = None
    """Input plus output tokens the model takes."""
    max_output_tokens: int | None = None
    """Most tokens the model writes in one answer."""

    def __post_init__(self) -> None:
        # Checked when built: tools' files reach it directly (`provreg import`).
        problem = model_spec_problem(self.id, self.context_window, self.max_output_tokens)
        if problem is not None:
            raise ValueError(f"ModelSpec: {problem}")

    def describe(self) -> str:
        """The id with its limits, for screens: `qwen  (context 32,768 tokens)`."""
        limits = []
        if self.context_window is not None:
            limits.append(f"context {self.context_window:,}")
        if self.max_output_tokens is not None:
            limits.append(f"output {self.max_output_tokens:,}")
        return self.id + (f"  ({', '.join(limits)} tokens)" if limits else "")

    def to_yaml(self) -> str | dict[str, Any]:
        """The list item that represents this model in a config file."""
        if self.context_window is None and self.max_output_tokens is None:
            return self.id
        mapping: dict[str, Any] = {"id": self.id}
        if self.context_window is not None:
            mapping["context_window"] = self.context_window
        if self.max_output_tokens is not None:
            mapping["max_output_tokens"] = self.max_output_tokens
        return mapping


ProbeAuth = Literal["bearer", "header", "none"]
"""How a probe sends the key: `Authorization: Bearer KEY`, `KEY` in a named header, or not."""


class ProbePagination(ValueClass):
    """How a model list continues on the next page: a cursor read from the
    response, sent back as a query parameter."""

    cursor_at: str
    """Dotted path of the next page's cursor in the response (`nextPageToken`, `last_id`)."""
    param: str
    """Query parameter that carries the cursor (`pageToken`, `after_id`)."""
    more_at: str | None = None
    """Dotted path of a boolean saying another page follows (`has_more`); None: a
    cursor present means one does."""


class ProbeSpec(ValueClass):
    """The one cheap authenticated request `provreg probe` sends for a provider type.

    Data, not code, so a user's `definitions:` entry can say how its API is
    checked. Strings may name the instance's fields as `{field}`; a header or
    query parameter whose field is unset is left out.
    """

    method: Literal["GET"] = "GET"
    """Only reads: a probe never creates anything or spends tokens."""
    path: str
    """Appended to the instance's base URL (`/models`)."""
    strip_suffix: str | None = None
    """Removed from the end of the base URL first (Ollama's `/v1`)."""
    auth: ProbeAuth = "bearer"
    """How the key goes: `bearer`, `header` (in `auth_header`), `none`."""
    auth_header: str | None = None
    """The header that carries the key when `auth` is `header` (`x-api-key`)."""
    bearer_if: str | None = None
    """A bool field that, when true, switches to `Authorization: Bearer` (Anthropic's
    `use_auth_header`, for gateways)."""
    key_field: str = "api_key"
    """The secret field that holds the key."""
    headers: dict[str, str] = _field(default_factory=dict)
    """Other headers (`anthropic-version: "{anthropic_version}"`)."""
    query: dict[str, str] = _field(default_factory=dict)
    """Query parameters (`api-version: "{api_version}"`); never the key."""
    models_at: str | None = None
    """Dotted path of the list of models in the response (`data`, `models`); None:
    the response proves the key but lists no models (OpenRouter's `/key`)."""
    model_id: str = "id"
    """Key of a model's id in each list item (`name` for Gemini and Ollama)."""
    id_prefix: str | None = None
    """Removed from the start of each id (Gemini's `models/`)."""
    implicit_suffix: str | None = None
    """A model named without it matches an id with it (Ollama's `:latest` tag)."""
    check_models: bool = True
    """Compare the instance's models with the list (False where the list names
    something else, Azure's base models rather than deployments)."""
    pagination: ProbePagination | None = None
    """How to ask for the next page, when the list is paged."""


class ProviderDefinition(ValueClass):
    """A provider type: the fields its instances take. Built in or user-declared."""

    id: str
    """Catalog id that instances name in their `provider` key."""
    name: str
    """Display name."""
    description: str | None = None
    """One sentence saying what the provider is."""
    docs_url: str | None = None
    """Where the provider's API is documented."""
    models: tuple[str, ...] = ()
    """Well-known model ids, offered as suggestions for `default_model`."""
    fields: tuple[FieldSpec, ...] = ()
    """Field specs in display order."""
    api: ApiKind | None = None
    """The wire protocol the provider speaks, so other tools' configs can be
    written for a type they do not know by name (a user definition with
    `api: openai` exports as an OpenAI-compatible endpoint)."""
    tools: dict[str, str] = _field(default_factory=dict)
    """This type's own name in other tools' configs (`{crush: openai-compat}`),
    where it differs from what `api` implies (`provreg export`, `provreg import`)."""
    probe: ProbeSpec | None = None
    """How `provreg probe` checks an instance of this type (None: it cannot)."""
    builtin: bool = False
    """True for entries of the shipped catalog."""

    def field(self, field_id: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.id == field_id:
                return spec
        return None

    @property
    def secret_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.is_secret)


class SecretRef(ValueClass):
    """Where a secret lives. YAML holds only this, never the value.

    `{keyring: true}` is the default store (service `provreg`, user
    `<instance id>/<field>`); `{keyring: NAME}` names the keyring user;
    `{env: VAR}` and `{file: PATH}` read the value from the environment or
    a file at resolution time; `{command: [PROGRAM, ARG, ...]}` (or a string
    split with shell-word rules, never run by a shell) runs a program and
    takes its standard output.
    """

    kind: Literal["keyring", "env", "file", "command"]
    """Which store holds the value."""
    name: str | None = None
    """Keyring user name (None: the default `<id>/<field>`), variable name or file path;
    for a command, the program as written (`argv[0]`)."""
    explicit: bool = True
    """False when the YAML left the field out and the keyring default applies."""
    argv: tuple[str, ...] = ()
    """A command's program and arguments (empty for the other kinds)."""
    command_text: str | None = None
    """The command as a string when the YAML wrote it so (kept for writing back)."""
    timeout: float | None = None
    """Seconds a command may run (None: the default, 10)."""
    cache: float | None = None
    """Seconds a command's value is kept in memory (None: the process lifetime)."""
    interactive: bool = False
    """The command may use the terminal (honoured by the CLI only)."""

    @property
    def program(self) -> str:
        """A command's program name, without its directory (for screens and logs)."""
        if not self.argv:
            return ""
        return self.argv[0].replace("\\", "/").rsplit("/", 1)[-1] or self.argv[0]

    def describe(self) -> str:
        """Short text for screens and logs (never contains a value)."""
        if self.kind == "keyring":
            return "keyring" if self.name is None else f"keyring {self.name}"
        if self.kind == "command":
            # The program only: an argument may be an item path, never a key, but
            # screens have no use for it.
            return f"command {self.program}"
        return f"{self.kind} {self.name}"

    def to_yaml(self) -> dict[str, Any]:
        """The mapping that represents this reference in a config file."""
        if self.kind == "command":
            mapping: dict[str, Any] = {
                "command": self.command_text if self.command_text is not None else list(self.argv)
            }
            if self.timeout is not None:
                mapping["timeout"] = _whole(self.timeout)
            if self.cache is not None:
                mapping["cache"] = _whole(self.cache)
            if self.interactive:
                mapping["interactive"] = True
            return mapping
        return {self.kind: True if self.name is None else self.name}


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class ProviderInstance(ValueClass):
    """One configured provider, as loaded from a config file.

    `values` holds only what the file states (validated), so writing back
    never invents keys; defaults come from the definition when asked.
    """

    id: str
    """Unique id across all files."""
    name: str
    """Display name, unique ignoring case and surrounding spaces."""
    provider: str
    """Catalog id of the provider definition."""
    values: dict[str, Any] = _field(default_factory=dict)
    """Field values stated in the file; secret fields hold `SecretRef`s."""
    file: str = ""
    """Config file (display path) that declares the instance."""
    line: int = 0
    """1-based line of the instance's first key."""
    column: int = 0
    """1-based column of the instance's first key."""
    id_derived: bool = False
    """True when the file has no `id` and it was derived from the name."""

    @property
    def helpers_allowed(self) -> bool:
        """False when the file says `helpers: false`: `provreg secret get` refuses
        this instance's keys (they leave provreg through `provreg exec` only)."""
        return self.values.get("helpers") is not False

    @property
    def http_allowed(self) -> bool:
        """True when the file says `allow_http: true`: `provreg probe` may send the
        key over plain http to a host that is not loopback."""
        return self.values.get("allow_http") is True

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        """The models the file lists under `models:` (empty when it lists none)."""
        listed = self.values.get("models")
        return listed if isinstance(listed, tuple) else ()

    def value(self, definition: ProviderDefinition, field_id: str) -> Any:
        """The stated value of a field, else its default (secret fields: their reference)."""
        if field_id in self.values:
            return self.values[field_id]
        spec = definition.field(field_id)
        if spec is None:
            return None
        if spec.is_secret:
            return SecretRef(kind="keyring", explicit=False)
        return spec.default

    def secret_ref(self, field_id: str) -> SecretRef:
        """The reference of a secret field; absent means the keyring default."""
        ref = self.values.get(field_id)
        if isinstance(ref, SecretRef):
            return ref
        return SecretRef(kind="keyring", explicit=False)


class Diagnostic(ValueClass):
    """A problem found in a config file, pointing at the YAML node that is wrong."""

    file: str
    """Display path of the file."""
    line: int
    """1-based line."""
    column: int
    """1-based column."""
    severity: Severity
    """error, warning or info."""
    code: str
    """Stable code, documented in docs/diagnostics.md."""
    message: str
    """What is wrong. Never contains a secret value."""
    hint: str | None = None
    """How to fix it, when there is something useful to say."""
    instance_id: str | None = None
    """The instance concerned, when there is one."""

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)
