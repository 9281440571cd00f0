"""The hand-written field rules of `config/read/validation.py` give exactly
what the pydantic model they replaced gave (tests/helpers/pydantic_field_oracle.py):
the same validated values, types included, and the same problems (code, path,
message, hint, missing field, key or value) in the same order.

Compared on every instance of sample_configs/ and tests/fixtures/, on the
benchmark's generated set, on the fuzz inputs of tests/reliability, and on
hypothesis-generated values against generated field specs of every type.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import IntEnum, StrEnum
from pathlib import Path
from random import Random
from typing import Any

import pytest
from helpers.paths import FIXTURES, REPO_ROOT, SAMPLE_CONFIGS
from helpers.pydantic_field_oracle import oracle_check_fields
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability.fuzz_support import generated_document, mutate, seed_files

from provreg.catalog import builtin_catalog
from provreg.config.read import validation
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.field_problem import FieldProblem
from provreg.config.read.load_set import load_files
from provreg.model import FieldSpec, FieldType, ProviderDefinition, SecretRef

Case = tuple[Mapping[Any, Any], ProviderDefinition]


# --------------------------------------------------------------------------- comparing


SECRET_REF_PARTS = (
    "kind",
    "name",
    "explicit",
    "argv",
    "command_text",
    "timeout",
    "cache",
    "interactive",
)


def typed(value: Any) -> Any:
    """The value with the type of every part spelled out, so 1 != 1.0 != True."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, SecretRef):
        return ("SecretRef", [typed(getattr(value, name)) for name in SECRET_REF_PARTS])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, float):
        return ("float", value, math.copysign(1.0, value))
    return (type(value).__name__, value)


def problem_parts(problem: FieldProblem) -> tuple[Any, ...]:
    return (
        problem.code.code,
        typed(problem.path),
        problem.message,
        problem.hint,
        problem.missing_field,
        problem.at_key,
    )


def assert_same(raw: Mapping[Any, Any], definition: ProviderDefinition) -> None:
    new_values, new_problems = validation.check_fields(raw, definition)
    old_values, old_problems = oracle_check_fields(raw, definition)
    context = (definition.id, definition.fields, raw)
    assert [problem_parts(p) for p in new_problems] == [problem_parts(p) for p in old_problems], (
        context
    )
    assert typed(new_values) == typed(old_values), context


# --------------------------------------------------------------------------- cases from files


@contextmanager
def recording() -> Iterator[list[Case]]:
    """Every (instance mapping, definition) the loader validates, while it runs."""
    cases: list[Case] = []
    real = validation.check_fields

    def record(raw: Mapping[Any, Any], definition: ProviderDefinition) -> Any:
        cases.append((raw, definition))
        return real(raw, definition)

    validation.check_fields = record  # type: ignore[assignment]
    try:
        yield cases
    finally:
        validation.check_fields = real  # type: ignore[assignment]


def cases_of(paths: list[Path]) -> list[Case]:
    with recording() as cases:
        load_files(ConfigFile(str(path), path.name) for path in paths)
    return cases


def yaml_dirs(root: Path) -> list[list[Path]]:
    """The YAML files under `root`, a set per directory (a definition and its
    instances may be in sibling files)."""
    by_dir: dict[Path, list[Path]] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file() and not path.is_symlink():
            by_dir.setdefault(path.parent, []).append(path)
    return list(by_dir.values())


def test_every_instance_of_the_samples_and_fixtures() -> None:
    cases = [
        case
        for root in (SAMPLE_CONFIGS, FIXTURES)
        for files in yaml_dirs(root)
        for case in cases_of(files)
    ]
    assert len(cases) >= 100
    for raw, definition in cases:
        assert_same(raw, definition)


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_check_for_tests", REPO_ROOT / "benchmarks" / "bench_check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_set(tmp_path: Path) -> None:
    bench = _bench_module()
    _, files, _ = bench.generate(tmp_path, bench.DataSet("t", "300 in 10 files", 300, 10))
    cases = cases_of(files)
    assert len(cases) >= 300
    for raw, definition in cases:
        assert_same(raw, definition)


@pytest.mark.parametrize("seed", range(4))
def test_the_fuzz_inputs(seed: int, tmp_path: Path) -> None:
    seeds = seed_files()
    rng = Random(seed)
    count = 0
    for number in range(100):
        documents = [mutate(rng.choice(seeds), rng, seeds), generated_document(rng)]
        paths = []
        for index, data in enumerate(documents):
            path = tmp_path / f"{number}-{index}.yaml"
            path.write_bytes(data)
            paths.append(path)
        for raw, definition in cases_of(paths):
            assert_same(raw, definition)
            count += 1
    assert count >= 20


# --------------------------------------------------------------------------- generated specs

IDS = ("alpha", "beta", "gamma", "delta")
PATTERNS = ("^[a-z]+$", "a", r"^\d{2,}", "x|y$", "^$", ".", r"^sk-")
CHOICES = ("low", "medium", "high", "true", "1", "Yes", "é")
HELPS = (None, "help one", "help two")

