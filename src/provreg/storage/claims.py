"""What a write that claims an id or a name must see: the registry as it is on
disk now, not as this process last read it.

Owns: finding the files that moved since they were read (new, gone, or
changed: stat first, the content hash only when the stat cannot vouch for the
file), and the ids declared in files the registry does not serve in full
(a file that does not parse, or whose entries have errors).
May import: `provreg.config` (`read.discovery`, `read.results`, `ids`), the standard library.

Why: each process serves the state it loaded. Two processes adding "Same
Name" both found the id free in their own view and both wrote it. Under the
registry-wide claim lock (`storage.lock.claim_lock`) the claimer re-reads
what moved, so the second one sees the first one's id. Re-reading only what
moved keeps a claim in a big registry cheap: a stat per file, plus the
directory walk that finds new files.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from provreg.config.ids import declared_ids_in_text
from provreg.config.read.discovery import ConfigPathError, discover
from provreg.config.read.results import FileResult, Fingerprint, ParsedFile
from provreg.storage.backend import StoredState

_RACY_NS = 50_000_000
"""A file modified this recently when hashed may change again within the
same tick of the file system's timestamps (kernel clocks stamp files at a few
ms resolution) without its stat moving: hash it again next time. Files whose
stamps are whole seconds are on a file system that stores only seconds (or
two: FAT): for them, `_COARSE_RACY_NS`."""
_COARSE_RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class ClaimView:
    """The registry as a claim sees it, under the claim lock."""

    state: StoredState | None
    """Storage after re-reading the files that moved; None when none did."""
    declared: Mapping[str, str] = field(default_factory=dict)
    """Ids declared in files with errors -> where (`file:line`), whether or not
    the registry serves them: such an id is taken, though no instance has it."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """A file's stat when its content was last hashed, and that hash."""

    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    sha256: str


class MovedFiles:
    """Tells which config files differ from what storage last read.

    Keeps, per file, the stat under which its content was last hashed: when
    the stat is the same and was not racy, the content is too, and the file
    is not read. Otherwise the file is read and hashed.
    """

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    def moved(
        self,
        roots: list[str],
        known: Mapping[str, ParsedFile],
        real_of: Callable[[str], str],
    ) -> list[str]:
        """Paths of the files that are new, gone or changed since storage read them
        (`known`: display path -> what storage read; `real_of`: a known display
        path's real path, as storage resolved it when it read the file)."""
        try:
            # Paths only: resolving every file's symlinks would be most of a
            # claim's cost; only unknown ones need it.
            present = {found.display: found.path for found in discover(roots, resolve_links=False)}
        except ConfigPathError:
            # A root vanished: every file storage knows is checked (the gone
            # ones are reported), and files new under other roots are missed
            # only until the root is back.
            present = {display: parsed.path for display, parsed in known.items()}
        moved = [path for display, path in present.items() if display not in known]
        if moved:  # a path storage knows under another name (a symlink) is not new
            reals = {real_of(display) for display in known}
            moved = [path for path in moved if os.path.realpath(path) not in reals]
        for display, parsed in known.items():
            if display not in present or self._changed(parsed.path, parsed.fingerprint):
                moved.append(parsed.path)
        return moved

    def _changed(self, path: str, fingerprint: Fingerprint | None) -> bool:
        try:
            info = os.stat(path)
        except OSError:
            return True
        if fingerprint is None or not fingerprint.sha256:
            return True  # unreadable or too large when read: nothing to compare
        if info.st_size != fingerprint.size:
            return True
        seen = self._seen.get(path)
        if (
            seen is not None
            and seen.sha256 == fingerprint.sha256
            and (seen.inode, seen.size, seen.mtime_ns, seen.ctime_ns)
            == (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        ):
            return False
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return True
        digest = hashlib.sha256(data).hexdigest()
        stamped = max(info.st_mtime_ns, info.st_ctime_ns)
        racy = _COARSE_RACY_NS if stamped % 1_000_000_000 == 0 else _RACY_NS
        if time.time_ns() - stamped > racy:
            self._seen[path] = _Seen(
                info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, digest
            )
        else:
            self._seen.pop(path, None)
        return digest != fingerprint.sha256


def declared_with_errors(
    parsed: Mapping[str, ParsedFile], results: Mapping[str, FileResult]
) -> dict[str, str]:
    """Ids declared in files that have errors -> `file:line` of the declaration.

    A file that parses gives the `id` of each of its `providers` entries (an
    entry with an error is not served, yet its id is the user's); one that does
    not parse is scanned line by line for `id:` keys. Only files with errors
    are read again, so this costs nothing in a healthy registry.
    """
    declared: dict[str, str] = {}
    for display, item in parsed.items():
        result = results.get(display)
        if result is None or result.ok:
            continue
        try:
            with open(item.path, encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        lines = declared_ids_in_text(text)
        if item.interpretable:
            # The parse knows which ids are instance ids (not definition ids).
            entry_ids = [entry.value.get("id") for entry in item.providers]
            at = {found: line for found, line in reversed(lines)}
            lines = [(i, at.get(i, 0)) for i in entry_ids if isinstance(i, str)]
        for found, line in lines:
            declared.setdefault(found, f"{display}:{line}" if line else display)
    return declared
