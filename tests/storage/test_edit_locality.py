"""An edit of one instance changes only that instance's text.

The splice is local by construction; the ruamel.yaml fallback re-emits the
whole document, so what it writes outside the edited entry must be thrown
away (a neighbour's `"\\x7f"` came back as `"\\x7F"`). And a change that would
reach other entries through an anchor merged with `<<` is refused with the
line and the reason, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.cli import run_provreg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import SequenceNode

import provreg.config.edit.entry_edit as edit_module
from provreg.config.edit import REMOVE, EditError, InstanceKey, update_instance
from provreg.config.edit.splice_edit import item_range
from provreg.config.read.yaml_source import mapping_entry, parse_text

FOLDED_NEIGHBOUR = """\
version: 1
providers:
  - id: quirky
    name: "Quirky\\x7f"          # a DEL, escaped the way the user wrote it
    provider: ollama
    default_model: "m\\x7f\\u00e9"
  - id: folded
    name: Folded
    provider: ollama
    default_model: >-
      llama3.2
      instruct
    keep_alive: 5m
  - id: after
    name: 'After'
    provider: ollama
    keep_alive: "\\x7f"
"""


def outside_unchanged(before: str, after: str, instance_id: str) -> None:
    """Every byte before and after the instance's span in `before` is in `after`."""
    doc = parse_text(before, "<before>")
    entry = mapping_entry(doc.root, "providers")
    assert entry is not None and isinstance(entry[1], SequenceNode)
    index = [item.get("id") for item in doc.value["providers"]].index(instance_id)
    start, end = item_range(before, entry[1], index)
    assert after[:start] == before[:start]
    assert len(after) - (len(before) - end) >= start
    assert after[len(after) - (len(before) - end) :] == before[end:]


def test_editing_a_folded_scalar_leaves_the_neighbours_bytes_alone() -> None:
    result = update_instance(
        FOLDED_NEIGHBOUR, InstanceKey("folded", "Folded"), {"default_model": "qwen3"}
    )

    outside_unchanged(FOLDED_NEIGHBOUR, result, "folded")
    assert '"Quirky\\x7f"' in result and '"\\x7f"' in result and "\\x7F" not in result
    assert parse_text(result, "<after>").value["providers"][1]["default_model"] == "qwen3"


