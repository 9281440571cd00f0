"""Golden-file tests of the text editor behind every write (config/edit.py).

Each case under tests/fixtures/golden/<case>/ holds a hand-written `input.yaml`
and, for each operation, the hand-decided minimal result `expected-<op>.yaml`.
The editor's output must equal it byte for byte, and a line diff of input and
output must touch exactly the lines the operation concerns. The bytes are
handled as the YAML directory backend handles them: a UTF-8 BOM is taken off
before the edit and put back after, line endings are never translated.

Every golden edit is a splice (the fast path); the ruamel.yaml fallback is
made to fail there. Then: changes the splicer cannot express go through the
fallback (checked for meaning, surviving comments and the lines it touches),
small splices with aliases and comments inside flow mappings, and changes that
cannot be made exactly (or only by losing a comment) raise EditError.
"""

from __future__ import annotations

import codecs
import copy
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from helpers import paths

import provreg.config.edit.entry_edit as edit_module
from provreg.config.edit import (
    REMOVE,
    EditError,
    InstanceKey,
    append_instance,
    delete_instance,
    find_entry,
    new_file,
    update_instance,
)
from provreg.config.read.yaml_source import parse_text
from provreg.model import SecretRef

GOLDEN = paths.FIXTURES / "golden"

# The operations every main case is checked with.
CORE_OPS = (
    "create",
    "update-one",
    "update-add",
    "update-remove",
    "delete-first",
    "delete-middle",
    "delete-last",
)


@dataclass(frozen=True)
class Create:
    item: Mapping[str, Any]
    added: int
    hunks: int = 1
    removed: int = 0


@dataclass(frozen=True)
class Update:
    key: InstanceKey
    changes: Mapping[str, Any]
    removed: int
    added: int
    hunks: int = 1


@dataclass(frozen=True)
class Delete:
    key: InstanceKey
    removed: int
    added: int = 0
    hunks: int = 1


Op = Create | Update | Delete


def key(instance_id: str, name: str = "", *, derived: bool = False) -> InstanceKey:
    return InstanceKey(instance_id, name, derived)


_LONG_INPUT = (GOLDEN / "long-lines" / "input.yaml").read_text(encoding="utf-8")
_LONG_MATCH = re.search(r"base_url: (\S+)", _LONG_INPUT)
assert _LONG_MATCH is not None
_LONG_URL = _LONG_MATCH.group(1)
_LONG_URL_2 = (
    _LONG_URL.replace("eu-west-1", "eu-central-1").replace("strict-latency", "lowest-cost")
    + "&extra="
    + "x" * 40
)

