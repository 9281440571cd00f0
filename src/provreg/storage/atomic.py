"""Atomic file replacement: a crash leaves either the old file or the new one.

Steps (docs/architecture.md, "Writes"): resolve symlinks (a symlinked config stays a symlink and
its target is written), refuse hard-linked files unless told to write in
place, write a hidden temp file in the same directory, fsync it, give it the
old file's mode (0600 for new files), `os.replace`, fsync the directory.
The temp file is removed on any failure. Its name starts with a dot, so the
watcher's allowlist never reads it.

A process killed between `mkstemp` and the rename cannot remove its temp
file: each write sweeps the temp files of provreg's own pattern older than
`STALE_TEMP_S` from the directory it writes (the storage also sweeps its
directories when it loads them). Younger ones may belong to a write still
in progress in another process.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

from provreg import faults

NEW_FILE_MODE = 0o600
TEMP_PREFIX = ".provreg-tmp-"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 60.0
"""Age past which a temp file is a crash's leftover, not a write in progress
(a write holds its temp file for milliseconds; a minute is ample on a
machine under load)."""


class HardLinkError(OSError):
    """The file has other hard links; replacing it would silently split them."""


def resolve_target(path: str) -> str:
    """The real file a write to `path` must change (symlinks followed)."""
    return os.path.realpath(path)


def atomic_write(
    path: str,
    data: bytes,
    *,
    allow_hardlink_in_place: bool = False,
    before_replace: Callable[[], None] | None = None,
    mode: int | None = None,
) -> str:
    """Replace the file at `path` with `data`. Returns the real path written.

    The new file gets `mode` when given, else the old file's (0600 for a new one).

    `before_replace` runs after the temp file is durable and just before the
    rename: the last moment to notice that someone else (an editor, which
    takes no lock) changed the file; raising there aborts the write cleanly.

    Raises:
        HardLinkError: the file has several hard links and in-place writes are not allowed.
        OSError: any I/O failure; the original file is untouched and no temp file remains.
    """
    target = resolve_target(path)
    directory = os.path.dirname(target) or "."
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None and info.st_nlink > 1:
        if not allow_hardlink_in_place:
            raise HardLinkError(
                f"{path} has {info.st_nlink} hard links; replacing it would leave the other "
                "links with the old content. Break the link (copy the file and move the copy "
                "over it), or allow in-place writes (not crash-safe) with --allow-hardlinks, "
                "PROVREG_ALLOW_HARDLINKS=1 or allow_hardlink_in_place=True."
            )
        _write_in_place(target, data)
        return target
    if mode is None:
        mode = stat.S_IMODE(info.st_mode) if info is not None else NEW_FILE_MODE
    sweep_stale_temp_files([directory])
    faults.reach(faults.WRITE_BEFORE_TEMP)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    try:
        try:
            _write_all(fd, data)
            os.fchmod(fd, mode)
            if info is not None and os.geteuid() == 0:
                with contextlib.suppress(OSError):
                    os.fchown(fd, info.st_uid, info.st_gid)
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.reach(faults.WRITE_AFTER_TEMP)
        if before_replace is not None:
            before_replace()
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(directory)
    faults.reach(faults.WRITE_AFTER_RENAME)
    return target


def atomic_write_json(path: str, value: Any, *, mode: int = NEW_FILE_MODE, **dump: Any) -> str:
    """`atomic_write` of `value` as JSON (`dump`: `json.dumps` options), private
    by default: provreg's own state files (the secrets index, the old app's
    uuid map and settings). The directory is created (0700) when missing."""
    import json

    from provreg.paths import make_private_dirs

    make_private_dirs(os.path.dirname(os.path.abspath(path)))
    return atomic_write(path, json.dumps(value, **dump).encode("utf-8"), mode=mode)


def sweep_stale_temp_files(directories: Iterable[str], *, now: float | None = None) -> int:
    """Remove provreg's temp files older than `STALE_TEMP_S` from these
    directories (not their subdirectories). Returns how many went. Never
    raises: a directory that cannot be listed or a file that cannot be
    removed is left for a later sweep."""
    cutoff = (time.time() if now is None else now) - STALE_TEMP_S
    removed = 0
    for directory in directories:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if not (entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)):
                continue
            try:
                if (
                    entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff
                ):
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue
    return removed


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_in_place(target: str, data: bytes) -> None:
    with open(target, "r+b") as handle:
        handle.truncate(0)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(directory: str) -> None:
    """Make the rename durable. Some file systems refuse; that only weakens durability."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
