"""The JSONC reader and its comment-keeping editor (`provreg.interop.jsonc`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provreg.interop import jsonc
from provreg.interop.base import ToolFileError

CANARY = "sk-canary-4f9d2b7e1a6c0d3e"

keys = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=5)


def commented(document: dict[str, Any], indent: int) -> str:
    """`document` as JSON with a comment line before each top-level member and
    a trailing comma after the last one, as people write JSONC."""
    lines = ["{", " " * indent + "// the top"]
    for key, value in document.items():
        rendered = json.dumps(value, indent=indent).replace("\n", "\n" + " " * indent)
        # A key holding `*/` would close the comment early: not what is tested.
        about = json.dumps(key)[1:-1].replace("*/", "* /")
        lines.append(" " * indent + f"/* about {about!r} */")
        lines.append(" " * indent + f"{json.dumps(key)}: {rendered},")
    lines.append("}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(values, st.sampled_from([None, 0, 2, 4, "\t"]))
def test_plain_json_reads_as_the_json_module_reads_it(value: Any, indent: Any) -> None:
    text = json.dumps(value, indent=indent)
    assert jsonc.loads(text, "f.json") == json.loads(text)


def test_comments_and_trailing_commas_are_read() -> None:
    text = '{\n  // a\n  "a": [1, 2,], /* b */ "b": {"c": "d // not a comment",},\n}\n'
    assert jsonc.loads(text, "f") == {"a": [1, 2], "b": {"c": "d // not a comment"}}


def test_positions_point_at_the_values() -> None:
    text = '{\n  "a": {\n    "b": "x"\n  }\n}'
    node = jsonc.find(jsonc.parse(text, "f"), ["a", "b"])
    assert node is not None
    assert jsonc.line_column(text, node.start) == (3, 10)
    assert text[node.start : node.end] == '"x"'


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"k": "' + CANARY + '",, }', 1, 36),
        ('{\n  "' + CANARY + '" 1}', 2, 32),
        ('{"a": "' + CANARY + '\n"}', 1, 7),
        ('{"a": 1}\n"' + CANARY + '"', 2, 1),
        ("[1 2]", 1, 4),
        ("/* never closed", 1, 1),
        ('{"a": tru}', 1, 7),
        ('{"a": "\\q"}', 1, 8),
        ("", 1, 1),
        ("{\n", 1, 1),
    ],
)
def test_malformed_files_name_the_place_and_never_the_content(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(ToolFileError) as raised:
        jsonc.loads(text, "conf.json")
    error = raised.value
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(f"conf.json:{line}:{column}: ")
    assert CANARY not in str(error) and CANARY not in repr(error)
    assert "sk-canary" not in error.message


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ToolFileError, match="nested too deeply"):
        jsonc.loads("[" * 10_000, "f")


@settings(max_examples=60, deadline=None)
@given(documents, st.sampled_from([2, 4]), st.data())
def test_replacing_a_value_keeps_every_other_byte(
    document: dict[str, Any], indent: int, data: st.DataObject
) -> None:
    text = commented(document, indent)
    key = data.draw(st.sampled_from(sorted(document)))
    new_value = data.draw(values)
    node = jsonc.find(jsonc.parse(text, "f"), [key])
    assert node is not None
    edited = jsonc.set_member(text, [key], new_value, "f")
    assert edited.startswith(text[: node.start])
    assert edited.endswith(text[node.end :])
    assert jsonc.loads(edited, "f") == {**document, key: new_value}


@settings(max_examples=60, deadline=None)
@given(documents, st.sampled_from([2, 4]), keys, values)
def test_inserting_a_member_keeps_the_rest_and_its_comments(
    document: dict[str, Any], indent: int, key: str, value: Any
) -> None:
    text = commented(document, indent)
    edited = jsonc.set_member(text, [key], value, "f")
    assert jsonc.loads(edited, "f") == {**document, key: value}
    if key not in document:
        # Only additions: every line of the original is still there, in order.
        remaining = iter(edited.splitlines())
        assert all(line in remaining for line in text.splitlines())


@settings(max_examples=60, deadline=None)
@given(documents, st.sampled_from([2, 4]), st.data())
def test_removing_a_member_keeps_the_others(
    document: dict[str, Any], indent: int, data: st.DataObject
) -> None:
    text = commented(document, indent)
    key = data.draw(st.sampled_from(sorted(document)))
    edited = jsonc.delete_member(text, [key], "f")
    expected = {k: v for k, v in document.items() if k != key}
    assert jsonc.loads(edited, "f") == expected
    assert "// the top" in edited


def test_insertion_follows_the_files_indentation_and_comma_style() -> None:
    tabs = '{\n\t"a": 1 // one\n}\n'
    assert jsonc.set_member(tabs, ["b"], {"c": 2}, "f") == (
        '{\n\t"a": 1, // one\n\t"b": {\n\t\t"c": 2\n\t}\n}\n'
    )
    trailing = '{\n    "a": 1,\n}\n'
    assert jsonc.set_member(trailing, ["b"], 2, "f") == '{\n    "a": 1,\n    "b": 2,\n}\n'
    one_line = '{"a": 1}'
    assert jsonc.set_member(one_line, ["b"], 2, "f") == '{"a": 1, "b": 2}'


def test_insertion_creates_the_objects_on_the_way() -> None:
    assert jsonc.set_member("{}", ["provider", "x"], {"a": 1}, "f") == (
        '{\n  "provider": {\n    "x": {\n      "a": 1\n    }\n  }\n}'
    )
    only_comments = "{\n  // nothing yet\n}"
    edited = jsonc.set_member(only_comments, ["a"], 1, "f")
    assert "// nothing yet" in edited
    assert jsonc.loads(edited, "f") == {"a": 1}


def test_removal_takes_the_members_line_and_fixes_the_comma() -> None:
    text = '{\n  "a": 1, // keep\n  "b": 2 // goes with b\n}\n'
    assert jsonc.delete_member(text, ["b"], "f") == '{\n  "a": 1 // keep\n}\n'
    assert jsonc.delete_member(text, ["missing"], "f") == text


def test_a_path_through_a_non_object_is_refused_without_content() -> None:
    text = '{"provider": "' + CANARY + '"}'
    with pytest.raises(ToolFileError) as raised:
        jsonc.set_member(text, ["provider", "x"], 1, "f")
    assert CANARY not in str(raised.value)
    assert raised.value.line == 1


def test_scrub_replacement_is_in_place() -> None:
    text = '{\n  "k": "' + CANARY + '", // pasted\n  "n": 1\n}\n'
    node = jsonc.find(jsonc.parse(text, "f"), ["k"])
    assert node is not None
    edited = jsonc.replace_string_at(text, node, "$(provreg secret get w)")
    assert edited == '{\n  "k": "$(provreg secret get w)", // pasted\n  "n": 1\n}\n'


def test_a_windows_file_keeps_its_line_endings() -> None:
    text = '{\r\n  // c\r\n  "a": 1\r\n}\r\n'
    added = jsonc.set_member(text, ["b"], {"c": 2}, "f")
    assert added == '{\r\n  // c\r\n  "a": 1,\r\n  "b": {\r\n    "c": 2\r\n  }\r\n}\r\n'
    assert jsonc.delete_member(added, ["b"], "f") == text
