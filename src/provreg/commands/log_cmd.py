"""`provreg log`: the audit log of committed changes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

from provreg.exit_codes import ExitCode
from provreg.registry.audit import READ_ACTIONS, AuditLog
from provreg.terminal_text import Palette, elide_middle, fit_table, output_width, table_fits


def cmd_log(limit: int | None, as_json: bool, out: TextIO) -> int:
    log = AuditLog()
    entries = log.read(limit)
    if as_json:
        for entry in entries:
            out.write(json.dumps(entry) + "\n")
        return ExitCode.OK
    if not entries:
        out.write(f"no changes recorded yet ({log.path})\n")
        return ExitCode.OK
    rows = [("TIME", "USER", "SOURCE", "ACTION", "INSTANCE", "FILE")]
    for entry in entries:
        fields = entry.get("fields") or []
        detail = f" ({', '.join(fields)})" if fields and entry.get("action") == "update" else ""
        if entry.get("action") in READ_ACTIONS:
            # Who was handed a key (or refused one): the field, the asking program, why not.
            reason = entry.get("reason")
            detail = (
                f" ({', '.join(fields)} to {entry.get('parent', '?')}"
                + (f", {reason}" if reason else "")
                + ")"
            )
        rows.append(
            (
                local_time(entry.get("time")),
                str(entry.get("user", "?")),
                str(entry.get("source", "?")),
                str(entry.get("action", "?")),
                f"{entry.get('instance_id', '?')}{detail}",
                str(entry.get("file", "")),
            )
        )
    palette = Palette.for_stream(out)
    width = output_width(out)
    floors = {0: max(len(row[0]) for row in rows), 4: 20}
    if width is not None and not table_fits(rows, width, floors):
        _write_blocks(out, rows[1:], width, palette)
        return ExitCode.OK
    out.write(
        fit_table(
            rows,
            width,
            wrap_columns=(4,),
            squeeze_first=(5, 4),
            floors=floors,
            styles={5: palette.dim},
            header_style=palette.bold,
        )
    )
    return ExitCode.OK


def _write_blocks(
    out: TextIO, rows: list[tuple[str, str, str, str, str, str]], width: int, palette: Palette
) -> None:
    """For a narrow terminal, two lines an entry: when, what and which; then who and where.

    2026-12-06T14:02:11+01:00  update  work-openai (timeout_seconds)
        root@vm, cli, /home/me/.config/provreg/providers.yaml
    """
    indent = "    "
    for when, user, source, action, instance, file in rows:
        head = f"{when}  {action}  "
        out.write(head + elide_middle(instance, max(width - len(head), 8)) + "\n")
        who = f"{user}, {source}, "
        shown_file = elide_middle(file, max(width - len(indent) - len(who), 8))
        out.write(f"{indent}{who}{palette.dim(shown_file)}".rstrip() + "\n")


def local_time(stamp: object) -> str:
    """An audit time (UTC, ISO 8601) in this machine's time zone, to the second, with
    its offset (`2026-12-06T14:02:11+01:00`): what a reader compares with a clock.
    Anything that is not such a time is shown as it is."""
    if not isinstance(stamp, str):
        return "?"
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is None:
        return stamp
    return when.astimezone().isoformat(timespec="seconds")
