"""The types every tool adapter shares: what an export produces and what an
import reads.

An adapter (`ToolAdapter`) is a module-level object per tool. Export: the
command layer hands it the instances (with their definitions) and an
`ExportContext`; it returns one `ExportedEntry` per instance it can express
and a `ToolNote` for each it cannot. `render` writes a new file, `merge`
updates an existing one in place, touching only the entries provreg owns.
Import: `read` turns the tool's file into `ImportedEntry` proposals; the
command layer matches them against the registry and applies them through it.
`scrub` replaces the keys pasted in the tool's file with references.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import SecretStr

from provreg.model import (
    BOUND_MAGNITUDE_LIMIT,
    FieldSpec,
    ModelSpec,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
)

Syntax = Literal["yaml", "json", "jsonc", "env"]


class ToolFileError(Exception):
    """The tool's file cannot be read: not its format, or not parseable.

    Points at the place (1-based line and column, 0 when unknown); the message
    never repeats a value from the file (it may be a pasted key)."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}" if line else f"{path}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One instance to export, with its definition (for defaults, `api`, `env` names)."""

    instance: ProviderInstance
    definition: ProviderDefinition


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What adapters need to know beyond the instances."""

    provreg_command: str = "provreg"
    """How the tool should call provreg (`provreg`, or an absolute path)."""
    config_args: tuple[str, ...] = ()
    """`--config PATH` arguments to pass to `provreg secret get` when the
    registry is not in the default place (empty: the default)."""

    stored_keys: frozenset[tuple[str, str]] = frozenset()
    """(instance id, field) of keys known to be stored in the keyring: an
    optional secret field the file leaves out is exported only when its key
    is stored (a local server needs none; one someone stored is meant to be used)."""

    def has_key(self, instance: ProviderInstance, spec: FieldSpec) -> bool:
        """Whether a secret field hands a key over: stated in the file, required,
        or stored in the keyring under the default entry."""
        return (
            spec.id in instance.values
            or spec.required
            or (instance.id, spec.id) in self.stored_keys
        )

    def secret_get_argv(self, instance_id: str, field_id: str) -> tuple[str, ...]:
        """The command that prints one key for a tool's key helper."""
        argv = [self.provreg_command, "secret", "get", instance_id]
        if field_id != "api_key":
            argv.append(field_id)
        return (*argv, *self.config_args)


SecretChoice = Literal["env", "file", "command", "exec-env", "none"]
"""How an exported entry hands a secret to the tool: the tool reads an
environment variable provreg's reference names (`env`), a file (`file`), runs
`provreg secret get` (`command`), reads a variable the user must set by
running the tool under `provreg exec` (`exec-env`), or it has no key (`none`)."""


@dataclass(frozen=True, slots=True)
class SecretHandoff:
    """What an export chose for one secret field (shown per instance)."""

    field: str
    choice: SecretChoice
    written: str
    """What was written in the tool's file, e.g. `$(provreg secret get work)` or
    `os.environ/OPENAI_API_KEY` (a reference, never a value)."""
    hint: str | None = None
    """What the user must do for it to work, e.g. run `provreg exec work -- crush`."""


@dataclass(frozen=True, slots=True)
class ExportedEntry:
    """One instance as the tool's own config entry."""

    instance_id: str
    key: str
    """The entry's name in the tool's file (a mapping key, or the `name`/`title`
    /`model_name` that identifies a list item). Unique within one export."""
    value: Any
    """Tool-native data (dicts, lists, strings, numbers, booleans), ready to be
    dumped as the tool's JSON or YAML. References only, never a value."""
    secrets: tuple[SecretHandoff, ...] = ()
    lost: tuple[str, ...] = ()
    """What the tool cannot express, one phrase each (`organization`, `api_style:
    responses`), so nothing is dropped silently."""
    extra: tuple[Any, ...] = ()
    """Further items that belong to the same instance where the tool wants one
    item per model (LiteLLM's `model_list`): the command layer treats `value`
    and `extra` as the instance's entries."""


