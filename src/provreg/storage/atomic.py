"""Atomic file replacement: a crash leaves either the old file or the new one.

Steps (DESIGN §6): resolve symlinks (a symlinked config stays a symlink and
its target is written), refuse hard-linked files unless told to write in
place, write a hidden temp file in the same directory, fsync it, give it the
old file's mode (0600 for new files), `os.replace`, fsync the directory.
The temp file is removed on any failure. Its name starts with a dot, so the
watcher's allowlist never reads it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable

NEW_FILE_MODE = 0o600
TEMP_PREFIX = ".provreg-tmp-"


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
) -> str:
    """Replace the file at `path` with `data`. Returns the real path written.

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
    mode = stat.S_IMODE(info.st_mode) if info is not None else NEW_FILE_MODE
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
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
        if before_replace is not None:
            before_replace()
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(directory)
    return target


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
