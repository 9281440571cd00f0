"""Audit intents: the log never misses a change a crash interrupted.

A write logs its *intent* once the new bytes are durable in the temp file and
just before the rename, and its *outcome* (the ordinary change line, carrying
the intent's `txn`) after the commit. A process killed in between leaves an
intent without an outcome; the next provreg process that opens the registry
resolves it by the file's hash (the new bytes: applied, logged as the change
line it would have written; the old bytes: not applied) and logs that.

The intent also makes the watchers' dedupe exact: it is in the log before the
file changes, so a process that sees the change (a dashboard, `provreg
watch`) finds the author by the file's hashes at once, instead of waiting
for the author's line, which a slow or killed author never writes in time.

Record kinds (docs/cli.md, "The audit log's records"): lines with a
`"record"` key are bookkeeping (`intent`, `outcome`, `resolution`); lines
without it are changes, as every reader has always read them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provreg.registry.audit import AuditLog

RECORD = "record"
INTENT = "intent"
OUTCOME = "outcome"
RESOLUTION = "resolution"

APPLIED = "applied"
NOT_APPLIED = "not-applied"
UNKNOWN = "unknown"

FOREIGN_INTENT_S = 60.0
"""An intent from another host (a state dir shared over the network) cannot be
checked for a live writer: it is resolved once it is this old."""

INTENT_MARK = b'{"record": "intent"'
"""How an intent line starts (`json.dumps` keeps key order): found without parsing."""

_TXN_KEY = b'"txn": "'


def has_open_intents(data: bytes) -> bool:
    """Whether the log text holds an intent no later line closes, found by a
    scan of the bytes: every command's open looks, and parsing a log's tail
    (hundreds of lines) would cost it tens of milliseconds."""
    if INTENT_MARK not in data:
        return False
    open_txns: set[bytes] = set()
    for line in data.split(b"\n"):
        at = line.find(_TXN_KEY)
        if at < 0:
            continue
        start = at + len(_TXN_KEY)
        txn = line[start : line.find(b'"', start)]
        if line.startswith(INTENT_MARK):
            open_txns.add(txn)
        else:
            open_txns.discard(txn)
    return bool(open_txns)


DigestOf = Callable[[str, str], str | None]
"""(instance id, real file) -> the instance's digest as the file now has it, or None."""


def new_txn() -> str:
    """A write's id, unique across processes and runs."""
    return f"{os.getpid()}-{os.urandom(6).hex()}"


def is_change(record: dict[str, Any]) -> bool:
    """A change line (what `provreg log` shows), not a bookkeeping record."""
    return RECORD not in record


