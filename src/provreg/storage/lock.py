"""A lock file per config file, so two provreg processes never interleave writes,
and one lock for claiming ids and names, so two processes never both add one.

The lock files live in the user runtime (else state) directory, never in the
watched config directory, so taking a lock is not a file event there.
`fcntl.flock` locks die with their process: a crashed writer never leaves a
stale lock behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator

from provreg.paths import make_private_dirs, user_lock_dir


class LockTimeout(Exception):
    """Another process held the write lock for longer than the wait allows."""


def lock_dir() -> str:
    return user_lock_dir()


def lock_path(target: str) -> str:
    digest = hashlib.sha256(os.path.realpath(target).encode()).hexdigest()[:24]
    return os.path.join(lock_dir(), f"{digest}.lock")


CLAIM_LOCK_NAME = "id-claims.lock"
"""One per user, not per registry: two processes may serve overlapping config
paths (a directory, a file inside it, a symlink to it), and any two writes
that claim an id or a name into overlapping registries must serialise. Claims
(creates, renames) are rare and short, so unrelated registries sharing the
lock costs nothing measurable."""


@contextlib.contextmanager
def file_write_lock(target: str, timeout: float = 10.0) -> Iterator[None]:
    """Hold the cross-process write lock of `target` (blocking, bounded by `timeout`).

    Raises:
        LockTimeout: the lock was not free within `timeout` seconds.
    """
    with _held(lock_path(target), timeout, f"another provreg process is writing {target}"):
        yield


@contextlib.contextmanager
def claim_lock(timeout: float = 10.0) -> Iterator[None]:
    """Hold the lock under which ids and names are checked and claimed.

    Taken before any file lock, never while holding one, so writers cannot
    deadlock: a claim waits for file writers; a file writer never waits for a claim.

    Raises:
        LockTimeout: the lock was not free within `timeout` seconds.
    """
    path = os.path.join(lock_dir(), CLAIM_LOCK_NAME)
    with _held(path, timeout, "another provreg process is adding or renaming an instance"):
        yield


def flock_within(fd: int, timeout: float) -> bool:
    """Take an exclusive `flock` on `fd`, retrying for at most `timeout` seconds.
    False when it stayed held by another process that long.

    Raises:
        OSError: flock itself failed (not "held by someone else"): some network
            file systems have no flock.
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        # flock is not fair: a busy writer releases and retakes the lock in
        # milliseconds, so a waiter that sleeps long misses every gap.
        delay = min(delay * 2, 0.01)


@contextlib.contextmanager
def _held(path: str, timeout: float, busy: str) -> Iterator[None]:
    make_private_dirs(os.path.dirname(path))
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not flock_within(fd, timeout):
            raise LockTimeout(f"{busy} (waited {timeout:g} s for {path})")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
