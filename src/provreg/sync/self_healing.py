"""Self-healing: the periodic check and full rescan, for what the watch misses.

Owns: `SelfHealing` (the schedule of the two tiers, re-establishing the watch
when a watched directory was replaced, and the fallback to a full rescan every
period once the watch is found to miss events).
May import: anyio, `provreg.storage`, `provreg.sync`.

Two tiers, so that idle costs next to nothing: every `rescan_s` a check of
what a directory watch cannot see (roots replaced, symlinked files' targets),
every `full_rescan_s` a stat of every file for what the watch lost. A full
rescan that finds a change the watch missed makes every later period a full
rescan. A watched directory that is deleted or replaced is watched anew (or
waited for), and a scan covers what changed while nothing watched it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import anyio

from provreg.storage.backend import WatchedStorage
from provreg.sync.differences import linked_differences, linked_files, scan_differences
from provreg.sync.reconcile import Reconciler
from provreg.sync.roots import WatchRoots
from provreg.sync.settings import SyncSettings
from provreg.sync.stats import SyncStats
from provreg.sync.watcher import Watcher

log = logging.getLogger("provreg.sync")

_WATCH_REACH_S = 2.0
"""A change older than this that a full rescan finds was missed by the watch
(a batch closes within `debounce_ms`; this leaves room for a slow reload)."""


class SelfHealing:
    """Runs the check and the full rescan on their periods until cancelled."""

    def __init__(
        self,
        *,
        storage: WatchedStorage,
        roots: WatchRoots,
        watcher: Watcher,
        reconciler: Reconciler,
        settings: SyncSettings,
        stats: SyncStats,
        clock: Callable[[], float],
    ) -> None:
        self._storage = storage
        self._roots = roots
        self._watcher = watcher
        self._reconciler = reconciler
        self._settings = settings
        self._stats = stats
        self._clock = clock
        self._rescan_now = anyio.Event()

    def rescan_soon(self) -> None:
        """Make the next tick a full rescan, at once (the watch was re-established)."""
        self._rescan_now.set()

    async def loop(self) -> None:
        """Every `rescan_s` the cheap check, or the full rescan: on the first tick
        (whatever changed between the load and the watch), at once after the
        watch was re-established, every `full_rescan_s` while the watch is
        healthy, and on every tick when polling or once the watch missed a
        change."""
        last_full: float | None = None
        while True:
            with anyio.move_on_after(self._settings.rescan_s):
                await self._rescan_now.wait()
            catching_up = self._rescan_now.is_set() or last_full is None
            self._rescan_now = anyio.Event()
            if catching_up or self._full_rescan_due(last_full):
                last_full = self._clock()
                missed = await self.full_rescan()
                if missed and not catching_up:
                    self._watch_missed(missed)
            else:
                await self.check()

    async def check(self) -> None:
        """The cheap periodic check, for what a directory watch cannot see: a
        watched directory replaced, a symlinked file's target changed. A stat
        per root and per symlinked file."""
        self._stats.checks += 1
        self._check_roots()
        differences = linked_differences(self._storage)
        if differences:
            await self._reconciler.reconcile(differences)
        await self._reconciler.expire_deletions()

    async def full_rescan(self) -> set[str]:
        """The full safety net: stat everything, reconcile what moved, and
        re-establish the watch when a watched directory was replaced. Returns
        the changes the watch should long have reported."""
        self._stats.rescans += 1
        self._check_roots()
        differences = scan_differences(self._storage, self._roots)
        # Only known files the watch can see count: a symlink's target is the
        # check's business, and a new file may come from anywhere (`mv`, `tar`).
        plain = linked_files(self._storage)[1] if differences else set()
        missed = {path for path in differences if path in plain and self._beyond_watch_reach(path)}
        if differences:
            await self._reconciler.reconcile(differences)
        await self._reconciler.expire_deletions()
        return missed

    def _full_rescan_due(self, last_full: float | None) -> bool:
        if self._settings.poll or self._stats.missed_by_watch:
            return True
        if last_full is None:
            return True
        # A little early rather than a whole check period late.
        slack = self._settings.rescan_s / 2
        return self._clock() - last_full >= self._settings.full_rescan_s - slack

    def _watch_missed(self, paths: set[str]) -> None:
        """The watch did not report a change it should have (a file system whose
        notifications do not arrive, a lost queue): from now on every period
        is a full rescan, as if polling."""
        if not self._stats.missed_by_watch:
            log.warning(
                "the file watch missed a change to %s; rescanning every %g s from now on "
                "(use --poll on network file systems)",
                ", ".join(sorted(paths)),
                self._settings.rescan_s,
            )
        self._stats.missed_by_watch += 1

    def _check_roots(self) -> None:
        """Re-establish the watch when a watched directory was replaced."""
        if self._roots.refresh():
            self._watcher.restart()

    def _beyond_watch_reach(self, path: str) -> bool:
        """True for a difference the watch had ample time to report: content that
        changed more than `_WATCH_REACH_S` ago. A change made just now may still
        be on its way through the watcher. Not evidence either: a file whose
        bytes are what the registry has (a touch the watch did report, which
        reloads nothing), and a file that vanished, which has no mtime to say
        when it went (the rescan can run before the watch's batch for it)."""
        try:
            info = os.stat(path)
        except OSError:
            return False
        if time.time() - info.st_mtime <= _WATCH_REACH_S:
            return False
        return self._reconciler.content_moved(path)
