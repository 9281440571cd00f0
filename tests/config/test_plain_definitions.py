"""The plain path for user definitions (`config.read.plain_definitions`) never
accepts what the pydantic rules (`provreg.definition_schema`) refuse, and
builds the very object they build: same values, same types (a bound `5` is
`5.0` in both).

Checked on every definition of the samples, the fixtures and the benchmark
generator (which the plain path must accept: otherwise a check of them pays
for pydantic), on the built-in catalog's entries, and on generated mappings:
valid ones, and ones with a value of the wrong type, a broken rule or an
unknown key in any place.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest
import yaml
from helpers.paths import REPO_ROOT, SAMPLE_CONFIGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from provreg.config.read.plain_definitions import plainly_valid
from provreg.definition_schema import validate_definition
from provreg.model import API_KINDS, FieldType

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from bench_check import CUSTOM_DEFINITION  # noqa: E402


def _by_pydantic(value: Any) -> Any:
    try:
        return validate_definition(value)
    except ValidationError:
        return None


def _same(plain: Any, checked: Any) -> bool:
    # repr shows every field with its type's spelling (5 against 5.0, a list
    # against a tuple), which == between numbers would not.
    return bool(plain == checked) and repr(plain) == repr(checked)


def _agrees(value: Any) -> Any:
    """The plain result, after holding it to pydantic's."""
    plain = plainly_valid(value)
    if plain is not None:
        checked = _by_pydantic(value)
        assert checked is not None, f"plain path accepted what pydantic refuses: {value!r}"
        assert _same(plain, checked), (plain, checked)
    return plain


def _written_definitions() -> list[tuple[str, Any]]:
    found = []
    paths = [*SAMPLE_CONFIGS.rglob("*.yaml"), *(REPO_ROOT / "tests" / "fixtures").rglob("*.yaml")]
    for path in sorted(paths):
        try:
            data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and isinstance(data.get("definitions"), list):
            for index, entry in enumerate(data["definitions"]):
                found.append((f"{path.relative_to(REPO_ROOT)}#{index}", entry))
    bench = yaml.load(CUSTOM_DEFINITION, Loader=yaml.CSafeLoader)["definitions"]
    found.extend((f"bench_check#{index}", entry) for index, entry in enumerate(bench))
    return found


WRITTEN = _written_definitions()


def test_the_written_definitions_were_found() -> None:
    assert any(name.startswith("sample_configs") for name, _ in WRITTEN)
    assert len(WRITTEN) >= 10


@pytest.mark.parametrize(("name", "entry"), WRITTEN, ids=[name for name, _ in WRITTEN])
def test_written_definitions_agree(name: str, entry: Any) -> None:
    _agrees(entry)


def test_the_samples_and_the_benchmark_take_the_plain_path() -> None:
    # A valid definition that fell back would be correct but slow: a check of
    # these files must not import pydantic.
    wanted = [(n, e) for n, e in WRITTEN if n.startswith(("sample_configs", "bench_check"))]
    assert wanted
    for name, entry in wanted:
        assert _by_pydantic(entry) is not None, name
        assert plainly_valid(entry) is not None, name


def test_builtin_entries_written_as_a_user_would_agree() -> None:
    path = REPO_ROOT / "src" / "provreg" / "catalog" / "builtin.yaml"
    entries = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)["definitions"]
    accepted = 0
    for entry in entries:
        # `probe:` blocks are left to pydantic; without one the rest must agree.
        user_entry = {key: value for key, value in entry.items() if key != "probe"}
        accepted += _agrees(user_entry) is not None
    assert accepted == len(entries)


# --------------------------------------------------------------------------- generated

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([2**53, 2**53 + 1, -(2**53), 2**1100, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1.0, 1e300, float("nan"), float("inf")]),
    st.text(max_size=8),
    st.sampled_from(["x\n", "", " ", "A", "a" * 101, "[", "(?P<", "abc", "5", "true"]),
    st.lists(st.text(max_size=4), max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


VALID_FIELD_IDS = st.sampled_from(["base_url", "api_key", "team", "x", "x_1", "budget", "a" * 63])
BAD_FIELD_IDS = st.sampled_from(["id", "name", "models", "helpers", "Bad", "1x", "x-y", "x\n"])


@st.composite
def field_specs(draw: st.DrawFn) -> dict[Any, Any]:
    """A field spec: most of them shaped as the rules want (each rule still in
    reach: a default on a secret, min above max, a bad pattern), some anyhow."""
    kind = draw(st.sampled_from([kind.value for kind in FieldType]))
    shaped = draw(st.integers(0, 3)) > 0
    ident = draw(VALID_FIELD_IDS if shaped else st.one_of(VALID_FIELD_IDS, BAD_FIELD_IDS))
    spec: dict[Any, Any] = {"id": ident, "type": kind}
    if draw(st.booleans()):
        spec["required"] = draw(st.booleans())
    if kind == "choice" or (not shaped and draw(st.integers(0, 3)) == 0):
        spec["choices"] = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3))
    if not shaped or kind in ("int", "float", "text", "list"):
        for key in ("min", "max"):
            if draw(st.integers(0, 2)) == 0:
                spec[key] = draw(
                    st.one_of(st.integers(-5, 200), st.sampled_from([1.5, 0.0, -2.0, 2**53]))
                )
    if (kind == "text" or not shaped) and draw(st.integers(0, 3)) == 0:
        spec["pattern"] = draw(st.sampled_from(["^sk-", "[", "^[a-z]+$", ".*"]))
    if draw(st.integers(0, 2)) == 0:
        spec["default"] = draw(st.sampled_from(["x", 3, 2.5, True, None, ["a"]]))
    for key in ("label", "help", "env"):
        if draw(st.integers(0, 4)) == 0:
            spec[key] = draw(st.text(max_size=5))
    return spec


