"""`provreg list|show|add|edit|rm`: instance CRUD from the command line.

Owns: turning command-line text into typed field values and printing
instances. Every change goes through `ProviderRegistry` with source "cli".
Secret values never go on a command line: `--set` refuses secret fields and
points at `provreg secret set`; `--ref` sets a reference (not a value).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from provreg.commands.common import CommandError, WriteOptions, run_on_registry
from provreg.config.edit import REMOVE
from provreg.config.read.validation import parse_secret_ref
from provreg.exit_codes import ExitCode
from provreg.field_text import (
    FALSE_WORDS,
    TRUE_WORDS,
    FieldTextError,
    parse_field_text,
    parse_list_text,
)
from provreg.model import (
    INSTANCE_SETTINGS,
    FieldType,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
)
from provreg.registry import ProviderRegistry
from provreg.terminal_text import Palette, Style, output_width, wrap


def parse_assignment(text: str) -> tuple[str, str]:
    field_id, sep, value = text.partition("=")
    if not sep or not field_id.strip():
        raise CommandError(f"'{text}': write FIELD=VALUE")
    return field_id.strip(), value


def parse_field_value(definition: ProviderDefinition, field_id: str, text: str) -> Any:
    """Convert command-line text to the field's type (validation happens in the registry)."""
    spec = definition.field(field_id)
    if spec is None and field_id == "models":
        # `--set models=a,b` or a JSON list whose items may carry limits.
        try:
            return parse_list_text(text)
        except FieldTextError as exc:
            reason = f": {exc.reason}" if exc.reason else ""
            raise CommandError(f"'models': not {exc.expected}{reason}") from None
    if spec is None and field_id in INSTANCE_SETTINGS:
        # `--set helpers=false`: an instance setting, true or false.
        lowered = text.strip().lower()
        if lowered in TRUE_WORDS | FALSE_WORDS:
            return lowered in TRUE_WORDS
        raise CommandError(f"'{field_id}' takes true or false, not '{text}'")
    if spec is None:
        return text  # the registry reports the unknown field, with a did-you-mean
    if spec.type is FieldType.SECRET:
        raise CommandError(
            f"'{field_id}' is a secret field: keys never go on a command line. "
            f"Use `provreg secret set <id> {field_id}` (reads stdin or prompts), "
            f"or `--ref {field_id}=env:VAR` to reference one"
        )
    try:
        return parse_field_text(spec, text)
    except FieldTextError as exc:
        if exc.reason:
            raise CommandError(f"'{field_id}': not {exc.expected}: {exc.reason}") from None
        raise CommandError(f"'{field_id}' takes {exc.expected}, not '{text}'") from None


def parse_reference(definition: ProviderDefinition, text: str) -> tuple[str, SecretRef]:
    """`api_key=env:VAR`, `api_key=file:~/key`, `api_key=keyring` or `keyring:NAME`."""
    field_id, value = parse_assignment(text)
    spec = definition.field(field_id)
    if spec is None or spec.type is not FieldType.SECRET:
        raise CommandError(f"--ref: '{field_id}' is not a secret field of '{definition.id}'")
    kind, _, target = value.partition(":")
    raw: dict[str, Any]
    if kind == "keyring" and not target:
        raw = {"keyring": True}
    elif kind in ("keyring", "env", "file") and target:
        raw = {kind: target}
    else:
        raise CommandError(
            f"--ref {field_id}=...: write keyring, keyring:NAME, env:VAR or file:PATH"
        )
    try:
        return field_id, parse_secret_ref(raw)
    except ValueError as exc:  # FieldValueError is a ValueError
        raise CommandError(f"--ref {field_id}: {exc}") from None