CASES: dict[str, dict[str, Op]] = {
    "commented": {
        "create": Create(
            {
                "id": "home-anthropic",
                "name": "Home Anthropic",
                "provider": "anthropic",
                "default_model": "claude-sonnet-4-5",
                "api_key": SecretRef(kind="env", name="ANTHROPIC_API_KEY"),
            },
            added=6,  # a blank separator, as between the other entries, then the entry
        ),
        "update-one": Update(key("work-openai"), {"default_model": "gpt-4.2"}, 1, 1),
        "update-add": Update(key("local-ollama"), {"keep_alive": "10m"}, 0, 1),
        "update-remove": Update(key("work-openai"), {"organization": REMOVE}, 1, 0),
        # The first key goes with its trailing comment; the next key moves up after the dash.
        "update-remove-first-key": Update(key("work-openai"), {"id": REMOVE}, 2, 1),
        # With the comment above it, its own comment line and one blank separator.
        "delete-first": Delete(key("work-openai"), removed=9),
        "delete-middle": Delete(key("local-ollama"), removed=6),
        # The section comment above the entry's own comment stays.
        "delete-last": Delete(key("team-gateway", "Team gateway", derived=True), removed=6),
        # The registry pins a derived id on the first edit; it goes first, like every id.
        "update-derived-id": Update(
            key("team-gateway", "Team gateway", derived=True),
            {"id": "team-gateway", "base_url": "https://llm.acme.example/v1"},
            removed=2,
            added=3,
            hunks=2,
        ),
    },
    "packed-quoting": {
        "create": Create(
            {
                "id": "work-azure-us",
                "name": "Work Azure (US)",
                "provider": "azure-openai",
                "base_url": "https://acme-us.openai.azure.com",
                "api_version": "2024-10-21",  # a date to YAML: must be quoted
                "deployment": "gpt-4o-prod",
            },
            added=6,
        ),
        "update-one": Update(key("work-azure"), {"default_model": "gpt-4.1"}, 1, 1),
        "update-quoted": Update(
            key("plain"),
            {"name": "It's still plain", "base_url": "http://127.0.0.1:11500"},
            removed=2,
            added=2,
            hunks=2,
        ),
        "update-needs-quotes": Update(key("work-azure"), {"deployment": "on"}, 1, 1),
        "update-add": Update(key("tight"), {"base_url": "https://api.mistral.ai/v1"}, 0, 1),
        "update-remove": Update(key("plain"), {"keep_alive": REMOVE}, 1, 0),
        "update-remove-first-key": Update(key("plain"), {"id": REMOVE}, 2, 1),
        "delete-first": Delete(key("work-azure"), removed=7),
        "delete-middle": Delete(key("plain"), removed=5),
        "delete-last": Delete(key("tight"), removed=4),
    },
    "flow": {
        "create": Create(
            {
                "id": "openrouter",
                "name": "OpenRouter",
                "provider": "openrouter",
                "api_key": SecretRef(kind="keyring"),
            },
            added=4,
        ),
        "update-one": Update(
            key("groq-fast"), {"api_key": SecretRef(kind="env", name="GROQ_KEY_CI")}, 1, 1
        ),
        "update-flow-item": Update(
            key("laptop-ollama"), {"base_url": "http://localhost:11500"}, 1, 1
        ),
        "update-add": Update(key("laptop-ollama"), {"keep_alive": "30m"}, 1, 1),
        "update-add-multiline-flow": Update(
            key("deepseek"), {"default_model": "deepseek-chat"}, 1, 1
        ),
        "update-remove": Update(key("groq-fast"), {"default_model": REMOVE}, 1, 0),
        "update-remove-flow-item": Update(key("laptop-ollama"), {"base_url": REMOVE}, 1, 1),
        "delete-first": Delete(key("laptop-ollama"), removed=1),
        "delete-middle": Delete(key("groq-fast"), removed=5),
        "delete-last": Delete(key("deepseek"), removed=2),
    },
    "crlf": {
        "create": Create(
            {"id": "team-openai", "name": "Team OpenAI", "provider": "openai"}, added=4
        ),
        "update-one": Update(key("team-claude"), {"default_model": "claude-opus-4-1"}, 1, 1),
        "update-add": Update(
            key("team-gemini"),
            {"base_url": "https://generativelanguage.googleapis.com/v1beta"},
            0,
            1,
        ),
        "update-remove": Update(key("team-claude"), {"api_key": REMOVE}, 1, 0),
        "delete-first": Delete(key("team-claude"), removed=7),
        "delete-middle": Delete(key("team-gemini"), removed=5),
        # The last entry takes the blank line above it: the file ends as it did.
        "delete-last": Delete(key("team-mistral"), removed=6),
    },
    # No newline at the end of this file: edits keep it that way.
    "long-lines": {
        "create": Create(
            {
                "id": "second-route",
                "name": "Second route",
                "provider": "openai-compatible",
                "base_url": _LONG_URL_2,
            },
            added=4,
        ),
        "update-one": Update(key("routed"), {"default_model": "gpt-4.1"}, 1, 1),
        "update-long": Update(key("routed"), {"base_url": _LONG_URL_2}, 1, 1),
        "update-add": Update(key("short"), {"default_model": "llama-3.3-70b-versatile"}, 0, 1),
        "update-remove": Update(key("openrouter-main"), {"http_referer": REMOVE}, 1, 0),
        "delete-first": Delete(key("routed"), removed=6),
        "delete-middle": Delete(key("openrouter-main"), removed=5),
        "delete-last": Delete(key("short"), removed=3),
    },
    "bom": {
        "create": Create(
            {"id": "notepad-mistral", "name": "Notepad Mistral", "provider": "mistral"}, added=3
        ),
        "update-one": Update(
            key("notepad-groq"), {"default_model": "llama-3.3-70b-versatile"}, 1, 1
        ),
        "update-add": Update(key("notepad-openai"), {"default_model": "gpt-4o-mini"}, 0, 1),
        "update-remove": Update(key("notepad-groq"), {"default_model": REMOVE}, 1, 0),
        "delete-first": Delete(key("notepad-openai"), removed=3),
        "delete-middle": Delete(key("notepad-groq"), removed=4),
        "delete-last": Delete(key("notepad-ollama"), removed=3),
    },
    "single": {
        "create": Create(
            {
                "id": "duo",
                "name": "Duo",
                "provider": "ollama",
                "base_url": "http://gpu-box:11434",
            },
            added=5,
        ),
        "update-one": Update(key("solo"), {"name": "Solo (GPU box)"}, 1, 1),
        # `providers: []` keeps its comment; the entry takes its own comment along.
        "delete-only": Delete(key("solo"), removed=5, added=1),
    },
    "empty-list": {
        "create": Create(
            {"id": "first", "name": "First", "provider": "ollama"}, removed=1, added=4
        ),
    },
    "empty-null": {
        "create": Create({"id": "first", "name": "First", "provider": "ollama"}, added=3),
    },
    "no-providers": {
        "create": Create({"id": "first", "name": "First", "provider": "ollama"}, added=4),
    },
}

