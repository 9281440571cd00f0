"""Commits relink only the files they changed (and the files sharing an id or a
name with them): the state and events must be the ones a whole linking gives.

Random sequences of per-file changes over files rich in cross-file findings
(derived ids made unique, duplicate explicit ids, duplicate names, ids a
derived one collides with, files that break and serve their last good
version), each commit compared with `config.linking.link` over all files and
with an assembly that starts from no cache.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from provreg.catalog import builtin_catalog
from provreg.config import codes
from provreg.config.ids import slugify, tried_ids, unique_id
from provreg.config.read.linking import FAMILY_LENGTH, id_family, link
from provreg.config.read.results import FileResult
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance
from provreg.registry.assemble import assemble_state
from provreg.registry.events import (
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
)
from provreg.registry.relink import LinkCache
from provreg.registry.state import RegistryState
from provreg.storage.backend import StoredState

DISPLAYS = ("a.yaml", "b.yaml", "c/c.yaml", "c/d.yaml", "e.yaml", "f.yaml", "g/h.yaml")
LONG = "x" * 70  # slugs are cut at 63 characters, suffixes cut into them
NAMES = ("Alpha", "ALPHA ", "Alpha 2", "Beta", "beta", "Gamma", LONG, "Delta", "Eps", "Zeta")
EXPLICIT_IDS = ("alpha", "alpha-2", "alpha-3", "beta", "gamma", "x" * 61 + "-2", "delta", "zeta")


def _instance(rng: random.Random, file: str, line: int) -> ProviderInstance:
    name = rng.choice(NAMES) if rng.random() < 0.7 else f"Unique {rng.randrange(10**6)}"
    derived = rng.random() < 0.35
    instance_id = slugify(name) if derived else rng.choice(EXPLICIT_IDS + (f"u{line}",))
    return ProviderInstance.model_construct(
        id=instance_id,
        name=name,
        provider="ollama",
        values={"default_model": rng.choice(("m1", "m2"))},
        file=file,
        line=line,
        column=5,
        id_derived=derived,
    )


def _result(rng: random.Random, display: str, count: int) -> FileResult:
    instances = tuple(_instance(rng, display, 3 + 4 * index) for index in range(count))
    return FileResult(display, display, None, instances, (), ())


def _broken(display: str) -> FileResult:
    error = diagnostic(codes.YAML_SYNTAX, display, 1, 1, "broken")
    return FileResult(display, display, None, (), (), (error,))


def _mutate(rng: random.Random, result: FileResult) -> FileResult:
    """One edit of a file: a value, a name, an entry added, removed or moved, or
    a value whose edit added or removed a line (those below move)."""
    instances = list(result.instances)
    kind = rng.choice(("value", "name", "add", "remove", "swap", "same-again", "grow", "shrink"))
    if kind in ("grow", "shrink") and instances:
        # As storage commits such a write: the instances below are copies at
        # their new lines sharing their values, the others the same objects.
        index = rng.randrange(len(instances))
        below = instances[index + 1 :]
        delta = (
            -1
            if kind == "shrink"
            and all(
                instance.line - 1 > instances[at].line
                for at, instance in enumerate(below, start=index)
            )
            else 1
        )
        instances[index] = instances[index].model_copy(
            update={"values": {"default_model": f"m{rng.randrange(100)}"}}
        )
        instances[index + 1 :] = [
            instance.model_copy(update={"line": instance.line + delta}) for instance in below
        ]
        return result.model_copy(update={"instances": tuple(instances)})
    if kind == "value" and instances:
        index = rng.randrange(len(instances))
        instances[index] = instances[index].model_copy(
            update={"values": {"default_model": f"m{rng.randrange(100)}"}}
        )
    elif kind == "name" and instances:
        index = rng.randrange(len(instances))
        fresh = _instance(rng, result.display, instances[index].line)
        instances[index] = fresh
    elif kind == "add":
        at = rng.randrange(len(instances) + 1)
        instances.insert(at, _instance(rng, result.display, 0))
    elif kind == "remove" and instances:
        del instances[rng.randrange(len(instances))]
    elif kind == "swap" and len(instances) > 1:
        i, j = rng.sample(range(len(instances)), 2)
        instances[i], instances[j] = instances[j], instances[i]
    # Lines follow positions, as a re-read would give them (a reread file is a
    # new tuple even when nothing changed: "same-again").
    renumbered = tuple(
        instance
        if instance.line == 3 + 4 * index
        else instance.model_copy(update={"line": 3 + 4 * index})
        for index, instance in enumerate(instances)
    )
    return result.model_copy(update={"instances": renumbered})


def _expected_events(before: RegistryState, after: RegistryState) -> list[tuple[Any, ...]]:
    """Instance events between two states, computed over every instance."""
    events: list[tuple[Any, ...]] = []
    for instance_id, instance in after.instances.items():
        old = before.instances.get(instance_id)
        if old is None:
            events.append(("added", instance))
        elif old != instance and (
            (old.name, old.provider, old.file, old.values)
            != (instance.name, instance.provider, instance.file, instance.values)
        ):
            events.append(("updated", instance, old))
    for instance_id, old in before.instances.items():
        if instance_id not in after.instances:
            events.append(("removed", old))
    return events


def _instance_events(events: list[Event]) -> list[tuple[Any, ...]]:
    shown: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, InstanceAdded):
            shown.append(("added", event.instance))
        elif isinstance(event, InstanceUpdated):
            shown.append(("updated", event.instance, event.previous))
        elif isinstance(event, InstanceRemoved):
            shown.append(("removed", event.instance))
    return shown


def _check_against_link(state: RegistryState, effective: list[FileResult]) -> None:
    """The state serves what `link` over all files gives, in its order."""
    instances, cross = link(effective)
    assert list(state.instances) == [instance.id for instance in instances]
    assert list(state.instances.values()) == list(instances)
    for result in effective:
        expected = sorted(
            [*result.diagnostics, *(d for d in cross if d.file == result.display)],
            key=Diagnostic.sort_key,
        )
        assert list(state.diagnostics[result.display]) == expected, result.display
        ids = tuple(i.id for i in instances if i.file == result.display)
        assert state.files[result.display].instance_ids == ids


@pytest.mark.parametrize("seed", range(12))
def test_relinking_matches_a_whole_linking(seed: int) -> None:
    rng = random.Random(seed)
    catalog = builtin_catalog()
    current: dict[str, FileResult] = {
        display: _result(rng, display, rng.randrange(0, 6)) for display in DISPLAYS[:3]
    }
    last_good: dict[str, FileResult] = {}
    last_good_fresh: dict[str, FileResult] = {}
    cache = LinkCache()
    state = RegistryState.empty(catalog)
    fresh_state = state
    for step in range(60):
        if step:
            action = rng.random()
            display = rng.choice(DISPLAYS)
            if action < 0.55 and display in current:
                current[display] = _mutate(rng, current[display])
            elif action < 0.65:
                current[display] = _result(rng, display, rng.randrange(0, 6))
            elif action < 0.72:
                current.pop(display, None)
            elif action < 0.82 and display in current:
                current[display] = _broken(display)
            elif action < 0.88:
                for other in rng.sample(sorted(current), min(2, len(current))):
                    current[other] = _mutate(rng, current[other])
            # else: a commit that changed nothing
        stored = StoredState(
            tuple(current[display] for display in DISPLAYS if display in current), catalog
        )
        new_state, events = assemble_state(
            state, stored, last_good, float(step), "external", initial=step == 0, link_cache=cache
        )
        fresh, fresh_events = assemble_state(
            fresh_state, stored, last_good_fresh, float(step), "external", initial=step == 0
        )
        assert list(new_state.instances.items()) == list(fresh.instances.items())
        assert dict(new_state.diagnostics) == dict(fresh.diagnostics)
        assert list(new_state.diagnostics) == list(fresh.diagnostics)
        assert dict(new_state.files) == dict(fresh.files)
        assert new_state.stale_ids == fresh.stale_ids
        effective = [
            result.model_copy(update={"instances": last_good[result.display].instances})
            if not result.ok and result.display in last_good
            else result
            for result in stored.files
        ]
        _check_against_link(new_state, effective)
        if step:
            assert _instance_events(events) == _expected_events(state, new_state)
            assert [type(e) for e in events] == [type(e) for e in fresh_events]
            assert events == fresh_events
        # Unchanged instances stay the same objects from one state to the next.
        for instance_id, instance in new_state.instances.items():
            old = state.instances.get(instance_id)
            if old is not None and old == instance:
                assert old is instance
        state, fresh_state = new_state, new_state


def test_relinking_pulls_in_files_sharing_a_name_or_an_id() -> None:
    """Renaming in one file changes another file's duplicate-name finding."""
    catalog = builtin_catalog()

    def instance(file: str, instance_id: str, name: str, *, derived: bool = False) -> Any:
        return ProviderInstance.model_construct(
            id=instance_id,
            name=name,
            provider="ollama",
            values={},
            file=file,
            line=3,
            column=5,
            id_derived=derived,
        )

    a = FileResult("a.yaml", "a.yaml", None, (instance("a.yaml", "one", "Same"),), (), ())
    b = FileResult("b.yaml", "b.yaml", None, (instance("b.yaml", "two", "same"),), (), ())
    c = FileResult(
        "c.yaml", "c.yaml", None, (instance("c.yaml", "gamma", "Gamma", derived=True),), (), ()
    )
    cache = LinkCache()
    state, _ = assemble_state(
        RegistryState.empty(catalog),
        StoredState((a, b, c), catalog),
        {},
        0.0,
        "external",
        initial=True,
        link_cache=cache,
    )
    assert [d.code for d in state.diagnostics["b.yaml"]] == [codes.DUPLICATE_NAME.code]
    renamed = FileResult("a.yaml", "a.yaml", None, (instance("a.yaml", "one", "Other"),), (), ())
    state, events = assemble_state(
        state, StoredState((renamed, b, c), catalog), {}, 1.0, "external", link_cache=cache
    )
    assert state.diagnostics["b.yaml"] == ()
    assert [type(e).__name__ for e in events] == ["InstanceUpdated", "DiagnosticsChanged"]
    # An explicit id in a.yaml takes the id c.yaml's derived one had.
    taken = FileResult("a.yaml", "a.yaml", None, (instance("a.yaml", "gamma", "Other"),), (), ())
    state, events = assemble_state(
        state, StoredState((taken, b, c), catalog), {}, 2.0, "external", link_cache=cache
    )
    assert list(state.instances) == ["gamma", "two", "gamma-2"]
    _check_against_link(state, [taken, b, c])
    # b.yaml's derived id tries 'one' (its own explicit id), then 'one-2', which
    # a.yaml claims though it shares no name or id b.yaml states.
    claims = FileResult("a.yaml", "a.yaml", None, (instance("a.yaml", "one-2", "Other"),), (), ())
    state, _ = assemble_state(
        state, StoredState((claims, b, c), catalog), {}, 3.0, "external", link_cache=cache
    )
    probing = FileResult(
        "b.yaml",
        "b.yaml",
        None,
        (instance("b.yaml", "one", "Explicit"), instance("b.yaml", "one", "One", derived=True)),
        (),
        (),
    )
    state, _ = assemble_state(
        state, StoredState((claims, probing, c), catalog), {}, 4.0, "external", link_cache=cache
    )
    assert list(state.instances) == ["one-2", "one", "one-3", "gamma"]
    _check_against_link(state, [claims, probing, c])


