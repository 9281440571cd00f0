"""`provreg log`: the audit log of committed changes."""

from __future__ import annotations

import json
from typing import TextIO

from provreg.exit_codes import ExitCode
from provreg.registry.audit import READ_ACTIONS, AuditLog


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
        out.write(
            f"{entry.get('time', '?')}  {entry.get('user', '?')}  {entry.get('source', '?'):8}  "
            f"{entry.get('action', '?'):21}  {entry.get('instance_id', '?')}{detail}  "
            f"{entry.get('file', '')}\n"
        )
    return ExitCode.OK
