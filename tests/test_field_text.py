"""`provreg.field_text.parse_field_text`: the one reading of typed text, shared by
`provreg add/edit --set` and the dashboard's form (tests/tui/test_form_parses_like_cli.py
checks the two end to end)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provreg.commands.common import CommandError
from provreg.commands.instances import parse_field_value
from provreg.field_text import FieldTextError, parse_field_text
from provreg.model import FieldSpec, FieldType, ProviderDefinition


def spec(kind: FieldType) -> FieldSpec:
    choices = ["platform", "research"] if kind is FieldType.CHOICE else None
    return FieldSpec(id="f", type=kind, choices=choices)


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (FieldType.BOOL, "true", True),
        (FieldType.BOOL, " Yes ", True),
        (FieldType.BOOL, "ON", True),
        (FieldType.BOOL, "1", True),
        (FieldType.BOOL, "y", True),
        (FieldType.BOOL, "false", False),
        (FieldType.BOOL, "No", False),
        (FieldType.BOOL, "off", False),
        (FieldType.BOOL, "0", False),
        (FieldType.BOOL, "n", False),
        (FieldType.INT, "3", 3),
        (FieldType.INT, " -12 ", -12),
        (FieldType.INT, "1_000", 1000),
        (FieldType.FLOAT, "2.5", 2.5),
        (FieldType.FLOAT, " 10 ", 10.0),
        (FieldType.FLOAT, "1e3", 1000.0),
        (FieldType.LIST, "a, b", ["a", "b"]),
        (FieldType.LIST, " a ,, b , ", ["a", "b"]),
        (FieldType.LIST, "", []),
        (FieldType.LIST, '["a, b", "c"]', ["a, b", "c"]),
        (FieldType.LIST, " [1, 2] ", [1, 2]),
        (FieldType.LIST, "[]", []),
        (FieldType.TEXT, " as typed ", " as typed "),
        (FieldType.URL, "https://example.test/v1", "https://example.test/v1"),
        (FieldType.CHOICE, "research", "research"),
    ],
)
def test_text_becomes_a_value_of_the_fields_type(kind: FieldType, text: str, value: Any) -> None:
    parsed = parse_field_text(spec(kind), text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("kind", "text", "expected", "reason"),
    [
        (FieldType.BOOL, "maybe", "true or false", ""),
        (FieldType.BOOL, "", "true or false", ""),
        (FieldType.INT, "three", "a whole number", ""),
        (FieldType.INT, "2.5", "a whole number", ""),
        (FieldType.INT, "", "a whole number", ""),
        (FieldType.FLOAT, "fast", "a number", ""),
        (FieldType.LIST, '["a", ', "a JSON list", "Expecting value"),
        (FieldType.LIST, "[a, b]", "a JSON list", "Expecting value"),
    ],
)
def test_text_of_another_type_is_refused_with_what_the_field_takes(
    kind: FieldType, text: str, expected: str, reason: str
) -> None:
    with pytest.raises(FieldTextError) as raised:
        parse_field_text(spec(kind), text)
    assert raised.value.expected == expected
    assert raised.value.reason == reason


def test_a_secret_field_is_never_parsed_from_text() -> None:
    with pytest.raises(ValueError, match="secret"):
        parse_field_text(spec(FieldType.SECRET), "sk-should-not-be-read")


@given(
    kind=st.sampled_from([t for t in FieldType if t is not FieldType.SECRET]),
    text=st.text(max_size=40),
)
def test_any_text_is_a_value_or_a_field_text_error(kind: FieldType, text: str) -> None:
    try:
        parse_field_text(spec(kind), text)
    except FieldTextError:
        pass


# --------------------------------------------------------------------------- the CLI's wording

DEFINITION = ProviderDefinition(
    id="typed",
    name="Typed",
    fields=[
        FieldSpec(id="flag", type=FieldType.BOOL),
        FieldSpec(id="retries", type=FieldType.INT),
        FieldSpec(id="timeout", type=FieldType.FLOAT),
        FieldSpec(id="tags", type=FieldType.LIST),
    ],
)


@pytest.mark.parametrize(
    ("field_id", "text", "message"),
    [
        ("flag", "maybe", "'flag' takes true or false, not 'maybe'"),
        ("retries", "three", "'retries' takes a whole number, not 'three'"),
        ("timeout", "fast", "'timeout' takes a number, not 'fast'"),
        ("tags", "[a", "'tags': not a JSON list: Expecting value"),
    ],
)
def test_the_command_line_names_the_field_and_the_text(
    field_id: str, text: str, message: str
) -> None:
    with pytest.raises(CommandError) as raised:
        parse_field_value(DEFINITION, field_id, text)
    assert str(raised.value) == message
