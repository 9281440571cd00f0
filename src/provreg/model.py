"""Value types shared by every layer: field specs, provider definitions,
instances, secret references and diagnostics.

Owns: the pydantic models and the small enums around them.
May import: pydantic, the standard library and `provreg.severity` (`Severity`,
re-exported here) only.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from provreg.severity import Severity as Severity  # defined apart for the dashboard's start

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


class FieldSpec(BaseModel):
    """One field of a provider definition, as declared in the catalog or a config file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=FIELD_ID_PATTERN)
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

    @field_validator("min", "max")
    @classmethod
    def _check_bound(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A bound is compared with every value: NaN compares false with all of
        # them and would build a validator no value passes (or none at all).
        if value is None:
            return value
        if not math.isfinite(value):
            raise ValueError("must be a finite number, not NaN or infinity")
        if abs(value) > BOUND_MAGNITUDE_LIMIT:
            raise ValueError(
                f"must be between -{BOUND_MAGNITUDE_LIMIT} and {BOUND_MAGNITUDE_LIMIT}"
            )
        kind = info.data.get("type")
        if kind in (FieldType.INT, FieldType.TEXT, FieldType.LIST) and not value.is_integer():
            raise ValueError(f"must be a whole number for a {kind.value} field")
        if kind in (FieldType.TEXT, FieldType.LIST) and value < 0:
            raise ValueError(f"must not be negative for a {kind.value} field (it bounds a length)")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> FieldSpec:
        if self.id in RESERVED_KEYS or self.id in INSTANCE_SETTINGS:
            raise ValueError(f"field id '{self.id}' is reserved")
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError("a choice field needs a non-empty 'choices' list")
        if self.choices is not None and self.type is not FieldType.CHOICE:
            raise ValueError("'choices' is only allowed on choice fields")
        if self.pattern is not None:
            if self.type is not FieldType.TEXT:
                raise ValueError("'pattern' is only allowed on text fields")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
        if (self.min is not None or self.max is not None) and self.type not in (
            FieldType.INT,
            FieldType.FLOAT,
            FieldType.TEXT,
            FieldType.LIST,
        ):
            raise ValueError("'min'/'max' are only allowed on int, float, text and list fields")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        if self.type is FieldType.SECRET and self.default is not None:
            raise ValueError("a secret field cannot have a default value")
        return self

    @property
    def is_secret(self) -> bool:
        return self.type is FieldType.SECRET

    @property
    def display_label(self) -> str:
        return self.label or self.id.replace("_", " ")


class ModelSpec(BaseModel):
    """One model an instance serves: its id, and the limits tools ask for.

    Written as a plain string when it has no limits (`- gpt-4.1`), else as a
    mapping (`- {id: llama-3.3-70b, context_window: 131072}`). Several tools
    need the limits (Zed requires `max_tokens`; crush, Continue and aichat take
    them), so an export carries them where the tool has a place for them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=MODEL_ID_MAX_LENGTH)
    """The model id as the provider's API names it."""
    context_window: int | None = Field(default=None, ge=1, le=BOUND_MAGNITUDE_LIMIT)
    """Input plus output tokens the model takes."""
    max_output_tokens: int | None = Field(default=None, ge=1, le=BOUND_MAGNITUDE_LIMIT)
    """Most tokens the model writes in one answer."""

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if value != value.strip() or any(ch.isspace() and ch != " " for ch in value):
            raise ValueError("a model id has no surrounding spaces, tabs or line breaks")
        return value

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


class ProbePagination(BaseModel):
    """How a model list continues on the next page: a cursor read from the
    response, sent back as a query parameter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cursor_at: str
    """Dotted path of the next page's cursor in the response (`nextPageToken`, `last_id`)."""
    param: str
    """Query parameter that carries the cursor (`pageToken`, `after_id`)."""
    more_at: str | None = None
    """Dotted path of a boolean saying another page follows (`has_more`); None: a
    cursor present means one does."""


class ProbeSpec(BaseModel):
    """The one cheap authenticated request `provreg probe` sends for a provider type.

    Data, not code, so a user's `definitions:` entry can say how its API is
    checked. Strings may name the instance's fields as `{field}`; a header or
    query parameter whose field is unset is left out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["GET"] = "GET"
    """Only reads: a probe never creates anything or spends tokens."""
    path: str = Field(pattern=r"^/")
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
    headers: dict[str, str] = Field(default_factory=dict)
    """Other headers (`anthropic-version: "{anthropic_version}"`)."""
    query: dict[str, str] = Field(default_factory=dict)
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

    @model_validator(mode="after")
    def _check_auth(self) -> ProbeSpec:
        if self.auth == "header" and not self.auth_header:
            raise ValueError("'auth: header' needs 'auth_header' (the header that carries the key)")
        if any(name.lower() == "authorization" for name in self.headers):
            raise ValueError("the key's header is set by 'auth', not under 'headers'")
        return self


class ProviderDefinition(BaseModel):
    """A provider type: the fields its instances take. Built in or user-declared."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    """Catalog id that instances name in their `provider` key."""
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
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
    tools: dict[str, str] = Field(default_factory=dict)
    """This type's own name in other tools' configs (`{crush: openai-compat}`),
    where it differs from what `api` implies (`provreg export`, `provreg import`)."""
    probe: ProbeSpec | None = None
    """How `provreg probe` checks an instance of this type (None: it cannot)."""
    builtin: bool = False
    """True for entries of the shipped catalog."""

    @model_validator(mode="after")
    def _unique_fields(self) -> ProviderDefinition:
        seen: set[str] = set()
        for spec in self.fields:
            if spec.id in seen:
                raise ValueError(f"field '{spec.id}' is declared twice")
            seen.add(spec.id)
        return self

    def field(self, field_id: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.id == field_id:
                return spec
        return None

    @property
    def secret_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.is_secret)


class SecretRef(BaseModel):
    """Where a secret lives. YAML holds only this, never the value.

    `{keyring: true}` is the default store (service `provreg`, user
    `<instance id>/<field>`); `{keyring: NAME}` names the keyring user;
    `{env: VAR}` and `{file: PATH}` read the value from the environment or
    a file at resolution time; `{command: [PROGRAM, ARG, ...]}` (or a string
    split with shell-word rules, never run by a shell) runs a program and
    takes its standard output.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class ProviderInstance(BaseModel):
    """One configured provider, as loaded from a config file.

    `values` holds only what the file states (validated), so writing back
    never invents keys; defaults come from the definition when asked.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Unique id across all files."""
    name: str
    """Display name, unique ignoring case and surrounding spaces."""
    provider: str
    """Catalog id of the provider definition."""
    values: dict[str, Any] = Field(default_factory=dict)
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


class Diagnostic(BaseModel):
    """A problem found in a config file, pointing at the YAML node that is wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
