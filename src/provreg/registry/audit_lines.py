"""The audit log's file: reading its tail, the exclusive lock around a
check-and-append, and the dedupe of observed changes against what is there.

Owns the format-independent mechanics; registry/audit.py decides what to write.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from provreg.storage.lock import flock_within

log = logging.getLogger("provreg.audit")

TAIL_BYTES = 256 * 1024
"""How much of the log's end an observed change is checked against: ~700
lines, more than a bulk import writes during `OBSERVED_DELAY_S`."""

LOCK_WAIT_S = 2.0
"""Longest wait for another process's check-and-append; past it we append
unlocked (a possible duplicate line beats a lost one)."""


def parse_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    entries = []
    for line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


def tail_bytes(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    start = max(0, size - TAIL_BYTES)
    data = os.pread(fd, size - start, start)
    if start > 0:
        data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""  # a cut line
    return data


def read_tail(fd: int) -> list[dict[str, Any]]:
    return parse_lines(tail_bytes(fd).decode("utf-8", errors="replace").splitlines())


def history_by_id(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each instance's change entries (those with digests), oldest first."""
    history: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        instance_id = entry.get("instance_id")
        if isinstance(instance_id, str) and "digest_after" in entry:
            history.setdefault(instance_id, []).append(entry)
    return history


def already_logged(entry: dict[str, Any], past: list[dict[str, Any]]) -> bool:
    """True when `past` (the instance's entries, oldest first) holds this change.

    Walks back from the newest: the same (action, before, after) is this change;
    an earlier entry that ended where this change starts is the chain this
    change continues, so an equal entry further back was an earlier, separate
    change (a value set, changed and set back). An entry timed after this
    change is a later change another process has already logged (a watcher
    that is behind, holding several changes at once), not where it starts."""
    key = (entry["action"], entry["digest_before"], entry["digest_after"])
    for old in reversed(past):
        if (old.get("action"), old.get("digest_before"), old.get("digest_after")) == key:
            return True
        if old.get("digest_after") == entry["digest_before"] and not later(old, entry):
            return False
    return False


def later(old: dict[str, Any], entry: dict[str, Any]) -> bool:
    """`old` happened after `entry` (same ISO format, UTC: strings compare as times)."""
    old_time, time_ = old.get("time"), entry.get("time")
    return isinstance(old_time, str) and isinstance(time_, str) and old_time > time_


@contextlib.contextmanager
def exclusive(fd: int, path: str) -> Iterator[None]:
    """Hold an exclusive flock on `fd`, waiting at most `LOCK_WAIT_S` (then unlocked)."""
    locked = try_lock(fd, path)
    try:
        yield
    finally:
        if locked:
            fcntl.flock(fd, fcntl.LOCK_UN)


def try_lock(fd: int, path: str) -> bool:
    try:
        if flock_within(fd, LOCK_WAIT_S):
            return True
    except OSError:
        return False  # no flock here (some network file systems): the line matters more
    log.warning("the audit log %s stayed locked; appending unlocked", path)
    return False


def is_path(file: str) -> bool:
    return bool(file) and not file.startswith("<")  # "<memory>" and the like


# ---------------------------------------------------------------------- process exit

_logs_with_pending: weakref.WeakSet[Any] = weakref.WeakSet()
_exit_hook_installed = False


def flush_at_exit(audit: Any) -> None:
    """Make sure `audit`'s queued changes are written when the process exits
    (installed on first use, not at import)."""
    global _exit_hook_installed
    _logs_with_pending.add(audit)
    if not _exit_hook_installed:
        _exit_hook_installed = True
        atexit.register(_flush_all)


def _flush_all() -> None:
    for audit in list(_logs_with_pending):
        try:
            audit.flush()
        except Exception:  # exiting anyway; say why the lines are missing
            log.warning("cannot write the audit log %s", audit.path, exc_info=True)
