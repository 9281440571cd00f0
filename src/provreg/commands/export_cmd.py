"""`provreg export --to TOOL [ID ...]`: registry instances as another tool's config.

Owns: choosing the instances (all, or the ids given), handing them to the
tool's adapter, and where the result goes: stdout, a new file (`-o`, never
over an existing one), or an existing file updated in place (`--merge`, with
a backup first; `--dry-run` shows the diff instead). The per-instance report
(what each secret became, what the user must do, what was lost or skipped)
goes to stderr, or to stdout as JSON with `--json`. The registry is only
read: no secret is resolved, nothing of provreg's is written.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from provreg.catalog.catalog import did_you_mean
from provreg.commands.common import CommandError, run_on_registry
from provreg.commands.tool_files import (
    adapter_failure,
    read_tool_file,
    replace_tool_file,
    tool_adapter,
    write_backup,
)
from provreg.exit_codes import ExitCode
from provreg.interop.base import (
    ExportContext,
    ExportItem,
    ExportOutcome,
    ToolAdapter,
    ToolFileError,
    ToolNote,
)
from provreg.model import Severity
from provreg.one_line import printable
from provreg.registry import ProviderRegistry
from provreg.registry.state import RegistryState
from provreg.secrets.pinning import keyring_user
from provreg.storage.atomic import atomic_write


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What the command line asked for."""

    tool: str
    ids: tuple[str, ...] = ()
    output: str | None = None
    merge: str | None = None
    dry_run: bool = False
    as_json: bool = False


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Where the export went, for the report."""

    target: str | None
    """The file written or merged (None: stdout)."""
    changed: bool
    backup: str | None = None
    diff: str | None = None
    text: str | None = None
    """The file itself, for `--json` without `-o` or `--merge` (references only)."""


def export_context(config_paths: Sequence[str], registry: ProviderRegistry) -> ExportContext:
    """How the tool calls provreg back: `--config` with absolute paths when the
    registry is not in the default place (tools run helpers from elsewhere);
    and which default keyring entries hold a key, from provreg's index (no
    keyring call, no value)."""
    args: list[str] = []
    for path in config_paths:
        args += ["--config", os.path.abspath(path)]
    return ExportContext(config_args=tuple(args), stored_keys=stored_default_keys(registry))


def stored_default_keys(registry: ProviderRegistry) -> frozenset[tuple[str, str]]:
    """(instance id, field) of secret fields at the keyring default whose entry
    provreg's index records as stored."""
    store = registry.secret_store()
    stored = {(pin.service, pin.user) for pin in store.index.entries() if pin.stored}
    state = registry.snapshot()
    found = set()
    for instance in state.instances.values():
        definition = state.catalog.get(instance.provider)
        for spec in definition.secret_fields if definition is not None else ():
            ref = instance.secret_ref(spec.id)
            user = keyring_user(instance.id, spec.id, ref)
            if ref.kind == "keyring" and (store.service, user) in stored:
                found.add((instance.id, spec.id))
    return frozenset(found)


def export_items(registry: ProviderRegistry, ids: Sequence[str]) -> list[ExportItem]:
    """The instances to export, in registry order (or the order given), with their definitions.

    Raises:
        CommandError: an id that is not in the registry (with a did-you-mean).
    """
    catalog = registry.snapshot().catalog
    if ids:
        known = registry.snapshot().instances
        for instance_id in ids:
            if instance_id not in known:
                suggestion = did_you_mean(instance_id, known)
                hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
                raise CommandError(f"no provider instance with id '{instance_id}'{hint}")
        instances = [known[instance_id] for instance_id in dict.fromkeys(ids)]
    else:
        instances = registry.instances()
    items = []
    for instance in instances:
        definition = catalog.get(instance.provider)
        if definition is not None:
            items.append(ExportItem(instance, definition))
    return items


def cmd_export(paths: list[str], request: ExportRequest, out: TextIO, err: TextIO) -> int:
    """Run `provreg export`; the exit code."""
    if request.output and request.merge:
        raise CommandError("give -o FILE (a new file) or --merge FILE (an existing one), not both")
    if request.dry_run and not (request.output or request.merge):
        raise CommandError("--dry-run shows what -o FILE or --merge FILE would write; give one")
    adapter = tool_adapter(request.tool)

    async def run(registry: ProviderRegistry) -> int:
        items = export_items(registry, request.ids)
        outcome = adapter.export(items, export_context(paths, registry))
        result = _deliver(adapter, outcome, request, out)
        report = export_report(outcome, result, request, registry.snapshot())
        if request.as_json:
            out.write(json.dumps(report, indent=2) + "\n")
        else:
            err.write(render_report(report))
        asked = {item.instance.id for item in items}
        missing = asked - {entry.instance_id for entry in outcome.entries}
        if asked and (not outcome.entries or (request.ids and missing)):
            return ExitCode.FINDINGS
        return ExitCode.OK

    return run_on_registry(paths, run, audit=False)


