"""The sync engine: watch config directories and reconcile external edits.

Owns: `SyncEngine`, which wires the parts together and runs them as one task
group (`watcher`, `reconcile`, `self_healing`), turns a watch batch into the
paths to reconcile, and keeps the watch status in the store.
May import: anyio, watchfiles, `provreg.registry`, `provreg.storage`, `provreg.paths`,
`provreg.sync`.

The rules each part follows are in its module docstring (docs/architecture.md, "Sync"):
`watcher` (directories only, the allowlist filter), `reconcile` (grace
period, moves, echo suppression, keep-last-good), `self_healing` (the check,
the full rescan, a replaced directory watched anew).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import anyio
import anyio.abc

from provreg.paths import env_flag
from provreg.registry import ProviderRegistry
from provreg.registry.state import WatchMode
from provreg.storage.backend import WatchedStorage
from provreg.sync.differences import scan_differences
from provreg.sync.reconcile import Reconciler
from provreg.sync.roots import WatchRoots
from provreg.sync.self_healing import SelfHealing
from provreg.sync.settings import POLL_ENV, SyncSettings
from provreg.sync.stats import SyncStats
from provreg.sync.watcher import Changes, Watcher


class SyncEngine:
    """Keeps a registry in step with its config files until cancelled."""

    def __init__(
        self,
        registry: ProviderRegistry,
        settings: SyncSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(registry.storage, WatchedStorage):
            raise TypeError("the sync engine needs a storage of files on disk (WatchedStorage)")
        self.registry = registry
        self.storage: WatchedStorage = registry.storage
        poll_env = env_flag(POLL_ENV, unknown=True)
        self.settings = settings or SyncSettings(poll=poll_env)
        self.stats = SyncStats()
        self._roots = WatchRoots(self.storage.paths)
        self._watcher = Watcher(self._roots, self.settings, self.stats)
        self._reconciler = Reconciler(registry, self.storage, self.settings, self.stats, clock)
        self._healing = SelfHealing(
            storage=self.storage,
            roots=self._roots,
            watcher=self._watcher,
            reconciler=self._reconciler,
            settings=self.settings,
            stats=self.stats,
            clock=clock,
        )

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Watch and reconcile until cancelled. Signals `task_status` once watching."""
        mode: WatchMode = "polling" if self.settings.poll else "watching"
        try:
            async with anyio.create_task_group() as group:
                started = anyio.Event()
                group.start_soon(
                    self._watcher.run, started, self._on_watch_batch, self._healing.rescan_soon
                )
                await started.wait()
                self.registry.set_watch_status(mode)
                group.start_soon(self._healing.loop)
                group.start_soon(self._reconciler.expiry_loop)
                group.start_soon(self._watcher.stop_on_cancel)
                task_status.started()
        finally:
            with anyio.CancelScope(shield=True):
                self.registry.set_watch_status("stopped")

    async def _on_watch_batch(self, changes: Changes) -> None:
        # Looked up on each batch: tests and benchmarks wrap `apply_batch`.
        await self.apply_batch(changes)

    async def apply_batch(self, changes: Changes) -> None:
        """Reconcile one batch of file events (also called by tests and the rescan)."""
        self.stats.batches += 1
        paths: set[str] = set()
        scan_needed = False
        for _, path in changes:
            if path in self._watcher.watched:
                # The watched directory was removed or replaced: watch it anew
                # (or wait for it to come back) and look at everything.
                self._watcher.restart()
                scan_needed = True
            elif os.path.isdir(path):
                scan_needed = True
            else:
                paths.add(os.path.realpath(path) if os.path.exists(path) else path)
        if scan_needed:
            paths |= scan_differences(self.storage, self._roots)
        await self._reconciler.reconcile(paths)

    async def check(self) -> None:
        """The cheap periodic check, for what a directory watch cannot see: a
        watched directory replaced, a symlinked file's target changed. A stat
        per root and per symlinked file."""
        await self._healing.check()

    async def rescan(self) -> None:
        """The full safety net: stat everything, reconcile what moved, and
        re-establish the watch when a watched directory was replaced."""
        await self._healing.full_rescan()
