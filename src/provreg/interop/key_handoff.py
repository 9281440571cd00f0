"""How an exported entry hands a key to a tool that cannot reference it
itself, shared by the adapters: which field carries the key, the variable a
tool reads it from, the hint that says how to start the tool, and the
`provreg secret get ID` reference that points back at an instance.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Sequence

from provreg.interop.base import ExportContext, ExportItem, SecretHandoff, shell_name
from provreg.model import FieldSpec, ProviderDefinition, SecretRef

INSTANCE_MARK = "provreg_instance"
"""The key, on a tool's item, naming the provreg instance it was exported from
(where the tool keeps keys it does not know: LiteLLM's `model_info`, a Continue
model's `env`, an llm item): `--merge` replaces only items so marked, and an
import reads the id back."""

KEY_MARK = "provreg_key"
"""The key, beside `INSTANCE_MARK`, saying the item's key variable holds that
instance's own key (filled by `provreg exec` or `provreg secret get`): an import
reads it back as `provreg secret get ID`, so it matches the instance again."""


def key_field(item: ExportItem, context: ExportContext) -> FieldSpec | None:
    """The `api_key` field when the export hands a key over: stated, required,
    or stored in the keyring (`ExportContext.has_key`); None otherwise."""
    spec = item.definition.field("api_key")
    if spec is None or not spec.is_secret or not context.has_key(item.instance, spec):
        return None
    return spec


def key_handoff_or_none(item: ExportItem, context: ExportContext) -> SecretHandoff | None:
    """The `none` handoff of an `api_key` field with no key to hand over (a
    local server's), None when there is a key or no such field."""
    spec = item.definition.field("api_key")
    if spec is None or not spec.is_secret or key_field(item, context) is not None:
        return None
    return SecretHandoff("api_key", "none", "", hint="no key stated or stored")


def other_secrets_lost(item: ExportItem, context: ExportContext) -> list[str]:
    """Secret fields besides `api_key` the instance hands over: these tools take one key."""
    instance = item.instance
    return [
        spec.id
        for spec in item.definition.secret_fields
        if spec.id != "api_key" and context.has_key(instance, spec)
    ]


def exec_env_names(pairs: Sequence[tuple[ExportItem, str]]) -> dict[str, str]:
    """Instance id -> the variable a tool reads its key from, for keys the tool
    cannot reference itself: the definition's conventional name (OPENAI_API_KEY),
    unless two instances would share it, then `ID_FIELD` (WORK_OPENAI_API_KEY)."""
    preferred: dict[str, str] = {}
    derived: dict[str, str] = {}
    for item, field_id in pairs:
        spec = item.definition.field(field_id)
        derived[item.instance.id] = derived_env_name(item.instance.id, field_id)
        conventional = spec.env if spec is not None and spec.env else None
        if item.definition.id == "openai-compatible":
            # Any gateway's key under OPENAI_API_KEY would pass for OpenAI's own
            # (crush and opencode name these after the id too).
            conventional = None
        preferred[item.instance.id] = conventional or derived[item.instance.id]
    uses = Counter(preferred.values())
    return {
        instance_id: name if uses[name] == 1 else derived[instance_id]
        for instance_id, name in preferred.items()
    }


def exec_variable(
    instance_id: str,
    definition: ProviderDefinition,
    spec: FieldSpec,
    shared: frozenset[str] = frozenset(),
) -> str:
    """The one variable a tool reads an instance's key from when it cannot fetch
    it: the field's conventional name (`OPENAI_API_KEY`, what `provreg exec`
    sets), else one named after the instance (`GW_API_KEY`; always for
    openai-compatible, whose key would pass for OpenAI's own, and when another
    instance of the same export uses the conventional name: `shared`)."""
    if shell_name(spec.env) and definition.id != "openai-compatible" and spec.env not in shared:
        assert spec.env is not None
        return spec.env
    return derived_env_name(instance_id, spec.id)


def derived_env_name(instance_id: str, field_id: str) -> str:
    """`work-openai`, `api_key` -> `WORK_OPENAI_API_KEY` (as crush's and opencode's)."""
    stem = re.sub(r"[^A-Z0-9]+", "_", instance_id.upper()).strip("_")
    if not stem or stem[0].isdigit():
        stem = "_" + stem  # a variable name never starts with a digit
    return f"{stem}_{field_id.upper()}"


def exec_env_hint(
    item: ExportItem, field_id: str, variable: str, context: ExportContext, tool_command: str
) -> str:
    """How to start the tool with `variable` holding the instance's key:
    `provreg exec` when that is the variable it sets, else `provreg secret get`."""
    instance = item.instance
    spec = item.definition.field(field_id)
    if spec is not None and spec.env == variable:
        argv = shell_words((context.provreg_command, "exec", instance.id, *context.config_args))
        return f"run it as `{argv} -- {tool_command}`"
    if not instance.helpers_allowed:
        return (
            f"set {variable} to the key when starting it (helpers are off for "
            f"{instance.id}, so `provreg secret get` refuses it)"
        )
    command = shell_words(context.secret_get_argv(instance.id, field_id))
    if variable.isidentifier() and variable.isascii():
        return f'run it as `{variable}="$({command})" {tool_command}`'
    # A name a shell cannot assign (aichat's `WORK-OPENAI_API_KEY`): `env` can.
    return f'run it as `env "{variable}=$({command})" {tool_command}`'


def instance_key(instance_id: str, field_id: str = "api_key") -> SecretRef:
    """The reference to an instance's own key, `provreg secret get ID [FIELD]`:
    what a tool's file says when an export or a scrub wrote it, which an
    import matches back to that instance (`helper_target`)."""
    argv = ("provreg", "secret", "get", instance_id)
    return SecretRef(
        kind="command", name="provreg", argv=argv if field_id == "api_key" else (*argv, field_id)
    )


def helper_target(ref: SecretRef) -> tuple[str, str] | None:
    """(instance id, field) when a command reference is `provreg secret get ID
    [FIELD] [--config PATH ...]` (any path to provreg), else None."""
    argv = list(ref.argv) if ref.kind == "command" else []
    if len(argv) < 4 or argv[0].replace("\\", "/").rsplit("/", 1)[-1] != "provreg":
        return None
    if argv[1:3] != ["secret", "get"]:
        return None
    rest = argv[3:]
    while "--config" in rest:
        at = rest.index("--config")
        del rest[at : at + 2]
    if not rest or rest[0].startswith("-"):
        return None
    field_id = rest[1] if len(rest) > 1 and not rest[1].startswith("-") else "api_key"
    return rest[0], field_id


def shell_words(argv: Sequence[str]) -> str:
    """A command line a POSIX shell reads back as `argv` (paths with spaces or `$`)."""
    return " ".join(shlex.quote(arg) for arg in argv)


def shared_variables(items: Sequence[ExportItem]) -> frozenset[str]:
    """Variables more than one instance of an export would name in the tool's
    file for its key (an `{env: X}` reference, or the conventional variable of
    a key handed over by `provreg exec`): each of those instances needs its own."""
    uses: Counter[str] = Counter()
    for item in items:
        for spec in item.definition.secret_fields:
            ref = item.instance.secret_ref(spec.id)
            if ref.kind == "env" and ref.name:
                uses[ref.name] += 1
            elif ref.kind in ("keyring", "command"):
                uses[exec_variable(item.instance.id, item.definition, spec)] += 1
    return frozenset(name for name, count in uses.items() if count > 1)