MAIN_CASES = ("commented", "packed-quoting", "flow", "crlf", "long-lines", "bom")

PARAMS = [
    pytest.param(case, name, op, id=f"{case}:{name}")
    for case, ops in CASES.items()
    for name, op in ops.items()
]


# --------------------------------------------------------------------------- helpers


def edit_text(text: str, op: Op) -> str:
    if isinstance(op, Create):
        return append_instance(text, op.item)
    if isinstance(op, Update):
        return update_instance(text, op.key, op.changes)
    return delete_instance(text, op.key)


def edit_bytes(data: bytes, transform: Callable[[str], str]) -> bytes:
    """As the YAML directory backend does: BOM off, no newline translation, BOM back on."""
    bom = data.startswith(codecs.BOM_UTF8)
    new_text = transform(data.decode("utf-8-sig"))
    return (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")


def intended(value: dict[str, Any], op: Op) -> dict[str, Any]:
    """What the file should mean after the operation, computed without the editor."""
    result = copy.deepcopy(value)
    providers = result.setdefault("providers", [])
    if providers is None:
        providers = result["providers"] = []
    if isinstance(op, Create):
        providers.append({k: plain(v) for k, v in op.item.items()})
        return result
    index = find_entry(providers, op.key)
    assert index is not None, op.key
    if isinstance(op, Delete):
        del providers[index]
        return result
    for name, new in op.changes.items():
        if new is REMOVE:
            providers[index].pop(name, None)
        else:
            providers[index][name] = plain(new)
    return result


def plain(value: Any) -> Any:
    return value.to_yaml() if isinstance(value, SecretRef) else value


def parse_bytes_value(data: bytes) -> Any:
    doc = parse_text(data.decode("utf-8-sig"), "<test>")
    assert not doc.failed and not doc.diagnostics, doc.diagnostics
    return doc.value


def line_diff(before: bytes, after: bytes) -> tuple[int, int, int]:
    """(lines removed or replaced, lines added or replacing, hunks) of a line diff."""
    a = before.decode("utf-8-sig").splitlines()
    b = after.decode("utf-8-sig").splitlines()
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    changed = [code for code in opcodes if code[0] != "equal"]
    removed = sum(i2 - i1 for _, i1, i2, _, _ in changed)
    added = sum(j2 - j1 for _, _, _, j1, j2 in changed)
    return removed, added, len(changed)


def show(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- golden files


@pytest.fixture
def splice_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if an edit takes the slow round-trip fallback."""

    def no_fallback(*args: Any) -> str:
        raise AssertionError("the edit fell back to the ruamel.yaml round trip")

    monkeypatch.setattr(edit_module, "round_trip_edit", no_fallback)


@pytest.mark.usefixtures("splice_only")
@pytest.mark.parametrize(("case", "name", "op"), PARAMS)
def test_edit_matches_golden_file_byte_for_byte(case: str, name: str, op: Op) -> None:
    source = (GOLDEN / case / "input.yaml").read_bytes()
    expected = (GOLDEN / case / f"expected-{name}.yaml").read_bytes()

    result = edit_bytes(source, lambda text: edit_text(text, op))

    assert show(result) == show(expected)  # readable diff on failure
    assert result == expected


@pytest.mark.parametrize(("case", "name", "op"), PARAMS)
def test_edit_touches_only_the_expected_lines(case: str, name: str, op: Op) -> None:
    source = (GOLDEN / case / "input.yaml").read_bytes()

    result = edit_bytes(source, lambda text: edit_text(text, op))

    assert line_diff(source, result) == (op.removed, op.added, op.hunks)


@pytest.mark.parametrize(("case", "name", "op"), PARAMS)
def test_golden_file_means_the_intended_change(case: str, name: str, op: Op) -> None:
    """The hand-written expected files are themselves checked: they mean what the op says."""
    source = (GOLDEN / case / "input.yaml").read_bytes()
    expected = (GOLDEN / case / f"expected-{name}.yaml").read_bytes()

    assert parse_bytes_value(expected) == intended(parse_bytes_value(source), op)


@pytest.mark.parametrize("case", sorted(CASES))
def test_line_endings_bom_and_final_newline_survive(case: str) -> None:
    source = (GOLDEN / case / "input.yaml").read_bytes()
    for name, op in CASES[case].items():
        result = edit_bytes(source, lambda text, op=op: edit_text(text, op))
        assert result.startswith(codecs.BOM_UTF8) == source.startswith(codecs.BOM_UTF8), name
        crlf = source.count(b"\r\n") == source.count(b"\n")
        if crlf:
            assert result.count(b"\r\n") == result.count(b"\n"), name
        else:
            assert b"\r" not in result, name
        assert result.endswith(b"\n") == source.endswith(b"\n"), name


def test_fixture_set_is_complete() -> None:
    """Every main case runs every core operation; every expected file has an operation."""
    for case in MAIN_CASES:
        assert set(CORE_OPS) <= set(CASES[case]), case
    assert (GOLDEN / "crlf" / "input.yaml").read_bytes().count(b"\r\n") > 10
    assert (GOLDEN / "bom" / "input.yaml").read_bytes().startswith(codecs.BOM_UTF8)
    assert max(len(line) for line in _LONG_INPUT.splitlines()) >= 300
    assert not _LONG_INPUT.endswith("\n")
    assert (GOLDEN / ".gitattributes").read_text() == "* -text\n"
    on_disk = {
        (path.parent.name, path.name.removeprefix("expected-").removesuffix(".yaml"))
        for path in GOLDEN.glob("*/expected-*.yaml")
    }
    declared = {(case, name) for case, ops in CASES.items() for name in ops}
    assert on_disk == declared


def test_new_file_renders_one_instance() -> None:
    item = {
        "id": "fresh",
        "name": "Fresh: start",
        "provider": "openai-compatible",
        "base_url": "https://llm.example.com/v1",
        "api_key": SecretRef(kind="env", name="FRESH_KEY").to_yaml(),
        "models": ["gpt-4o", "yes"],
        "timeout_seconds": 30,
    }
    text = new_file(item, header="Created by provreg.\nEdit freely.")

    assert text == (
        "# Created by provreg.\n"
        "# Edit freely.\n"
        "version: 1\n"
        "providers:\n"
        "  - id: fresh\n"
        '    name: "Fresh: start"\n'
        "    provider: openai-compatible\n"
        "    base_url: https://llm.example.com/v1\n"
        "    api_key: {env: FRESH_KEY}\n"
        '    models: [gpt-4o, "yes"]\n'
        "    timeout_seconds: 30\n"
    )
    assert parse_text(text, "<new>").value == {"version": 1, "providers": [item]}


def test_new_file_values_read_back_with_their_types() -> None:
    item = {"id": "t", "name": "2024-01-01", "provider": "yes", "big": 1e20, "small": 1e-05}

    text = new_file(item)

    assert "    big: 1.0e+20\n" in text
    assert parse_text(text, "<new>").value == {"version": 1, "providers": [item]}


def test_edits_chain_without_drift() -> None:
    """Create, update and delete in turn on one file give back the original bytes."""
    source = (GOLDEN / "commented" / "input.yaml").read_bytes()
    item = {"id": "temp", "name": "Temp", "provider": "ollama"}

    data = edit_bytes(source, lambda text: append_instance(text, item))
    data = edit_bytes(data, lambda text: update_instance(text, key("temp"), {"keep_alive": "1m"}))
    data = edit_bytes(data, lambda text: update_instance(text, key("temp"), {"keep_alive": REMOVE}))
    data = edit_bytes(data, lambda text: delete_instance(text, key("temp")))

    assert data == source


# --------------------------------------------------------------------------- fallback


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def trailing_comments(text: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"(?<=\s)#.*$", text, re.MULTILINE)]


@dataclass(frozen=True)
class Fallback:
    source: str
    op: Op
    # Lines of the source the round-trip edit removes or replaces, and adds.
    removed: int
    added: int
    # Comments of the source that are expected to go (those of a deleted entry).
    gone: tuple[str, ...] = field(default=())


FLOW_PROVIDERS = """\
# Everything on a few lines.
version: 1
providers: [{id: a, name: A, provider: ollama}, {id: b, name: B, provider: groq}]  # keep short
# Footer note.
"""

BLOCK_VALUES = """\
# Models as block lists and text as block scalars.
version: 1
providers:
  - id: compat
    name: Compat
    provider: openai-compatible
    models:              # the ones we pay for
      - gpt-4o
      - gpt-4o-mini
    base_url: https://llm.example.com/v1
  # Second one.
  - id: notes
    name: Notes
    provider: ollama
    keep_alive: |
      5m
"""

# Dashes at the key's column, a comment line under the first key, no final newline.
PACKED_BLOCK = """\
version: 1
providers:
- default_model: gpt-4o   # first key, optional
  # The name is what the dashboard shows.
  name: Packed
  provider: openai
  models:
  - gpt-4o
- id: other
  name: 'Other'
  provider: groq"""

CRLF_PACKED_BLOCK = PACKED_BLOCK.replace("\n", "\r\n") + "\r\n"

FALLBACKS = {
    "flow-providers-create": Fallback(
        FLOW_PROVIDERS, Create({"id": "c", "name": "C", "provider": "mistral"}, 0), 1, 1
    ),
    "flow-providers-delete": Fallback(FLOW_PROVIDERS, Delete(key("a"), 0), 1, 1),
    "block-list-value": Fallback(
        BLOCK_VALUES, Update(key("compat"), {"models": ["gpt-4.1", "o3"]}, 0, 0), 2, 2
    ),
    "only-key-of-an-item": Fallback(
        "version: 1\nproviders:\n  - id: lonely   # to be filled in\n  - id: b\n",
        Update(key("lonely"), {"id": REMOVE}, 0, 0),
        1,
        1,
        gone=("# to be filled in",),
    ),
    "packed-block-list-value": Fallback(
        PACKED_BLOCK, Update(key("packed", "Packed", derived=True), {"models": ["o3"]}, 0, 0), 1, 1
    ),
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_fallback_keeps_meaning_comments_and_other_lines(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = FALLBACKS[name]
    before = parse_text(case.source, "<before>").value
    calls: list[str] = []
    real_round_trip = edit_module.round_trip_edit

    def spy(*args: Any) -> str:
        calls.append(name)
        return real_round_trip(*args)

    monkeypatch.setattr(edit_module, "round_trip_edit", spy)

    result = edit_text(case.source, case.op)

    assert calls, "the splicer made this change; the case no longer tests the fallback"
    after = parse_text(result, "<after>")
    assert not after.failed and not after.diagnostics
    assert after.value == intended(before, case.op)
    survivors = [c for c in comment_lines(case.source) if c not in case.gone]
    for comment in survivors + [c for c in trailing_comments(case.source) if c not in case.gone]:
        assert comment in result, comment
    assert line_diff(case.source.encode(), result.encode())[:2] == (case.removed, case.added)
    if "\r\n" in case.source:
        assert result.count("\r\n") == result.count("\n")
    assert result.endswith("\n") == case.source.endswith("\n")


# --------------------------------------------------------------------------- refused


MERGED = """\
# Shared settings, merged into each entry.
x-defaults: &defaults
  provider: openai
  base_url: https://api.openai.com/v1
version: 1
providers:
  - <<: *defaults
    id: merged
    name: Merged
"""


def test_removing_a_merged_key_is_refused() -> None:
    with pytest.raises(EditError):
        update_instance(MERGED, key("merged"), {"base_url": REMOVE})


def test_setting_a_merged_key_overrides_it_in_the_entry() -> None:
    result = update_instance(MERGED, key("merged"), {"base_url": "http://proxy:8080/v1"})

    assert result == MERGED + "    base_url: http://proxy:8080/v1\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("version: 1\nproviders: [\n", "does not parse"),
        ("version: 1\nproviders:\n  - id: a\n    id: b\n    name: A\n", "duplicate keys"),
        ("version: 1\nproviders:\n  - id: a\n    name: A\n    provider: ollama\n", "not in"),
        ("version: 1\nproviders: nothing\n", "not in"),
    ],
)
def test_update_refuses_files_it_cannot_edit_safely(source: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        update_instance(source, key("missing"), {"name": "X"})


def test_fallback_keeps_a_block_list_in_block_style() -> None:
    result = update_instance(BLOCK_VALUES, key("compat"), {"models": ["gpt-4.1", "o3"]})

    assert "    models:              # the ones we pay for\n      - gpt-4.1\n      - o3\n" in result


FLOW_PROVIDERS_COMMENTED = """\
version: 1
providers: [
  {id: a, name: A, provider: ollama},   # first
  {id: b, name: B, provider: groq},     # second
  {id: c, name: C, provider: groq}      # third
]
"""


@pytest.mark.parametrize(
    "op",
    [
        Delete(key("b"), 0),
        Create({"id": "d", "name": "D", "provider": "mistral"}, 0),
    ],
    ids=["delete", "create"],
)
def test_fallback_that_would_lose_a_comment_is_refused(op: Op) -> None:
    """ruamel.yaml drops comments between the items of a flow list; better no write."""
    with pytest.raises(EditError, match="losing the comment"):
        edit_text(FLOW_PROVIDERS_COMMENTED, op)


# --------------------------------------------------------------------------- small splices


ANCHORED = """\
x-shared:
  local: &local http://localhost:11434   # shared
  models: &models [llama3.2, qwen3]
version: 1
providers:
  - id: one
    name: One
    provider: ollama
    base_url: *local
  - {id: two, name: Two, provider: ollama, base_url: *local, models: *models}
"""

FLOW_COMMENTED = """\
version: 1
providers:
  - {id: deep, name: Deep, provider: deepseek,   # personal account
     api_key: {keyring: deep}}
  - {id: x,   # the x
     name: X, provider: groq}
"""


@pytest.mark.usefixtures("splice_only")
@pytest.mark.parametrize(
    ("source", "op", "old", "new"),
    [
        # An alias is replaced or removed where it is written, never at its anchor.
        (
            ANCHORED,
            Update(key("one"), {"base_url": "http://gpu:11434"}, 0, 0),
            "    base_url: *local\n",
            "    base_url: http://gpu:11434\n",
        ),
        (ANCHORED, Update(key("one"), {"base_url": REMOVE}, 0, 0), "    base_url: *local\n", ""),
        (
            ANCHORED,
            Update(key("two"), {"base_url": "http://gpu:11434"}, 0, 0),
            "base_url: *local, models",
            "base_url: http://gpu:11434, models",
        ),
        (ANCHORED, Update(key("two"), {"models": REMOVE}, 0, 0), ", models: *models}", "}"),
        (
            ANCHORED,
            Update(key("two"), {"keep_alive": "5m"}, 0, 0),
            "models: *models}",
            "models: *models, keep_alive: 5m}",
        ),
        (
            ANCHORED,
            Update(key("one"), {"keep_alive": "5m"}, 0, 0),
            "    base_url: *local\n",
            "    base_url: *local\n    keep_alive: 5m\n",
        ),
        (
            ANCHORED,
            Delete(key("one"), 0),
            "  - id: one\n    name: One\n    provider: ollama\n    base_url: *local\n",
            "",
        ),
        # A comment between the pairs of a multi-line flow mapping stays.
        (
            FLOW_COMMENTED,
            Update(key("deep"), {"api_key": REMOVE}, 0, 0),
            "deepseek,   # personal account\n     api_key: {keyring: deep}}",
            "deepseek   # personal account\n     }",
        ),
        (
            FLOW_COMMENTED,
            Update(key("x"), {"name": REMOVE}, 0, 0),
            "name: X, provider",
            "provider",
        ),
        (
            FLOW_COMMENTED,
            Update(key("x"), {"id": REMOVE}, 0, 0),
            "{id: x,   # the x",
            "{   # the x",
        ),
        (
            FLOW_COMMENTED,
            Update(key("deep"), {"id": "deep-2"}, 0, 0),
            "{id: deep,",
            "{id: deep-2,",
        ),
        # An item's first key: the next key moves up after the dash...
        (
            PACKED_BLOCK.replace("  # The name is what the dashboard shows.\n", ""),
            Update(key("packed", "Packed", derived=True), {"default_model": REMOVE}, 0, 0),
            "- default_model: gpt-4o   # first key, optional\n  name: Packed",
            "- name: Packed",
        ),
        # ... but a comment line above the next key stays where it is: the dash stays alone.
        (
            PACKED_BLOCK,
            Update(key("packed", "Packed", derived=True), {"default_model": REMOVE}, 0, 0),
            "- default_model: gpt-4o   # first key, optional\n",
            "-\n",
        ),
        (
            CRLF_PACKED_BLOCK,
            Update(key("packed", "Packed", derived=True), {"default_model": REMOVE}, 0, 0),
            "- default_model: gpt-4o   # first key, optional\r\n",
            "-\r\n",
        ),
        # A new entry goes after the comment lines that trail the last one.
        (
            "providers:\n  - id: a\n    name: A\n    # a note about a\n# footer\n",
            Create({"id": "b", "name": "B"}, 0),
            "    # a note about a\n",
            "    # a note about a\n\n  - id: b\n    name: B\n",
        ),
        # An empty list in the file's last line, which has no newline.
        (
            "version: 1\nproviders: []",
            Create({"id": "b", "name": "B"}, 0),
            "providers: []",
            "providers:\n  - id: b\n    name: B",
        ),
        # A pinned id goes first whatever the order of the changes.
        (
            "providers:\n  - name: Derived\n    provider: groq\n",
            Update(key("derived", "Derived", derived=True), {"keep_alive": "1m", "id": "d"}, 0, 0),
            "  - name: Derived\n    provider: groq\n",
            "  - id: d\n    name: Derived\n    provider: groq\n    keep_alive: 1m\n",
        ),
        # A flow item gets a pinned id in front, like a block item.
        (
            "providers:\n  - {name: Derived, provider: groq}\n",
            Update(key("derived", "Derived", derived=True), {"id": "derived"}, 0, 0),
            "{name: Derived",
            "{id: derived, name: Derived",
        ),
        # A BOM left in the text stays, and does not shift the splice.
        (
            "\ufeffversion: 1\nproviders:\n  - id: a\n    name: A\n    provider: groq\n",
            Update(key("a"), {"name": "B"}, 0, 0),
            "name: A",
            "name: B",
        ),
    ],
)
def test_small_splices(source: str, op: Op, old: str, new: str) -> None:
    assert source.count(old) == 1
    expected = source.replace(old, new)

    assert edit_text(source, op) == expected
    assert parse_text(expected, "<expected>").value == intended(
        parse_text(source, "<source>").value, op
    )
