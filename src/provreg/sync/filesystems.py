"""What the file system under a watched directory means for the watch.

Owns: `filesystem_type` (from `/proc/self/mountinfo`), `NETWORK_FILESYSTEMS`
(where inotify never hears of a change made on another machine, so `--poll`
is the way: docs/sync.md), `inotify_watch_limit` and `directories_under`
(watchfiles watches recursively: one inotify watch per directory, and the
per-user limit is shared with every other program watching files).
Linux only; elsewhere each answers None.
"""

from __future__ import annotations

import os
import re

MOUNTINFO = "/proc/self/mountinfo"
WATCH_LIMIT_FILE = "/proc/sys/fs/inotify/max_user_watches"

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "9p",
        "virtiofs",
        "fuse.rclone",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "afs",
        "lustre",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.vmhgfs-fuse",
        "vboxsf",
        "fuse.davfs",
        "davfs",
    }
)
"""Types on which changes made elsewhere (another machine, the host of a VM or
container) produce no inotify event here."""


def filesystem_type(path: str, mountinfo: str = MOUNTINFO) -> str | None:
    """The type of the file system holding `path` (`ext4`, `nfs4`, `fuse.sshfs`),
    from the longest mount point above its real path; None when unknown."""
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as lines:
            mounts = [_mount(line) for line in lines]
    except OSError:
        return None
    real = os.path.realpath(path)
    best: tuple[str, str] | None = None
    for mount in mounts:
        if mount is None:
            continue
        point, fstype = mount
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > len(best[0])):
            best = (point, fstype)
    return best[1] if best else None


def _mount(line: str) -> tuple[str, str] | None:
    """(mount point, type) of one mountinfo line: `ID PARENT MAJ:MIN ROOT POINT
    OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER`; octal escapes (`\\040`) undone."""
    fields = line.split()
    if "-" not in fields or len(fields) < 5:
        return None
    after = fields.index("-")
    if after + 1 >= len(fields):
        return None
    point = _OCTAL_ESCAPE.sub(lambda escape: chr(int(escape.group(1), 8)), fields[4])
    return point, fields[after + 1]


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
"""How mountinfo writes a space, tab, newline or backslash in a path (`\\040`)."""


def inotify_watch_limit() -> int | None:
    """The per-user inotify watch limit, or None where there is none to read."""
    try:
        with open(WATCH_LIMIT_FILE, encoding="ascii") as limit:
            return int(limit.read().strip())
    except (OSError, ValueError):
        return None


def directories_under(root: str) -> int:
    """Directories a recursive watch of `root` needs (itself included); symlinks
    to directories are not followed, as watchfiles does not follow them."""
    if not os.path.isdir(root):
        return 0
    count = 0
    for _directory, _subdirs, _files in os.walk(root):
        count += 1
    return count
