"""What changed on disk since the storage last read it, found by stat alone.

Owns: the comparisons of (size, mtime) against the storage's fingerprints that
the self-healing check and rescan (and a batch that needs a scan) rely on.
May import: `provreg.storage`, `provreg.config.read.discovery`, `provreg.sync`.
"""

from __future__ import annotations

import os

from provreg.config.read.discovery import discover
from provreg.storage.backend import WatchedStorage
from provreg.sync.roots import WatchRoots


def scan_differences(storage: WatchedStorage, roots: WatchRoots) -> set[str]:
    """Real paths of files whose (size, mtime) moved, appeared or vanished since
    the last read. Known files are matched by the path discovery gives them
    (no realpath per file: that was most of an idle rescan's cost)."""
    known = storage.files()
    changed: set[str] = set()
    try:
        present = discover(roots.present_paths(), resolve_links=False)
    except OSError:
        present = []
    seen: set[str] = set()
    for config_file in present:
        seen.add(config_file.path)
        display = known.get(config_file.path)
        fingerprint = storage.fingerprint(display) if display else None
        if fingerprint is None:
            changed.add(os.path.realpath(config_file.path))
            continue
        try:
            info = os.stat(config_file.path)
        except OSError:
            continue
        if info.st_size != fingerprint.size or info.st_mtime_ns != fingerprint.mtime_ns:
            changed.add(os.path.realpath(config_file.path))
    path_of = {display: path for path, display in known.items()}
    for real, display in storage.files_by_real().items():
        if path_of.get(display, real) not in seen and not os.path.exists(real):
            changed.add(real)
    return changed


def linked_files(storage: WatchedStorage) -> tuple[dict[str, str], set[str]]:
    """Known files reached through a symlink (real path -> display), and the
    real paths of the others. The watch is on directories: a change to a
    link's target elsewhere (`providers.yaml -> ~/dotfiles/llm.yaml`), or
    to a target whose own name is no config name, never reaches it."""
    path_of = {display: path for path, display in storage.files().items()}
    linked: dict[str, str] = {}
    plain: set[str] = set()
    for real, display in storage.files_by_real().items():
        if path_of.get(display, real) == real:
            plain.add(real)
        else:
            linked[real] = display
    return linked, plain


def linked_differences(storage: WatchedStorage) -> set[str]:
    """Real paths of symlinked files whose (size, mtime) moved or that vanished."""
    changed: set[str] = set()
    for real, display in linked_files(storage)[0].items():
        fingerprint = storage.fingerprint(display)
        try:
            info = os.stat(real)
        except OSError:
            changed.add(real)
            continue
        if (
            fingerprint is None
            or info.st_size != fingerprint.size
            or info.st_mtime_ns != fingerprint.mtime_ns
        ):
            changed.add(real)
    return changed
