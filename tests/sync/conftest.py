"""Fixtures for the sync engine tests: real config directories outside the
system temp directory, a running `SyncEngine`, and the checks every test ends
with.

Why not `tmp_path`: vim's default `backupskip` covers `/tmp/*` (and emacs
also writes in place there), so an editor saving under /tmp never takes the
rename path. The directories live under `<repo>/.pytest-sync/` (git-ignored)
and are removed after each test.

Every scenario ends with `SyncHarness.check()`:
- the registry equals a fresh, independent load of the files;
- no `InstanceRemoved` was published for an id the files still had at that
  moment, and the removed ids are exactly the ones the test expects;
- nothing but `*.yaml`/`*.yml` config names was ever read (by the engine or
  by the storage it drives), so no editor dropping was parsed.

Waits poll the registry against a deadline; sleeps are only used to shape
the file operations themselves (a pause inside a slow save).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest
from helpers.files import write_files
from helpers.paths import REPO_ROOT
from helpers.registry import InstanceKey, instance_key
from helpers.registry import disk_view as fresh_load
from helpers.sync_data import A_YAML, B_YAML, C_YAML

import provreg.storage.yaml_dir
import provreg.sync.reconcile
from provreg.config.read.discovery import ConfigPathError, is_config_name
from provreg.model import ProviderInstance
from provreg.registry import ProviderRegistry
from provreg.registry.events import Event, InstanceRemoved
from provreg.sync import SyncEngine, SyncSettings


def _sync_root() -> Path:
    """`<repo>/.pytest-sync`, unless the checkout itself is under the system temp
    dir (a CI clone can be): then /var/tmp, which vim's backupskip leaves out."""
    in_repo = REPO_ROOT / ".pytest-sync"
    system_tmp = os.path.realpath(tempfile.gettempdir())
    if not os.path.realpath(in_repo).startswith(system_tmp + os.sep):
        return in_repo
    return Path("/var/tmp") / f"provreg-pytest-sync-{os.getuid()}"


SYNC_ROOT = _sync_root()

FAST = SyncSettings(debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.5, full_rescan_s=0.5)
"""Small timings: a batch closes 10 ms after the last event."""

DEADLINE_S = 5.0

# --------------------------------------------------------------------------- directories


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:48]