BLOCK_SCALARS = """\
version: 1
providers:
  - id: notes
    name: Notes
    provider: ollama
    default_model: >-
      llama3.2
      instruct

    # the keep-alive below is a literal block
    keep_alive: |
      5m
"""


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"default_model": "qwen3"},
            BLOCK_SCALARS.replace(">-\n      llama3.2\n      instruct\n", "qwen3\n"),
        ),
        (
            {"keep_alive": "1h\n2h"},
            BLOCK_SCALARS.replace("|\n      5m\n", '"1h\\n2h"\n'),
        ),
    ],
)
def test_a_block_scalar_is_replaced_in_place(
    changes: dict[str, Any], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A splice, not the round-trip fallback (~200 ms for a 100-instance file)."""

    def no_fallback(*args: Any) -> str:
        raise AssertionError("took the round-trip fallback")

    monkeypatch.setattr(edit_module, "round_trip_edit", no_fallback)
    assert update_instance(BLOCK_SCALARS, InstanceKey("notes", ""), changes) == expected


ANCHORED = """\
version: 1
providers:
  - &base
    id: work-openai
    name: Work OpenAI
    provider: openai
    organization: org-acme
    timeout_seconds: 120
  - <<: *base
    id: work-openai-mini
    name: Work OpenAI (mini)
    default_model: gpt-4.1-mini
  - <<: *base
    id: work-openai-eu
    name: Work OpenAI (EU)
    organization: org-acme-eu
"""


@pytest.mark.parametrize(
    ("instance_id", "changes", "line", "message"),
    [
        # The value lives in the anchored entry: it cannot be removed here.
        (
            "work-openai-mini",
            {"timeout_seconds": REMOVE},
            9,
            r"'timeout_seconds' of 'work-openai-mini' comes from '<<: \*base' "
            r"\(anchored at line 3\)",
        ),
        # Removing an override brings the merged value back: no unset either.
        (
            "work-openai-eu",
            {"organization": REMOVE},
            16,
            r"removing 'organization' of 'work-openai-eu' would bring back the value "
            r"merged from '<<: \*base' \(anchored at line 3\)",
        ),
        # Removing or changing it in the anchored entry would reach the mini one too.
        (
            "work-openai",
            {"organization": REMOVE},
            7,
            r"'organization' of 'work-openai' is merged into 'work-openai-mini' \(line 9\)",
        ),
        (
            "work-openai",
            {"timeout_seconds": 60},
            8,
            r"'timeout_seconds' of 'work-openai' is merged into 'work-openai-mini'",
        ),
        (
            "work-openai",
            {"default_model": "gpt-5"},
            3,
            r"'default_model' of 'work-openai' would be merged into 'work-openai-eu' \(line 13\)",
        ),
    ],
)
def test_a_change_that_reaches_other_entries_through_a_merge_is_refused(
    instance_id: str, changes: dict[str, Any], line: int, message: str
) -> None:
    with pytest.raises(EditError, match=message) as info:
        update_instance(ANCHORED, InstanceKey(instance_id, ""), changes)
    assert info.value.line == line


def test_changes_a_merge_does_not_share_are_made() -> None:
    # The anchored entry's own keys that every merging entry overrides.
    result = update_instance(ANCHORED, InstanceKey("work-openai", ""), {"name": "Work"})
    assert result == ANCHORED.replace("name: Work OpenAI\n", "name: Work\n")
    # A merged key set in the merging entry overrides it there, and only there.
    result = update_instance(ANCHORED, InstanceKey("work-openai-mini", ""), {"timeout_seconds": 30})
    assert result == ANCHORED.replace(
        "default_model: gpt-4.1-mini\n", "default_model: gpt-4.1-mini\n    timeout_seconds: 30\n"
    )
    result = update_instance(ANCHORED, InstanceKey("work-openai-eu", ""), {"organization": "o"})
    assert result == ANCHORED.replace("organization: org-acme-eu", "organization: o")


def refused_edit(config_dir: Path, *args: str) -> str:
    """Run `provreg edit ARGS` and return its one-line refusal."""
    done = run_provreg("edit", *args, "--config", str(config_dir), timeout=60)
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and "KeyError" not in done.stderr, done.stderr
    return done.stderr


def test_cli_unset_of_a_merged_key_names_the_line_and_why(config_dir: Path) -> None:
    path = config_dir / "p.yaml"
    path.write_text(ANCHORED)
    message = refused_edit(config_dir, "work-openai-mini", "--unset", "timeout_seconds")
    assert f"{path}:9:" in message and "<<: *base" in message, message
    message = refused_edit(config_dir, "work-openai", "--unset", "organization")
    assert f"{path}:7:" in message and "work-openai-mini" in message, message
    assert path.read_text() == ANCHORED


# --------------------------------------------------------------------------- property

# A file in many styles: every instance is written differently, and the
# neighbours hold what a re-emitting writer would normalise (escapes, quotes,
# flow mappings, block scalars, comments, odd spacing).
STYLED = """\
# Header comment
version: 1
providers:
  - id: one
    name: "One\\x7f"      # escaped DEL
    provider: openai
    default_model: 'gpt-4.1'
    timeout_seconds: 120.0
  - {id: two, name: Two, provider: ollama, keep_alive: 5m}   # flow entry
  - id: three
    name: Three
    provider: openai-compatible
    base_url:   http://gpu.lan:8000/v1
    default_model: >-
      acme/support
      llama
    models:
      - a
      - "b\\u00e9"
  # a note above four
  - id: four
    name: |-
      Four
    provider: groq
    default_model: "x\\tz"
  - id: five
    name: Five
    provider: openai
    organization: ~
"""

IDS = ["one", "two", "three", "four", "five"]
FIELDS = {
    "one": ["default_model", "timeout_seconds", "organization", "max_retries", "name"],
    "two": ["keep_alive", "default_model", "base_url", "name"],
    "three": ["default_model", "models", "base_url", "name"],
    "four": ["default_model", "base_url", "name"],
    "five": ["organization", "default_model", "timeout_seconds", "name"],
}

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)


def _exotic(value: Any) -> bool:
    if isinstance(value, list):
        return any(_exotic(item) for item in value)
    return isinstance(value, str) and any(
        ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ord(ch) > 0xFFFF for ch in value
    )


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    instance_id = draw(st.sampled_from(IDS))
    chosen = draw(
        st.lists(st.sampled_from(FIELDS[instance_id]), min_size=1, max_size=3, unique=True)
    )
    changes: dict[str, Any] = {}
    for field in chosen:
        if field == "models":
            changes[field] = draw(st.one_of(st.just(REMOVE), st.lists(texts, max_size=3)))
        elif field in ("timeout_seconds", "max_retries"):
            changes[field] = draw(st.one_of(st.just(REMOVE), st.integers(0, 10**6)))
        elif field == "name":
            changes[field] = draw(texts.filter(lambda t: t.strip() != ""))
        else:
            changes[field] = draw(st.one_of(st.just(REMOVE), texts))
    return instance_id, changes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_edits_change_no_byte_outside_the_instance(edit: tuple[str, dict[str, Any]]) -> None:
    instance_id, changes = edit
    try:
        result = update_instance(STYLED, InstanceKey(instance_id, ""), changes)
    except EditError as exc:
        # Refused: nothing written, which keeps every byte. But only a value
        # ruamel.yaml cannot write back exactly (control and C1 characters,
        # astral ones) may be refused: a refusal for an ordinary value would
        # hide an edit that is not local (its comment check refuses those).
        assert any(_exotic(value) for value in changes.values()), exc
        return
    outside_unchanged(STYLED, result, instance_id)
    after = parse_text(result, "<after>").value["providers"][IDS.index(instance_id)]
    for field, value in changes.items():
        if value is REMOVE:
            assert field not in after
        else:
            assert after[field] == value


def test_the_round_trip_fallback_keeps_only_the_edited_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A block list value still goes through ruamel.yaml, which re-emits the whole
    file (`"One\\x7f"` as `"One\\x7F"`): only the entry's text is taken from it."""
    calls: list[str] = []
    real = edit_module.round_trip_edit

    def spy(*args: Any) -> str:
        calls.append("fallback")
        whole: str = real(*args)
        assert "\\x7F" in whole  # what ruamel did to the neighbour
        return whole

    monkeypatch.setattr(edit_module, "round_trip_edit", spy)
    result = update_instance(STYLED, InstanceKey("three", ""), {"models": ["c", "d"]})

    assert calls == ["fallback"]
    outside_unchanged(STYLED, result, "three")
    assert "\\x7F" not in result
    assert parse_text(result, "<after>").value["providers"][2]["models"] == ["c", "d"]
