"""Rendered values parse back to exactly the value rendered (config/render.py).

The text splicer writes values with `render_value`; the loader reads them
with libyaml (CSafeLoader) through `parse_text`. A value that came back as
another type or another string would silently change a user's config, so
every rendering is checked through the real loader, in block context
(`k: <value>`) and in flow context (inside `[...]` and `{...}`), with and
without a preferred quote style.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provreg.config.edit.render import render_block_item, render_key, render_value
from provreg.config.read.yaml_source import parse_text

TRICKY_STRINGS = [
    # YAML 1.1 booleans and nulls
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "On",
    "OFF",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "false",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    # numbers and dates as text
    "123",
    "-7",
    "+1",
    "007",
    "1_000",
    "0o17",
    "0b101",
    "0x1F",
    "0X1f",
    "1.5",
    ".5",
    "-.5",
    "1.",
    "1e3",
    "1E3",
    "1e-3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".NaN",
    "inf",
    "nan",
    "190:20:30",
    "12:30",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2024-1-1 10:00:00",
    # spaces
    " x",
    "x ",
    "  ",
    " ",
    "a  b",
    "\tx",
    "x\t",
    # indicators
    "a: b",
    "a:b",
    "a:",
    ":a",
    ":",
    "a #b",
    "a#b",
    "#a",
    "# a",
    "- x",
    "-x",
    "-",
    "--",
    "---",
    "...",
    "? x",
    "?x",
    "?",
    "[x]",
    "]x",
    "{x}",
    "}x",
    "x, y",
    "x,y",
    ",",
    "*x",
    "&x",
    "!x",
    "!!str",
    "%x",
    "@x",
    "`x",
    "|x",
    "|",
    ">x",
    ">",
    "<<",
    "=",
    "x=y",
    "a]b",
    "a}b",
    "a[b",
    "http://example.com:8080/v1?a=1&b=2#frag",
    "https://x.example/v1",
    "C:\\Users\\me",
    "$HOME/.config",
    "~/keys",
    "(x)",
    "./rel",
    "/abs/path",
    "x.y_z-w",
    "a'b",
    'a"b',
    # quotes and backslashes
    "'",
    '"',
    "''",
    '""',
    "'x'",
    '"x"',
    "it's",
    'say "hi"',
    "\\",
    "\\n",
    "a\\b",
    "\\x41",
    # line breaks, tabs and friends
    "\n",
    "a\nb",
    "a\n",
    "\na",
    "a\r\nb",
    "a\rb",
    "\t",
    "a\tb",
    "a\x85b",
    "a\u2028b",
    "a\u2029b",
    "\ufeffx",
    "x\ufeff",
    # unicode
    "café",
    "Zürich",
    "日本語",
    "emoji 🚀",
    "\U0001f600",
    "ß",
    "İ",
    "\u00a0x",
    "x\u00a0",
    "\u200b",
    "Ω≈ç√",
    # control characters
    "\x00",
    "a\x01b",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x9f",
    "\x1f",
]

OTHER_VALUES: list[Any] = [
    0,
    1,
    -1,
    123456789012345678901234567890,
    True,
    False,
    None,
    0.0,
    -0.0,
    0.1,
    1.5,
    -2.25,
    1e-05,
    1e20,
    1e-20,
    1e16,
    1.5e300,
    5e-324,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    [],
    {},
    ["a", "yes", 1, 1.5, None, True],
    [["nested", ["deep"]], []],
    {"env": "OPENAI_API_KEY"},
    {"keyring": True},
    {"a": {"b": ["c", {"d": "null"}]}},
    {"yes": "no", "1": 1, 1: "1", "a b": "c: d", "": ""},
    ["a: b", "x, y", "[x]", "{y}", " pad ", "#c", "a #b"],
]


def _loaded(text: str) -> Any:
    doc = parse_text(text, "<render-test>")
    assert not doc.failed, (text, doc.diagnostics)
    assert not doc.diagnostics, (text, doc.diagnostics)
    return doc.value


def _same(a: Any, b: Any) -> bool:
    """Equal, with nan equal to nan and the types kept (1 is not True, 1.0 is not 1)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_round_trips(value: Any) -> None:
    block = render_value(value)
    assert "\n" not in block and "\r" not in block
    assert _same(_loaded(f"k: {block}\n")["k"], value), block
    assert _same(_loaded(f"k: {block}   # comment\n")["k"], value), block
    flow = render_value(value, flow=True)
    assert _same(_loaded(f"k: [{flow}, {flow}]\n")["k"], [value, value]), flow
    assert _same(_loaded(f"k: {{a: {flow}, b: {flow}}}\n")["k"], {"a": value, "b": value}), flow
    for quote in ("'", '"'):
        preferred = render_value(value, prefer_quote=quote)
        assert _same(_loaded(f"k: {preferred}\n")["k"], value), preferred
        preferred = render_value(value, flow=True, prefer_quote=quote)
        assert _same(_loaded(f"k: [{preferred}]\n")["k"], [value]), preferred


