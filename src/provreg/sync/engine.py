"""The sync engine: watch config directories and reconcile external edits.

Owns: the watchfiles task, the batch reconciler (grace period for deletions,
moves, echo suppression), the periodic self-healing check and rescan and the
watch status in the store.
May import: watchfiles, anyio, `provreg.registry`, `provreg.storage`, `provreg.config`.

Rules (DESIGN §5):
- Watch directories, never single files: a rename-save ends a file watch.
- Only names that pass `is_config_name` are ever read, so editor droppings
  (swap files, `4913`, `x~`, `.#x`, `#x#`, `x___jb_tmp___`, `sedXXXXXX`) and
  our own `.provreg-tmp-*` files never trigger a reload.
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
- A watched directory that is deleted or replaced is watched anew (or
  waited for), and a scan covers what changed while nothing watched it.
- Self-healing in two tiers, so that idle costs next to nothing: every
  `rescan_s` a check of what a directory watch cannot see (roots replaced,
  symlinked files' targets), every `full_rescan_s` a stat of every file for
  what the watch lost. A full rescan that finds a change the watch missed
  makes every later period a full rescan.
- A file whose content hash is what the registry already has (the app's own
  write, or a touch) causes no reload.
- Half-written, empty or invalid files keep their last good instances: that
  is the registry's keep-last-good, the engine only reports the batch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import anyio
import watchfiles

from provreg.config.discovery import discover, is_config_name, is_skipped_dir
from provreg.config.ids import slugify
from provreg.config.reading import read_file
from provreg.model import Severity
from provreg.paths import env_flag
from provreg.registry import ProviderRegistry
from provreg.registry.state import WatchMode
from provreg.storage.yaml_dir import YamlDirectoryStorage

log = logging.getLogger("provreg.sync")

POLL_ENV = "PROVREG_POLL"
_MISSING_ROOT_POLL_S = 0.25
"""How often to look for a watched directory that was removed."""
_WATCH_REACH_S = 2.0
"""A change older than this that a full rescan finds was missed by the watch
(a batch closes within `debounce_ms`; this leaves room for a slow reload)."""


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Timings, chosen by measurement (docs/performance.md)."""

    debounce_ms: int = 50
    """Longest time watchfiles groups events before yielding a batch."""
    step_ms: int = 5
    """Quiet time after the last event that closes a batch. watchfiles wakes
    every step even when idle (200 times a second at 5 ms, ~0.3% of a core on
    the benchmark VM); a lone save waits one to two steps."""
    grace_s: float = 0.5
    """How long a vanished file keeps its instances (rename-saves reappear)."""
    rescan_s: float = 3.0
    """Period of the cheap check (watched directories replaced, symlinked files'
    targets changed): what inotify cannot report. With `poll`, the full rescan's
    period too (the poller misses a save in the same second)."""
    full_rescan_s: float = 10.0
    """Period of the full stat rescan of every file while inotify watches: the
    safety net for events the kernel or the watcher lost."""
    poll: bool = False
    """Poll instead of inotify (network file systems)."""
    poll_delay_ms: int = 300


@dataclass(slots=True)
class _Root:
    path: str
    real: str
    identity: tuple[int, int] | None
    single_file: bool


@dataclass(slots=True)
class SyncStats:
    """Counters for tests and benchmarks."""

    batches: int = 0
    reloads: int = 0
    suppressed: int = 0
    rescans: int = 0
    """Full rescans (a stat of every file)."""
    checks: int = 0
    """Cheap checks (the roots and the symlinked files only)."""
    missed_by_watch: int = 0
    """Full rescans that found a change the watch should have reported; after
    the first, every period is a full rescan."""
    restarts: int = 0
    failures: int = 0
    files_read: list[str] = field(default_factory=list)


