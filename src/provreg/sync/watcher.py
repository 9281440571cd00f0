"""The file watch: watchfiles on the roots' directories, re-established when lost.

Owns: `Watcher` (the `awatch` loop, its allowlist filter, the stop event that
ends or restarts it, waiting for a missing root to come back).
May import: watchfiles, anyio, `provreg.config.read.discovery`, `provreg.sync`.

Directories are watched, never single files: a rename-save ends a file watch.
Only names that pass `is_config_name` get through the filter, so editor
droppings (swap files, `4913`, `x~`, `.#x`, `#x#`, `x___jb_tmp___`,
`sedXXXXXX`) and our own `.provreg-tmp-*` files never trigger a reload.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterable

import anyio
import watchfiles

from provreg.config.read.discovery import is_config_name
from provreg.sync.roots import WatchRoots
from provreg.sync.settings import SyncSettings
from provreg.sync.stats import SyncStats

log = logging.getLogger("provreg.sync")

_MISSING_ROOT_POLL_S = 0.25
"""How often to look for a watched directory that was removed."""

Changes = Iterable[tuple[watchfiles.Change, str]]
"""One batch of file events, as watchfiles yields it."""


class Watcher:
    """Runs `watchfiles.awatch` over the roots' directories until cancelled."""

    def __init__(self, roots: WatchRoots, settings: SyncSettings, stats: SyncStats) -> None:
        self._roots = roots
        self._settings = settings
        self._stats = stats
        self._restart = anyio.Event()
        self.watched: frozenset[str] = frozenset()
        """The directories being watched (an event for one of them means its
        watch is dead)."""

    def restart(self) -> None:
        """End the current watch; the loop establishes a new one (or waits for
        the directories to come back)."""
        self._restart.set()

    async def run(
        self,
        started: anyio.Event,
        on_batch: Callable[[Changes], Awaitable[None]],
        on_rewatch: Callable[[], None],
    ) -> None:
        """Watch, handing each batch to `on_batch`; `on_rewatch` is called each
        time the watch is established again after it ended."""
        while True:
            dirs = self._roots.watch_dirs()
            self.watched = frozenset(dirs)
            if not dirs:
                started.set()
                # Cheap (a stat per root): come back soon after the directory does.
                await anyio.sleep(min(self._settings.rescan_s, _MISSING_ROOT_POLL_S))
                continue
            self._restart = anyio.Event()
            stop = self._restart
            started.set()
            if self._stats.restarts:
                # Whatever changed while nothing watched is found by a scan. The
                # rescan task runs on a later tick, after `awatch` below has
                # created its watcher (synchronously, on its first step).
                on_rewatch()
            try:
                async for changes in watchfiles.awatch(
                    *dirs,
                    watch_filter=self._filter,
                    debounce=self._settings.debounce_ms,
                    step=self._settings.step_ms,
                    stop_event=stop,
                    force_polling=self._settings.poll,
                    poll_delay_ms=self._settings.poll_delay_ms,
                    ignore_permission_denied=True,
                    # No timeout: an idle watch never returns to the event loop,
                    # and watchfiles' timeout return clears its change set, so an
                    # event landing at that instant would be lost. Stopping goes
                    # through `stop` (see `stop_on_cancel`).
                    rust_timeout=0,
                ):
                    await on_batch(changes)
            except (FileNotFoundError, RuntimeError, OSError) as exc:
                log.warning("watch stopped (%s); re-establishing", exc)
                await anyio.sleep(0.2)
            self._stats.restarts += 1

    async def stop_on_cancel(self) -> None:
        """On cancellation, tell the watcher thread to return now.

        `awatch` waits for its thread uninterruptibly and only sets its stop
        event once that wait ends, which without a `rust_timeout` is the next
        file event; setting it from a sibling task makes shutdown take one step.
        """
        try:
            await anyio.sleep_forever()
        finally:
            self._restart.set()

    def _filter(self, change: watchfiles.Change, path: str) -> bool:
        if path in self.watched:
            # A watched directory itself was deleted or moved: its watch is dead.
            return True
        name = os.path.basename(path)
        if is_config_name(name):
            return self._roots.contain(path)
        # A directory appearing (mkdir -p with files already inside) needs a
        # scan, unless it is inside a hidden one (`.git/objects/ab`).
        return (
            change == watchfiles.Change.added
            and os.path.isdir(path)
            and not name.startswith(".")
            and self._roots.contain(path)
        )
