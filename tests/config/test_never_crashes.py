"""Hostile and random input never crashes the loader; it yields diagnostics.

Properties checked on every example: no exception, every diagnostic has a
known code with that code's severity, a 1-based position inside the input,
and the instances that load have valid, unique ids.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from helpers.cli import run_provreg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provreg.catalog import builtin_catalog
from provreg.config.codes import BY_CODE
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.config.read.reading import parse_file
from provreg.config.read.results import LoadResult
from provreg.model import ID_RE, Diagnostic

IN_PROCESS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every character libyaml starts a new line at (\r\n counts once, so this bounds it).
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def _line_count(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return max(len(_LINE_BREAKS.findall(text)), data.count(b"\n")) + 1


def _check_diagnostics(diagnostics: Iterable[Diagnostic], lines: dict[str, int]) -> None:
    for diag in diagnostics:
        assert diag.code in BY_CODE, diag
        assert diag.severity is BY_CODE[diag.code].severity, diag
        assert diag.line >= 1 and diag.column >= 1, diag
        assert diag.file in lines, diag
        assert diag.line <= lines[diag.file], (diag, lines[diag.file])
        assert diag.message.strip(), diag
        assert "\n" not in diag.message, diag


def _check_instances(result: LoadResult) -> None:
    ids = [instance.id for instance in result.instances]
    assert len(ids) == len(set(ids)), ids
    for instance in result.instances:
        assert ID_RE.fullmatch(instance.id), instance.id
        assert instance.provider in result.catalog
        assert 1 <= len(instance.name) <= 100


def _parse(data: bytes) -> None:
    parsed = parse_file(data, "input.yaml", "input.yaml")
    _check_diagnostics(parsed.diagnostics, {"input.yaml": _line_count(data)})
    if not parsed.interpretable:
        assert any(d.severity.value == "error" for d in parsed.diagnostics)


def _load(documents: list[bytes]) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        lines = {}
        for index, data in enumerate(documents):
            path = os.path.join(tmp, f"f{index}.yaml")
            with open(path, "wb") as handle:
                handle.write(data)
            files.append(ConfigFile(path, f"f{index}.yaml"))
            lines[f"f{index}.yaml"] = _line_count(data)
        result = load_files(files)
    _check_diagnostics(result.diagnostics, lines)
    _check_instances(result)
    return result


# ---------------------------------------------------------------------- raw input


@IN_PROCESS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    _parse(data)


@IN_PROCESS
@given(st.text(max_size=2048))
def test_arbitrary_text(text: str) -> None:
    _parse(text.encode("utf-8"))


YAML_PUNCTUATION = st.sampled_from(
    list("-:?[]{},#&*!|>'\"%@` \t\n") + ["---", "...", "<<: ", "!!python/object", "&a", "*a"]
)


@IN_PROCESS
@given(st.lists(st.one_of(YAML_PUNCTUATION, st.text(max_size=8)), max_size=80))
def test_yaml_punctuation_soup(parts: list[str]) -> None:
    _parse("".join(parts).encode("utf-8"))


# ---------------------------------------------------------------------- YAML-shaped

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "~", "yes", "no", "0x_", "1:20", "2024-01-01", ".nan", "-.inf"]),
)
KEYS = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none())
NESTED = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(KEYS, children, max_size=5),
    ),
    max_leaves=25,
)


def _dump(value: Any, flow: bool | None, unicode: bool) -> bytes:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)
    return text.encode("utf-8")


@IN_PROCESS
@given(NESTED, st.sampled_from([None, False, True]), st.booleans())
def test_yaml_shaped_documents(value: Any, flow: bool | None, unicode: bool) -> None:
    data = _dump(value, flow, unicode)
    _parse(data)
    _load([data])


CATALOG = builtin_catalog()
PROVIDER_IDS = CATALOG.ids()
FIELD_IDS = sorted({spec.id for definition in CATALOG for spec in definition.fields})

SECRET_REFS = st.one_of(
    st.fixed_dictionaries({"keyring": st.one_of(st.just(True), st.text(max_size=10))}),
    st.fixed_dictionaries({"env": st.one_of(st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,10}\Z"), SCALARS)}),
    st.fixed_dictionaries({"file": st.one_of(st.text(max_size=20), SCALARS)}),
    st.dictionaries(st.sampled_from(["keyring", "env", "file", "vault"]), SCALARS, max_size=3),
)
FIELD_VALUES = st.one_of(
    SCALARS,
    SECRET_REFS,
    st.sampled_from(["https://api.example.com/v1", "http://localhost:11434", "ftp://x", "http://"]),
    st.lists(st.one_of(st.text(max_size=10), SCALARS), max_size=4),
    NESTED,
)
ID_LIKE = st.one_of(st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,12}\Z"), SCALARS)
INSTANCES = st.builds(
    lambda base, fields: {**base, **fields},
    st.fixed_dictionaries(
        {},
        optional={
            "id": ID_LIKE,
            "name": st.one_of(st.text(max_size=20), st.text(min_size=101, max_size=110), SCALARS),
            "provider": st.one_of(st.sampled_from(PROVIDER_IDS), st.text(max_size=10), SCALARS),
        },
    ),
    st.dictionaries(
        st.one_of(st.sampled_from(FIELD_IDS), st.text(max_size=10)), FIELD_VALUES, max_size=6
    ),
)
FIELD_SPECS = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(FIELD_IDS + ["id", "x"]), SCALARS)},
    optional={
        "type": st.one_of(
            st.sampled_from(["text", "url", "secret", "bool", "int", "float", "choice", "list"]),
            SCALARS,
        ),
        "required": st.one_of(st.booleans(), SCALARS),
        "default": FIELD_VALUES,
        "pattern": st.sampled_from(["^org-", "[", "(a|b", ".*"]),
        "min": SCALARS,
        "max": SCALARS,
        "choices": st.one_of(st.lists(st.text(max_size=5), max_size=3), SCALARS),
        "label": SCALARS,
        "bogus": SCALARS,
    },
)
DEFINITIONS = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from(["acme", "acme-2", "openai"]), ID_LIKE),
        "name": st.one_of(st.text(max_size=12), SCALARS),
    },
    optional={
        "fields": st.one_of(st.lists(FIELD_SPECS, max_size=4), SCALARS),
        "builtin": st.booleans(),
        "models": st.one_of(st.lists(st.text(max_size=8), max_size=3), SCALARS),
    },
)
CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "version": st.one_of(st.just(1), st.integers(-2, 3), SCALARS),
        "providers": st.one_of(st.lists(INSTANCES, max_size=5), NESTED),
        "definitions": st.one_of(st.lists(DEFINITIONS, max_size=3), NESTED),
        "extra": NESTED,
    },
)


@IN_PROCESS
@given(st.lists(CONFIGS, min_size=1, max_size=3), st.sampled_from([None, False, True]))
def test_config_shaped_documents(configs: list[dict[str, Any]], flow: bool | None) -> None:
    documents = [_dump(config, flow, True) for config in configs]
    result = _load(documents)
    if not any(d.severity.value == "error" for d in result.diagnostics):
        # Nothing wrong: every provider entry of every file became an instance.
        expected = sum(len(c.get("providers") or []) for c in configs)
        assert len(result.instances) == expected


SECRET_TOKEN = st.from_regex(r"\Ask-[A-Za-z0-9]{24,40}\Z")


@IN_PROCESS
@given(
    SECRET_TOKEN,
    st.sampled_from(["openai", "anthropic", "openai-compatible", "acme"]),
    st.sampled_from(
        [
            "{t}",
            "'{t}'",
            "[{t}]",
            "{{env: {t}}}",
            "{{{t}}}",
            "{{{t}: x}}",
            "{{env: X, file: {t}}}",
            "|\n      {t}",
        ]
    ),
)
def test_secret_values_never_appear_in_diagnostics(token: str, provider: str, shape: str) -> None:
    text = (
        "version: 1\n"
        "definitions:\n"
        "  - {id: acme, name: ACME, fields: [{id: api_key, type: secret}]}\n"
        "providers:\n"
        "  - id: inst\n"
        "    name: Inst\n"
        f"    provider: {provider}\n"
        "    base_url: https://example.com/v1\n"
        "    default_model: m\n"
        f"    api_key: {shape.format(t=token)}\n"
    )
    result = _load([text.encode()])
    flagged = [d for d in result.diagnostics if d.line == 10]
    assert flagged and all(d.code in {"E209", "E210"} for d in flagged), result.diagnostics
    for diag in result.diagnostics:
        assert token not in diag.message
        assert token not in (diag.hint or "")


# ---------------------------------------------------------------------- the real command


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            CONFIGS.map(lambda c: _dump(c, None, True)),
            NESTED.map(lambda v: _dump(v, True, False)),
            st.binary(max_size=200),
            st.text(max_size=200).map(str.encode),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["text", "json", "github"]),
)
def test_check_command_exits_0_or_1_without_traceback(documents: list[bytes], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for index, data in enumerate(documents):
            Path(tmp, f"f{index}.yaml").write_bytes(data)
        done = run_provreg("--check", tmp, "--format", fmt, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr == ""
    if fmt == "json":
        report = json.loads(done.stdout)
        assert report["files"] == len(documents)
        assert (report["errors"] > 0) == (done.returncode == 1)
    elif fmt == "text":
        assert done.stdout.splitlines()[-1].startswith(f"checked {len(documents)} file")


def test_helpers_bound_lines() -> None:
    # The position bound above must itself be right, or it proves nothing.
    assert _line_count(b"a") == 1
    assert _line_count(b"a\r\nb\n") == 3
    assert _line_count("a\u2028b".encode()) == 2