def open_intents(records: Iterable[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(index, intent) of the intents no later line closes (an outcome, a change
    or a resolution with their txn)."""
    intents: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, record in enumerate(records):
        txn = record.get("txn")
        if not isinstance(txn, str):
            continue
        if record.get(RECORD) == INTENT:
            intents.setdefault(txn, []).append((index, record))
        else:
            intents.pop(txn, None)
    return [item for group in intents.values() for item in group]


def may_be_in_progress(intent: dict[str, Any], who: str, now: float) -> bool:
    """True while the intent's writer may still be about to rename or log."""
    pid = intent.get("pid")
    if intent.get("user") != who or not isinstance(pid, int):
        return now - _epoch(intent.get("time")) < FOREIGN_INTENT_S
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _epoch(iso: Any) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).timestamp() if isinstance(iso, str) else 0.0
    except ValueError:
        return 0.0


def file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None


def verdict(intent: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """Applied, not applied or unknown, from the file's bytes now, else from a
    later intent on the same file (which names the bytes it replaced)."""
    real = intent.get("real_file")
    if not isinstance(real, str):
        return UNKNOWN
    current = file_sha256(real)
    if current == intent.get("sha256"):
        return APPLIED
    if current == intent.get("sha256_before"):
        return NOT_APPLIED
    for later in records:
        if later.get(RECORD) == INTENT and later.get("real_file") == real:
            if later.get("sha256_before") == intent.get("sha256"):
                return APPLIED
            if later.get("sha256_before") == intent.get("sha256_before"):
                return NOT_APPLIED
    return UNKNOWN


def resolution_lines(
    intent: dict[str, Any], result: str, resolved_at: str, who: str, digest_of: DigestOf | None
) -> dict[str, Any]:
    """The line that closes an interrupted intent: for an applied change the
    change line its writer did not live to write (at the intent's time), else
    a resolution record."""
    if result != APPLIED:
        return {
            RECORD: RESOLUTION,
            "txn": intent["txn"],
            "result": result,
            "time": resolved_at,
            "user": who,
            "pid": os.getpid(),
        }
    action = intent.get("action")
    digest_after = None
    if digest_of is not None and action != "delete" and isinstance(intent.get("real_file"), str):
        digest_after = digest_of(str(intent.get("instance_id")), intent["real_file"])
    entry = {key: intent.get(key) for key in CHANGE_KEYS}
    entry.update(
        digest_after=digest_after,
        txn=intent["txn"],
        resolved=APPLIED,
        resolved_at=resolved_at,
        resolved_by=os.getpid(),
    )
    return entry


CHANGE_KEYS = (
    "time",
    "user",
    "pid",
    "source",
    "action",
    "instance_id",
    "file",
    "fields",
    "sha256",
    "digest_before",
)
"""What an intent carries of the change line it announces."""


def provreg_wrote(
    records: Iterable[dict[str, Any]],
    real_file: str,
    sha256_before: str | None,
    sha256_after: str | None,
    instance_id: str,
    action: str,
) -> bool:
    """True when an observed change of `real_file` (bytes `sha256_before` to
    `sha256_after`) is a provreg write whose author logs it (or whose intent
    the next open resolves): a chain of intents leads from the old bytes to
    the new. When the chain breaks (an editor saved between two provreg
    writes), only this instance's change is matched, against the intents
    that start from bytes on the chain."""
    intents = [
        record
        for record in records
        if record.get(RECORD) == INTENT and record.get("real_file") == real_file
    ]
    if not intents:
        return False
    reached = {sha256_before}
    frontier = [sha256_before]
    while frontier:
        start = frontier.pop()
        for intent in intents:
            after = intent.get("sha256")
            if intent.get("sha256_before") == start and after not in reached:
                reached.add(after)
                frontier.append(after)
    if sha256_after in reached:
        return True
    return any(
        intent.get("sha256_before") in reached
        and intent.get("instance_id") == instance_id
        and intent.get("action") == action
        for intent in intents
    )


@contextlib.contextmanager
def intent_on_rename(
    storage: object, audit: AuditLog | None, txn: str, **change: Any
) -> Iterator[None]:
    """Log the intent of the one write made inside the block, from the storage's
    last moment before its rename (storages without that moment: no intent)."""
    with intents_on_rename(storage, audit, txn, [change]):
        yield


@contextlib.contextmanager
def intents_on_rename(
    storage: object, audit: AuditLog | None, txn: str, changes: Sequence[dict[str, Any]]
) -> Iterator[None]:
    """`intent_on_rename` for a write that changes several instances at once (a
    file rewritten whole): one intent per change, all under the write's `txn`."""
    if audit is None or not hasattr(storage, "before_rename"):
        yield
        return

    def log_intent(real: str, sha256_before: str | None, sha256: str) -> None:
        try:
            for change in changes:
                audit.intent(
                    txn=txn, real_file=real, sha256_before=sha256_before, sha256=sha256, **change
                )
        except OSError:
            import logging

            # The file matters more than its audit line: write it anyway.
            logging.getLogger("provreg.audit").warning("cannot log an intent", exc_info=True)

    # An attribute, not an argument of every write: the registry's lock makes
    # this the only write of this storage in flight.
    logged = False

    def log_once(real: str, sha256_before: str | None, sha256: str) -> None:
        nonlocal logged
        log_intent(real, sha256_before, sha256)
        logged = True

    setattr(storage, "before_rename", log_once)  # noqa: B010
    try:
        yield
    except BaseException:
        if logged:  # the write failed after its intent: say whether it landed
            with contextlib.suppress(OSError):
                audit.resolve_failed(txn)
        raise
    finally:
        setattr(storage, "before_rename", None)  # noqa: B010


def now_iso(clock: Callable[[], float] = time.time) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="milliseconds")
