"""Comment-keeping edits of tools' YAML files (provreg.interop.yaml_edit)."""

from __future__ import annotations

import re

import pytest
import yaml

from provreg.interop.base import ToolFileError
from provreg.interop.yaml_edit import (
    list_under,
    load_round_trip,
    new_document,
    position,
    remove_member,
    replace_items,
    replace_scalar,
    safe_problem,
    set_member,
)

CANARY = "sk-canary-77c1f0a9d3e4b5a6"

TOOL_FILE = """\
# the tool's own header
settings:
  stream: true   # keep me
items:
  # first, mine
  - name: mine
    value: 1
  # theirs, with a comment above
  - name: theirs
    value: 2     # trailing
  - name: mine
    value: 3
  # the last one's comment
  - name: last
"""


def named(name: str):  # type: ignore[no-untyped-def]
    return lambda item: item.get("name") == name


def edit(text: str, groups: list) -> str:  # type: ignore[type-arg]
    document = load_round_trip(text, "tool.yaml")
    replace_items(list_under(document, "items", "tool.yaml"), groups)
    return document.dump()


def test_replacing_an_owned_group_keeps_every_other_item_and_comment() -> None:
    result = edit(TOOL_FILE, [(named("mine"), [{"name": "mine", "value": 9}])])
    assert yaml.safe_load(result)["items"] == [
        {"name": "mine", "value": 9},
        {"name": "theirs", "value": 2},
        {"name": "last"},
    ]
    for comment in (
        "# the tool's own header",
        "stream: true   # keep me",
        "# theirs, with a comment above",
        "value: 2     # trailing",
        "# the last one's comment",
    ):
        assert comment in result
    assert result.index("# theirs") < result.index("name: theirs")
    assert result.index("# the last one's comment") < result.index("name: last")


def test_a_group_with_no_items_yet_is_appended_and_an_empty_group_removes() -> None:
    result = edit(
        TOOL_FILE,
        [(named("new"), [{"name": "new", "nested": {"list": [1, 2]}}]), (named("mine"), [])],
    )
    items = yaml.safe_load(result)["items"]
    assert [item["name"] for item in items] == ["theirs", "last", "new"]
    assert items[-1]["nested"] == {"list": [1, 2]}
    assert "# the last one's comment" in result


def test_an_edit_that_changes_nothing_gives_the_same_text() -> None:
    document = load_round_trip(TOOL_FILE, "tool.yaml")
    assert document.dump() == TOOL_FILE


def test_line_endings_and_byte_order_mark_are_kept() -> None:
    text = "\ufeff" + TOOL_FILE.replace("\n", "\r\n")
    result = edit(text, [(named("last"), [{"name": "last", "value": 4}])])
    assert result.startswith("\ufeff# the tool's own header\r\n")
    assert "\n" not in result.replace("\r\n", "")
    assert yaml.safe_load(result.lstrip("\ufeff"))["items"][-1] == {"name": "last", "value": 4}


def test_the_files_list_indentation_is_followed() -> None:
    flush = "items:\n- name: a\n  value: 1\n"
    result = edit(flush, [(named("b"), [{"name": "b", "value": 2}])])
    assert result == "items:\n- name: a\n  value: 1\n- name: b\n  value: 2\n"


def test_an_empty_file_and_a_missing_list_are_created() -> None:
    assert edit("", [(named("a"), [{"name": "a"}])]) == "items:\n  - name: a\n"
    assert yaml.safe_load(edit("other: 1\n", [(named("a"), [{"name": "a"}])])) == {
        "other": 1,
        "items": [{"name": "a"}],
    }


def test_a_top_level_list_is_edited_in_place() -> None:
    document = load_round_trip("# models\n- id: a\n- id: b\n", "m.yaml")
    replace_items(list_under(document, None, "m.yaml"), [(lambda i: i["id"] == "b", [{"id": "c"}])])
    assert document.dump() == "# models\n- id: a\n- id: c\n"


def test_members_and_pasted_keys_are_replaced_in_place() -> None:
    text = f"client:\n  api_key: {CANARY}   # pasted\n  other: 1\n"
    document = load_round_trip(text, "c.yaml")
    replace_scalar(document.data["client"], "api_key", "os.environ/KEY")
    set_member(document.data["client"], "models", ["a"])
    remove_member(document.data["client"], "other")
    result = document.dump()
    assert CANARY not in result
    assert re.search(r"^  api_key: os.environ/KEY +# pasted$", result, re.M)
    assert yaml.safe_load(result) == {"client": {"api_key": "os.environ/KEY", "models": ["a"]}}


def test_new_documents_indent_lists_under_their_key() -> None:
    assert new_document({"items": [{"a": 1}]}) == "items:\n  - a: 1\n"
    assert new_document([{"a": 1}]) == "- a: 1\n"


def test_positions_are_one_based() -> None:
    document = load_round_trip("x:\n  - a: 1\n    b: 2\n", "p.yaml")
    items = document.data["x"]
    assert position(items, 0) == (2, 5)
    assert position(items[0], "b") == (3, 8)
    assert position("not a node") == (0, 0)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (f"a: [1\nb: {CANARY}\n", 2, 2),
        (f"a: 1\na: {CANARY}\n", 2, 1),
        (f"a: '{CANARY}\n", 2, 1),
        (f"key: {CANARY}\n\tbad: 1\n", 2, 1),
    ],
)
def test_errors_point_at_the_place_and_never_repeat_the_file(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(ToolFileError) as raised:
        load_round_trip(text, "tool.yaml")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert CANARY not in str(raised.value)
    assert str(raised.value).startswith(f"tool.yaml:{line}:{column}: ")


def test_a_list_where_a_mapping_is_expected_is_an_error() -> None:
    document = load_round_trip("items: {a: 1}\n", "t.yaml")
    with pytest.raises(ToolFileError, match=r"t.yaml:1:8: `items` is not a list"):
        list_under(document, "items", "t.yaml")
    with pytest.raises(ToolFileError, match="not a mapping"):
        list_under(load_round_trip("- a\n", "t.yaml"), "items", "t.yaml")
    with pytest.raises(ToolFileError, match="not a list"):
        list_under(load_round_trip("a: 1\n", "t.yaml"), None, "t.yaml")


def test_safe_problem_drops_quoted_text() -> None:
    assert safe_problem(f"found duplicate key '{CANARY}'") == "found duplicate key '…'"
    assert safe_problem(None) == "not valid YAML"
