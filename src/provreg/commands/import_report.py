"""What `provreg import` says: the per-entry report, as data (`--json`) and as text.

Owns: the report's shape and wording. Outcomes, reasons, where each key now
lives and what was not kept; never a key's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provreg.commands.import_plan import ImportPlan, PlannedEntry
from provreg.interop.base import ImportRead, ToolAdapter
from provreg.interop.key_handoff import helper_target
from provreg.one_line import printable


@dataclass
class ScrubResult:
    """What `--scrub` did: how many keys it replaced, the backup, or why not."""

    keys: int = 0
    backup: str | None = None
    problem: str | None = None


def _keys_report(planned: PlannedEntry) -> dict[str, str]:
    """Secret field -> where its key is now (never the key)."""
    keys: dict[str, str] = {}
    for field, secret in planned.entry.secrets.items():
        if secret.plaintext is not None:
            if planned.outcome == "created":
                keys[field] = f"pasted key -> keyring ({planned.instance_id}/{field})"
            else:
                keys[field] = f"pasted key, the same as {planned.instance_id}'s"
        elif planned.outcome == "created" and field in planned.keys:
            keys[field] = planned.keys[field].describe()  # what the new instance states
        elif secret.ref is not None:
            target = helper_target(secret.ref)
            keys[field] = (
                f"`provreg secret get {target[0]}` ({target[0]}'s own key)"
                if target is not None
                else secret.ref.describe()
            )
    return keys


def import_report(
    adapter: ToolAdapter,
    path: str,
    read: ImportRead,
    plan: ImportPlan,
    scrub: ScrubResult,
    *,
    dry_run: bool,
    scrub_requested: bool,
) -> dict[str, Any]:
    """The report as data (`--json`): outcomes, reasons and references, never a value."""
    return {
        "tool": adapter.name,
        "path": path,
        "dry_run": dry_run,
        "entries": [
            {
                "label": p.entry.label,
                "line": p.entry.line,
                "provider": p.entry.provider,
                "outcome": p.outcome,
                "instance_id": p.instance_id,
                "name": p.name,
                "reason": p.reason or None,
                "failed": p.done or None,
                "models_added": list(p.models_added),
                "keys": _keys_report(p),
                "lost": list(p.entry.lost),
            }
            for p in plan.entries
        ],
        "not_providers": [{"label": n.subject, "reason": n.message} for n in read.skipped],
        "scrub": {
            "requested": scrub_requested,
            "keys": scrub.keys,
            "backup": scrub.backup,
            "problem": scrub.problem,
        },
    }


_WOULD = {"created": "would create", "merged": "would merge", "unchanged": "unchanged"}


def render_report(report: dict[str, Any]) -> str:
    """The report as text, one entry a line (and its details indented)."""
    dry = report["dry_run"]
    lines = [f"import from {report['tool']}: {report['path']}"]
    counts: dict[str, int] = {}
    for entry in report["entries"]:
        outcome = "failed" if entry["failed"] else entry["outcome"]
        counts[outcome] = counts.get(outcome, 0) + 1
        verb = _WOULD.get(outcome, outcome) if dry else outcome
        label = entry["label"]
        if outcome == "skipped":
            lines.append(f"{verb}: {label}: {entry['reason']}")
        elif outcome == "failed":
            lines.append(f"failed: {label}: {entry['failed']}")
        else:
            target = entry["instance_id"]
            if entry["name"]:
                target += f" ({entry['name']})"
            lines.append(f"{verb}: {label} -> {target}")
            if entry["reason"]:
                lines.append(f"  {entry['reason']}")
            if entry["models_added"]:
                lines.append("  models added: " + ", ".join(entry["models_added"]))
        for field, where in entry["keys"].items():
            if outcome in ("created", "merged", "unchanged"):
                lines.append(f"  {field}: {where}")
        if entry["lost"]:
            lines.append("  not kept: " + "; ".join(entry["lost"]))
    for note in report["not_providers"]:
        lines.append(f"not a provider: {note['label']}: {note['reason']}")
    scrub = report["scrub"]
    if scrub["problem"]:
        lines.append(scrub["problem"])
    elif scrub["requested"] and dry:
        lines.append(
            f"would scrub {scrub['keys']} pasted key(s) in {report['path']} "
            f"(backup {report['path']}.provreg-bak)"
        )
    elif scrub["backup"]:
        lines.append(
            f"scrubbed {scrub['keys']} pasted key(s) in {report['path']}; the original is in "
            f"{scrub['backup']}: it still holds the keys, delete it once the tool works"
        )
    elif scrub["requested"]:
        lines.append(f"nothing to scrub in {report['path']}")
    order = ("created", "merged", "unchanged", "skipped", "failed")
    summary = ", ".join(f"{counts[o]} {o}" for o in order if counts.get(o))
    lines.append((summary or "no entries") + ("; dry run: nothing was written" if dry else ""))
    # Names, labels, paths and reasons come from files: a line break or an escape
    # sequence in one must not start a line of its own (or rewrite the screen).
    return "".join(printable(line) + "\n" for line in lines)
