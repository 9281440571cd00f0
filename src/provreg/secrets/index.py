"""The index of keyring entries provreg created: no values, just where and for whom.

It serves `provreg secret status` and `prune`, and origin pinning: each entry
records the base URL host the instance had when its key was stored; when the
host changes (an edited or pulled config), the key is not released until the
user confirms. One JSON file in the user state dir, mode 0600, replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

INDEX_FILE_NAME = "secrets-index.json"


@dataclass(frozen=True, slots=True)
class IndexEntry:
    service: str
    user: str
    instance_id: str
    field: str
    created: float
    host: str | None


def default_index_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), INDEX_FILE_NAME)


class SecretIndex:
    def __init__(self, path: str | None = None) -> None:
        self.path = path if path is not None else default_index_path()

    def entries(self) -> list[IndexEntry]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                raw = json.load(handle)
        except (FileNotFoundError, json.JSONDecodeError):
            return []
        entries = []
        for item in raw.get("entries", []) if isinstance(raw, dict) else []:
            try:
                entries.append(IndexEntry(**item))
            except TypeError:
                continue
        return entries

    def find(self, instance_id: str, field: str) -> IndexEntry | None:
        for entry in self.entries():
            if entry.instance_id == instance_id and entry.field == field:
                return entry
        return None

    def record(
        self, service: str, user: str, instance_id: str, field: str, host: str | None
    ) -> None:
        kept = [e for e in self.entries() if not (e.service == service and e.user == user)]
        kept.append(IndexEntry(service, user, instance_id, field, time.time(), host))
        self._save(kept)

    def remove(self, service: str, user: str) -> None:
        self._save([e for e in self.entries() if not (e.service == service and e.user == user)])

    def confirm_host(self, instance_id: str, host: str | None) -> int:
        """Accept `host` for every entry of the instance; returns how many changed."""
        changed = 0
        entries = []
        for entry in self.entries():
            if entry.instance_id == instance_id and entry.host != host:
                entry = IndexEntry(
                    entry.service, entry.user, entry.instance_id, entry.field, entry.created, host
                )
                changed += 1
            entries.append(entry)
        if changed:
            self._save(entries)
        return changed

    def _save(self, entries: list[IndexEntry]) -> None:
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        payload: dict[str, Any] = {"version": 1, "entries": [asdict(e) for e in entries]}
        fd, temp = tempfile.mkstemp(prefix=".secrets-index-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
