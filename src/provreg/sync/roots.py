"""The configured roots as they are on disk: what to watch and what belongs.

Owns: `WatchRoot` (one configured path, its real path and identity) and
`WatchRoots` (which directories to watch, whether a path is inside a root,
noticing a root that was replaced). May import: `provreg.config.read.discovery`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from provreg.config.read.discovery import is_skipped_dir


@dataclass(slots=True)
class WatchRoot:
    """One configured path: a directory, or a single file (watched through its
    directory, since a rename-save ends a file watch)."""

    path: str
    real: str
    identity: tuple[int, int] | None
    single_file: bool

    @classmethod
    def at(cls, path: str) -> WatchRoot:
        """The root at `path` as it is now (identity None when it is missing)."""
        real = os.path.realpath(path)
        single = not os.path.isdir(path)
        try:
            info = os.stat(path)
            identity: tuple[int, int] | None = (info.st_dev, info.st_ino)
        except OSError:
            identity = None
        return cls(path, real, identity, single)


class WatchRoots:
    """The roots of one storage, refreshed when one is replaced."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._roots = [WatchRoot.at(path) for path in paths]

    def present_paths(self) -> list[str]:
        """The configured paths that exist now (what a scan can walk)."""
        return [root.path for root in self._roots if os.path.exists(root.path)]

    def watch_dirs(self) -> list[str]:
        """The existing directories to watch, each once."""
        dirs = []
        for root in self._roots:
            directory = os.path.dirname(root.real) if root.single_file else root.real
            if os.path.isdir(directory) and directory not in dirs:
                dirs.append(directory)
        return dirs

    def contain(self, path: str) -> bool:
        """True when `path` is a root file, or under a root outside skipped folders."""
        real = os.path.realpath(path)
        for root in self._roots:
            if root.single_file:
                if real == root.real or path == root.path:
                    return True
            elif real.startswith(root.real + os.sep) or path.startswith(root.real + os.sep):
                relative = os.path.relpath(path if path.startswith(root.real) else real, root.real)
                folder = os.path.dirname(relative)
                return not folder or not is_skipped_dir(folder)
        return False

    def refresh(self) -> bool:
        """Take each root as it is now; True when one was replaced (or came or went)."""
        replaced = False
        for index, root in enumerate(self._roots):
            fresh = WatchRoot.at(root.path)
            if fresh.identity != root.identity:
                self._roots[index] = fresh
                replaced = True
        return replaced