def _deliver(
    adapter: ToolAdapter, outcome: ExportOutcome, request: ExportRequest, out: TextIO
) -> ExportResult:
    if request.merge:
        return _merge_into(
            adapter,
            outcome,
            request.merge,
            dry_run=request.dry_run,
            out=None if request.as_json else out,
        )
    text = adapter.render(outcome)
    if request.output is None:
        if not request.as_json:
            out.write(text)
        return ExportResult(None, True, text=text)
    target = request.output
    if os.path.lexists(target):
        raise CommandError(
            f"{target} exists; provreg does not overwrite it. Update it in place with "
            f"`--merge {target}` (a backup is kept), or choose another name"
        )
    if request.dry_run:
        diff = _diff("", text, target)
        if not request.as_json:
            out.write(diff)
        return ExportResult(target, True, diff=diff)

    def still_absent() -> None:
        if os.path.lexists(target):
            raise CommandError(
                f"{target} was created while provreg was writing it; it was left as it is"
            )

    try:
        atomic_write(target, text.encode("utf-8"), before_replace=still_absent)
    except OSError as exc:
        raise CommandError(f"{target}: cannot write: {exc}") from None
    return ExportResult(target, True)


def _merge_into(
    adapter: ToolAdapter,
    outcome: ExportOutcome,
    target: str,
    *,
    dry_run: bool,
    out: TextIO | None,
) -> ExportResult:
    """`out`: where the dry run's diff goes (None with `--json`: the report carries it)."""
    if os.path.islink(target) and not os.path.exists(target):
        raise CommandError(f"{target}: a symbolic link to a missing file; nothing was written")
    if not os.path.exists(target):
        raise CommandError(f"{target}: no such file; to create it, use -o {target}")
    existing = read_tool_file(target)
    try:
        merged = adapter.merge(existing.text, outcome, target)
    except ToolFileError as exc:
        raise CommandError(f"{exc} (nothing was written)") from None
    except Exception as exc:  # a bug, whose message may quote the user's file
        raise adapter_failure(adapter.name, target, exc) from None
    if merged == existing.text:
        return ExportResult(target, False)
    diff = _diff(existing.text, merged, target)
    if dry_run:
        if out is not None:
            out.write(diff)
        return ExportResult(target, True, diff=diff)
    backup = write_backup(existing)
    replace_tool_file(existing, merged)
    return ExportResult(target, True, backup=backup)


def _diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{path} (now)" if old else "/dev/null",
            tofile=f"{path} (after export)",
        )
    )


# --------------------------------------------------------------------------- the report


def export_report(
    outcome: ExportOutcome,
    result: ExportResult,
    request: ExportRequest,
    state: RegistryState | None = None,
) -> dict[str, Any]:
    """The report as data (the JSON of `--json`): references and hints, never a value."""
    report: dict[str, Any] = {
        "tool": outcome.tool,
        "target": result.target,
        "merge": bool(request.merge),
        "dry_run": request.dry_run,
        "changed": result.changed,
        "backup": result.backup,
        "exported": [
            {
                "instance_id": entry.instance_id,
                "key": entry.key,
                "secrets": [
                    {
                        "field": handoff.field,
                        "choice": handoff.choice,
                        "written": handoff.written,
                        "hint": handoff.hint,
                    }
                    for handoff in entry.secrets
                ],
                "lost": list(entry.lost),
            }
            for entry in outcome.entries
        ],
        "skipped": [_note(note) for note in outcome.skipped],
        # An instance with an error is not in the registry, so not in the export;
        # one from a file that broke since is exported as last loaded. Both said.
        "config_errors": state.count(Severity.ERROR) if state is not None else 0,
        "stale": sorted(
            entry.instance_id
            for entry in outcome.entries
            if state is not None and entry.instance_id in state.stale_ids
        ),
    }
    if request.as_json and result.diff is not None:
        report["diff"] = result.diff
    if request.as_json and result.text is not None:
        report["text"] = result.text
    return report


def _note(note: ToolNote) -> dict[str, str]:
    return {"instance_id": note.subject, "reason": note.message}


def render_report(report: dict[str, Any]) -> str:
    """The report as text, one instance after another (stderr: stdout is the file)."""
    lines: list[str] = []
    for entry in report["exported"]:
        instance_id = entry["instance_id"]
        if not entry["secrets"]:
            lines.append(f"{instance_id}: exported as '{entry['key']}' (no key)")
        for handoff in entry["secrets"]:
            lines.append(
                f"{instance_id}: {handoff['field']} -> {handoff['written']} ({handoff['choice']})"
            )
            if handoff["hint"]:
                lines.append(f"  {handoff['hint']}")
        if entry["lost"]:
            lines.append(f"  not expressible in {report['tool']}: " + "; ".join(entry["lost"]))
    for note in report["skipped"]:
        lines.append(f"{note['instance_id']}: skipped: {note['reason']}")
    for instance_id in report["stale"]:
        lines.append(
            f"{instance_id}: its file has errors now; exported as last loaded (`provreg --check`)"
        )
    errors = report["config_errors"]
    if errors:
        lines.append(
            f"note: the config has {errors} error{'s' if errors != 1 else ''}; an instance "
            "with an error is not loaded, so not exported (`provreg --check` shows them)"
        )
    lines.append(_summary(report))
    # Names, labels, paths and reasons come from files: a line break or an escape
    # sequence in one must not start a line of its own (or rewrite the screen).
    return "".join(printable(line) + "\n" for line in lines)


def _summary(report: dict[str, Any]) -> str:
    count = len(report["exported"])
    skipped = len(report["skipped"])
    what = f"{count} instance{'s' if count != 1 else ''} exported to {report['tool']}"
    if skipped:
        what += f", {skipped} skipped"
    target = report["target"]
    if target is None:
        return what + " (on stdout)"
    if report["dry_run"]:
        return what + f"; dry run: {target} not written (the diff is on stdout)"
    if not report["changed"]:
        return what + f"; {target} already up to date, not written"
    if report["backup"]:
        return what + f"; merged into {target} (the previous version is in {report['backup']})"
    return what + f"; wrote {target}"
