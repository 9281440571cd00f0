"""The sync engine: watch config directories and reconcile external edits.

Owns: the watchfiles task, the batch reconciler (grace period for deletions,
moves, echo suppression), the periodic self-healing rescan and the watch
status in the store.
May import: watchfiles, anyio, `provreg.registry`, `provreg.storage`, `provreg.config`.

Rules (DESIGN §5):
- Watch directories, never single files: a rename-save ends a file watch.
- Only names that pass `is_config_name` are ever read, so editor droppings
  (swap files, `4913`, `x~`, `.#x`, `#x#`, `x___jb_tmp___`, `sedXXXXXX`) and
  our own `.provreg-tmp-*` files never trigger a reload.
- A file that disappears is removed only after a grace period: a slow
  rename-save arrives as `-file` then, hundreds of ms later, `+file`.
- An id that leaves one file and appears in another is a move (an update),
  so a pending deletion is applied at once when its ids reappear elsewhere.
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

from provreg.config.discovery import discover, is_config_name
from provreg.config.loader import read_file
from provreg.registry import ProviderRegistry
from provreg.registry.state import WatchMode
from provreg.storage.yaml_dir import YamlDirectoryStorage

log = logging.getLogger("provreg.sync")

POLL_ENV = "PROVREG_POLL"


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Timings, chosen by measurement (docs/performance.md)."""

    debounce_ms: int = 50
    """Longest time watchfiles groups events before yielding a batch."""
    step_ms: int = 10
    """Quiet time after the last event that closes a batch."""
    grace_s: float = 0.5
    """How long a vanished file keeps its instances (rename-saves reappear)."""
    rescan_s: float = 3.0
    """Period of the self-healing stat rescan."""
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
    restarts: int = 0
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
        poll_env = os.environ.get(POLL_ENV, "") not in ("", "0", "false", "no")
        self.settings = settings or SyncSettings(poll=poll_env)
        self._clock = clock
        self._pending_deletions: dict[str, float] = {}
        self._restart = anyio.Event()
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
        name = os.path.basename(path)
        if is_config_name(name):
            return self._inside_roots(path)
        # A directory appearing (mkdir -p with files already inside) needs a scan.
        return (
            change == watchfiles.Change.added and os.path.isdir(path) and not name.startswith(".")
        )

    def _inside_roots(self, path: str) -> bool:
        real = os.path.realpath(path)
        for root in self._roots:
            if root.single_file:
                if real == root.real or path == root.path:
                    return True
            elif real.startswith(root.real + os.sep) or path.startswith(root.real + os.sep):
                relative = os.path.relpath(path if path.startswith(root.real) else real, root.real)
                return not any(part.startswith(".") for part in relative.split(os.sep))
        return False

    async def _watch_loop(self, started: anyio.Event) -> None:
        while True:
            dirs = self._watch_dirs()
            if not dirs:
                started.set()
                await anyio.sleep(self.settings.rescan_s)
                continue
            self._restart = anyio.Event()
            stop = self._restart
            started.set()
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
                    rust_timeout=1000,
                    yield_on_timeout=True,
                ):
                    if changes:
                        await self.apply_batch(changes)
                    await self._expire_deletions()
            except (FileNotFoundError, RuntimeError, OSError) as exc:
                log.warning("watch stopped (%s); re-establishing", exc)
                await anyio.sleep(0.2)
            self.stats.restarts += 1

    async def _rescan_loop(self) -> None:
        while True:
            await anyio.sleep(self.settings.rescan_s)
            await self.rescan()

    # ------------------------------------------------------------------ reconciling

    async def apply_batch(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        """Reconcile one batch of file events (also called by tests and the rescan)."""
        self.stats.batches += 1
        paths: set[str] = set()
        scan_needed = False
        for _, path in changes:
            if os.path.isdir(path):
                scan_needed = True
            else:
                paths.add(os.path.realpath(path) if os.path.exists(path) else path)
        if scan_needed:
            paths |= self._scan_differences()
        await self._reconcile(paths)

    async def _reconcile(self, paths: set[str]) -> None:
        now = self._clock()
        to_read: list[str] = []
        for path in sorted(paths):
            if os.path.exists(path):
                self._pending_deletions.pop(path, None)
                if self._unchanged(path):
                    self.stats.suppressed += 1
                    continue
                to_read.append(path)
            elif self._display_of(path) is not None:
                self._pending_deletions.setdefault(path, now + self.settings.grace_s)
        moved_from = self._moved_from(to_read)
        for path in moved_from:
            self._pending_deletions.pop(path, None)
        batch = to_read + moved_from
        if batch:
            self.stats.reloads += 1
            self.stats.files_read.extend(to_read)
            await self.registry.reload(batch, source="external")

    def _display_of(self, real: str) -> str | None:
        """Display path of a known file, from its real path."""
        for known, display in self.storage.files().items():
            if known == real or os.path.realpath(known) == real:
                return display
        return None

    def _unchanged(self, path: str) -> bool:
        """True when the file's bytes are what the registry last read or wrote
        (the app's own write is an echo, a touch changes nothing)."""
        display = self._display_of(path)
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

    def _moved_from(self, to_read: list[str]) -> list[str]:
        """Pending deletions whose instance ids show up in the files being read."""
        if not self._pending_deletions or not to_read:
            return []
        state = self.registry.snapshot()
        pending_ids: dict[str, set[str]] = {}
        for path in self._pending_deletions:
            display = self._display_of(path)
            status = state.files.get(display) if display else None
            if status is not None:
                pending_ids[path] = set(status.instance_ids)
        if not pending_ids:
            return []
        arriving: set[str] = set()
        for path in to_read:
            parsed = read_file(path, path, self.storage.limits)
            for entry in parsed.providers:
                instance_id = entry.value.get("id")
                if isinstance(instance_id, str):
                    arriving.add(instance_id)
        return [path for path, ids in pending_ids.items() if ids & arriving]

    async def _expire_deletions(self) -> None:
        if not self._pending_deletions:
            return
        now = self._clock()
        due = [path for path, deadline in self._pending_deletions.items() if deadline <= now]
        if not due:
            return
        for path in due:
            del self._pending_deletions[path]
        gone = [path for path in due if not os.path.exists(path)]
        if gone:
            self.stats.reloads += 1
            await self.registry.reload(gone, source="external")

    # ------------------------------------------------------------------ self-healing

    def _scan_differences(self) -> set[str]:
        """Files whose (size, mtime) moved, appeared or vanished since the last read."""
        known = self.storage.files()
        known_by_real = {os.path.realpath(path): display for path, display in known.items()}
        changed: set[str] = set()
        try:
            present = discover([root.path for root in self._roots if os.path.exists(root.path)])
        except OSError:
            present = []
        seen: set[str] = set()
        for config_file in present:
            real = os.path.realpath(config_file.path)
            seen.add(real)
            display = known_by_real.get(real)
            fingerprint = self.storage.fingerprint(display) if display else None
            if fingerprint is None:
                changed.add(real)
                continue
            try:
                info = os.stat(real)
            except OSError:
                continue
            if info.st_size != fingerprint.size or info.st_mtime_ns != fingerprint.mtime_ns:
                changed.add(real)
        for real in known_by_real:
            if real not in seen and not os.path.exists(real):
                changed.add(real)
        return changed

    async def rescan(self) -> None:
        """The periodic safety net: stat everything, reconcile what moved, and
        re-establish the watch when a watched directory was replaced."""
        self.stats.rescans += 1
        replaced = False
        for index, root in enumerate(self._roots):
            fresh = self._root(root.path)
            if fresh.identity != root.identity:
                self._roots[index] = fresh
                replaced = True
        if replaced:
            self._restart.set()
        differences = self._scan_differences()
        if differences:
            await self._reconcile(differences)
        await self._expire_deletions()