texts = st.one_of(
    st.sampled_from(["", "a", "ab", "abc", "low", "lwo", "medium", "x", "sk-123", "12", "1e3"]),
    st.sampled_from(["http://h", "https://a.b/v1", "ftp://x", "http://", "http://h:99999"]),
    st.sampled_from(["http://[::1", "http://a b", "\ud800", "ab\udfff", "é" * 3, "1.5", " 60 "]),
    st.text(max_size=8),
)
numbers = st.one_of(
    st.integers(min_value=-20, max_value=20),
    st.integers(),
    st.sampled_from([2**53 + 1, 10**100, -(10**100), 2**1024, 10**400]),
    st.floats(min_value=-30, max_value=30),
    st.floats(),
)
secret_refs = st.one_of(
    st.sampled_from(
        [
            {"keyring": True},
            {"keyring": "name"},
            {"keyring": ""},
            {"keyring": False},
            {"env": "VAR"},
            {"env": "1BAD"},
            {"env": "sk-proj-pasted"},
            {"file": "~/k"},
            {"file": ""},
            {"vault": "x"},
            {"sk-proj-abc123": None},
            {"env": "A", "file": "B"},
            {},
            {"command": ["op", "read"]},
            {"command": "pass show 'x'", "timeout": 5, "cache": 60},
            {"command": "pass 'unclosed"},
            {"command": [], "interactive": True},
            {"command": ["op", 3]},
            {"command": ["op"], "timeout": 601},
            {"command": ["op"], "timeout": 10**400},
            {"command": ["op"], "cache": True},
            {"command": ["op"], "shell": True},
            {"command": {"op": 1}},
        ]
    ),
    st.dictionaries(st.sampled_from(["env", "keyring", "file", "command"]), texts, max_size=2),
)


class Tone(StrEnum):
    """Not from YAML, but the registry takes values from Python callers too."""

    LOW = "low"
    OTHER = "sk-other"


class Count(IntEnum):
    THREE = 3


scalars = st.one_of(
    st.none(), st.booleans(), numbers, texts, st.sampled_from([Tone.LOW, Tone.OTHER, Count.THREE])
)
values = st.one_of(
    scalars,
    secret_refs,
    st.lists(scalars, max_size=6),
    st.lists(texts, max_size=6),
    st.tuples(texts),
)


@st.composite
def field_specs(draw: st.DrawFn, field_id: str) -> FieldSpec:
    kind = draw(st.sampled_from(list(FieldType)))
    spec: dict[str, Any] = {"id": field_id, "type": kind, "required": draw(st.booleans())}
    spec["help"] = draw(st.sampled_from(HELPS))
    if kind is not FieldType.SECRET and draw(st.booleans()):
        spec["default"] = draw(scalars)
    if kind in (FieldType.INT, FieldType.FLOAT, FieldType.TEXT, FieldType.LIST):
        whole = kind is not FieldType.FLOAT
        low_floor = 0 if kind in (FieldType.TEXT, FieldType.LIST) else -20
        bound = (
            st.integers(min_value=low_floor, max_value=20).map(float)
            if whole
            else st.floats(min_value=-20, max_value=20)
        )
        low = draw(st.none() | bound)
        high = draw(st.none() | bound)
        if low is not None and high is not None and low > high:
            low, high = high, low
        spec["min"], spec["max"] = low, high
    if kind is FieldType.TEXT:
        spec["pattern"] = draw(st.none() | st.sampled_from(PATTERNS))
    if kind is FieldType.CHOICE:
        spec["choices"] = tuple(draw(st.lists(st.sampled_from(CHOICES), min_size=1, max_size=4)))
    return FieldSpec(**spec)


@st.composite
def definitions(draw: st.DrawFn) -> ProviderDefinition:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=4, unique=True))
    fields = tuple(draw(field_specs(field_id)) for field_id in ids)
    return ProviderDefinition(id="acme", name="ACME", fields=fields)


def instance_for(draw: st.DrawFn, definition: ProviderDefinition) -> dict[str, Any]:
    keys = [spec.id for spec in definition.fields]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    raw: dict[str, Any] = {"id": "i", "name": "I", "provider": definition.id}
    for key in chosen:
        raw[key] = draw(values)
    return raw


def exhaustive(examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@exhaustive(1000)
@given(st.data())
def test_generated_specs_and_values(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    raw = instance_for(data.draw, definition)
    assert_same(raw, definition)


@exhaustive(300)
@given(st.data())
def test_generated_values_against_the_builtin_catalog(data: st.DataObject) -> None:
    definition = data.draw(st.sampled_from(list(builtin_catalog())))
    raw = instance_for(data.draw, definition)
    assert_same(raw, definition)


def test_a_user_definition_reused_by_content_keeps_its_own_messages() -> None:
    """The checker of an unchanged user definition is reused; one that differs in
    anything a message says (here the help) is not."""
    first, second = (
        ProviderDefinition(
            id="acme",
            name="ACME",
            fields=(FieldSpec(id="team", type=FieldType.TEXT, required=True, help=text),),
        )
        for text in ("first help", "second help")
    )
    for definition in (first, second, first):
        _, problems = validation.check_fields({}, definition)
        assert problems[0].hint == definition.fields[0].help
        assert_same({"team": 5}, definition)


def test_the_validator_imports_no_pydantic() -> None:
    source = (REPO_ROOT / "src" / "provreg" / "config" / "read" / "validation.py").read_text()
    imported = {
        name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert "yaml" in imported  # the walk sees the imports
    assert not imported & {"pydantic", "pydantic_core"}
