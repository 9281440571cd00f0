"""Batch reconciliation: turn a set of changed paths into one registry reload.

Owns: `Reconciler` (echo suppression by content hash, tentative removals with
their grace period, moves of ids between files, the reload itself).
May import: anyio, `provreg.registry`, `provreg.storage`, `provreg.config`, `provreg.sync`.

Rules (docs/architecture.md, "Sync"; docs/sync.md):
- A file that disappears is removed only after a grace period: a slow
  rename-save arrives as `-file` then, hundreds of ms later, `+file`. The
  same holds for ids that leave a file that still parses (the cut half of a
  cut-and-paste between files): that file's reload waits for the grace period.
- An id that leaves one file and appears in another is a move (an update),
  so a pending file is reloaded at once, together with the file its ids
  reappear in.
- App writes run in a worker thread under the registry lock; a batch waits
  for a write in flight before comparing hashes, so an echo is never taken
  for an external edit.
- A file whose content hash is what the registry already has (the app's own
  write, or a touch) causes no reload.
- Half-written, empty or invalid files keep their last good instances: that
  is the registry's keep-last-good, the reconciler only reports the batch.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable

import anyio

from provreg.config.ids import slugify
from provreg.config.read.reading import read_file
from provreg.config.read.yaml_source import internal_error
from provreg.model import Severity
from provreg.registry import ProviderRegistry
from provreg.registry.events import Event, ReloadFailed
from provreg.storage.backend import WatchedStorage
from provreg.sync.settings import SyncSettings
from provreg.sync.stats import SyncStats

log = logging.getLogger("provreg.sync")


class Reconciler:
    """Reconciles changed paths into the registry and applies tentative removals
    when their grace period ends."""

    def __init__(
        self,
        registry: ProviderRegistry,
        storage: WatchedStorage,
        settings: SyncSettings,
        stats: SyncStats,
        clock: Callable[[], float],
    ) -> None:
        self._registry = registry
        self._storage = storage
        self._settings = settings
        self._stats = stats
        self._clock = clock
        self._pending_deletions: dict[str, float] = {}
        """Real path -> deadline: files whose instances may be about to vanish."""
        self._wake = anyio.Event()
        self._failing: dict[str, str] = {}
        """Real path -> exception type of a reload failure already reported."""

    def is_pending(self, path: str) -> bool:
        """True while the removal of this file's instances waits for its grace period."""
        return path in self._pending_deletions

    async def reconcile(self, paths: set[str]) -> None:
        """Reload what changed among these real paths (see the module rules)."""
        await self._app_writes_settled()
        # From here until the reload is requested nothing awaits, so no app
        # write can be half done while the files are compared and parsed.
        now = self._clock()
        known = self._known_files()
        to_read: list[str] = []
        for path in sorted(paths):
            if os.path.exists(path):
                if self._unchanged(path, known):
                    # An echo, a touch, or a tentative change undone in time.
                    self._pending_deletions.pop(path, None)
                    self._stats.suppressed += 1
                    continue
                to_read.append(path)
            elif self._display_of(path, known) is not None:
                self._defer(path, now)
        new_ids = {path: self._ids_in(path) for path in to_read}
        # Ids that leave a file are never in its own new ids, so "arriving
        # anywhere in this batch" means "arriving in another file".
        arriving = {instance_id for ids in new_ids.values() if ids for instance_id in ids}
        deferred: set[str] = set()
        for path in to_read:
            dropped = self._known_ids(path, known) - (new_ids[path] or set())
            if new_ids[path] is not None and dropped and not dropped <= arriving:
                # Ids left this file but did not show up elsewhere (yet): the
                # cut half of a cut-and-paste between two files. Tentative,
                # like a deleted file.
                self._defer(path, now)
                deferred.add(path)
            else:
                self._pending_deletions.pop(path, None)
        ready = [path for path in to_read if path not in deferred]
        moved_from = self._moved_from(new_ids, arriving, known, exclude=set(ready))
        for path in moved_from:
            self._pending_deletions.pop(path, None)
        batch = ready + moved_from
        if batch:
            self._stats.reloads += 1
            self._stats.files_read.extend(path for path in batch if os.path.exists(path))
            await self._reload(batch)

    async def expiry_loop(self) -> None:
        """Apply tentative removals when their grace period ends."""
        while True:
            if not self._pending_deletions:
                self._wake = anyio.Event()
                await self._wake.wait()
                continue
            delay = min(self._pending_deletions.values()) - self._clock()
            if delay > 0:
                await anyio.sleep(delay)
            await self.expire_deletions()

    async def expire_deletions(self) -> None:
        """Reload the pending files whose grace period has ended."""
        if not self._pending_deletions:
            return
        await self._app_writes_settled()
        now = self._clock()
        due = [path for path, deadline in self._pending_deletions.items() if deadline <= now]
        if not due:
            return
        known = self._known_files()
        for path in due:
            del self._pending_deletions[path]
        batch = [
            path for path in due if not (os.path.exists(path) and self._unchanged(path, known))
        ]
        if batch:
            self._stats.reloads += 1
            self._stats.files_read.extend(path for path in batch if os.path.exists(path))
            await self._reload(batch)

    async def _reload(self, paths: list[str]) -> None:
        """Reload files; a failure is reported and retried by the next rescan, so one
        bad batch (a file vanished mid-read, a storage bug) never stops the engine.

        A bad file is the config layer's to isolate (a diagnostic, its last good
        version kept); what still escapes is reported as a failed reload of the
        batch's files, once per failure, and logged in one line.
        """
        try:
            await self._registry.reload(paths, source="external")
        except Exception as exc:  # noqa: BLE001 - the engine must keep running
            self._stats.failures += 1
            log.warning(
                "reloading %s failed (%s: %s); the next rescan retries",
                ", ".join(paths),
                type(exc).__name__,
                exc,
            )
            log.debug("the reload failure", exc_info=True)
            self._report_failure(paths, exc)
        else:
            for path in paths:
                self._failing.pop(path, None)

    def _report_failure(self, paths: list[str], exc: Exception) -> None:
        """Publish a ReloadFailed for each file of a failed batch, unless the same
        failure was already reported (the rescan retries every few seconds)."""
        kind = type(exc).__name__
        events: list[Event] = []
        known = self._known_files()
        for path in paths:
            if self._failing.get(path) == kind:
                continue
            self._failing[path] = kind
            display = self._display_of(path, known) or path
            events.append(ReloadFailed(display, (internal_error(display, exc),), "external"))
        if events:
            # The state is unchanged (the last good version stays in force):
            # only the event is new.
            self._registry.store.commit(self._registry.snapshot(), events)

    async def _app_writes_settled(self) -> None:
        """Wait for an app write in flight to finish.

        The registry writes in a worker thread under its lock: for a moment
        the file already holds the new bytes while the registry has not yet
        recorded their hash, and the echo would look like an external edit.
        """
        await self._registry.wait_for_writes()

    def _defer(self, path: str, now: float) -> None:
        """Make the removal of this file's instances tentative (first deadline kept)."""
        self._pending_deletions.setdefault(path, now + self._settings.grace_s)
        self._wake.set()

    def _known_files(self) -> dict[str, str]:
        """Path -> display of every known file, by the paths the storage holds."""
        return self._storage.files()

    def _display_of(self, real: str, known: dict[str, str] | None = None) -> str | None:
        """Display path of a known file, from its real path."""
        files = known if known is not None else self._storage.files()
        display = files.get(real)
        if display is not None:
            return display
        return self._storage.files_by_real().get(real)

    def _known_ids(self, path: str, known: dict[str, str]) -> set[str]:
        display = self._display_of(path, known)
        status = self._registry.snapshot().files.get(display) if display else None
        return set(status.instance_ids) if status is not None else set()

    def _ids_in(self, path: str) -> set[str] | None:
        """Instance ids in the file as it is now; None when it does not read cleanly
        (then the registry keeps its last good instances: nothing can vanish)."""
        parsed = read_file(path, path, self._storage.limits)
        if not parsed.interpretable or any(
            d.severity is Severity.ERROR for d in parsed.diagnostics
        ):
            return None
        ids: set[str] = set()
        for entry in parsed.providers:
            instance_id = entry.value.get("id")
            name = entry.value.get("name")
            if isinstance(instance_id, str):
                ids.add(instance_id)
            elif isinstance(name, str):
                ids.add(slugify(name))  # a derived id
        return ids

    def _unchanged(self, path: str, known: dict[str, str] | None = None) -> bool:
        """True when the file's bytes are what the registry last read or wrote
        (the app's own write is an echo, a touch changes nothing). A touch's new
        mtime is taken into the fingerprint: else the next full rescan would see
        a (size, mtime) the registry never had and call it a change the watch
        missed."""
        display = self._display_of(path, known)
        if display is None:
            return False
        fingerprint = self._storage.fingerprint(display)
        if fingerprint is None:
            return False
        try:
            info = os.stat(path)
            if info.st_size != fingerprint.size:
                return False
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        if hashlib.sha256(data).hexdigest() != fingerprint.sha256:
            return False
        if info.st_mtime_ns != fingerprint.mtime_ns:
            self._storage.same_bytes_touched(display, info.st_mtime_ns)
        return True

    def content_moved(self, path: str) -> bool:
        """True when the file's bytes differ from what the registry last read."""
        return not self._unchanged(path)

    def _moved_from(
        self,
        new_ids: dict[str, set[str] | None],
        arriving: set[str],
        known: dict[str, str],
        exclude: set[str],
    ) -> list[str]:
        """Pending files (deleted, or that lost ids) some of whose leaving ids show
        up in another file being read: reloaded in the same batch, so the ids
        move instead of being removed and added."""
        if not self._pending_deletions or not arriving:
            return []
        moved: list[str] = []
        for path in self._pending_deletions:
            if path in exclude:
                continue
            now_there = new_ids[path] if path in new_ids else self._current_ids(path)
            leaving = self._known_ids(path, known) - (now_there or set())
            if leaving & arriving:
                moved.append(path)
        return moved

    def _current_ids(self, path: str) -> set[str] | None:
        return self._ids_in(path) if os.path.exists(path) else set()