@dataclass(frozen=True, slots=True)
class ToolNote:
    """Something said about one instance or entry: why it was skipped, what is odd."""

    subject: str
    """Instance id (export) or the entry's label (import)."""
    message: str


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    tool: str
    entries: tuple[ExportedEntry, ...]
    skipped: tuple[ToolNote, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportedSecret:
    """A secret an imported entry carries: a reference the tool used, or a pasted key."""

    field: str
    ref: SecretRef | None = None
    """The tool's reference mapped to provreg's (`os.environ/X` -> `{env: X}`, ...)."""
    plaintext: SecretStr | None = None
    """A key pasted in the tool's file: the importer stores it in the keyring and
    writes a reference; it is never written anywhere else."""
    line: int = 0
    """1-based line of the value in the tool's file (0: unknown), for `--scrub`
    and reports."""

    def __post_init__(self) -> None:
        if (self.ref is None) == (self.plaintext is None):
            raise ValueError("an imported secret is either a reference or a pasted key")


_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def shell_name(text: str | None) -> bool:
    """Whether `text` is a variable name a shell (and every tool) takes as one:
    a definition's `env:` is written into shell and tool files only then, since
    anything else would be code there (`X; rm -rf ~`, `X$(cmd)`)."""
    return text is not None and _SHELL_NAME.fullmatch(text) is not None


def _token_limit(value: object) -> int | None:
    """A token limit from a tool's file: a whole positive number in range, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    number = int(value)
    return number if 1 <= number <= BOUND_MAGNITUDE_LIMIT else None


def imported_model(
    model_id: object, context_window: object = None, max_output_tokens: object = None
) -> ModelSpec | None:
    """A model of a tool's file as provreg's, or None when provreg cannot keep it
    (no id, an id ModelSpec refuses). Limits that are not whole positive numbers
    in range are dropped, whatever type the file gave them."""
    if not isinstance(model_id, str):
        return None
    try:
        return ModelSpec(
            id=model_id,
            context_window=_token_limit(context_window),
            max_output_tokens=_token_limit(max_output_tokens),
        )
    except ValueError:  # ModelSpec refuses it
        return None


def imported_model_list(
    listed: object, where: str, keys: tuple[str, str, str], lost: list[str]
) -> list[ModelSpec]:
    """The models of a tool's list of model mappings (`keys`: the mapping's id,
    context window and output limit keys); what provreg cannot keep is named in
    `lost` (`where[2] (not a model provreg can keep)`), never silently dropped."""
    if listed is None:
        return []
    if not isinstance(listed, list):
        lost.append(f"{where} (not a list)")
        return []
    id_key, context_key, output_key = keys
    models = []
    for index, model in enumerate(listed):
        spec = (
            imported_model(model.get(id_key), model.get(context_key), model.get(output_key))
            if isinstance(model, dict)
            else None
        )
        if spec is None:
            lost.append(f"{where}[{index}] (not a model provreg can keep)")
            continue
        models.append(spec)
    return models


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One provider the tool's file describes, as a proposal for the registry."""

    label: str
    """How the tool names it, for reports: `providers.acme`, `model_list[3]`."""
    name: str
    """Suggested instance name (the tool's display name or key)."""
    id: str | None = None
    """The id the tool's file gives the entry (a mapping key, provreg's own mark
    from an earlier export), taken as the new instance's id when it is a valid
    id not yet in use; else the id is derived from the name."""
    provider: str = ""
    """provreg catalog id (`openai`, `anthropic`, `openai-compatible`, ...)."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Non-secret field values (`base_url`, `default_model`, ...), as provreg
    field ids; only fields the provider's definition has."""
    secrets: Mapping[str, ImportedSecret] = field(default_factory=dict)
    """Secret fields by field id (`api_key`)."""
    models: tuple[ModelSpec, ...] = ()
    line: int = 0
    """1-based line of the entry in the tool's file (0: unknown)."""
    lost: tuple[str, ...] = ()
    """What provreg cannot keep from the entry (tool-only settings), one phrase each."""


@dataclass(frozen=True, slots=True)
class ImportRead:
    entries: tuple[ImportedEntry, ...]
    skipped: tuple[ToolNote, ...] = ()
    """Entries not understood or not providers, with why."""


@dataclass(frozen=True, slots=True)
class ScrubTarget:
    """Where a key pasted in a tool's file went: the instance and its reference."""

    instance_id: str
    field: str
    ref: SecretRef
    definition: ProviderDefinition


class ToolAdapter(Protocol):
    """One tool's config format, both directions."""

    name: str
    """The `--to`/`--from` name: `litellm`, `opencode`, `crush`, ..."""
    title: str
    """Display name: `LiteLLM proxy`, `opencode`, ..."""
    syntax: Syntax
    default_paths: tuple[str, ...]
    """Where the tool keeps this file, `~` for the home directory, most usual first."""

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        """The tool's entries for the instances it can express; a note for each it cannot."""
        ...

    def render(self, outcome: ExportOutcome) -> str:
        """A complete new file holding the entries (ready to paste or save)."""
        ...

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        """`existing` with the outcome's entries replacing those of the same key
        (added when absent); every other entry, and comments where the syntax
        has them, kept. Raises `ToolFileError` when `existing` cannot be read."""
        ...

    def read(self, text: str, path: str) -> ImportRead:
        """The providers a file of this tool describes. Raises `ToolFileError`."""
        ...

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        """`text` with each pasted key replaced by a reference in the tool's own syntax.

        `stored` maps (entry label, field id), as `read` reported them, to where
        the key now lives; the adapter writes the same reference an export of
        that instance would (a command helper where the tool has one, else an
        environment variable). Comments and everything else are kept."""
        ...