@pytest.mark.parametrize("base", ["groq", "x" * 61, "x" * 62, "x" * 63])
def test_tried_ids_are_the_ids_unique_id_tries(base: str) -> None:
    taken: set[str] = set()
    tried = tried_ids(base)
    for _ in range(12):
        # unique_id returns the first id of its sequence not taken: with every
        # earlier one taken, that is the next id of the sequence.
        expected = unique_id(base, taken)
        assert next(tried) == expected
        # The keys a file claims cover every id its derived id may try.
        assert base[:FAMILY_LENGTH] in id_family(expected)
        taken.add(expected)


def _named(file: str, name: str, line: int, instance_id: str | None = None) -> ProviderInstance:
    return ProviderInstance.model_construct(
        id=instance_id or slugify(name),
        name=name,
        provider="ollama",
        values={},
        file=file,
        line=line,
        column=5,
        id_derived=instance_id is None,
    )


def test_many_derived_ids_from_one_name() -> None:
    catalog = builtin_catalog()
    crowd = FileResult(
        "a.yaml", "a.yaml", None, tuple(_named("a.yaml", "Groq", 3 + i) for i in range(30)), (), ()
    )
    other = FileResult("b.yaml", "b.yaml", None, (_named("b.yaml", "Other", 3, "other"),), (), ())
    cache = LinkCache()
    state, _ = assemble_state(
        RegistryState.empty(catalog),
        StoredState((crowd, other), catalog),
        {},
        0.0,
        "external",
        initial=True,
        link_cache=cache,
    )
    assert list(state.instances)[:3] == ["groq", "groq-2", "groq-3"]
    for step, instance_id in enumerate(("groq-7", "solo", "groq-31")):
        changed = FileResult(
            "b.yaml", "b.yaml", None, (_named("b.yaml", "Other", 3, instance_id),), (), ()
        )
        state, _ = assemble_state(
            state,
            StoredState((crowd, changed), catalog),
            {},
            1.0 + step,
            "external",
            link_cache=cache,
        )
        _check_against_link(state, [crowd, changed])