class SyncEngine:
    """Keeps a registry in step with its config files until cancelled."""

    def __init__(
        self,
        registry: ProviderRegistry,
        settings: SyncSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(registry.storage, YamlDirectoryStorage):
            raise TypeError("the sync engine needs the YAML directory storage")
        self.registry = registry
        self.storage: YamlDirectoryStorage = registry.storage
        poll_env = env_flag(POLL_ENV)
        self.settings = settings or SyncSettings(poll=poll_env)
        self._clock = clock
        self._pending_deletions: dict[str, float] = {}
        """Real path -> deadline: files whose instances may be about to vanish."""
        self._wake = anyio.Event()
        self._restart = anyio.Event()
        self._rescan_now = anyio.Event()
        self._watched: frozenset[str] = frozenset()
        self.stats = SyncStats()
        self._roots = [self._root(path) for path in self.storage.paths]

    @staticmethod
    def _root(path: str) -> _Root:
        real = os.path.realpath(path)
        single = not os.path.isdir(path)
        try:
            info = os.stat(path)
            identity: tuple[int, int] | None = (info.st_dev, info.st_ino)
        except OSError:
            identity = None
        return _Root(path, real, identity, single)

    # ------------------------------------------------------------------ running

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Watch and reconcile until cancelled. Signals `task_status` once watching."""
        mode: WatchMode = "polling" if self.settings.poll else "watching"
        try:
            async with anyio.create_task_group() as group:
                started = anyio.Event()
                group.start_soon(self._watch_loop, started)
                await started.wait()
                self.registry.set_watch_status(mode)
                group.start_soon(self._rescan_loop)
                group.start_soon(self._expiry_loop)
                group.start_soon(self._stop_watch_on_cancel)
                task_status.started()
        finally:
            with anyio.CancelScope(shield=True):
                self.registry.set_watch_status("stopped")

    def _watch_dirs(self) -> list[str]:
        dirs = []
        for root in self._roots:
            directory = os.path.dirname(root.real) if root.single_file else root.real
            if os.path.isdir(directory) and directory not in dirs:
                dirs.append(directory)
        return dirs

    def _filter(self, change: watchfiles.Change, path: str) -> bool:
        if path in self._watched:
            # A watched directory itself was deleted or moved: its watch is dead.
            return True
        name = os.path.basename(path)
        if is_config_name(name):
            return self._inside_roots(path)
        # A directory appearing (mkdir -p with files already inside) needs a
        # scan, unless it is inside a hidden one (`.git/objects/ab`).
        return (
            change == watchfiles.Change.added
            and os.path.isdir(path)
            and not name.startswith(".")
            and self._inside_roots(path)
        )

    def _inside_roots(self, path: str) -> bool:
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

    async def _watch_loop(self, started: anyio.Event) -> None:
        while True:
            dirs = self._watch_dirs()
            self._watched = frozenset(dirs)
            if not dirs:
                started.set()
                # Cheap (a stat per root): come back soon after the directory does.
                await anyio.sleep(min(self.settings.rescan_s, _MISSING_ROOT_POLL_S))
                continue
            self._restart = anyio.Event()
            stop = self._restart
            started.set()
            if self.stats.restarts:
                # Whatever changed while nothing watched is found by a scan. The
                # rescan task runs on a later tick, after `awatch` below has
                # created its watcher (synchronously, on its first step).
                self._rescan_now.set()
            try:
                async for changes in watchfiles.awatch(
                    *dirs,
                    watch_filter=self._filter,
                    debounce=self.settings.debounce_ms,
                    step=self.settings.step_ms,
                    stop_event=stop,
                    force_polling=self.settings.poll,
                    poll_delay_ms=self.settings.poll_delay_ms,
                    ignore_permission_denied=True,
                    # No timeout: an idle watch never returns to the event loop,
                    # and watchfiles' timeout return clears its change set, so an
                    # event landing at that instant would be lost. Stopping goes
                    # through `stop` (see `_stop_watch_on_cancel`).
                    rust_timeout=0,
                ):
                    await self.apply_batch(changes)
            except (FileNotFoundError, RuntimeError, OSError) as exc:
                log.warning("watch stopped (%s); re-establishing", exc)
                await anyio.sleep(0.2)
            self.stats.restarts += 1

    async def _stop_watch_on_cancel(self) -> None:
        """On cancellation, tell the watcher thread to return now.

        `awatch` waits for its thread uninterruptibly and only sets its stop
        event once that wait ends, which without a `rust_timeout` is the next
        file event; setting it from a sibling task makes shutdown take one step.
        """
        try:
            await anyio.sleep_forever()
        finally:
            self._restart.set()

    async def _rescan_loop(self) -> None:
        """Every `rescan_s` the cheap check, or the full rescan: on the first tick
        (whatever changed between the load and the watch), at once after the
        watch was re-established, every `full_rescan_s` while the watch is
        healthy, and on every tick when polling or once the watch missed a
        change."""
        last_full: float | None = None
        while True:
            with anyio.move_on_after(self.settings.rescan_s):
                await self._rescan_now.wait()
            catching_up = self._rescan_now.is_set() or last_full is None
            self._rescan_now = anyio.Event()
            if catching_up or self._full_rescan_due(last_full):
                last_full = self._clock()
                missed = await self._full_rescan()
                if missed and not catching_up:
                    self._watch_missed(missed)
            else:
                await self.check()

    def _full_rescan_due(self, last_full: float | None) -> bool:
        if self.settings.poll or self.stats.missed_by_watch:
            return True
        if last_full is None:
            return True
        # A little early rather than a whole check period late.
        slack = self.settings.rescan_s / 2
        return self._clock() - last_full >= self.settings.full_rescan_s - slack

    def _watch_missed(self, paths: set[str]) -> None:
        """The watch did not report a change it should have (a file system whose
        notifications do not arrive, a lost queue): from now on every period
        is a full rescan, as if polling."""
        if not self.stats.missed_by_watch:
            log.warning(
                "the file watch missed a change to %s; rescanning every %g s from now on "
                "(use --poll on network file systems)",
                ", ".join(sorted(paths)),
                self.settings.rescan_s,
            )
        self.stats.missed_by_watch += 1

    # ------------------------------------------------------------------ reconciling

    async def apply_batch(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        """Reconcile one batch of file events (also called by tests and the rescan)."""
        self.stats.batches += 1
        paths: set[str] = set()
        scan_needed = False
        for _, path in changes:
            if path in self._watched:
                # The watched directory was removed or replaced: watch it anew
                # (or wait for it to come back) and look at everything.
                self._restart.set()
                scan_needed = True
            elif os.path.isdir(path):
                scan_needed = True
            else:
                paths.add(os.path.realpath(path) if os.path.exists(path) else path)
        if scan_needed:
            paths |= self._scan_differences()
        await self._reconcile(paths)

    async def _reconcile(self, paths: set[str]) -> None:
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
                    self.stats.suppressed += 1
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
            self.stats.reloads += 1
            self.stats.files_read.extend(path for path in batch if os.path.exists(path))
            await self._reload(batch)

    async def _reload(self, paths: list[str]) -> None:
        """Reload files; a failure is logged and retried by the next rescan, so one
        bad batch (a file vanished mid-read, a storage bug) never stops the engine."""
        try:
            await self.registry.reload(paths, source="external")
        except Exception:
            log.exception("reloading %s failed; the next rescan retries", ", ".join(paths))
            self.stats.failures += 1

    async def _app_writes_settled(self) -> None:
        """Wait for an app write in flight to finish.

        The registry writes in a worker thread under its lock: for a moment
        the file already holds the new bytes while the registry has not yet
        recorded their hash, and the echo would look like an external edit.
        """
        await self.registry.wait_for_writes()

    def _defer(self, path: str, now: float) -> None:
        """Make the removal of this file's instances tentative (first deadline kept)."""
        self._pending_deletions.setdefault(path, now + self.settings.grace_s)
        self._wake.set()

    def _known_files(self) -> dict[str, str]:
        """Path -> display of every known file, by the paths the storage holds."""
        return self.storage.files()

    def _display_of(self, real: str, known: dict[str, str] | None = None) -> str | None:
        """Display path of a known file, from its real path."""
        files = known if known is not None else self.storage.files()
        display = files.get(real)
        if display is not None:
            return display
        return self.storage.files_by_real().get(real)

    def _known_ids(self, path: str, known: dict[str, str]) -> set[str]:
        display = self._display_of(path, known)
        status = self.registry.snapshot().files.get(display) if display else None
        return set(status.instance_ids) if status is not None else set()

    def _ids_in(self, path: str) -> set[str] | None:
        """Instance ids in the file as it is now; None when it does not read cleanly
        (then the registry keeps its last good instances: nothing can vanish)."""
        parsed = read_file(path, path, self.storage.limits)
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
        (the app's own write is an echo, a touch changes nothing)."""
        display = self._display_of(path, known)
        if display is None:
            return False
        fingerprint = self.storage.fingerprint(display)
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
        return hashlib.sha256(data).hexdigest() == fingerprint.sha256

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

    async def _expiry_loop(self) -> None:
        """Apply tentative removals when their grace period ends."""
        while True:
            if not self._pending_deletions:
                self._wake = anyio.Event()
                await self._wake.wait()
                continue
            delay = min(self._pending_deletions.values()) - self._clock()
            if delay > 0:
                await anyio.sleep(delay)
            await self._expire_deletions()

    async def _expire_deletions(self) -> None:
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
            self.stats.reloads += 1
            self.stats.files_read.extend(path for path in batch if os.path.exists(path))
            await self._reload(batch)

    # ------------------------------------------------------------------ self-healing

    def _scan_differences(self) -> set[str]:
        """Real paths of files whose (size, mtime) moved, appeared or vanished since
        the last read. Known files are matched by the path discovery gives them
        (no realpath per file: that was most of an idle rescan's cost)."""
        known = self.storage.files()
        changed: set[str] = set()
        try:
            present = discover(
                [root.path for root in self._roots if os.path.exists(root.path)],
                resolve_links=False,
            )
        except OSError:
            present = []
        seen: set[str] = set()
        for config_file in present:
            seen.add(config_file.path)
            display = known.get(config_file.path)
            fingerprint = self.storage.fingerprint(display) if display else None
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
        for real, display in self.storage.files_by_real().items():
            if path_of.get(display, real) not in seen and not os.path.exists(real):
                changed.add(real)
        return changed

    def _linked_files(self) -> tuple[dict[str, str], set[str]]:
        """Known files reached through a symlink (real path -> display), and the
        real paths of the others. The watch is on directories: a change to a
        link's target elsewhere (`providers.yaml -> ~/dotfiles/llm.yaml`), or
        to a target whose own name is no config name, never reaches it."""
        path_of = {display: path for path, display in self.storage.files().items()}
        linked: dict[str, str] = {}
        plain: set[str] = set()
        for real, display in self.storage.files_by_real().items():
            if path_of.get(display, real) == real:
                plain.add(real)
            else:
                linked[real] = display
        return linked, plain

    def _linked_differences(self) -> set[str]:
        """Real paths of symlinked files whose (size, mtime) moved or that vanished."""
        changed: set[str] = set()
        for real, display in self._linked_files()[0].items():
            fingerprint = self.storage.fingerprint(display)
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

    def _check_roots(self) -> None:
        """Re-establish the watch when a watched directory was replaced."""
        replaced = False
        for index, root in enumerate(self._roots):
            fresh = self._root(root.path)
            if fresh.identity != root.identity:
                self._roots[index] = fresh
                replaced = True
        if replaced:
            self._restart.set()

    async def check(self) -> None:
        """The cheap periodic check, for what a directory watch cannot see: a
        watched directory replaced, a symlinked file's target changed. A stat
        per root and per symlinked file."""
        self.stats.checks += 1
        self._check_roots()
        differences = self._linked_differences()
        if differences:
            await self._reconcile(differences)
        await self._expire_deletions()

    async def rescan(self) -> None:
        """The full safety net: stat everything, reconcile what moved, and
        re-establish the watch when a watched directory was replaced."""
        await self._full_rescan()

    async def _full_rescan(self) -> set[str]:
        """`rescan`; returns the changes the watch should long have reported."""
        self.stats.rescans += 1
        self._check_roots()
        differences = self._scan_differences()
        # Only known files the watch can see count: a symlink's target is the
        # check's business, and a new file may come from anywhere (`mv`, `tar`).
        plain = self._linked_files()[1] if differences else set()
        missed = {path for path in differences if path in plain and self._beyond_watch_reach(path)}
        if differences:
            await self._reconcile(differences)
        await self._expire_deletions()
        return missed

    def _beyond_watch_reach(self, path: str) -> bool:
        """True for a difference the watch had ample time to report: a file changed
        more than `_WATCH_REACH_S` ago, or gone without a pending deletion. A
        change made just now may still be on its way through the watcher."""
        try:
            info = os.stat(path)
        except OSError:
            return path not in self._pending_deletions
        return time.time() - info.st_mtime > _WATCH_REACH_S
