"""Updates verified and revalidated on their item's lines (`config.edit.local_edit`,
`YamlDirectoryStorage._commit_local`, `LinkCache._relink_in_place`) give what
the full way gives.

- `update_item_locally`, on texts with comments, flow values, block scalars,
  quoting, CRLF, indentless lists, anchors and trailing keys: whenever it
  answers, its text is the full edit's text, the whole text parses to the
  intended document, and the item's node and the new index are those of a
  whole parse.
- Through the registry, on real files in a temp dir: after random sequences of
  updates (values replaced, fields added and removed, names that collide, ids
  that become explicit), external edits and reloads, the registry holds what a
  fresh open of the same files gives, and the local path was taken.
- The first update of a file after it was read (an open, a reload after an
  outside edit) is local too, from the item index kept by the read; a file
  that changed on disk since it was read is edited the full way; every index
  the storage keeps for bytes still on disk is the index of those bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from helpers.registry import assert_state_like_a_fresh_open
from yaml.nodes import MappingNode, Node, SequenceNode

import provreg.config.read.load_set as load_set_module
from provreg.config.edit import REMOVE, EditError, InstanceKey, update_instance_verified
from provreg.config.edit.local_edit import item_index, update_item_locally
from provreg.config.read.yaml_source import mapping_entry, parse_text
from provreg.registry import (
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ProviderRegistry,
    RegistryError,
)
from provreg.registry.relink import LinkCache
from provreg.registry.state import RegistryState
from provreg.storage.backend import StorageError
from provreg.storage.yaml_dir import YamlDirectoryStorage

NAMES = ("Alpha", "ALPHA", " alpha 2", "Alpha!", "Alpha?", "Beta", "beta ", "Gamma")
IDS = ("alpha", "alpha-2", "beta", "gamma", "delta", "eps")
MODELS = ("m0", "m1", "m2", "it's", 'say "hi"', "#not-a-comment", "a: b", "- x", "", "line\nbreak")


def _value(rng: random.Random, value: str) -> str:
    style = rng.randrange(4)
    if style == 0 and value and value == value.strip() and value.isalnum():
        return value
    if style == 1 and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value)


def _item(rng: random.Random, dash: str, indent: str, anchors: bool, ids: list[str]) -> list[str]:
    name = rng.choice(NAMES) if rng.random() < 0.7 else f"Unique {rng.randrange(10**6)}"
    lines = []
    if rng.random() < 0.3:
        lines.append(f"{dash[:-2]}# about the next one")
    if rng.random() < 0.03:
        # A flow mapping item: the local proof does not apply to it.
        ident = f"id: {ids.pop()}, " if ids and rng.random() < 0.6 else ""
        return [*lines, f"{dash}{{{ident}name: {json.dumps(name)}, provider: ollama}}"]
    if ids and rng.random() < 0.6:
        lines += [f"{dash}id: {ids.pop()}", f"{indent}name: {json.dumps(name)}"]
    else:
        lines.append(f"{dash}name: {json.dumps(name)}")
    lines.append(f"{indent}provider: ollama")
    if rng.random() < 0.8:
        comment = "  # the model" if rng.random() < 0.3 else ""
        lines.append(f"{indent}default_model: {_value(rng, rng.choice(MODELS[:3]))}{comment}")
    if rng.random() < 0.3:
        lines.append(f"{indent}models: [m0, m1]")
    if rng.random() < 0.2:
        lines += [f"{indent}description: |", f"{indent}  first line", "", f"{indent}  # kept"]
    if rng.random() < 0.15:
        lines.append(f"{indent}x_note: 1")  # unknown field: a warning on this item
    if anchors and rng.random() < 0.3:
        lines.append(f"{indent}base_url: &u{rng.randrange(10**9)} http://localhost:1")
    if rng.random() < 0.2:
        lines.append(f"{indent}  # a note under the keys")
    if rng.random() < 0.3:
        lines.append("")
    return lines


def _file_text(rng: random.Random, count: int) -> str:
    column = rng.choice((0, 2, 2, 4))
    dash = " " * column + "- "
    indent = " " * (column + 2)
    anchors = rng.random() < 0.1
    lines = ["# written by the test"]
    if rng.random() < 0.8:
        lines.append("version: 1")  # else a diagnostic of the read (assumed version)
    lines.append("providers:")
    # An id twice in a file is an error, and a file with errors serves its last
    # good version: each explicit id once per file (files share them).
    ids = rng.sample(IDS, len(IDS))
    for _ in range(count):
        lines += _item(rng, dash, indent, anchors, ids)
    if rng.random() < 0.3:
        lines += ["# after the list", "definitions: []"]
    text = "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")
    return text.replace("\n", "\r\n") if rng.random() < 0.1 else text


def _change(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.15:
        return {"name": rng.choice(NAMES)}
    if roll < 0.25:
        return {"default_model": REMOVE}
    if roll < 0.35:
        return {"base_url": f"http://localhost:{rng.randrange(1, 9)}"}
    if roll < 0.4:
        return {"models": ["m0", "m1", rng.choice(MODELS)]}
    return {"default_model": rng.choice(MODELS)}


def _marks(node: Node) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        for mark in (current.start_mark, current.end_mark):
            found.append((mark.index, mark.line, mark.column))
        if isinstance(current, MappingNode):
            stack.extend(part for pair in current.value for part in pair)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
    return found


@pytest.mark.parametrize("seed", range(40))
def test_a_local_update_is_the_full_update(seed: int) -> None:
    rng = random.Random(seed)
    answered = 0
    for _ in range(15):
        text = _file_text(rng, rng.randrange(1, 6))
        doc = parse_text(text, "<test>")
        items = None if doc.failed else item_index(text, doc)
        if items is None:
            continue
        values = doc.value["providers"]
        for _ in range(6):
            target = rng.choice(values)
            name = target.get("name")
            key = InstanceKey(
                target.get("id") or "-", name if isinstance(name, str) else "", "id" not in target
            )
            change = _change(rng)
            local = update_item_locally(text, items, values, key, change)
            if local is None:
                continue
            answered += 1
            full = update_instance_verified(text, key, change)
            assert local.text == full.text
            whole = parse_text(local.text, "<verify>")
            assert whole.value == full.document.value if full.document else True
            assert not whole.diagnostics
            node = mapping_entry(whole.root, "providers")[1].value[local.index]
            assert _marks(local.node) == _marks(node)
            assert local.value == whole.value["providers"][local.index]
            assert local.items == item_index(local.text, whole)
            text, items, values = local.text, local.items, whole.value["providers"]
    assert answered


def test_the_local_proof_does_not_apply_where_the_file_shares_or_redefines() -> None:
    base = "version: 1\nproviders:\n  - id: a\n    name: A\n    provider: ollama\n"
    assert item_index(base, parse_text(base, "<t>")) is not None
    for text in (
        base + "  - id: b\n    name: B\n    provider: ollama\n    default_model: &m x\n",
        base.replace("    provider", "    <<: {provider: ollama}\n    x"),
        "%YAML 1.1\n---\n" + base,
        base.replace("\n", "\r"),
        "version: 1\nproviders: [{id: a, name: A, provider: ollama}]\n",
        base.replace("  - id: a\n    name", "  -\n    id: a\n    name"),
    ):
        doc = parse_text(text, "<t>")
        assert doc.failed or item_index(text, doc) is None, text


def test_a_value_with_line_breaks_stays_on_its_line() -> None:
    text = "version: 1\nproviders:\n  - id: a\n    name: A\n    default_model: m\nx: 1\n"
    doc = parse_text(text, "<t>")
    items = item_index(text, doc)
    assert items is not None
    values = doc.value["providers"]
    key = InstanceKey("a", "A")
    local = update_item_locally(text, items, values, key, {"default_model": "\n---\nx"})
    assert local is not None
    assert parse_text(local.text, "<t>").value["providers"][0]["default_model"] == "\n---\nx"
    assert local.line_delta == 0
    added = update_item_locally(text, items, values, key, {"base_url": "http://h"})
    assert added is not None and added.line_delta == 1
    assert added.items.end_line == items.end_line + 1


# --------------------------------------------------------------------------- through the registry

FILES = ("a.yaml", "b.yaml", "team/c.yaml")


def _changed_ids(before: RegistryState, after: RegistryState) -> set[str]:
    """Ids added, removed, or whose name, provider, file or values changed."""

    def seen(state: RegistryState) -> dict[str, Any]:
        return {
            key: (i.name, i.provider, i.file, dict(i.values)) for key, i in state.instances.items()
        }

    old, new = seen(before), seen(after)
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _without_an_id(rng: random.Random, text: str) -> str:
    """An outside edit: one entry loses its `id:` (its id becomes derived)."""
    lines = text.split("\n")
    places = [k for k, line in enumerate(lines) if line.lstrip(" ").startswith("- id: ")]
    if not places:
        return text
    k = rng.choice(places)
    rest = lines[k + 1].lstrip(" ")
    if not rest.startswith("name:"):
        return text
    lines[k : k + 2] = [lines[k].split("id:")[0] + rest]
    return "\n".join(lines)


def _answered(monkeypatch: pytest.MonkeyPatch, owner: type, method: str) -> list[bool]:
    """Whether each call of `owner.method` (a local path that answers None when
    it cannot show its result) answered, in order."""
    answers: list[bool] = []
    original = getattr(owner, method)

    def recording(self: Any, *args: Any) -> Any:
        result = original(self, *args)
        answers.append(result is not None)
        return result

    monkeypatch.setattr(owner, method, recording)
    return answers


async def _same_as_fresh(registry: ProviderRegistry, root: Path) -> None:
    fresh = await ProviderRegistry.open([str(root)], audit=False)
    assert_state_like_a_fresh_open(registry.snapshot(), fresh.snapshot())


@pytest.mark.anyio
@pytest.mark.parametrize("seed", range(20))
async def test_updates_match_a_fresh_open(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_commits = _answered(monkeypatch, YamlDirectoryStorage, "_commit_local")
    rng = random.Random(seed)
    root = tmp_path / "config"
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_file_text(rng, rng.randrange(2, 8)), newline="")
    registry = await ProviderRegistry.open([str(root)], audit=False)
    events: list[Event] = []
    registry.store.subscribe_events(events.extend)
    await _same_as_fresh(registry, root)
    for _ in range(40):
        state = registry.snapshot()
        events.clear()
        roll = rng.random()
        if roll < 0.04:
            # Another process (`provreg edit`): its first writes use the
            # indexes its load kept.
            registry = await ProviderRegistry.open([str(root)], audit=False)
            registry.store.subscribe_events(events.extend)
        elif roll < 0.06:
            rel = rng.choice(FILES)
            (root / rel).write_text(_file_text(rng, rng.randrange(1, 8)), newline="")
            await registry.reload([str(root / rel)])
        elif roll < 0.12:
            path = root / rng.choice(FILES)
            path.write_bytes(_without_an_id(rng, path.read_bytes().decode()).encode())
            await registry.reload([str(path)])
        elif state.instances:
            target = rng.choice(list(state.instances.values()))
            try:
                await registry.update(target.id, _change(rng))
            except (RegistryError, StorageError, EditError):
                pass  # refused (a duplicate name, a file with errors): nothing written
        await _same_as_fresh(registry, root)
        shown = {
            event.instance.id
            for event in events
            if isinstance(event, InstanceAdded | InstanceUpdated | InstanceRemoved)
        }
        assert shown == _changed_ids(state, registry.snapshot())
        _indexes_describe_the_disk(registry)
    assert any(local_commits), local_commits


def _storage(registry: ProviderRegistry) -> YamlDirectoryStorage:
    storage = registry.storage
    assert isinstance(storage, YamlDirectoryStorage)
    return storage


def _indexes_describe_the_disk(registry: ProviderRegistry) -> None:
    """Every item index the storage keeps for bytes a file still holds is the
    index a whole parse of those bytes gives (an index of other bytes is never
    used: `_local_edit` compares the hash first)."""
    storage = _storage(registry)
    for display, (digest, items) in storage._item_indexes.items():
        data = Path(storage._parsed[display].path).read_bytes()
        if hashlib.sha256(data).hexdigest() == digest:
            text = data.decode("utf-8-sig")
            assert items == item_index(text, parse_text(text, "<t>")), display


def _three_items(root: Path) -> Path:
    root.mkdir()
    path = root / "a.yaml"
    entries = "".join(
        f"  - id: {name}  # {name}'s\n    name: {name.title()}\n    provider: ollama\n"
        f"    default_model: m0\n\n"
        for name in ("alpha", "beta", "gamma")
    )
    path.write_text(f"# mine\nversion: 1\nproviders:\n{entries}definitions: []\n")
    return path


@pytest.mark.anyio
async def test_the_first_update_after_an_open_is_local(
    tmp_path: Path, edit_parses: list[str]
) -> None:
    path = _three_items(tmp_path / "config")
    before = path.read_text()
    registry = await ProviderRegistry.open([str(tmp_path / "config")], audit=False)
    await registry.update("beta", {"default_model": "m1", "base_url": "http://h:1"})
    assert edit_parses == ["<item>", "<item>"]  # no whole-file parse
    expected = update_instance_verified(
        before,
        InstanceKey("beta", "Beta", False),
        {"default_model": "m1", "base_url": "http://h:1"},
    ).text
    assert path.read_text() == expected
    await _same_as_fresh(registry, tmp_path / "config")
    _indexes_describe_the_disk(registry)


@pytest.mark.anyio
async def test_a_file_changed_since_it_was_read_is_edited_the_full_way(
    tmp_path: Path, edit_parses: list[str]
) -> None:
    path = _three_items(tmp_path / "config")
    registry = await ProviderRegistry.open([str(tmp_path / "config")], audit=False)
    # An outside edit the registry has not seen (no reload): a line more above
    # beta, so the index kept by the open would splice the wrong lines.
    outside = path.read_text().replace("  - id: alpha", "  - id: alpha\n    keep_alive: 1m")
    path.write_text(outside)
    await registry.update("beta", {"default_model": "m1"})
    assert edit_parses == ["<edit>", "<verify>"]
    expected = update_instance_verified(
        outside, InstanceKey("beta", "Beta", False), {"default_model": "m1"}
    ).text
    assert path.read_text() == expected
    await _same_as_fresh(registry, tmp_path / "config")
    _indexes_describe_the_disk(registry)
    edit_parses.clear()
    await registry.update("gamma", {"default_model": "m2"})  # the write's index
    assert edit_parses == ["<item>", "<item>"]
    await _same_as_fresh(registry, tmp_path / "config")


@pytest.mark.anyio
async def test_a_reload_after_an_outside_edit_keeps_the_index_of_the_new_bytes(
    tmp_path: Path, edit_parses: list[str]
) -> None:
    path = _three_items(tmp_path / "config")
    registry = await ProviderRegistry.open([str(tmp_path / "config")], audit=False)
    outside = path.read_text().replace(
        "providers:\n", "providers:\n  - id: zeta\n    name: Zeta\n    provider: ollama\n"
    )
    path.write_text(outside)
    await registry.reload([str(path)])
    await registry.update("gamma", {"default_model": "m3"})
    assert edit_parses == ["<item>", "<item>"]
    expected = update_instance_verified(
        outside, InstanceKey("gamma", "Gamma", False), {"default_model": "m3"}
    ).text
    assert path.read_text() == expected
    await _same_as_fresh(registry, tmp_path / "config")
    # A reload to a file the local proof does not cover forgets the index.
    path.write_text(path.read_text().replace("default_model: m0", "default_model: &m m0", 1))
    await registry.reload([str(path)])
    assert "a.yaml" not in {os.path.basename(d) for d in _storage(registry)._item_indexes}
    edit_parses.clear()
    await registry.update("gamma", {"default_model": "m4"})
    assert edit_parses == ["<edit>", "<verify>"]
    await _same_as_fresh(registry, tmp_path / "config")


@pytest.mark.anyio
async def test_pinning_derived_ids_relinks_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Derived ids shared across files (`alpha`, `alpha-2`, ...) pinned one by
    one: each first edit writes `id:` (a line more) and relinks nothing."""
    in_place = _answered(monkeypatch, LinkCache, "_relink_in_place")
    root = tmp_path / "config"
    root.mkdir()
    for index, rel in enumerate(("a.yaml", "b.yaml", "c.yaml")):
        # Names that differ (no duplicate name, whose message would quote a
        # line that moves) and derive the same id.
        entries = "".join(
            f"  - name: Alpha{ending * (index + 1)}\n    provider: ollama\n    default_model: m0\n"
            for ending in ("!", "?", ".")
        )
        text = "# shared bases\nversion: 1\nproviders:\n" + entries
        (root / rel).write_text(text)
    registry = await ProviderRegistry.open([str(root)], audit=False)
    derived = [i.id for i in registry.snapshot().instances.values() if i.id_derived]
    assert derived[:3] == ["alpha", "alpha-2", "alpha-3"]
    rng = random.Random(7)
    for instance_id in rng.sample(derived, len(derived)):
        for _ in range(2):  # the first edit pins the id, the second is an update
            await registry.update(instance_id, {"default_model": f"m{rng.randrange(9)}"})
            await _same_as_fresh(registry, root)
        assert not registry.get(instance_id).id_derived
    assert in_place and all(in_place[2:])  # (the first write of a file is done whole)


def test_a_check_reads_no_text_for_indexes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`provreg --check` (`load_files`) keeps no text and builds no index."""
    _three_items(tmp_path / "config")
    texts = []
    read_file = load_set_module.read_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        parsed = read_file(*args, **kwargs)
        texts.append(parsed.text)
        return parsed

    monkeypatch.setattr(load_set_module, "read_file", spy)
    assert len(load_set_module.load_paths([str(tmp_path / "config")]).instances) == 3
    assert texts == [None]
