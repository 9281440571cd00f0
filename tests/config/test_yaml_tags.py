"""The loader's cached tag resolution gives exactly PyYAML's YAML 1.1 tags.

`ConfigLoader` remembers the tag of each short plain scalar and skips the
resolver for text no implicit pattern can match; these tests compare its node
trees, and the values `parse_text` builds from them, with the stock
`yaml.CSafeLoader` and with its own cold (empty cache) runs.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from provreg.config import yaml_tags
from provreg.config.read.yaml_source import Limits, parse_text
from provreg.config.yaml_tags import ConfigLoader, clear_tag_cache, plain_scalar_tag

BOOLS = [
    *("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE"),
    *("false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"),
    # Not booleans in PyYAML's table, though YAML 1.1 lists some of them.
    *("y", "Y", "n", "N", "yES", "tRUE", "oN", "nO", "truee", "offf"),
]
INTS = [
    *("0", "1", "-1", "+1", "42", "1_000", "-1_000", "+0", "00"),
    *("0b1010", "0b_1", "-0b11", "010", "0o10", "0_7", "08", "09"),
    *("0x1F", "0xff", "0x_FF", "-0x1", "0x", "0xg"),
    *("190:20:30", "1:00", "-1:30", "1:60", "+12:34:56"),
    "1" * 5000,  # past Python's int-from-text digit limit: kept as text
]
FLOATS = [
    *("1.0", "-1.5", "+1.5", "1e3", "1.0e3", "1.0e+3", "1.0E-3", "6.8523015e+5"),
    *(".5", "-.5", "1.", "1_000.5", "190:20:30.15", ".inf", "-.inf", "+.Inf"),
    *(".INF", ".nan", ".NaN", ".NAN", ".Nan", "1e", "e3", ".", "-", "+", "1.2.3"),
]
NULLS = ["~", "null", "Null", "NULL", "nULL", "none", "None", ""]
TIMESTAMPS = [
    *("2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5"),
    *("2001-12-15T02:59:43.1Z", "2001-12-15 2:59:43.10", "2002-1-1", "2002-13-45"),
]
OTHERS = [
    *("<<", "=", "!", "&", "*", "a", "name", "provider", "Work OpenAI", "gpt-4.1"),
    *("https://api.openai.com/v1", "4o", "3.5-turbo", "12:30", "1_", "_1", "0.0.0.0"),
    *("-x", "+x", "~x", "null-ish", "yes please", "o", "t", "f", "NaN", "inf"),
]
SCALARS = BOOLS + INTS + FLOATS + NULLS + TIMESTAMPS + OTHERS


def _stock_tag(value: str) -> str:
    return str(Resolver().resolve(ScalarNode, value, (True, False)))


@pytest.mark.parametrize("value", SCALARS)
def test_plain_scalar_tag_is_the_stock_resolvers_cold_and_warm(value: str) -> None:
    clear_tag_cache()
    assert plain_scalar_tag(value) == _stock_tag(value)  # cold
    assert plain_scalar_tag(value) == _stock_tag(value)  # warm


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-._:eExXoObB~<=yYnNtTfF aTZ", max_size=20) | st.text())
def test_plain_scalar_tag_matches_for_any_text(value: str) -> None:
    assert plain_scalar_tag(value) == _stock_tag(value)
    assert plain_scalar_tag(value) == _stock_tag(value)


def _quoted(value: str) -> list[str]:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return [f'"{escaped}"', "'" + value.replace("'", "''") + "'"]


def _plain_everywhere(value: str) -> bool:
    """True when `value` reads back as itself, plain, in every place `_document` puts it."""
    text = f"v: {value}\nf: [{value}, {{k: {value}}}]\nm: {{{value}: 1}}\ns:\n  - {value}\n"
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return False
    values = root.value
    found = [
        values[0][1],
        values[1][1].value[0],
        values[1][1].value[1].value[0][1],
        values[2][1].value[0][0],
        values[3][1].value[0],
    ]
    return all(isinstance(n, ScalarNode) and n.value == value and not n.style for n in found)


PLAIN = [value for value in SCALARS if _plain_everywhere(value)]


def test_most_scalars_are_tried_plain() -> None:
    assert len(PLAIN) > len(SCALARS) - 10


def _document() -> str:
    """Every scalar as a plain and quoted value, as a key, in flow collections
    and sequences, plus merge keys and tags."""
    lines = ["version: 1", "values:"]
    for index, value in enumerate(SCALARS):
        if value in PLAIN:
            lines.append(f"  v{index}: {value}")
            lines.append(f"  f{index}: [{value}, {_quoted(value)[0]}, {{k: {value}}}]")
        for kind, quoted in enumerate(_quoted(value)):
            lines.append(f"  q{index}_{kind}: {quoted}")
    lines.append("keys:")
    for index, value in enumerate(SCALARS):
        if len(value) > 1000:
            continue  # YAML limits implicit keys to 1024 characters
        if value in PLAIN and value != "<<":
            lines.append(f"  - {{{value}: {index}}}")
        lines.append(f"  - {{{_quoted(value)[1]}: {index}}}")
    lines.append("sequence:")
    lines.extend(f"  - {value}" for value in PLAIN)
    lines.extend(
        [
            "base: &base {a: 1, b: yes, c: 0x10}",
            "merged:",
            "  <<: *base",
            "  b: off",
            "merged_list:",
            "  <<: [*base, {d: 2001-12-14}]",
            "quoted_merge: {'<<': *base}",
            "tagged: [!!str 123, !!int '42', !!bool 'yes', !!float '1', !!null '']",
            "non_specific: [! 12, ! yes, ! '12', ! \"yes\", ! ~]",
        ]
    )
    return "\n".join(lines) + "\n"


def _tree(node: Node) -> Any:
    """A node tree as plain data: kind, tag, value, style and both marks."""
    marks = (node.start_mark.line, node.start_mark.column, node.end_mark.line)
    if isinstance(node, ScalarNode):
        return ("scalar", node.tag, node.value, node.style, marks)
    if isinstance(node, SequenceNode):
        return ("seq", node.tag, marks, [_tree(child) for child in node.value])
    assert isinstance(node, MappingNode)
    return ("map", node.tag, marks, [(_tree(k), _tree(v)) for k, v in node.value])


def _compose(loader_class: type, text: str) -> Node:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    assert node is not None
    return node


def _typed(value: Any) -> Any:
    """Values with their types, NaN made comparable, so 1 == 1.0 == True cannot hide a change."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def test_document_composes_as_with_the_stock_loader() -> None:
    text = _document()
    stock = _tree(_compose(yaml.CSafeLoader, text))
    clear_tag_cache()
    assert _tree(_compose(ConfigLoader, text)) == stock  # cold cache
    assert _tree(_compose(ConfigLoader, text)) == stock  # warm cache