@pytest.mark.parametrize("text", TRICKY_STRINGS, ids=repr)
def test_tricky_string_round_trips(text: str) -> None:
    assert_round_trips(text)


@pytest.mark.parametrize("text", TRICKY_STRINGS, ids=repr)
def test_tricky_string_as_key_round_trips(text: str) -> None:
    key = render_key(text)
    assert _loaded(f"{key}: v\n") == {text: "v"}
    assert _loaded(f"k: {{{key}: v}}\n") == {"k": {text: "v"}}


@pytest.mark.parametrize("value", OTHER_VALUES, ids=repr)
def test_value_round_trips(value: Any) -> None:
    assert_round_trips(value)


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("gpt-4o", "gpt-4o"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("Work Azure (US)", "Work Azure (US)"),
        ("yes", '"yes"'),
        ("2024-10-21", '"2024-10-21"'),
        ("123", '"123"'),
        ("a: b", '"a: b"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("a\u2028b", '"a\\u2028b"'),
        ("", '""'),
        (1e-05, "1.0e-05"),
        (1e20, "1.0e+20"),
        (0.1, "0.1"),
        (math.inf, ".inf"),
        (-math.inf, "-.inf"),
        (math.nan, ".nan"),
        (None, "null"),
        (True, "true"),
        (30, "30"),
        ({"env": "X"}, "{env: X}"),
        (["a", "b, c"], '[a, "b, c"]'),
    ],
    ids=repr,
)
def test_rendering_is_plain_where_it_can_be(value: Any, rendered: str) -> None:
    assert render_value(value) == rendered


def test_preferred_quote_is_kept_when_it_can_hold_the_text() -> None:
    assert render_value("plain", prefer_quote="'") == "'plain'"
    assert render_value("it's", prefer_quote="'") == "'it''s'"
    assert render_value("plain", prefer_quote='"') == '"plain"'
    # Single quotes cannot hold a line break: double quotes instead.
    assert render_value("a\nb", prefer_quote="'") == '"a\\nb"'


def test_block_item_round_trips() -> None:
    item = {"id": "x", "name": "yes: no", "models": ["a", "on"], "api_key": {"env": "K"}, "n": 1}
    for newline in ("\n", "\r\n"):
        text = "providers:\n" + render_block_item(item, dash_column=2, newline=newline)
        assert _loaded(text) == {"providers": [item]}


def test_unrenderable_value_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        render_value(object())


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text()
text_lists = st.recursive(st.lists(texts, max_size=4), lambda inner: st.lists(inner, max_size=4))


@PROPERTY
@given(texts)
def test_any_text_round_trips(text: str) -> None:
    assert_round_trips(text)


@PROPERTY
@given(text_lists)
def test_any_nested_list_of_text_round_trips(value: list[Any]) -> None:
    assert_round_trips(value)


@PROPERTY
@given(st.dictionaries(texts, st.one_of(texts, st.integers(), st.floats(), st.booleans())))
def test_any_mapping_round_trips(value: dict[str, Any]) -> None:
    assert_round_trips(value)
