"""After any sequence of writes, external edits and reloads, the registry holds
what a fresh open of the same files gives, and each commit's events are the
difference between its states, though commits relink only what they touched.

Real files in a temp dir: entries without ids (derived, made unique across
files), the same explicit id in two files, names that differ only in case or
spaces, files that break (their last good version stays, stale) and files that
appear and disappear.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.registry import assert_state_like_a_fresh_open

from provreg.registry import (
    DuplicateNameError,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ProviderRegistry,
    RegistryError,
)
from provreg.registry.state import RegistryState
from provreg.storage.backend import StorageError

pytestmark = pytest.mark.anyio

FILES = ("a.yaml", "b.yaml", "team/c.yaml", "team/d.yaml")
NAMES = ("Alpha", "ALPHA", " alpha 2", "Beta", "beta ", "Gamma", "Delta")
IDS = ("alpha", "alpha-2", "beta", "gamma", "delta")
BROKEN = "version: 1\nproviders:\n  - id: [\n"


def _file_text(rng: random.Random, count: int) -> str:
    if not count:
        return "version: 1\nproviders: []\n"
    lines = ["# written by the test", "version: 1", "providers:"]
    for _ in range(count):
        name = rng.choice(NAMES) if rng.random() < 0.7 else f"Unique {rng.randrange(10**6)}"
        if rng.random() < 0.6:
            lines.append(f"  - id: {rng.choice(IDS)}")
            lines.append(f"    name: {json.dumps(name)}")
        else:
            lines.append(f"  - name: {json.dumps(name)}")
        lines.append("    provider: ollama")
        lines.append(f"    default_model: m{rng.randrange(3)}")
        lines.append("")
    return "\n".join(lines)


def _view(state: RegistryState, root: Path) -> list[tuple[Any, ...]]:
    """Instances with their file relative to `root` (to compare two directories)."""
    return [
        (
            instance_id,
            os.path.relpath(instance.file, root),
            instance.name,
            instance.provider,
            dict(instance.values),
            instance.line,
            instance.column,
            instance.id_derived,
        )
        for instance_id, instance in state.instances.items()
    ]


def _expected_events(before: RegistryState, after: RegistryState) -> list[tuple[Any, ...]]:
    events: list[tuple[Any, ...]] = []
    for instance_id, instance in after.instances.items():
        old = before.instances.get(instance_id)
        if old is None:
            events.append(("added", instance_id))
        elif (old.name, old.provider, old.file, old.values) != (
            instance.name,
            instance.provider,
            instance.file,
            instance.values,
        ):
            events.append(("updated", instance_id))
    for instance_id in before.instances:
        if instance_id not in after.instances:
            events.append(("removed", instance_id))
    return events


def _instance_events(events: list[Event], written: str | None) -> list[tuple[Any, ...]]:
    shown: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, InstanceAdded | InstanceUpdated | InstanceRemoved):
            kind = {InstanceAdded: "added", InstanceUpdated: "updated", InstanceRemoved: "removed"}
            instance_id = event.instance.id
            assert event.source == ("app" if instance_id == written else "external")
            shown.append((kind[type(event)], instance_id))
    return shown


async def _check(
    registry: ProviderRegistry, root: Path, shadow: Path, good: dict[str, str]
) -> None:
    """Compare with a fresh open of the same files; a broken file is compared as
    its last good text (what the registry keeps serving)."""
    state = registry.snapshot()
    broken = {rel for rel in FILES if (root / rel).exists() and (root / rel).read_text() == BROKEN}
    if not broken:
        fresh = (await ProviderRegistry.open([str(root)], audit=False)).snapshot()
        assert_state_like_a_fresh_open(state, fresh)
        assert list(state.files) == list(fresh.files)
        assert state.stale_ids == frozenset()
        return
    if shadow.exists():
        shutil.rmtree(shadow)
    for rel in FILES:
        if (root / rel).exists():
            (shadow / rel).parent.mkdir(parents=True, exist_ok=True)
            text = good[rel] if rel in broken else (root / rel).read_text()
            (shadow / rel).write_text(text)
    fresh = (await ProviderRegistry.open([str(shadow)], audit=False)).snapshot()
    assert _view(state, root) == _view(fresh, shadow)
    stale_files = {str(root / rel) for rel in broken}
    assert state.stale_ids == {i.id for i in state.instances.values() if i.file in stale_files}


@pytest.mark.parametrize("seed", range(6))
async def test_commits_match_a_fresh_open(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    root, shadow = tmp_path / "config", tmp_path / "shadow"
    good: dict[str, str] = {}
    for rel in FILES[:3]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        good[rel] = _file_text(rng, rng.randrange(1, 5))
        (root / rel).write_text(good[rel])
    registry = await ProviderRegistry.open([str(root)], audit=False)
    seen: list[Event] = []
    registry.store.subscribe_events(seen.extend)
    await _check(registry, root, shadow, good)
    for _ in range(40):
        before = registry.snapshot()
        seen.clear()
        written = await _step(rng, registry, root, good)
        assert _instance_events(seen, written) == _expected_events(before, registry.snapshot())
        await _check(registry, root, shadow, good)


async def _step(
    rng: random.Random, registry: ProviderRegistry, root: Path, good: dict[str, str]
) -> str | None:
    """One random change; returns the id a registry write was for, if any."""
    rel = rng.choice(FILES)
    path = root / rel
    state = registry.snapshot()
    ok_instances = [i for i in state.instances.values() if state.files[i.file].ok]
    action = rng.random()
    try:
        if action < 0.35:
            path.parent.mkdir(parents=True, exist_ok=True)
            good[rel] = _file_text(rng, rng.randrange(0, 5))
            path.write_text(good[rel])
            await registry.reload([os.path.realpath(path)])
        elif action < 0.45 and path.exists() and path.read_text() != BROKEN:
            path.write_text(BROKEN)
            await registry.reload([os.path.realpath(path)])
        elif action < 0.5 and path.exists():
            real = os.path.realpath(path)
            path.unlink()
            await registry.reload([real])
        elif action < 0.65 and path.exists() and path.read_text() != BROKEN:
            name = rng.choice(NAMES) if rng.random() < 0.5 else f"New {rng.randrange(10**6)}"
            given = rng.choice(IDS) if rng.random() < 0.2 else None
            created = await registry.create(
                "ollama", name, {"default_model": "m9"}, file=str(path), instance_id=given
            )
            return created.id
        elif action < 0.8 and ok_instances:
            target = rng.choice(ok_instances)
            change: dict[str, Any] = (
                {"name": rng.choice(NAMES)}
                if rng.random() < 0.3
                else {"default_model": f"m{rng.randrange(100)}"}
            )
            await registry.update(target.id, change)
            return target.id
        elif action < 0.9 and ok_instances:
            target = rng.choice(ok_instances)
            await registry.delete(target.id)
            return target.id
        else:
            await registry.reload()
    except (RegistryError, StorageError):
        pass  # refused (a duplicate name or id, a file with errors): nothing committed
    finally:
        for name in FILES:  # the registry's writes are good texts too
            if (root / name).exists() and (root / name).read_text() != BROKEN:
                good[name] = (root / name).read_text()
    return None


async def test_name_checks_use_the_index_and_name_the_first_holder(tmp_path: Path) -> None:
    root = tmp_path / "config"
    root.mkdir()
    entry = "  - id: {}\n    name: {}\n    provider: ollama\n"
    (root / "a.yaml").write_text("version: 1\nproviders:\n" + entry.format("one", "Alpha"))
    (root / "b.yaml").write_text(
        "version: 1\nproviders:\n" + entry.format("two", "alpha") + entry.format("three", "three")
    )
    registry = await ProviderRegistry.open([str(root)], audit=False)
    with pytest.raises(DuplicateNameError) as raised:
        await registry.create("ollama", " ALPHA ", {}, file=str(root / "a.yaml"))
    assert raised.value.other_id == "one"
    with pytest.raises(DuplicateNameError) as raised:
        await registry.update("one", {"name": "ALPHA"})  # its own name, but 'two' has it too
    assert raised.value.other_id == "two"
    with pytest.raises(DuplicateNameError) as raised:
        await registry.update("three", {"name": "Alpha "})
    assert raised.value.other_id == "one"
    assert (await registry.update("three", {"name": "Three"})).name == "Three"
    created = await registry.create("ollama", "Alpha two", {}, file=str(root / "a.yaml"))
    assert created.id == "alpha-two"
    with pytest.raises(DuplicateNameError):
        await registry.create("ollama", "alpha TWO", {}, file=str(root / "b.yaml"))
    await registry.delete("alpha-two")
    again = await registry.create("ollama", "alpha TWO", {}, file=str(root / "b.yaml"))
    assert again.id == "alpha-two-2"  # a deleted instance's id is never reissued