def test_parse_text_gives_the_same_values_and_diagnostics_cold_and_warm() -> None:
    text = _document()
    clear_tag_cache()
    cold = parse_text(text, "f.yaml")
    warm = parse_text(text, "f.yaml")
    assert not cold.failed
    assert _typed(warm.value) == _typed(cold.value)
    assert warm.diagnostics == cold.diagnostics
    assert warm.root is not None and cold.root is not None
    assert _tree(warm.root) == _tree(cold.root)


def test_parse_text_values_are_pyyamls_except_timestamps() -> None:
    document = parse_text(_document(), "f.yaml")
    for value in PLAIN:
        got = document.value["values"][f"v{SCALARS.index(value)}"]
        if _stock_tag(value).endswith(":timestamp"):
            assert got == value  # dates stay text
            continue
        try:
            expected = yaml.load(f"v: {value}\n", Loader=yaml.CSafeLoader)["v"]  # noqa: S506
        except ValueError:  # `0x`, more than 4300 digits: we keep the text
            assert got == value
            continue
        except yaml.constructor.ConstructorError:  # `<<` or `=` as a value
            assert got is None  # reported as an unsupported tag
            continue
        assert _typed(got) == _typed(expected), value
    assert document.value["merged"] == {"a": 1, "b": False, "c": 16}
    assert document.value["merged_list"] == {"a": 1, "b": True, "c": 16, "d": "2001-12-14"}
    assert document.value["quoted_merge"] == {"<<": {"a": 1, "b": True, "c": 16}}
    assert _typed(document.value["tagged"]) == _typed(["123", 42, True, 1.0, None])
    # libyaml resolves `!`-tagged scalars, even quoted ones, as PyYAML's C loader does.
    non_specific = yaml.load("[! 12, ! yes, ! '12', ! \"yes\", ! ~]", Loader=yaml.CSafeLoader)  # noqa: S506
    assert _typed(document.value["non_specific"]) == _typed(non_specific)


def test_cache_is_bounded_and_skips_long_and_plain_text() -> None:
    clear_tag_cache()
    for number in range(yaml_tags.CACHE_MAX_ENTRIES * 2 + 10):
        assert plain_scalar_tag(str(number)) == "tag:yaml.org,2002:int"
    assert 0 < len(yaml_tags._cache) <= yaml_tags.CACHE_MAX_ENTRIES
    clear_tag_cache()
    long_number = "1" * (yaml_tags.CACHE_MAX_LENGTH + 1)
    assert plain_scalar_tag(long_number) == "tag:yaml.org,2002:int"
    assert plain_scalar_tag("Work OpenAI") == "tag:yaml.org,2002:str"
    assert yaml_tags._cache == {}


def test_a_resolver_added_later_elsewhere_does_not_change_config_files() -> None:
    semver = yaml_tags.re.compile(r"^\d+\.\d+\.\d+$")
    yaml.CSafeLoader.add_implicit_resolver("!semver", semver, list("0123456789"))
    try:
        assert yaml.compose("1.2.3", Loader=yaml.CSafeLoader).tag == "!semver"
        assert parse_text("version: 1\nv: 1.2.3\n", "f.yaml").value["v"] == "1.2.3"
    finally:
        del yaml.CSafeLoader.yaml_implicit_resolvers  # its own copy: back to Resolver's
    assert yaml.compose("1.2.3", Loader=yaml.CSafeLoader).tag.endswith(":str")


def test_depth_limit_still_counts_scalar_values() -> None:
    text = "a:\n  b:\n    c: 1\n"
    assert parse_text(text, "f", Limits(max_depth=3)).value == {"a": {"b": {"c": 1}}}
    too_deep = parse_text(text, "f", Limits(max_depth=2))
    assert too_deep.failed
    assert [(d.code, d.line, d.column) for d in too_deep.diagnostics] == [("E007", 3, 8)]


def test_duplicate_keys_name_both_lines() -> None:
    text = "version: 1\nname: a\nother: 1\nname: b\nname: c\n"
    document = parse_text(text, "f.yaml")
    assert [d.message for d in document.diagnostics] == [
        "duplicate key 'name' (lines 2 and 4)",
        "duplicate key 'name' (lines 4 and 5)",
    ]
    assert document.value["name"] == "c"
