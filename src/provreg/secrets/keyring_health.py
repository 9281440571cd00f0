"""How the keyring stands on this machine, without reading or writing a key.

Owns: `examine_keyring`, for `provreg doctor`: the backend keyring chose, why
provreg refuses it (the same `policy.refusal` every key lookup applies), and
for a Secret Service whether its default collection is locked. The lock is
asked of the collection itself (`is_locked`), never by reading an item:
keyring's own lookup would try to unlock, which over SSH means a prompt nobody
sees.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Literal

from provreg.secrets.policy import (
    allow_insecure_from_env,
    backend_name,
    choose_backend,
    refusal,
)
from provreg.secrets.store import startup_failure

SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
LOCK_QUERY_TIMEOUT_S = 3.0
"""A locked or wedged D-Bus daemon must not hang the report."""

START_SECRET_SERVICE = (
    "dbus-run-session -- bash",
    "read -rsp 'keyring password: ' pw; printf '%s' \"$pw\" | "
    "gnome-keyring-daemon --unlock --components=secrets; unset pw",
)
"""docs/secrets.md, "Over SSH, with no Secret Service": a shell with its own
session bus, then a keyring daemon unlocked with the password read silently."""

CollectionState = Literal["unlocked", "locked", "absent", "unknown", "not applicable"]


@dataclass(frozen=True, slots=True)
class KeyringHealth:
    backend: str
    """The backend keyring chose (a chainer: the backends it chains)."""
    refused: str | None
    """Why provreg will not use it (policy.refusal), or None."""
    collection: CollectionState
    """For a Secret Service: its default collection's state."""
    collection_detail: str
    over_ssh: bool
    session_bus: bool


def examine_keyring() -> KeyringHealth:
    """The keyring as provreg would use it. Never reads a key."""
    over_ssh = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
    session_bus = bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    try:
        import keyring

        backend: Any = keyring.get_keyring()
    except Exception as exc:  # keyring's own start can fail in many ways
        return KeyringHealth("none", startup_failure(exc), "unknown", "", over_ssh, session_bus)
    allow_insecure = allow_insecure_from_env()
    reason = refusal(backend, allow_insecure)
    chosen = backend if reason else choose_backend(backend, allow_insecure)
    name = backend_name(chosen)
    state: CollectionState = "not applicable"
    detail = ""
    if reason is None and name == SECRET_SERVICE_BACKEND:
        state, detail = _collection_state()
    return KeyringHealth(name, reason, state, detail, over_ssh, session_bus)


def _collection_state() -> tuple[CollectionState, str]:
    """The default collection's lock state, asked in a thread with a timeout."""
    answer: list[tuple[CollectionState, str]] = []

    def ask() -> None:
        answer.append(_ask_secret_service())

    worker = threading.Thread(target=ask, name="provreg-doctor-keyring", daemon=True)
    worker.start()
    worker.join(LOCK_QUERY_TIMEOUT_S)
    if not answer:
        return "unknown", f"the Secret Service did not answer within {LOCK_QUERY_TIMEOUT_S:g} s"
    return answer[0]


def _ask_secret_service() -> tuple[CollectionState, str]:
    try:
        import secretstorage
        from secretstorage.exceptions import ItemNotFoundException

        connection = secretstorage.dbus_init()
    except Exception as exc:  # no bus, no daemon, no library: all say the same to the user
        return "unknown", f"cannot reach the Secret Service: {type(exc).__name__}"
    try:
        try:
            collection = secretstorage.get_default_collection(connection)
        except ItemNotFoundException:
            return "absent", "no default collection yet"
        return ("locked" if collection.is_locked() else "unlocked"), ""
    except Exception as exc:
        return "unknown", f"the Secret Service failed: {type(exc).__name__}"
    finally:
        connection.close()
