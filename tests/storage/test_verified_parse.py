"""The parse an edit hands back (`Edited.document`) and the parse it accepts (`current`).

The YAML directory backend takes the verification parse of a write as the
parse of the written file, and gives the next edit of that file the tree it
kept: both must be exactly what parsing the text again would give, and an
edit must never change a tree it was given.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config.edit import (
    REMOVE,
    Edited,
    InstanceKey,
    append_instance_verified,
    delete_instance,
    delete_instance_verified,
    new_file_verified,
    update_instance,
    update_instance_verified,
)
from provreg.config.read.yaml_source import Document, parse_text

PLAIN = """\
# team file
version: 1
providers:
  - id: one
    name: One
    provider: ollama
    default_model: llama3.2   # pinned

  - {id: two, name: Two, provider: groq}
"""

CRLF = PLAIN.replace("\n", "\r\n")

ANCHORED_ITEM = """\
version: 1
providers:
  - &first
    id: one
    name: One
    provider: ollama
x-copy: *first
"""


def tree(node: Node | None) -> Any:
    """Everything a node tree says: kinds, tags, styles, scalar text and positions."""
    if node is None:
        return None
    where = (node.start_mark.index, node.end_mark.index, node.start_mark.line)
    if isinstance(node, ScalarNode):
        return ("scalar", node.tag, node.value, node.style, where)
    if isinstance(node, SequenceNode):
        return ("seq", node.tag, node.flow_style, where, [tree(child) for child in node.value])
    assert isinstance(node, MappingNode)
    pairs = [(tree(k), tree(v)) for k, v in node.value]
    return ("map", node.tag, node.flow_style, where, pairs)


def same_as_fresh_parse(edited: Edited) -> None:
    assert edited.document is not None
    fresh = parse_text(edited.text, "<verify>")
    assert edited.document.value == fresh.value
    assert edited.document.diagnostics == fresh.diagnostics == []
    assert tree(edited.document.root) == tree(fresh.root)


EDITS: dict[str, Callable[[str, Document | None], Edited]] = {
    "update": lambda text, current: update_instance_verified(
        text, InstanceKey("one", "One"), {"default_model": "qwen3"}, current=current
    ),
    "update-add": lambda text, current: update_instance_verified(
        text, InstanceKey("two", "Two"), {"keep_alive": "5m"}, current=current
    ),
    "update-remove": lambda text, current: update_instance_verified(
        text, InstanceKey("one", "One"), {"default_model": REMOVE}, current=current
    ),
    "delete": lambda text, current: delete_instance_verified(
        text, InstanceKey("one", "One"), current=current
    ),
    "append": lambda text, current: append_instance_verified(
        text, {"id": "three", "name": "Three", "provider": "mistral"}, current=current
    ),
}


@pytest.mark.parametrize("source", [PLAIN, CRLF], ids=["lf", "crlf"])
@pytest.mark.parametrize("op", list(EDITS))
def test_an_edit_hands_back_the_parse_of_its_text(source: str, op: str) -> None:
    same_as_fresh_parse(EDITS[op](source, None))


@pytest.mark.parametrize("source", [PLAIN, CRLF], ids=["lf", "crlf"])
@pytest.mark.parametrize("op", list(EDITS))
def test_a_given_parse_is_used_read_only_and_gives_the_same_edit(source: str, op: str) -> None:
    current = parse_text(source, "<edit>")
    value_before = copy.deepcopy(current.value)
    tree_before = tree(current.root)

    with_current = EDITS[op](source, current)

    assert with_current.text == EDITS[op](source, None).text
    assert current.value == value_before
    assert tree(current.root) == tree_before
    same_as_fresh_parse(with_current)


def test_edits_chained_on_handed_back_parses_match_edits_from_text() -> None:
    """What the backend does on consecutive writes to one file."""
    text, current = PLAIN, None
    for op in ("update", "update-add", "append", "update-remove", "delete"):
        edited = EDITS[op](text, current)
        assert edited.text == EDITS[op](text, None).text
        text, current = edited.text, edited.document


def test_new_file_hands_back_its_parse() -> None:
    same_as_fresh_parse(new_file_verified({"id": "a", "name": "A", "provider": "ollama"}))


def test_a_text_with_a_bom_hands_back_no_parse() -> None:
    """Node positions of the text without its BOM would be off by one."""
    edited = update_instance_verified(
        "\ufeff" + PLAIN, InstanceKey("one", "One"), {"default_model": "qwen3"}
    )
    assert edited.text.startswith("\ufeff")
    assert edited.document is None


def test_an_item_shared_through_an_anchor_changes_at_both_places() -> None:
    """The expected document is copied deeply when the text has anchors: the
    alias shows the change too, in the reparse and in what the edit expects."""
    result = update_instance(ANCHORED_ITEM, InstanceKey("one", "One"), {"name": "Uno"})

    assert result == ANCHORED_ITEM.replace("name: One", "name: Uno")
    value = parse_text(result, "<check>").value
    assert value["x-copy"]["name"] == "Uno"


def test_deleting_an_item_leaves_the_given_parse_alone() -> None:
    current = parse_text(PLAIN, "<edit>")
    providers = current.value["providers"]

    result = delete_instance_verified(PLAIN, InstanceKey("two", "Two"), current=current)

    assert current.value["providers"] is providers
    assert [item["id"] for item in providers] == ["one", "two"]
    assert result.text == delete_instance(PLAIN, InstanceKey("two", "Two"))
