"""Pins: the hosts each key may be sent to, and the keyring entries provreg stored.

A pin belongs to a *key*, named by where its value lives: a keyring entry
(service and user) or a file (its real path). It does not belong to the
instance that stored it: a second instance that references the same entry
(`{keyring: other/api_key}`) or the same file with another base URL host is
refused until the user confirms that host for it. A key with no pin at all
(stored by another tool, or a store that was interrupted) is unconfirmed.

One JSON file in the user state dir, mode 0600, no values. Changes are
read-modify-write under an exclusive lock on a sibling lock file, so two
processes confirming or storing at once cannot drop each other's pins, and
the file is replaced atomically. Version 1 files (one host per entry,
keyring only) are read as pins with that one host.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

INDEX_FILE_NAME = "secrets-index.json"
INDEX_VERSION = 2

KeyKind = Literal["keyring", "file", "command"]


@dataclass(frozen=True, slots=True)
class KeyLocation:
    """Where a key's value lives: the identity a pin is attached to."""

    kind: KeyKind
    service: str
    """The keyring service; empty for a file."""
    name: str
    """The keyring user, the file's real path (symlinks resolved), or a command's
    argv joined with shell quoting (the command is pinned by what it runs)."""

    def describe(self) -> str:
        if self.kind == "file":
            return f"the file {self.name}"
        if self.kind == "command":
            return f"the command `{self.name}`"
        return f"the keyring entry (service '{self.service}', user '{self.name}')"


@dataclass(frozen=True, slots=True)
class KeyPin:
    """One key provreg knows: the hosts it may go to, and who stored it."""

    key: KeyLocation
    hosts: tuple[str | None, ...]
    """Base URL hosts (host[:port]) the key may be sent to; None is "no host"."""
    instance_id: str
    """The instance that stored the key or first confirmed a host for it."""
    field: str
    created: float
    stored: bool
    """provreg stored the value in the keyring: `rm` and `prune` may remove it."""

    # Shorthands for the keyring coordinates (status output, prune).
    @property
    def service(self) -> str:
        return self.key.service

    @property
    def user(self) -> str:
        return self.key.name

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.key.kind,
            "service": self.key.service,
            "name": self.key.name,
            "hosts": list(self.hosts),
            "instance_id": self.instance_id,
            "field": self.field,
            "created": self.created,
            "stored": self.stored,
        }


def format_hosts(hosts: tuple[str | None, ...]) -> str:
    return ", ".join(f"'{host or '(none)'}'" for host in hosts) if hosts else "no host"


def default_index_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), INDEX_FILE_NAME)


class SecretIndex:
    def __init__(self, path: str | None = None) -> None:
        self.path = path if path is not None else default_index_path()

    # ------------------------------------------------------------------ reading

    def entries(self) -> list[KeyPin]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                raw = json.load(handle)
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return []
        items = raw.get("entries", []) if isinstance(raw, dict) else []
        pins = (_pin_from_json(item) for item in items if isinstance(item, dict))
        return [pin for pin in pins if pin is not None]

    def pin_of(self, key: KeyLocation) -> KeyPin | None:
        for pin in self.entries():
            if pin.key == key:
                return pin
        return None

    def stored_entries(self) -> list[KeyPin]:
        """Keyring entries provreg stored (not pins of keys others stored)."""
        return [pin for pin in self.entries() if pin.stored and pin.key.kind == "keyring"]

    # ------------------------------------------------------------------ changing

    def pin(
        self,
        key: KeyLocation,
        host: str | None,
        instance_id: str,
        field: str,
        *,
        stored: bool = False,
    ) -> tuple[KeyPin | None, bool]:
        """Allow `key` to go to `host` (kept with the hosts it had).

        Returns the pin as it was before (None when there was none), to undo a
        store that failed, and whether anything changed.
        """

        def change(pins: list[KeyPin]) -> list[KeyPin]:
            for index, old in enumerate(pins):
                if old.key == key:
                    pins[index] = replace(
                        old,
                        hosts=old.hosts if host in old.hosts else (*old.hosts, host),
                        stored=old.stored or stored,
                    )
                    return pins
            return [*pins, KeyPin(key, (host,), instance_id, field, time.time(), stored)]

        before, after = self._update(change)
        previous = next((pin for pin in before if pin.key == key), None)
        return previous, before != after

    def restore(self, key: KeyLocation, previous: KeyPin | None) -> None:
        """Put a key's pin back as it was (after a store that failed)."""

        def change(pins: list[KeyPin]) -> list[KeyPin]:
            kept = [pin for pin in pins if pin.key != key]
            return kept if previous is None else [*kept, previous]

        self._update(change)

    def remove(self, key: KeyLocation) -> None:
        self._update(lambda pins: [pin for pin in pins if pin.key != key])

    # ------------------------------------------------------------------ the file

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _update(
        self, change: Callable[[list[KeyPin]], list[KeyPin]]
    ) -> tuple[list[KeyPin], list[KeyPin]]:
        """Apply `change` under the lock; the pins before and after."""
        with self._locked():
            before = self.entries()
            after = change(list(before))
            if after != before:
                self._save(after)
        return before, after

    def _save(self, pins: list[KeyPin]) -> None:
        from provreg.storage.atomic import atomic_write_json

        payload: dict[str, Any] = {
            "version": INDEX_VERSION,
            "entries": [pin.as_json() for pin in pins],
        }
        atomic_write_json(self.path, payload, indent=1)


def _pin_from_json(item: dict[str, Any]) -> KeyPin | None:
    try:
        if "hosts" in item:  # version 2
            kind = item["kind"]
            if kind not in ("keyring", "file", "command"):
                return None
            key = KeyLocation(kind, str(item["service"]), str(item["name"]))
            hosts = tuple(h if h is None else str(h) for h in item["hosts"])
            stored = bool(item["stored"])
        else:  # version 1: keyring entries provreg stored, one host each
            key = KeyLocation("keyring", str(item["service"]), str(item["user"]))
            hosts = (item["host"] if item["host"] is None else str(item["host"]),)
            stored = True
        return KeyPin(
            key, hosts, str(item["instance_id"]), str(item["field"]), float(item["created"]), stored
        )
    except (KeyError, TypeError, ValueError):
        return None
