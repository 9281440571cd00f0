"""Find config files: which names count, and walking config directories.

Owns: the allowlist that decides whether a file name is a config file. The
sync engine uses the same predicate, so an editor's swap, backup or lock file
is never read, on load or on a file event.
May import: the standard library, `provreg.value_class`.
"""

from __future__ import annotations

import os

from provreg.value_class import ValueClass

CONFIG_SUFFIXES = (".yaml", ".yml")


def is_config_name(name: str) -> bool:
    """True for names that may hold config: `*.yaml`/`*.yml`, not hidden, not `#...`.

    An allowlist, not a denylist: vim's `.x.swp`/`4913`/`x~`, emacs' `.#x` and
    `#x#`, JetBrains' `x___jb_tmp___`, `sedAbC123` and our own `.provreg-*`
    temp files all fail it without being named.
    """
    return name.endswith(CONFIG_SUFFIXES) and not name.startswith((".", "#"))


class ConfigFile(ValueClass, kw_only=False):
    """A file to load: its real path on disk and the path shown to the user."""

    path: str
    display: str


class UnreadableEntry(ValueClass, kw_only=False):
    """A directory (or an entry that may be one) whose contents could not be listed."""

    path: str
    display: str
    reason: str
    what: str = "directory"
    """`directory`, or `directory entry` when even its type is unknown (a symlink loop)."""


class Discovery(ValueClass, kw_only=False, frozen=False):
    """What a walk found: the config files, the directories it listed, and the
    entries it could not read (config may hide behind them)."""

    files: list[ConfigFile]
    directories: list[ConfigFile]
    unreadable: list[UnreadableEntry]


class ConfigPathError(Exception):
    """A path given on the command line (or as the default) does not exist."""


def discover(paths: list[str], *, resolve_links: bool = True) -> list[ConfigFile]:
    """Expand directories (recursively, sorted, skipping hidden entries) and keep files.

    Files named explicitly are taken whatever their name; the same file
    reached twice (a symlink, an overlapping argument) is loaded once. With
    `resolve_links=False` files are told apart by path only (no realpath per
    file: the sync engine's periodic rescan, which only compares paths).
    """
    return discover_all(paths, resolve_links=resolve_links).files


def discover_all(paths: list[str], *, resolve_links: bool = True) -> Discovery:
    """`discover`, also telling which directories were listed and which could not be."""
    found = Discovery([], [], [])
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            files = _walk(path, found)
            for file in files:
                _add(found.files, seen, file, resolve_links)
        elif os.path.exists(path):
            _add(found.files, seen, ConfigFile(path, path), resolve_links)
        else:
            raise ConfigPathError(f"{path}: no such file or directory")
    return found


def _add(found: list[ConfigFile], seen: set[str], file: ConfigFile, resolve: bool = True) -> None:
    real = os.path.realpath(file.path) if resolve else file.path
    if real not in seen:
        seen.add(real)
        found.append(file)


THEMES_DIR = "themes"
"""A `themes/` folder at the top of a config directory holds dashboard themes
(the user config dir is also the default config location), never config."""


def is_skipped_dir(relative: str) -> bool:
    """True for directories, relative to a config root, whose files are never config."""
    parts = relative.split(os.sep)
    return any(part.startswith(".") for part in parts) or parts[0] == THEMES_DIR


def _walk(root: str, found: Discovery) -> list[ConfigFile]:
    files: list[ConfigFile] = []
    visited_dirs: set[str] = set()

    def unreadable(path: str, display: str, exc: OSError, what: str = "directory") -> None:
        # Config files may be behind it: skipping it without a word would let a
        # check pass over files it never saw.
        reason = exc.strerror or str(exc)
        found.unreadable.append(UnreadableEntry(path, display, reason, what))

    def visit(directory: str, display: str, top: bool = False) -> None:
        real = os.path.realpath(directory)
        if real in visited_dirs:  # a symlink loop
            return
        visited_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            unreadable(directory, display, exc)
            return
        found.directories.append(ConfigFile(directory, display))
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError as exc:  # a symlink loop (ELOOP), a vanished target
                unreadable(entry.path, os.path.join(display, entry.name), exc, "directory entry")
                continue
            if is_dir:
                if not (top and entry.name == THEMES_DIR):
                    subdirs.append(entry)
            elif is_config_name(entry.name):
                files.append(ConfigFile(entry.path, os.path.join(display, entry.name)))
        for entry in subdirs:
            visit(entry.path, os.path.join(display, entry.name))

    visit(root, root.rstrip("/") or "/", top=True)
    return files
