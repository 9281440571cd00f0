"""The Store: selector subscriptions, isolation of failing listeners, typed
events with their source, and structural sharing between revisions."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.registry import Backend

from provreg.catalog import builtin_catalog
from provreg.registry import (
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    RegistryState,
    Store,
)

pytestmark = pytest.mark.anyio

Calls = list[tuple[Any, Any]]


def recorder(calls: Calls) -> Any:
    def listener(new: Any, old: Any) -> None:
        calls.append((new, old))

    return listener


def bump(store: Store, **changes: Any) -> RegistryState:
    state = store.get_state()
    new = replace(state, revision=state.revision + 1, **changes)
    store.commit(new)
    return new


@pytest.fixture
def store() -> Store:
    return Store(RegistryState.empty(builtin_catalog()))


# --------------------------------------------------------------------------- Store alone


def test_whole_state_listener_runs_once_per_commit(store: Store) -> None:
    calls: Calls = []
    store.subscribe(recorder(calls))
    first = store.get_state()
    second = bump(store)
    third = bump(store)
    assert calls == [(second, first), (third, second)]
    store.commit(third)  # the very same state: nothing changed
    assert len(calls) == 2


def test_selector_listener_runs_only_when_its_slice_changes(store: Store) -> None:
    calls: Calls = []
    store.subscribe(recorder(calls), selector=lambda s: s.watch)
    bump(store)
    bump(store, conflicts=())
    assert calls == []
    bump(store, watch="watching")
    assert calls == [("watching", "stopped")]
    bump(store, watch="watching")
    bump(store)
    assert calls == [("watching", "stopped")]
    bump(store, watch="polling")
    assert calls == [("watching", "stopped"), ("polling", "watching")]


def test_equal_but_new_slices_do_not_fire(store: Store) -> None:
    calls: Calls = []
    # A selector that builds a new (equal) value on every call.
    store.subscribe(recorder(calls), selector=lambda s: (s.watch, tuple(s.instances)))
    for _ in range(3):
        bump(store)
    assert calls == []


def test_unsubscribe_stops_calls_and_is_idempotent(store: Store) -> None:
    calls: Calls = []
    events: list[Sequence[Event]] = []
    unsubscribe = store.subscribe(recorder(calls))
    unsubscribe_events = store.subscribe_events(events.append)
    bump(store)
    assert len(calls) == 1
    unsubscribe()
    unsubscribe()
    unsubscribe_events()
    unsubscribe_events()
    bump(store)
    store.commit(store.get_state(), [object()])  # type: ignore[list-item]
    assert len(calls) == 1
    assert events == []


def test_unsubscribing_one_listener_keeps_the_others(store: Store) -> None:
    a: Calls = []
    b: Calls = []
    listener = recorder(a)
    # The same function subscribed twice is two subscriptions.
    first = store.subscribe(listener)
    store.subscribe(listener)
    store.subscribe(recorder(b))
    first()
    bump(store)
    assert len(a) == 1
    assert len(b) == 1


def test_a_listener_unsubscribed_during_a_commit_is_not_called(store: Store) -> None:
    late: Calls = []
    unsubscribe_late: list[Any] = []

    def first(new: Any, old: Any) -> None:
        unsubscribe_late[0]()

    store.subscribe(first)
    unsubscribe_late.append(store.subscribe(recorder(late)))
    bump(store)
    assert late == []


def test_an_event_listener_unsubscribed_during_a_commit_is_not_called(store: Store) -> None:
    late: list[Sequence[Event]] = []
    unsubscribe_late: list[Any] = []
    store.subscribe_events(lambda events: unsubscribe_late[0]())
    unsubscribe_late.append(store.subscribe_events(late.append))
    store.commit(store.get_state(), ["e"])  # type: ignore[list-item]
    assert late == []


def test_a_raising_listener_is_logged_and_isolated(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    before: Calls = []
    after: Calls = []
    events: list[Sequence[Event]] = []

    def broken(new: Any, old: Any) -> None:
        raise RuntimeError("listener exploded")

    def broken_selector(state: RegistryState) -> Any:
        if state.revision > 0:
            raise ValueError("selector exploded")
        return state.revision

    def broken_events(batch: Sequence[Event]) -> None:
        raise KeyError("event listener exploded")

    store.subscribe(recorder(before))
    store.subscribe(broken)
    store.subscribe(lambda new, old: None, selector=broken_selector)
    store.subscribe_events(broken_events)
    store.subscribe(recorder(after))
    store.subscribe_events(events.append)
    with caplog.at_level(logging.ERROR, logger="provreg.store"):
        state = bump(store)
        store.commit(replace(state, revision=2), ["e"])  # type: ignore[list-item]
    assert len(before) == 2
    assert len(after) == 2
    assert events == [["e"]]
    messages = [r.getMessage() for r in caplog.records if r.name == "provreg.store"]
    # The raising listener twice, the listener whose selector raised twice.
    assert sum(m.startswith("store listener") for m in messages) == 4
    assert sum(".broken at" in m for m in messages) == 2
    assert sum("event listener" in m for m in messages) == 1
    errors = {str(r.exc_info[1]) for r in caplog.records if r.exc_info}
    assert {"listener exploded", "selector exploded", "'event listener exploded'"} <= errors
    # The failing listener does not keep firing for the same slice.
    store.commit(store.get_state())
    assert len(before) == 2


def test_state_is_immutable(store: Store) -> None:
    state = store.get_state()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.revision = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.instances["x"] = None  # type: ignore[index]


# --------------------------------------------------------------------------- through the registry


async def test_instance_selectors_fire_exactly_when_their_instance_changes(
    backend: Backend,
) -> None:
    registry = await backend.open()
    gemini: Calls = []
    count: Calls = []
    ids: Calls = []
    registry.store.subscribe(recorder(gemini), selector=lambda s: s.instances.get("gemini"))
    registry.store.subscribe(recorder(count), selector=lambda s: len(s.instances))
    registry.store.subscribe(recorder(ids), selector=lambda s: tuple(s.instances))

    await registry.update("work-openai", {"default_model": "gpt-5"})
    assert (gemini, count, ids) == ([], [], [])

    old = registry.get("gemini")
    await registry.update("gemini", {"default_model": "gemini-2.5-pro"})
    assert len(gemini) == 1
    new, previous = gemini[0]
    assert previous is old
    assert new is registry.get("gemini")
    assert new.values["default_model"] == "gemini-2.5-pro"
    assert (count, ids) == ([], [])

    await registry.create("groq", "New Groq", {})
    assert len(gemini) == 1
    assert count == [(9, 8)]
    assert len(ids) == 1 and "new-groq" in ids[0][0] and "new-groq" not in ids[0][1]

    await registry.delete("gemini")
    assert len(gemini) == 2 and gemini[1] == (None, new)
    assert count == [(9, 8), (8, 9)]
    assert len(ids) == 2


async def test_events_are_typed_and_carry_their_source(backend: Backend) -> None:
    registry = await backend.open()
    batches: list[list[Event]] = []
    registry.store.subscribe_events(lambda events: batches.append(list(events)))

    added = await registry.create("groq", "Evented", {}, source="cli")
    await registry.update("evented", {"default_model": "m", "name": "Evented 2"}, source="app")
    await registry.delete("evented", source="cli")
    instance_events = [[e for e in batch if not _is_diagnostic(e)] for batch in batches]
    assert len(instance_events) == 3
    (create,), (update,), (delete,) = instance_events
    assert isinstance(create, InstanceAdded)
    assert (create.instance, create.source) == (added, "cli")
    assert isinstance(update, InstanceUpdated)
    assert update.source == "app"
    assert update.changed_fields == ("name", "default_model")
    assert update.previous == added
    assert update.instance.name == "Evented 2"
    assert isinstance(delete, InstanceRemoved)
    assert (delete.instance.id, delete.source) == ("evented", "cli")


async def test_an_external_edit_is_published_as_external(
    yaml_backend: Backend, sample_dir: Path
) -> None:
    registry = await yaml_backend.open()
    batches: list[list[Event]] = []
    registry.store.subscribe_events(lambda events: batches.append(list(events)))
    hosted = sample_dir / "providers" / "hosted.yaml"
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    await registry.reload()
    assert len(batches) == 1
    (event,) = batches[0]
    assert isinstance(event, InstanceUpdated)
    assert event.source == "external"
    assert event.changed_fields == ("default_model",)
    assert event.instance.id == "gemini"


async def test_one_commit_with_many_changes_notifies_once(
    yaml_backend: Backend, sample_dir: Path
) -> None:
    registry = await yaml_backend.open()
    calls: Calls = []
    batches: list[list[Event]] = []
    registry.store.subscribe(recorder(calls), selector=lambda s: s.instances)
    registry.store.subscribe_events(lambda events: batches.append(list(events)))
    hosted = sample_dir / "providers" / "hosted.yaml"
    local = sample_dir / "providers" / "local.yaml"
    hosted.write_text(hosted.read_text().replace("gpt-4.1", "gpt-5").replace("flash", "pro"))
    local.write_text(local.read_text().replace("llama3.2", "qwen3"))
    await registry.reload()
    assert len(calls) == 1
    assert len(batches) == 1
    updated = sorted(e.instance.id for e in batches[0] if isinstance(e, InstanceUpdated))
    assert updated == ["gemini", "local-ollama", "work-openai"]


async def test_no_events_and_no_listener_calls_when_nothing_changed(
    yaml_backend: Backend,
) -> None:
    registry = await yaml_backend.open()
    calls: Calls = []
    batches: list[Any] = []
    registry.store.subscribe(recorder(calls), selector=lambda s: s.instances)
    registry.store.subscribe_events(batches.append)
    await registry.reload()
    await registry.reload()
    assert batches == []
    assert calls == []


async def test_commits_share_unchanged_instances(yaml_backend: Backend) -> None:
    registry = await yaml_backend.open()
    before = registry.snapshot()
    await registry.update("gemini", {"default_model": "gemini-2.5-pro"})
    after = registry.snapshot()
    assert after.revision > before.revision
    for instance_id, instance in after.instances.items():
        if instance_id == "gemini":
            assert instance is not before.instances["gemini"]
        else:
            assert instance is before.instances[instance_id], instance_id
    # Diagnostics of files that were not written are shared too.
    for file, diagnostics in after.diagnostics.items():
        if file != registry.get("gemini").file:
            assert diagnostics is before.diagnostics[file]
    # A reload that finds nothing new shares everything.
    await registry.reload()
    reloaded = registry.snapshot()
    assert all(reloaded.instances[i] is after.instances[i] for i in after.instances)


async def test_memory_grows_with_changes_not_with_revisions(backend: Backend) -> None:
    registry = await backend.open()
    snapshots = [registry.snapshot()]
    # Edit the last instance of its file so no other instance moves lines.
    for n in range(30):
        await registry.update("team-openrouter", {"default_model": f"model-{n}"})
        snapshots.append(registry.snapshot())
    distinct = {id(i) for state in snapshots for i in state.instances.values()}
    # 8 originals + one new object per edit: O(n + changes), not O(n * revisions).
    assert len(distinct) == 8 + 30


def _is_diagnostic(event: Event) -> bool:
    return type(event).__name__ == "DiagnosticsChanged"


async def test_external_edits_picked_up_by_an_app_write_are_labelled_external(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    # The user edits one instance in vim; before the watcher reloads, the app
    # writes another instance of the same file. The write re-reads the file,
    # so the commit carries both changes: only the app's is the app's.
    from provreg.registry import AuditLog

    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    registry = await yaml_backend.open(audit=audit)
    batches: list[list[Event]] = []
    registry.store.subscribe_events(lambda events: batches.append(list(events)))
    hosted = sample_dir / "providers" / "hosted.yaml"
    text = hosted.read_text()
    hosted.write_text(text.replace("claude-sonnet-4-5", "claude-opus-4-5"))

    await registry.update("work-openai", {"default_model": "gpt-5"}, source="cli")

    assert registry.get("personal-anthropic").values["default_model"] == "claude-opus-4-5"
    (batch,) = batches
    sources = {e.instance.id: e.source for e in batch if isinstance(e, InstanceUpdated)}
    assert sources == {"work-openai": "cli", "personal-anthropic": "external"}
    logged = {e["instance_id"]: e["source"] for e in audit.read()}
    assert logged == {"work-openai": "cli", "personal-anthropic": "external"}
