"""The audit log: one JSON line per committed change, in the user state dir.

Never in the watched config dir (writing it would be a file event there),
mode 0600, and never a secret value: only the names of changed fields and
hashes (of the file's bytes after the change, and of the instance before and
after it), never content.

One line per change however many provreg processes see it. The process that
makes a change (source `app` or `cli`) records it at once. Every other
process that watches the files (a dashboard, `provreg watch`) sees the same
change as `external`; so does the only process that sees an editor's save.
Such an observed change is written later (`OBSERVED_DELAY_S`: the author's
line lands a few ms after its rename, a watcher can reconcile in ~10 ms) and
only if the log's tail has no line for the same change yet, checked and
appended under an exclusive `flock` on the log, so two watchers cannot both
append. "The same change" is the same instance going from the same content to
the same content (`digest_before` -> `digest_after`), not the same file
bytes: a watcher that sees two quick writes of one file as one batch still
recognises each author's line.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import getpass
import hashlib
import json
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from provreg.model import ProviderInstance, SecretRef

AUDIT_FILE_NAME = "audit.jsonl"

OBSERVED_DELAY_S = 1.0
"""How long an observed (external) change waits before it is checked against
the log: the author writes its line right after its rename, within ms unless
the machine is badly overloaded."""

TAIL_BYTES = 256 * 1024
"""How much of the log's end an observed change is checked against: ~700
lines, more than a bulk import writes during `OBSERVED_DELAY_S`."""

LOCK_WAIT_S = 2.0
"""Longest wait for another process's check-and-append; past it we append
unlocked (a possible duplicate line beats a lost one)."""

DIGEST_CHARS = 16
"""Hex digits kept of an instance digest (64 bits: it only has to tell the
versions of one instance apart)."""

log = logging.getLogger("provreg.audit")


def default_audit_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), AUDIT_FILE_NAME)


def _who() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _is_path(file: str) -> bool:
    return bool(file) and not file.startswith("<")  # "<memory>" and the like


def instance_digest(instance: ProviderInstance) -> str:
    """A short hash of what the file says about an instance, the same in every process.

    The file is resolved (processes may name it by different paths); the
    position is left out (it moves when another instance is edited).
    """
    values = {
        key: value.to_yaml() if isinstance(value, SecretRef) else value
        for key, value in instance.values.items()
    }
    payload = {
        "file": os.path.realpath(instance.file) if _is_path(instance.file) else instance.file,
        "id": instance.id,
        "id_derived": instance.id_derived,
        "name": instance.name,
        "provider": instance.provider,
        "values": values,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


class AuditLog:
    """Append-only JSON lines. Lines are appended with single `write`s on an
    O_APPEND descriptor under an exclusive `flock`, so lines from several
    processes never interleave and a check-and-append is atomic."""

    def __init__(
        self,
        path: str | None = None,
        *,
        clock: Any = time.time,
        observed_delay_s: float = OBSERVED_DELAY_S,
    ) -> None:
        self.path = path if path is not None else default_audit_path()
        self._clock = clock
        self._who: str | None = None
        self.observed_delay_s = observed_delay_s
        self._pending: list[tuple[float, dict[str, Any]]] = []
        """(due, entry) of observed changes not written yet, due (monotonic) in order."""
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        """Serialises flushes (the timer thread, `flush`, exit), keeping lines in order."""
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------------ recording

    def record(
        self,
        *,
        source: str,
        action: str,
        instance_id: str,
        file: str,
        fields: Iterable[str] = (),
        legacy_times: tuple[str | None, str | None] | None = None,
        sha256: str | None = None,
        digests: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Append one entry now. `legacy_times` (created, updated) records the times an
        imported instance had in the app it came from (`provreg migrate`).

        `digests` (before, after; None for a create's before and a delete's after,
        see `instance_digest`) and `sha256` (the file's bytes after the change)
        identify the change, so other processes that observe it do not record it
        again. Given for instance changes (create/update/delete), not for the
        secret and import entries.
        """
        entry = self._entry(source, action, instance_id, file, fields, sha256, digests)
        if legacy_times is not None:
            entry["legacy_created_at"], entry["legacy_updated_at"] = legacy_times
        self._append([entry], check=False)

    def record_observed(
        self,
        *,
        source: str,
        action: str,
        instance_id: str,
        file: str,
        fields: Iterable[str],
        sha256: str | None,
        digests: tuple[str | None, str | None],
    ) -> None:
        """Queue a change this process observed but may not have made (source
        `external`): written after `observed_delay_s` unless the log has a line for
        the same change by then. Never raises for I/O: failures are logged."""
        entry = self._entry(source, action, instance_id, file, fields, sha256, digests)
        with self._pending_lock:
            self._pending.append((time.monotonic() + self.observed_delay_s, entry))
            _flush_at_exit(self)
            if self._timer is None and not self._start_timer(self.observed_delay_s):
                # No thread at interpreter shutdown: the exit flush is running or done.
                due_now = True
            else:
                due_now = False
        if due_now:
            self.flush()

    def flush(self) -> None:
        """Write every queued observed change now (process exit, `provreg watch`
        stopping, `read`). Never raises for I/O: failures are logged."""
        self._write_pending(due_only=False)

    @property
    def pending(self) -> int:
        """Observed changes queued and not yet written."""
        with self._pending_lock:
            return len(self._pending)

    def _entry(
        self,
        source: str,
        action: str,
        instance_id: str,
        file: str,
        fields: Iterable[str],
        sha256: str | None,
        digests: tuple[str | None, str | None] | None,
    ) -> dict[str, Any]:
        if self._who is None:
            self._who = _who()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds"),
            "user": self._who,
            "pid": os.getpid(),
            "source": source,
            "action": action,
            "instance_id": instance_id,
            # Absolute, so the log means the same whichever directory provreg ran in.
            "file": os.path.abspath(file) if _is_path(file) else file,
            "fields": sorted(fields),
        }
        if digests is not None:
            entry["sha256"] = sha256
            entry["digest_before"], entry["digest_after"] = digests
        return entry

    # ------------------------------------------------------------------ the deferred queue

    def _start_timer(self, delay: float) -> bool:
        """Called with `_pending_lock` held. False when no thread can be started."""
        timer = threading.Timer(max(delay, 0.0), self._on_timer)
        timer.daemon = True  # the exit hook flushes; never hold the process open
        try:
            timer.start()
        except RuntimeError:  # "can't create new thread at interpreter shutdown"
            return False
        self._timer = timer
        return True

    def _on_timer(self) -> None:
        with self._pending_lock:
            self._timer = None
        try:
            self._write_pending(due_only=True)
        except Exception:  # a timer thread must never die with a traceback
            log.warning("cannot write the audit log %s", self.path, exc_info=True)

    def _write_pending(self, *, due_only: bool) -> None:
        with self._flush_lock:
            with self._pending_lock:
                now = time.monotonic()
                cut = len(self._pending)
                if due_only:
                    cut = next((i for i, (due, _) in enumerate(self._pending) if due > now), cut)
                entries = [entry for _, entry in self._pending[:cut]]
                del self._pending[:cut]
                if self._pending and self._timer is None:
                    self._start_timer(self._pending[0][0] - now)
            if not entries:
                return
            try:
                self._append(entries, check=True)
            except OSError:
                log.warning("cannot write the audit log %s", self.path, exc_info=True)

    # ------------------------------------------------------------------ the file

    def _append(self, entries: list[dict[str, Any]], *, check: bool) -> None:
        """Append entries in one write; with `check`, only those the tail lacks."""
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            with _exclusive(fd, self.path):
                if check:
                    history = _history_by_id(_read_tail(fd))
                    kept = []
                    for entry in entries:
                        past = history.setdefault(entry["instance_id"], [])
                        if not _already_logged(entry, past):
                            kept.append(entry)
                            past.append(entry)
                    entries = kept
                if entries:
                    data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
                    os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)  # releases the flock

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries oldest first (the last `limit` when given); bad lines are skipped.

        Writes this log's queued observed changes first: a process reads its own
        records."""
        self.flush()
        try:
            with open(self.path, encoding="utf-8") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            return []
        entries = _parse_lines(lines)
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


def _parse_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    entries = []
    for line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


def _read_tail(fd: int) -> list[dict[str, Any]]:
    size = os.fstat(fd).st_size
    start = max(0, size - TAIL_BYTES)
    data = os.pread(fd, size - start, start)
    if start > 0:
        data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""  # a cut line
    return _parse_lines(data.decode("utf-8", errors="replace").splitlines())


def _history_by_id(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each instance's change entries (those with digests), oldest first."""
    history: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        instance_id = entry.get("instance_id")
        if isinstance(instance_id, str) and "digest_after" in entry:
            history.setdefault(instance_id, []).append(entry)
    return history


def _already_logged(entry: dict[str, Any], past: list[dict[str, Any]]) -> bool:
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
        if old.get("digest_after") == entry["digest_before"] and not _later(old, entry):
            return False
    return False


def _later(old: dict[str, Any], entry: dict[str, Any]) -> bool:
    """`old` happened after `entry` (same ISO format, UTC: strings compare as times)."""
    old_time, time_ = old.get("time"), entry.get("time")
    return isinstance(old_time, str) and isinstance(time_, str) and old_time > time_


@contextlib.contextmanager
def _exclusive(fd: int, path: str) -> Iterator[None]:
    """Hold an exclusive flock on `fd`, waiting at most `LOCK_WAIT_S` (then unlocked)."""
    locked = _try_lock(fd, path)
    try:
        yield
    finally:
        if locked:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _try_lock(fd: int, path: str) -> bool:
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                return False  # no flock here (some network file systems): the line matters more
        if time.monotonic() >= deadline:
            log.warning("the audit log %s stayed locked; appending unlocked", path)
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


# ---------------------------------------------------------------------- process exit

_logs_with_pending: weakref.WeakSet[AuditLog] = weakref.WeakSet()
_exit_hook_installed = False


def _flush_at_exit(audit: AuditLog) -> None:
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