@pytest.mark.parametrize("name", ["Groq", LONG])
def test_more_derived_ids_from_one_name_than_families_cover(name: str) -> None:
    """Past `base-99` the registry links everything on each commit: the result
    still equals a whole linking, before, during and after such a crowd (with
    a long name, the tries keep the base's first 50 characters)."""
    catalog = builtin_catalog()
    tries = list(itertools.islice(tried_ids(slugify(name)), 130))

    def crowd(count: int) -> FileResult:
        named = tuple(_named("a.yaml", name, 3 + i) for i in range(count))
        return FileResult("a.yaml", "a.yaml", None, named, (), ())

    other = FileResult("b.yaml", "b.yaml", None, (_named("b.yaml", "Other", 3, "other"),), (), ())
    cache = LinkCache()
    state, _ = assemble_state(
        RegistryState.empty(catalog),
        StoredState((crowd(10), other), catalog),
        {},
        0.0,
        "external",
        initial=True,
        link_cache=cache,
    )
    # (crowd size, the other file's explicit id as an index into the tries, or a plain id)
    steps: list[tuple[int, int | str]] = [(120, 109), (120, 6), (120, "solo"), (120, 120)]
    steps += [(20, 109), (20, 11), (105, 99), (30, 24), (105, 104), (105, "solo")]
    for step, (count, taken) in enumerate(steps):
        instance_id = tries[taken] if isinstance(taken, int) else taken
        changed = FileResult(
            "b.yaml", "b.yaml", None, (_named("b.yaml", "Other", 3, instance_id),), (), ()
        )
        effective = [crowd(count), changed]
        state, _ = assemble_state(
            state,
            StoredState(tuple(effective), catalog),
            {},
            1.0 + step,
            "external",
            link_cache=cache,
        )
        _check_against_link(state, effective)


def test_an_instance_filed_under_another_display_is_linked_the_flat_way() -> None:
    """No backend does this; the registry then links every instance, as it always did."""
    catalog = builtin_catalog()
    plain = FileResult("a.yaml", "a.yaml", None, (_named("a.yaml", "Odd", 3),), (), ())
    odd = FileResult("b.yaml", "b.yaml", None, (_named("elsewhere.yaml", "Odd", 3, "odd"),), (), ())
    cache = LinkCache()
    for step in range(2):
        state, _ = assemble_state(
            RegistryState.empty(catalog),
            StoredState((plain, odd), catalog),
            {},
            0.0,
            "external",
            initial=step == 0,
            link_cache=cache,
        )
        instances, cross = link([plain, odd])
        assert list(state.instances.values()) == list(instances)
        assert list(state.instances) == ["odd-2", "odd"]
        assert state.files["b.yaml"].instance_ids == ()
        assert list(state.diagnostics) == ["a.yaml", "b.yaml", "elsewhere.yaml"]
        assert [d.code for d in state.diagnostics["elsewhere.yaml"]] == [codes.DUPLICATE_NAME.code]