@pytest.fixture
def sync_base(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh directory under `<repo>/.pytest-sync/`, removed afterwards.

    The config directory is `sync_base / "config"`; siblings are "outside"
    (for `mv` in and out, and directory swaps).
    """
    SYNC_ROOT.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix=_slug(request.node.name) + "-", dir=SYNC_ROOT))
    system_tmp = os.path.realpath(tempfile.gettempdir())
    assert not os.path.realpath(base).startswith(system_tmp + os.sep), (
        "sync test directories must live outside the system temp dir (vim backupskip)"
    )
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
        try:
            SYNC_ROOT.rmdir()  # only when no other test still uses it
        except OSError:
            pass


@pytest.fixture
def sync_dir(sync_base: Path) -> Path:
    """The config directory: a.yaml, b.yaml and team/c.yaml."""
    return write_files(
        sync_base / "config", {"a.yaml": A_YAML, "b.yaml": B_YAML, "team/c.yaml": C_YAML}
    )


# --------------------------------------------------------------------------- views


def disk_view(root: Path) -> list[InstanceKey]:
    """A fresh, independent load of the files: what a new process would see."""
    try:
        return fresh_load([str(root)])
    except ConfigPathError:
        return []


def disk_ids(root: Path) -> set[str]:
    return {key[0] for key in disk_view(root)}


# --------------------------------------------------------------------------- harness


@dataclass
class SyncHarness:
    """A registry over `root` with a running engine, and what it published."""

    root: Path
    registry: ProviderRegistry
    engine: SyncEngine
    reads: list[str]
    events: list[Event] = field(default_factory=list)
    removed_while_present: list[str] = field(default_factory=list)
    batches: list[list[tuple[Any, str]]] = field(default_factory=list)
    group: anyio.abc.TaskGroup | None = None

    async def start(self) -> None:
        """Start the engine (when the harness was opened with `start=False`)."""
        assert self.group is not None
        await self.group.start(self.engine.run)

    # ---------------------------------------------------------------- reading

    def on_events(self, events: Sequence[Event]) -> None:
        self.events.extend(events)
        present = None
        for event in events:
            if isinstance(event, InstanceRemoved):
                present = disk_ids(self.root) if present is None else present
                if event.instance.id in present:
                    self.removed_while_present.append(event.instance.id)

    def instance(self, instance_id: str) -> ProviderInstance | None:
        return self.registry.snapshot().instances.get(instance_id)

    def value(self, instance_id: str, key: str) -> Any:
        instance = self.instance(instance_id)
        return None if instance is None else instance.values.get(key)

    def ids(self) -> set[str]:
        return set(self.registry.snapshot().instances)

    def view(self) -> list[InstanceKey]:
        return [instance_key(i) for i in self.registry.snapshot().instances.values()]

    def matches_disk(self) -> bool:
        return self.view() == disk_view(self.root)

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    def removed_ids(self) -> set[str]:
        return {event.instance.id for event in self.of_type(InstanceRemoved)}

    # ---------------------------------------------------------------- waiting

    async def wait_for(
        self, condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S
    ) -> None:
        """Poll `condition` until it holds; fail with the state after `timeout`."""
        deadline = anyio.current_time() + timeout
        while not condition():
            if anyio.current_time() > deadline:
                pytest.fail(
                    f"timed out after {timeout:.1f}s waiting for {what}\n"
                    f"registry: {sorted(self.ids())}\ndisk: {sorted(disk_ids(self.root))}\n"
                    f"stats: {self.engine.stats}\nevents: {self.events}"
                )
            await anyio.sleep(0.01)

    async def wait_value(self, instance_id: str, key: str, expected: Any) -> None:
        await self.wait_for(
            lambda: self.value(instance_id, key) == expected,
            f"{instance_id}.{key} == {expected!r}",
        )

    async def settled(self) -> None:
        """Wait until the registry equals a fresh load of the files."""
        await self.wait_for(self.matches_disk, "the registry to equal a fresh load")

    def batch_named(self, path: Path, since: int = 0) -> bool:
        """A watcher batch (not the rescan) after the first `since` named `path`."""
        return any(
            os.path.basename(changed) == path.name
            for batch in self.batches[since:]
            for _, changed in batch
        )

    async def edit_until_watched(
        self, path: Path, text_for: Callable[[int], str], timeout: float = DEADLINE_S
    ) -> int:
        """Edit `path` until the watcher (not the rescan) reports it.

        After a watched directory is replaced the watch comes back within a
        rescan period; edits made before that are healed by the rescan. This
        checks that the watch itself is back. Returns the attempt that was seen.
        """
        deadline = anyio.current_time() + timeout
        attempt = 0
        while anyio.current_time() < deadline:
            since = len(self.batches)
            path.write_text(text_for(attempt))
            with anyio.move_on_after(0.3):
                while not self.batch_named(path, since):
                    await anyio.sleep(0.01)
                return attempt
            attempt += 1
        pytest.fail(f"the watcher never reported an edit of {path} within {timeout}s")

    async def swap_directory(self, sync_dir: Path, sync_base: Path, new: Path) -> None:
        """Rename `new` into the place of `sync_dir` in a moment, as a deploy does
        (the old tree removed), then edit b.yaml until the watcher, not a
        rescan, reports it and its value arrives: the watch is back."""
        os.rename(sync_dir, sync_base / "config.old")
        os.rename(new, sync_dir)
        shutil.rmtree(sync_base / "config.old")
        await self.wait_value("work-openai", "default_model", "gpt-5")
        seen = await self.edit_until_watched(
            sync_dir / "b.yaml", lambda n: B_YAML.replace("llama3.2", f"qwen3.{n}")
        )
        await self.wait_value("local-ollama", "default_model", f"qwen3.{seen}")

    async def quiet_rescans(self, count: int = 2) -> None:
        """Wait until `count` more periodic rescans ran (each one reconciles
        everything the watcher might have missed), so "nothing happened" is
        a checked outcome rather than a sleep."""
        target = self.engine.stats.rescans + count
        await self.wait_for(lambda: self.engine.stats.rescans >= target, f"{count} rescans")

    # ---------------------------------------------------------------- checking

    def check_reads(self) -> None:
        """Only config names were ever read: no editor dropping was parsed."""
        for path in [*self.reads, *self.engine.stats.files_read]:
            name = os.path.basename(path)
            assert is_config_name(name), f"read a non-config file: {path}"
            assert name.endswith((".yaml", ".yml")), path

    def check(self, *, removed: set[str] | frozenset[str] = frozenset()) -> None:
        """The invariants every scenario ends with."""
        assert self.view() == disk_view(self.root), "registry differs from a fresh load"
        assert self.removed_while_present == [], (
            f"reported removed while a file still had them: {self.removed_while_present}"
        )
        assert self.removed_ids() == set(removed)
        state = self.registry.snapshot()
        assert state.stale_ids == frozenset()
        assert all(status.ok for status in state.files.values()), state.files
        self.check_reads()


@pytest.fixture
def watch(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Any]:
    """`async with watch(root) as h:` opens a registry over `root` and runs an engine.

    Every file read by the storage or the engine is recorded in `h.reads`;
    every batch the watcher yields is recorded in `h.batches`.
    """
    reads: list[str] = []

    def recording(original: Callable[..., Any]) -> Callable[..., Any]:
        def read_file(path: str, *args: Any, **kwargs: Any) -> Any:
            reads.append(path)
            return original(path, *args, **kwargs)

        return read_file

    monkeypatch.setattr(
        provreg.storage.yaml_dir, "read_file", recording(provreg.storage.yaml_dir.read_file)
    )
    monkeypatch.setattr(
        provreg.sync.reconcile, "read_file", recording(provreg.sync.reconcile.read_file)
    )

    @asynccontextmanager
    async def running(
        root: Path, settings: SyncSettings = FAST, *, start: bool = True
    ) -> AsyncIterator[SyncHarness]:
        registry = await ProviderRegistry.open([str(root)], audit=False)
        engine = SyncEngine(registry, settings)
        harness = SyncHarness(root, registry, engine, reads)
        registry.store.subscribe_events(harness.on_events)
        apply_batch = engine.apply_batch

        async def recording_batch(changes: Any) -> None:
            changes = list(changes)
            harness.batches.append(changes)
            await apply_batch(changes)

        engine.apply_batch = recording_batch  # type: ignore[method-assign]
        async with anyio.create_task_group() as group:
            harness.group = group
            if start:
                await harness.start()
            try:
                yield harness
            finally:
                group.cancel_scope.cancel()

    return running
