"""The audit log: one JSON line per committed change, in the user state dir.

Never in the watched config dir (writing it would be a file event there),
mode 0600, and never a secret value: only the names of changed fields.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

AUDIT_FILE_NAME = "audit.jsonl"


def default_audit_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), AUDIT_FILE_NAME)


def _who() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


class AuditLog:
    """Append-only JSON lines. Each `record` is one `write` on an O_APPEND descriptor,
    so lines from several processes never interleave."""

    def __init__(self, path: str | None = None, *, clock: Any = time.time) -> None:
        self.path = path if path is not None else default_audit_path()
        self._clock = clock
        self._who: str | None = None

    def record(
        self,
        *,
        source: str,
        action: str,
        instance_id: str,
        file: str,
        fields: Iterable[str] = (),
        legacy_times: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Append one entry. `legacy_times` (created, updated) records the times an
        imported instance had in the app it came from (`provreg migrate`)."""
        if self._who is None:
            self._who = _who()
        entry = {
            "time": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds"),
            "user": self._who,
            "pid": os.getpid(),
            "source": source,
            "action": action,
            "instance_id": instance_id,
            # Absolute, so the log means the same whichever directory provreg ran in.
            "file": os.path.abspath(file) if file and not file.startswith("<") else file,
            "fields": sorted(fields),
        }
        if legacy_times is not None:
            entry["legacy_created_at"], entry["legacy_updated_at"] = legacy_times
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries oldest first (the last `limit` when given); bad lines are skipped."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                entries.append(value)
        return entries[-limit:] if limit else entries

    def times_for(self, instance_id: str) -> tuple[str | None, str | None]:
        """(created, last updated) ISO times of an instance, from the log."""
        created = updated = None
        for entry in self.read():
            if entry.get("instance_id") != instance_id:
                continue
            if entry.get("legacy_created_at"):
                created = entry["legacy_created_at"]
                updated = entry.get("legacy_updated_at") or created
                continue
            if entry.get("action") in ("create", "import") and created is None:
                created = entry.get("time")
            if entry.get("action") == "delete":
                created = updated = None
                continue
            updated = entry.get("time")
        return created, updated
