"""The audit log: one JSON line per committed change, in the user state dir.

Never in the watched config dir (writing it would be a file event there),
mode 0600, and never a secret value: only the names of changed fields and
hashes (of the file's bytes after the change, and of the instance before and
after it), never content.

One line per change however many provreg processes see it. The process that
makes a change (source `app` or `cli`) logs an intent before its rename and
the change line after it (registry/audit_journal.py): a crash in between is
resolved by the next open. Every other process that watches the files (a
dashboard, `provreg watch`) sees the same change as `external`: it finds the
author's intent by the file's hashes and logs nothing. A change no intent
explains (an editor's save) is written after `OBSERVED_DELAY_S`, only if the
log's tail has no line for the same change yet, checked and appended under
an exclusive `flock` on the log, so two watchers cannot both append. "The
same change" is the same instance going from the same content to the same
content (`digest_before` -> `digest_after`), not the same file bytes.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from provreg import faults
from provreg.registry import audit_journal as journal
from provreg.registry import audit_lines as logfile

AUDIT_FILE_NAME = "audit.jsonl"

READ_ACTIONS = frozenset({"secret-read", "secret-read-refused"})
"""Lines that record a key being handed out (or refused), not a change."""

OBSERVED_DELAY_S = 1.0
"""How long an observed change that no provreg intent explains waits before it
is checked against the log (another watcher may log the same editor save)."""

log = logging.getLogger("provreg.audit")


def default_audit_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), AUDIT_FILE_NAME)


def _make_state_dir(directory: str) -> None:
    from provreg.paths import make_private_dirs

    make_private_dirs(directory)


def _who() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


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
        self._tail: tuple[tuple[int, int], list[dict[str, Any]]] | None = None
        """(size, mtime_ns) of the log and its tail's records, for `_tail_records`."""

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
        txn: str | None = None,
        details: Mapping[str, str | int] | None = None,
    ) -> None:
        """Append one entry now; with `txn`, as the outcome of that write's intent.
        `legacy_times` (created, updated) records the times an imported instance
        had in the app it came from (`provreg migrate`). `details` are extra keys
        of the line (`secret-read`: who asked, and why a read was refused); never
        a value.

        `digests` (before, after; None for a create's before and a delete's after,
        see `instance_digest`) and `sha256` (the file's bytes after the change)
        identify the change, so other processes that observe it do not record it
        again. Given for instance changes (create/update/delete), not for the
        secret and import entries.
        """
        entry = self._entry(source, action, instance_id, file, fields, sha256, digests)
        if legacy_times is not None:
            entry["legacy_created_at"], entry["legacy_updated_at"] = legacy_times
        if txn is not None:
            entry["txn"] = txn
        if details:
            entry.update(details)
        self._append([entry], check=False)
        if txn is not None:
            faults.reach(faults.AUDIT_AFTER_OUTCOME)

    def intent(
        self,
        *,
        txn: str,
        source: str,
        action: str,
        instance_id: str,
        file: str,
        real_file: str,
        fields: Iterable[str],
        sha256_before: str | None,
        sha256: str,
        digest_before: str | None = None,
    ) -> None:
        """Log that a write is about to replace `real_file` (bytes `sha256_before`)
        with bytes `sha256`; called just before its rename. Field names and
        hashes only, as every line."""
        entry = self._entry(source, action, instance_id, file, fields, sha256, None)
        record = {journal.RECORD: journal.INTENT, "txn": txn, **entry}
        record.update(real_file=real_file, sha256_before=sha256_before, sha256=sha256)
        record["digest_before"] = digest_before
        self._append([record], check=False)
        faults.reach(faults.AUDIT_AFTER_INTENT)

    def close_intent(self, txn: str) -> None:
        """Log that the write `txn` was made, for writers whose change lines are
        logged apart from the write (`secret import`) or that changed no instance."""
        entry: dict[str, Any] = {journal.RECORD: journal.OUTCOME, "txn": txn}
        entry.update(result=journal.APPLIED, time=journal.now_iso(self._clock), pid=os.getpid())
        self._append([entry], check=False)
        faults.reach(faults.AUDIT_AFTER_OUTCOME)

    def resolve_interrupted(
        self, digest_of: journal.DigestOf | None = None
    ) -> list[dict[str, Any]]:
        """Close the intents of writers that died before their outcome (see
        audit_journal). Returns the lines written. Cheap when there are none:
        the tail is searched for intents before anything is parsed."""
        who, now = self._whoami(), self._clock()
        lines = self._resolve(
            lambda intent: not journal.may_be_in_progress(intent, who, now), digest_of
        )
        if lines:
            log.warning("the audit log closed %d write(s) a crash interrupted", len(lines))
        return lines

    def resolve_failed(self, txn: str) -> None:
        """Close the intent of a write of this process that raised after logging
        it, by the file's hash (the rename may or may not have happened)."""
        self._resolve(lambda intent: intent.get("txn") == txn, None)

    def _resolve(
        self, wanted: Callable[[dict[str, Any]], bool], digest_of: journal.DigestOf | None
    ) -> list[dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return []
        try:
            with logfile.exclusive(fd, self.path):
                data = logfile.tail_bytes(fd)
                if not journal.has_open_intents(data):
                    return []
                records = logfile.parse_lines(data.decode("utf-8", errors="replace").splitlines())
                resolved_at, who = journal.now_iso(self._clock), self._whoami()
                lines = [
                    journal.resolution_lines(
                        intent,
                        journal.verdict(intent, records[index + 1 :]),
                        resolved_at,
                        who,
                        digest_of,
                    )
                    for index, intent in journal.open_intents(records)
                    if wanted(intent)
                ]
                if lines:
                    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
                    os.write(fd, text.encode("utf-8"))
                return lines
        finally:
            os.close(fd)

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
        sha256_before: str | None = None,
    ) -> None:
        """A change this process observed but did not make (source `external`),
        the file's bytes going from `sha256_before` to `sha256`. Nothing is
        written when a provreg writer's intent explains it (its author logs it);
        else it is written after `observed_delay_s` unless the log has a line
        for the same change by then. Never raises for I/O: failures are logged."""
        if logfile.is_path(file):
            try:
                records = self._tail_records()
            except OSError:
                records = []
            real = os.path.realpath(file)
            if journal.provreg_wrote(records, real, sha256_before, sha256, instance_id, action):
                return
        entry = self._entry(source, action, instance_id, file, fields, sha256, digests)
        with self._pending_lock:
            self._pending.append((time.monotonic() + self.observed_delay_s, entry))
            logfile.flush_at_exit(self)
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
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds"),
            "user": self._whoami(),
            "pid": os.getpid(),
            "source": source,
            "action": action,
            "instance_id": instance_id,
            # Absolute, so the log means the same whichever directory provreg ran in.
            "file": os.path.abspath(file) if logfile.is_path(file) else file,
            "fields": sorted(fields),
        }
        if digests is not None:
            entry["sha256"] = sha256
            entry["digest_before"], entry["digest_after"] = digests
        return entry

    def _whoami(self) -> str:
        if self._who is None:
            self._who = _who()
        return self._who

    def _tail_records(self) -> list[dict[str, Any]]:
        """The records at the log's end, parsed again only when the log changed
        (a batch of observed changes reads it once)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            info = os.fstat(fd)
            key = (info.st_size, info.st_mtime_ns)
            if self._tail is None or self._tail[0] != key:
                self._tail = (key, logfile.read_tail(fd))
            return self._tail[1]
        finally:
            os.close(fd)

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
            _make_state_dir(directory)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            with logfile.exclusive(fd, self.path):
                if check:
                    history = logfile.history_by_id(logfile.read_tail(fd))
                    kept = []
                    for entry in entries:
                        past = history.setdefault(entry["instance_id"], [])
                        if not logfile.already_logged(entry, past):
                            kept.append(entry)
                            past.append(entry)
                    entries = kept
                if entries:
                    data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
                    os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)  # releases the flock

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Change entries oldest first (the last `limit` when given); bad lines and
        bookkeeping records (intents, outcomes, resolutions) are skipped.

        Writes this log's queued observed changes first: a process reads its own
        records."""
        self.flush()
        try:
            with open(self.path, encoding="utf-8") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            return []
        entries = [entry for entry in logfile.parse_lines(lines) if journal.is_change(entry)]
        return entries[-limit:] if limit else entries

    def times_for(self, instance_id: str) -> tuple[str | None, str | None]:
        """(created, last updated) ISO times of an instance, from the log."""
        created = updated = None
        for entry in self.read():
            if entry.get("instance_id") != instance_id or entry.get("action") in READ_ACTIONS:
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