def _changes(
    definition: ProviderDefinition,
    sets: Sequence[str],
    refs: Sequence[str],
    unsets: Sequence[str] = (),
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in sets:
        field_id, text = parse_assignment(item)
        changes[field_id] = parse_field_value(definition, field_id, text)
    for item in refs:
        field_id, ref = parse_reference(definition, item)
        changes[field_id] = ref
    for field_id in unsets:
        changes[field_id] = REMOVE
    return changes


# --------------------------------------------------------------------------- output


def instance_json(
    instance: ProviderInstance, definition: ProviderDefinition | None
) -> dict[str, Any]:
    """An instance as JSON: stated values, secret fields as their reference (never a value)."""
    fields: dict[str, Any] = {}
    if definition is not None:
        for spec in definition.fields:
            if spec.is_secret:
                ref = instance.secret_ref(spec.id)
                fields[spec.id] = {"reference": ref.to_yaml(), "default": not ref.explicit}
            elif spec.id in instance.values:
                fields[spec.id] = {"value": instance.values[spec.id], "default": False}
            elif spec.default is not None:
                fields[spec.id] = {"value": spec.default, "default": True}
    return {
        "id": instance.id,
        "name": instance.name,
        "provider": instance.provider,
        "file": instance.file,
        "line": instance.line,
        "fields": fields,
        "models": [model.model_dump() for model in instance.models],
        "helpers": instance.helpers_allowed,
        "allow_http": instance.http_allowed,
    }


def _display_value(value: Any) -> str:
    if isinstance(value, SecretRef):
        return value.describe()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def print_instance(
    out: TextIO, instance: ProviderInstance, definition: ProviderDefinition | None, stale: bool
) -> None:
    """The name and id, then one `key  value` line per setting and field, the
    keys in one column; values wrap under themselves to fit the terminal."""
    palette = Palette.for_stream(out)
    where = f"{instance.file}:{instance.line}"
    rows: list[tuple[str, str, Style | None]] = [
        (
            "provider",
            instance.provider + (f" — {definition.name}" if definition is not None else ""),
            None,
        ),
        ("file", where, palette.dim),
    ]
    if stale:
        rows.append(("stale", "the file has errors; showing its last good version", palette.yellow))
    if not instance.helpers_allowed:
        why = "`provreg secret get` refuses its keys; `exec` only"
        rows.append(("helpers", f"false  ({why})", None))
    if instance.http_allowed:
        why = "`provreg probe` may send its key over plain http"
        rows.append(("allow_http", f"true  ({why})", None))
    for spec in definition.fields if definition is not None else ():
        if spec.is_secret:
            ref = instance.secret_ref(spec.id)
            note = "" if ref.explicit else "  (default)"
            rows.append((spec.id, f"secret: {ref.describe()}{note}", None))
        elif spec.id in instance.values:
            rows.append((spec.id, _display_value(instance.values[spec.id]), None))
        elif spec.default is not None:
            rows.append((spec.id, f"{_display_value(spec.default)}  (default)", None))
    if instance.models:
        rows.append(("models", "", None))
    out.write(f"{palette.bold(instance.name)}  ({instance.id})\n")
    key_width = max(len(key) for key, _, _ in rows)
    width = output_width(out)
    room = None if width is None else max(width - 2 - key_width - 2, 20)
    for key, value, style in rows:
        lines = [value] if room is None else wrap(value, room)
        for number, line in enumerate(lines):
            label = key if number == 0 else ""
            shown = style(line) if style is not None else line
            out.write(f"  {label.ljust(key_width)}  {shown}".rstrip() + "\n")
    for model in instance.models:
        out.write(f"    {model.describe()}\n")


# --------------------------------------------------------------------------- commands


def cmd_list(paths: list[str], as_json: bool, provider: str | None, out: TextIO) -> int:
    async def run(registry: ProviderRegistry) -> int:
        instances = registry.instances(provider=provider)
        catalog = registry.snapshot().catalog
        if as_json:
            out.write(
                json.dumps([instance_json(i, catalog.get(i.provider)) for i in instances], indent=2)
                + "\n"
            )
            return ExitCode.OK
        stale = registry.snapshot().stale_ids
        rows = [("ID", "NAME", "PROVIDER", "DEFAULT MODEL", "FILE:LINE")]
        for instance in instances:
            definition = catalog.get(instance.provider)
            model = instance.value(definition, "default_model") if definition else None
            marker = " (stale)" if instance.id in stale else ""
            rows.append(
                (
                    instance.id,
                    instance.name + marker,
                    instance.provider,
                    str(model or "-"),
                    f"{instance.file}:{instance.line}",
                )
            )
        out.write(listing_table(rows, out))
        return ExitCode.OK

    return run_on_registry(paths, run, audit=False)


def listing_table(rows: Sequence[Sequence[str]], out: TextIO) -> str:
    """`list`'s rows fitted to `out`.

    Ids and providers (typed on command lines) stay whole; the file and the
    name give way first, elided in the middle so `file.yaml:12` stays
    readable. Too narrow for that: one block per instance. The file is dim
    on a terminal."""
    from provreg.terminal_text import fit_table, table_fits

    palette = Palette.for_stream(out)
    width = output_width(out)
    whole = {column: max(len(row[column]) for row in rows) for column in (0, 2)}
    floors = {**whole, 1: 16, 3: 12, 4: 20}
    if width is not None and not table_fits(rows, width, floors):
        return _listing_blocks(rows[1:], width, palette)
    return fit_table(
        rows,
        width,
        squeeze_first=(4, 1),
        floors=floors,
        styles={4: palette.dim},
        header_style=palette.bold,
    )


def _listing_blocks(rows: Sequence[Sequence[str]], width: int, palette: Palette) -> str:
    """For a narrow terminal: `ID  NAME`, then provider and model, then the file.

    work-openai  Work OpenAI
        openai, gpt-4.1
        sample_configs/providers/hosted.yaml:8
    """
    from provreg.terminal_text import elide_middle

    indent = "    "
    room = max(width - len(indent), 1)
    lines = []
    for instance_id, name, provider, model, where in rows:
        shown_name = elide_middle(name, max(width - len(instance_id) - 2, 1))
        lines.append(f"{palette.bold(instance_id)}  {shown_name}")
        lines.append(indent + elide_middle(f"{provider}, {model}", room))
        lines.append(indent + palette.dim(elide_middle(where, room)))
    return "\n".join(lines) + "\n"


def cmd_show(paths: list[str], instance_id: str, as_json: bool, out: TextIO) -> int:
    async def run(registry: ProviderRegistry) -> int:
        instance = registry.get(instance_id)
        definition = registry.snapshot().catalog.get(instance.provider)
        if as_json:
            out.write(json.dumps(instance_json(instance, definition), indent=2) + "\n")
        else:
            print_instance(out, instance, definition, instance_id in registry.snapshot().stale_ids)
        return ExitCode.OK

    return run_on_registry(paths, run, audit=False)


def cmd_add(
    paths: list[str],
    provider: str,
    name: str,
    sets: Sequence[str],
    refs: Sequence[str],
    file: str | None,
    instance_id: str | None,
    as_json: bool,
    out: TextIO,
    *,
    writes: WriteOptions,
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        definition = registry.definition(provider)
        values = _changes(definition, sets, refs)
        instance = await registry.create(
            provider, name, values, file, instance_id=instance_id, source="cli"
        )
        _report_change(out, registry, instance, "added", as_json)
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def cmd_edit(
    paths: list[str],
    instance_id: str,
    sets: Sequence[str],
    refs: Sequence[str],
    unsets: Sequence[str],
    name: str | None,
    as_json: bool,
    out: TextIO,
    *,
    writes: WriteOptions,
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        current = registry.get(instance_id)
        definition = registry.definition(current.provider)
        changes = _changes(definition, sets, refs, unsets)
        if name is not None:
            changes["name"] = name
        if not changes:
            raise CommandError("nothing to change: give --set, --ref, --unset or --name")
        instance = await registry.update(instance_id, changes, source="cli")
        _report_change(out, registry, instance, "updated", as_json)
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def cmd_rm(
    paths: list[str],
    instance_id: str,
    yes: bool,
    as_json: bool,
    out: TextIO,
    *,
    writes: WriteOptions,
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        instance = registry.get(instance_id)
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    f"refusing to delete '{instance_id}' without --yes (no terminal)"
                )
            answer = input(f"Delete '{instance.name}' ({instance.id}) from {instance.file}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                out.write("nothing deleted\n")
                return ExitCode.FINDINGS
        deletion = await registry.delete_with_keys(instance_id, source="cli")
        keys = deletion.keys
        if as_json:
            report = {
                "deleted": instance.id,
                "file": instance.file,
                "keys_removed": keys.removed,
                "keys_kept": [{"user": user, "used_by": users} for user, users in keys.kept],
            }
            out.write(json.dumps(report) + "\n")
        else:
            out.write(f"deleted {instance.id} from {instance.file}\n")
            if keys.kept:
                out.write(keys.summary() + "\n")
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def _report_change(
    out: TextIO, registry: ProviderRegistry, instance: ProviderInstance, verb: str, as_json: bool
) -> None:
    definition = registry.snapshot().catalog.get(instance.provider)
    if as_json:
        out.write(json.dumps(instance_json(instance, definition), indent=2) + "\n")
    else:
        out.write(f"{verb} {instance.id} in {instance.file}:{instance.line}\n")