@st.composite
def definitions(draw: st.DrawFn) -> dict[Any, Any]:
    shaped = draw(st.integers(0, 3)) > 0
    ids = ["acme", "acme-gw.2", "a" * 63] + ([] if shaped else ["Acme", "acme\n", "-x"])
    names = ["ACME", "a" * 100] + ([] if shaped else ["a" * 101, ""])
    value: dict[Any, Any] = {
        "id": draw(st.sampled_from(ids)),
        "name": draw(st.sampled_from(names)),
        "fields": draw(st.lists(field_specs(), max_size=4, unique_by=lambda f: str(f["id"])))
        if shaped
        else draw(st.lists(field_specs(), max_size=4)),
    }
    if draw(st.booleans()):
        value["models"] = draw(st.lists(st.sampled_from(["gpt-4.1", "llama"]), max_size=3))
    if draw(st.integers(0, 2)) == 0:
        value["api"] = draw(st.sampled_from([*API_KINDS, None] + ([] if shaped else ["soap"])))
    if draw(st.integers(0, 3)) == 0:
        tools = st.dictionaries(st.sampled_from(["litellm", "zed"]), st.text(max_size=4))
        value["tools"] = draw(tools)
    for key in ("description", "docs_url"):
        if draw(st.integers(0, 3)) == 0:
            value[key] = draw(st.text(max_size=5))
    return value


@st.composite
def spoiled(draw: st.DrawFn) -> dict[Any, Any]:
    """A generated definition with one value replaced, or a key added, anywhere."""
    value = draw(definitions())
    where = draw(st.integers(0, 2))
    if where == 0 or not value["fields"]:
        key = draw(st.sampled_from(["id", "name", "models", "api", "tools", "fields", "extra"]))
        value[key] = draw(ODD_VALUES)
    else:
        spec = value["fields"][draw(st.integers(0, len(value["fields"]) - 1))]
        key = draw(
            st.sampled_from(["id", "type", "required", "min", "max", "choices", "pattern", "oops"])
        )
        spec[key] = draw(ODD_VALUES)
    return value


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_generated_definitions_agree(value: dict[Any, Any]) -> None:
    plain = _agrees(value)
    if _by_pydantic(value) is not None and plain is None:
        # The plain path refuses only what it cannot be sure of; on these
        # well-typed mappings it must accept what pydantic accepts.
        pytest.fail(f"plain path refused a valid definition: {value!r}")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spoiled())
def test_spoiled_definitions_agree(value: dict[Any, Any]) -> None:
    _agrees(value)


def test_a_bound_is_a_float_as_pydantic_makes_it() -> None:
    value = {"id": "acme", "name": "ACME", "fields": [{"id": "n", "type": "int", "min": 5}]}
    plain = _agrees(value)
    assert plain is not None
    bound = plain.fields[0].min
    assert isinstance(bound, float) and math.isclose(bound, 5.0)


@pytest.mark.parametrize(
    "value",
    [
        {"id": "acme", "name": "ACME", "probe": {"path": "/models"}},  # probes: pydantic's
        {"id": "acme", "name": "ACME", "fields": [{"id": "n", "type": "int", "min": "5"}]},
        {"id": "acme", "name": "ACME", "fields": [{"id": "n", "required": 1}]},
        {"id": "acme", "name": "ACME", "models": ("a",)},
        {"id": "acme\n", "name": "ACME"},
    ],
)
def test_what_pydantic_might_convert_is_left_to_it(value: dict[Any, Any]) -> None:
    assert plainly_valid(value) is None


def test_the_agreement_check_can_fail() -> None:
    """A plain result that differs from pydantic's in a bound's type is caught."""
    from provreg.config.read import plain_definitions

    value = {"id": "acme", "name": "ACME", "fields": [{"id": "n", "type": "int", "min": 5}]}
    good = plain_definitions.plainly_valid(value)
    assert good is not None
    spec = good.fields[0].model_copy(update={"min": 5})
    wrong = good.model_copy(update={"fields": (spec,)})
    assert not _same(wrong, validate_definition(value))


def _one_field(**spec: Any) -> dict[str, Any]:
    return {"id": "acme", "name": "ACME", "fields": [{"id": "n", **spec}]}


@pytest.mark.parametrize(
    "value",
    [
        _one_field(type="secret", default="x"),
        _one_field(type="int", min=150, max=10),
        _one_field(type="text", min=-1),
        _one_field(type="int", min=1.5),
        _one_field(type="int", max=2**54),
        _one_field(type="float", min=float("nan")),
        _one_field(type="bool", min=1),
        _one_field(type="text", choices=["a"]),
        _one_field(type="choice"),
        _one_field(type="choice", choices=[]),
        _one_field(type="url", pattern="^https"),
        _one_field(type="text", pattern="["),
        _one_field(type="nonsense"),
        _one_field(oops=1),
        {"id": "acme", "name": "ACME", "fields": [{"id": "helpers"}]},
        {"id": "acme", "name": "ACME", "fields": [{"id": "n"}, {"id": "n"}]},
        {"id": "Acme", "name": "ACME"},
        {"id": "acme", "name": ""},
        {"id": "acme", "name": "a" * 101},
        {"id": "acme", "name": "ACME", "api": "soap"},
        {"id": "acme", "name": "ACME", "extra": 1},
    ],
)
def test_each_rule_broken_alone_is_left_to_pydantic(value: dict[str, Any]) -> None:
    # pydantic refuses each of these (so the file gets its message), and the
    # plain path, which would otherwise build a definition, refuses too.
    assert _by_pydantic(value) is None
    assert plainly_valid(value) is None
