"""One fixture per diagnostic code: the exact code, severity, file, line and column.

Each row of CASES names a fixture under tests/fixtures/diagnostics (a file, or a
directory when the problem spans files) or generates one into tmp_path (bytes
that do not belong in the repository: binary, non-UTF-8, unreadable). A code
added to codes.ALL_CODES without a row here fails `test_every_code_has_a_case`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from helpers import paths
from helpers.cli import run_provreg

from provreg.check import run_check
from provreg.config import codes
from provreg.config.read.load_set import load_paths
from provreg.config.read.results import LoadResult
from provreg.config.read.yaml_source import Limits
from provreg.model import Diagnostic

FIXTURES = paths.FIXTURES / "diagnostics"

SECRET = "sk-proj-SECRETVALUE0123456789abcdef"
"""The plaintext key in E209_plaintext-secret.yaml; it must never be repeated."""


def _non_utf8(tmp: Path) -> Path:
    path = tmp / "E003_not-utf8.yaml"
    # Latin-1 "café": byte 0xe9 is line 3, column 14.
    path.write_bytes(b"version: 1\nproviders:\n  - name: caf\xe9\n    provider: openai\n")
    return path


def _binary(tmp: Path) -> Path:
    path = tmp / "E004_binary.yaml"
    # A NUL byte at line 2, column 5, and bytes that are not UTF-8 later on:
    # the NUL decides it is binary, and it is reported where it is.
    path.write_bytes(b"version: 1\nprov\x00iders: \x89PNG\r\n\x1a\n\xff\xfe")
    return path


def _unreadable(tmp: Path) -> Path:
    # Tests run as root, so chmod 000 would not stop a read: a dangling symlink
    # fails for every user. It is listed by the directory walk (it has a config
    # name) and fails when opened.
    config = tmp / "E011_unreadable"
    config.mkdir()
    (config / "ok.yaml").write_text("version: 1\nproviders: []\n")
    (config / "gone.yaml").symlink_to(tmp / "does-not-exist.yaml")
    return config


def _unreadable_directory(tmp: Path) -> Path:
    # A subdirectory that is a symlink to itself: even root cannot list it.
    config = tmp / "E015_unreadable-directory"
    config.mkdir()
    (config / "ok.yaml").write_text("version: 1\nproviders: []\n")
    (config / "team").symlink_to("team")
    return config


def _writable_by_others(tmp: Path) -> Path:
    path = tmp / "W016_writable-by-others.yaml"
    path.write_text("version: 1\nproviders: []\n")
    path.chmod(0o666)
    return path


def _command_in_writable_file(tmp: Path) -> Path:
    path = tmp / "E218_command-ref-refused.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - id: work-openai\n    name: Work OpenAI\n"
        "    provider: openai\n    api_key: {command: [op, read, op://Work/OpenAI/key]}\n"
    )
    path.chmod(0o664)
    return path


@dataclass(frozen=True)
class Case:
    fixture: str
    """Name under tests/fixtures/diagnostics (or of the generated file)."""
    code: str
    severity: str
    where: tuple[tuple[str, int, int], ...]
    """Every (file, line, column) the code is reported at; file is relative to a
    fixture directory, or "" for a single-file fixture."""
    message: tuple[str, ...] = ()
    """Parts the message must contain."""
    hint: tuple[str, ...] = ()
    """Parts the hint must contain."""
    also: frozenset[str] = frozenset()
    """Other codes the fixture may produce (a fixture shows one problem)."""
    instances: tuple[str, ...] | None = None
    """Ids of the instances that still load, when that is part of the point."""
    limits: Limits = Limits()
    make: Callable[[Path], Path] | None = None
    """Generates the fixture into tmp_path instead of reading a committed one."""
    instance_id: str | None | bool = False
    """Expected instance_id of the diagnostics (False: not checked)."""
    secrets: bool = False
    """Also check that secret references resolve, as `--check --secrets` does."""
    path_checks: bool = False
    """Also check the paths themselves (unreadable, writable by others), as `--check` does."""

    def __str__(self) -> str:
        return self.fixture


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------ file level
    Case(
        "E001_yaml-syntax.yaml",
        "E001",
        "error",
        # The unclosed `[` opens on line 4; libyaml notices at the `:` of the
        # next key, and the problem mark is what the user is shown.
        (("", 5, 13),),
        message=("flow sequence", "did not find expected ',' or ']'"),
        instances=(),
    ),
    Case(
        "E002_duplicate-key.yaml",
        "E002",
        "error",
        (("", 6, 5),),
        message=("duplicate key 'name'", "lines 4 and 6"),
        hint=("delete one of them",),
    ),
    Case(
        "E003_not-utf8.yaml",
        "E003",
        "error",
        (("", 3, 14),),
        message=("0xe9",),
        hint=("UTF-8",),
        instances=(),
        make=_non_utf8,
    ),
    Case(
        "E004_binary.yaml",
        "E004",
        "error",
        (("", 2, 5),),
        message=("binary",),
        instances=(),
        make=_binary,
    ),
    Case(
        "E005_file-too-large.yaml",
        "E005",
        "error",
        (("", 1, 1),),
        # The real size of the file, not just "more than the limit".
        message=("151 bytes", "limit of 100"),
        hint=("--max-file-size",),
        instances=(),
        limits=Limits(max_bytes=100),
    ),
    Case(
        "E006_alias-bomb.yaml",
        "E006",
        "error",
        # The limit (10,000 nodes) is crossed while expanding `*c` inside `d`.
        (("", 6, 4),),
        message=("aliases expand to more than 10,000 nodes",),
        instances=(),
    ),
    Case(
        "E007_too-deep.yaml",
        "E007",
        "error",
        # `providers: ` is 11 columns; the 65th `[` (depth 65 > 64) is column 76.
        (("", 2, 76),),
        message=("deeper than 64 levels",),
        instances=(),
    ),
    Case(
        "E008_multiple-documents.yaml",
        "E008",
        "error",
        (("", 3, 1),),
        message=("a second YAML document starts here",),
        instances=(),
    ),
    Case(
        "E009_unsupported-tag.yaml",
        "E009",
        "error",
        (("", 6, 20),),
        message=("python/object",),
        hint=("remove the tag",),
    ),
    Case(
        "E010_empty-file.yaml",
        "E010",
        "error",
        (("", 1, 1),),
        message=("empty",),
        hint=("version: 1",),
        instances=(),
    ),
    Case(
        "E011_unreadable",
        "E011",
        "error",
        (("gone.yaml", 1, 1),),
        message=("cannot read file", "No such file or directory"),
        instances=(),
        make=_unreadable,
    ),
    Case(
        "E013_number-too-long.yaml",
        "E013",
        "error",
        (("", 6, 18),),
        message=("120 digits", "limit of 100"),
        # Like the other limits: the file is not interpreted.
        instances=(),
    ),
    Case(
        "E015_unreadable-directory",
        "E015",
        "error",
        (("team", 1, 1),),
        message=("cannot read directory entry", "Too many levels of symbolic links"),
        hint=("not checked",),
        make=_unreadable_directory,
        path_checks=True,
    ),
    Case(
        "W016_writable-by-others.yaml",
        "W016",
        "warning",
        (("", 1, 1),),
        message=("file is writable by group and others (mode 0666)", "another host"),
        hint=("chmod go-w",),
        make=_writable_by_others,
        path_checks=True,
    ),
    Case(
        "E012_bad-key.yaml",
        "E012",
        "error",
        (("", 6, 5),),
        message=("plain scalar",),
    ),
    # ------------------------------------------------------------ document shape
    Case(
        "E101_wrong-shape.yaml",
        "E101",
        "error",
        (("", 1, 1),),
        message=("not a list",),
        hint=("version: 1",),
        instances=(),
    ),
    Case(
        "E102_unknown-top-level-key.yaml",
        "E102",
        "error",
        (("", 2, 1),),
        message=("unknown top-level key 'provider'", "(did you mean 'providers'?)"),
        instances=(),
    ),
    Case(
        "E103_version-too-new.yaml",
        "E103",
        "error",
        (("", 2, 10),),
        message=("format version 2", "not interpreted"),
        hint=("upgrade provreg",),
        # The file's instance is not loaded: it may mean something else in v2.
        instances=(),
    ),
    Case(
        "E104_bad-version.yaml",
        "E104",
        "error",
        (("", 1, 10),),
        message=("'version' must be a whole number", "'one'"),
        instances=(),
    ),
    Case(
        "E106_legacy-layout.yaml",
        "E106",
        "error",
        # At the document (after the leading comment): the whole file is the old layout.
        (("", 2, 1),),
        message=("old app's layout", "not interpreted"),
        hint=("provreg migrate",),
        instances=(),
    ),
    Case(
        "I105_missing-version.yaml",
        "I105",
        "info",
        (("", 1, 1),),
        message=("assuming version 1",),
        instances=("work-openai",),
    ),
    # ------------------------------------------------------------ instances
    Case(
        "E201_unknown-provider.yaml",
        "E201",
        "error",
        (("", 5, 15),),
        message=("unknown provider 'opnai'", "(did you mean 'openai'?)"),
        instances=(),
        instance_id="work-openai",
    ),
    Case(
        "E202_missing-field.yaml",
        "E202",
        "error",
        # A missing field points at the instance that lacks it.
        (("", 3, 5),),
        message=("missing required field 'deployment'", "azure-openai"),
        hint=("deployment in Azure",),
        instances=(),
        instance_id="work-azure",
    ),
    Case(
        "W203_unknown-field.yaml",
        "W203",
        "warning",
        # At the key, not the value.
        (("", 6, 5),),
        message=("unknown field 'base_ur'", "(did you mean 'base_url'?)"),
        # A warning does not drop the instance.
        instances=("work-openai",),
        instance_id="work-openai",
    ),
    Case(
        "E204_wrong-type.yaml",
        "E204",
        "error",
        (("", 6, 22),),
        message=("'use_auth_header' must be true or false, not text",),
        hint=("without quotes",),
        instances=(),
        instance_id="claude",
    ),
    Case(
        "E205_invalid-url.yaml",
        "E205",
        "error",
        (("", 6, 15),),
        message=("'base_url'", "http:// or https://"),
        instances=(),
        instance_id="local-ollama",
    ),
    Case(
        "E206_out-of-range.yaml",
        "E206",
        "error",
        (("", 6, 18),),
        message=("'max_retries'", "11 is out of range (0 to 10)"),
        instances=(),
    ),
    Case(
        "E207_not-a-choice.yaml",
        "E207",
        "error",
        (("", 6, 16),),
        message=(
            "'response' is not one of chat_completions, responses",
            "(did you mean 'responses'?)",
        ),
        instances=(),
    ),
    Case(
        "E208_pattern-mismatch.yaml",
        "E208",
        "error",
        (("", 6, 19),),
        message=("'organization'", "'acme' does not match the pattern ^org-"),
        instances=(),
    ),
    Case(
        "E209_plaintext-secret.yaml",
        "E209",
        "error",
        (("", 6, 14),),
        message=("'api_key' holds a plaintext secret",),
        hint=("provreg secret set",),
        instances=(),
        instance_id="work-openai",
    ),
    Case(
        "E210_bad-secret-ref.yaml",
        "E210",
        "error",
        (("", 6, 14),),
        message=("'api_key'", "unknown secret reference kind 'vault'"),
        hint=("{env: VAR}",),
        instances=(),
    ),
    Case(
        "E211_invalid-id.yaml",
        "E211",
        "error",
        (("", 3, 9),),
        message=("invalid id 'Work_OpenAI'",),
        hint=("'work-openai'",),
        instances=(),
    ),
    Case(
        "E212_invalid-name.yaml",
        "E212",
        "error",
        (("", 4, 11),),
        message=("1 to 100 characters", "(it has 0)"),
        instances=(),
    ),
    Case(
        "E213_duplicate-id",
        "E213",
        "error",
        # Both places, each naming the other.
        (("a.yaml", 3, 5), ("b.yaml", 7, 5)),
        message=("id 'work-openai' is also used at",),
        hint=("unique across all config files",),
        # The first declaration wins; the other file's other instance still loads.
        instances=("work-openai", "personal-openai"),
        instance_id="work-openai",
    ),
    Case(
        "W214_duplicate-name.yaml",
        "W214",
        "warning",
        (("", 6, 5),),
        message=("name 'work openai' is also used by 'work-openai'", "W214_duplicate-name.yaml:3"),
        instances=("work-openai", "work-openai-2"),
        instance_id="work-openai-2",
    ),
    Case(
        "I215_derived-id.yaml",
        "I215",
        "info",
        (("", 3, 5),),
        message=("using 'work-openai-eu' derived from the name",),
        hint=("id: work-openai-eu",),
        instances=("work-openai-eu",),
        instance_id="work-openai-eu",
    ),
    Case(
        "E216_not-finite.yaml",
        "E216",
        "error",
        (("", 6, 22),),
        message=("'timeout_seconds'", "-.inf is not a finite number"),
        instances=(),
        instance_id="work-openai",
    ),
    Case(
        "E217_bad-command-ref.yaml",
        "E217",
        "error",
        (("", 6, 14),),
        message=("'api_key'", "every item of a command list must be a string"),
        hint=("{command: [PROGRAM, ARG, ...]}",),
        instances=(),
        instance_id="work-openai",
    ),
    Case(
        "E218_command-ref-refused.yaml",
        "E218",
        "error",
        (("", 3, 5),),
        message=("'work-openai' field 'api_key' runs command op", "writable by group", "0664"),
        hint=("writable by no one else",),
        also=frozenset({"W016"}),
        make=_command_in_writable_file,
        instance_id="work-openai",
        path_checks=True,
    ),
    # ------------------------------------------------------------ definitions
    Case(
        "E301_bad-definition.yaml",
        "E301",
        "error",
        # At the bad value of the bad field spec.
        (("", 7, 28),),
        message=("definition 'acme-gateway'", "fields item 2 (region) type", "must be 'text'"),
    ),
    Case(
        "E302_definition-clashes.yaml",
        "E302",
        "error",
        (("", 3, 9),),
        message=("definition 'openai' clashes with the built-in provider 'OpenAI'",),
        hint=("choose another id",),
    ),
    Case(
        "E303_duplicate-definition",
        "E303",
        "error",
        (("b.yaml", 4, 9),),
        message=("definition 'acme-gateway' is already declared in", "a.yaml:3"),
    ),
    Case(
        "W219_duplicate-model.yaml",
        "W219",
        "warning",
        (("", 11, 9),),
        message=("model 'llama-3.3-70b' is listed twice", "(items 1 and 3)"),
        hint=("the first one is used",),
        instances=("gpu-box",),
        instance_id="gpu-box",
    ),
    Case(
        "W220_default-model-not-listed.yaml",
        "W220",
        "warning",
        (("", 7, 20),),
        message=("default model 'llama-3.3-70' is not in 'models'", "did you mean 'llama-3.3-70b'"),
        instances=("gpu-box",),
        instance_id="gpu-box",
    ),
    Case(
        "W304_builtin-key-declared.yaml",
        "W304",
        "warning",
        (("", 9, 9),),
        message=("definition 'acme-gateway': every instance has 'models'", "ignored"),
        instances=("acme",),
    ),
    # ------------------------------------------------------------ secrets (--check --secrets)
    Case(
        "E401_secret-unresolvable.yaml",
        "E401",
        "error",
        # At the instance: the reference itself is valid, its target is missing.
        (("", 4, 5),),
        message=("'work-openai' field 'api_key'", "env PROVREG_TEST_NEVER_SET"),
        instances=("work-openai",),
        instance_id="work-openai",
        secrets=True,
    ),
)


def _load(case: Case, tmp_path: Path) -> tuple[Path, LoadResult, list[Diagnostic]]:
    path = case.make(tmp_path) if case.make is not None else FIXTURES / case.fixture
    assert path.exists() or path.is_symlink(), f"fixture {path} is missing"
    result = load_paths([str(path)], case.limits)
    diagnostics = list(result.diagnostics)
    if case.secrets:
        from provreg.secrets.check import secret_diagnostics

        assert "PROVREG_TEST_NEVER_SET" not in os.environ
        diagnostics += secret_diagnostics(result.instances, result.catalog)
    if case.path_checks:
        from provreg.config.read.discovery import discover_all
        from provreg.config.read.path_checks import (
            command_ref_refusals,
            unreadable_diagnostics,
            writable_by_others,
        )

        found = discover_all([str(path)])
        diagnostics += unreadable_diagnostics(found) + writable_by_others(found)
        diagnostics += command_ref_refusals(result.instances)
    return path, result, diagnostics


def _display(path: Path, relative: str) -> str:
    return str(path) if not relative else os.path.join(str(path), relative)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture_reports_its_code(case: Case, tmp_path: Path) -> None:
    path, result, diagnostics = _load(case, tmp_path)
    found = [d for d in diagnostics if d.code == case.code]

    assert sorted((d.file, d.line, d.column) for d in found) == sorted(
        (_display(path, rel), line, column) for rel, line, column in case.where
    ), [d.model_dump() for d in diagnostics]
    for diag in found:
        assert diag.severity.value == case.severity
        for part in case.message:
            assert part in diag.message, diag.message
        for part in case.hint:
            assert diag.hint is not None and part in diag.hint, diag.hint
        if case.instance_id is not False:
            assert diag.instance_id == case.instance_id
    others = {d.code for d in diagnostics} - {case.code}
    assert others <= case.also, f"unexpected {sorted(others)} from {case.fixture}"
    if case.instances is not None:
        assert sorted(i.id for i in result.instances) == sorted(case.instances)


INJECTED_ONLY = {"E014"}
"""Codes no file produces on purpose: E014 (loading a file raised) is made by
failing the allocator and the disk in tests/sync/test_hostile_reload.py."""


def test_every_code_has_a_case() -> None:
    all_codes = {code.code for code in codes.ALL_CODES}
    assert INJECTED_ONLY <= all_codes
    assert {case.code for case in CASES} == all_codes - INJECTED_ONLY
    assert len({case.code for case in CASES}) == len(CASES), "one row per code"


def test_every_committed_fixture_has_a_case() -> None:
    committed = {entry.name for entry in FIXTURES.iterdir()}
    used = {case.fixture for case in CASES if case.make is None}
    assert committed == used
    for case in CASES:
        assert case.fixture.startswith(f"{case.code}_"), case.fixture


def test_row_severity_matches_codes_table() -> None:
    for case in CASES:
        assert codes.BY_CODE[case.code].severity.value == case.severity
    for code in codes.ALL_CODES:
        assert code.code[0] == {"error": "E", "warning": "W", "info": "I"}[code.severity.value]


# ---------------------------------------------------------------------- secrets

PLAINTEXT_FORMS = {
    "plain": f"api_key: {SECRET}",
    "single-quoted": f"api_key: '{SECRET}'",
    "double-quoted": f'api_key: "{SECRET}"',
    "block": f"api_key: |\n      {SECRET}",
    "folded": f"api_key: >-\n      {SECRET}",
    "number": "api_key: 8675309314159265358979",
    "in a list": f"api_key: [{SECRET}]",
    "as an env name": f"api_key: {{env: {SECRET}}}",
    "as a mapping key": f"api_key: {{{SECRET}}}",
    "as a mapping key with a value": f"api_key: {{{SECRET}: true}}",
    "as a file ref next to another key": f"api_key: {{file: /x, value: {SECRET}}}",
}


def _all_text(diagnostics: tuple[Diagnostic, ...]) -> str:
    return "\n".join(f"{d.message}\n{d.hint or ''}" for d in diagnostics)


@pytest.mark.parametrize("form", PLAINTEXT_FORMS.values(), ids=PLAINTEXT_FORMS.keys())
def test_secret_value_is_never_repeated(form: str, tmp_path: Path) -> None:
    path = tmp_path / "leak.yaml"
    path.write_text(
        f"version: 1\nproviders:\n  - id: work-openai\n    name: Work\n"
        f"    provider: openai\n    {form}\n"
    )
    result = load_paths([str(path)])
    api_key = [d for d in result.diagnostics if d.line == 6]
    assert api_key, "the secret field must be flagged"
    assert {d.code for d in api_key} <= {"E209", "E210"}
    secret = "8675309314159265358979" if "8675309" in form else SECRET
    assert secret not in _all_text(result.diagnostics)
    for fmt in ("text", "json", "github"):
        out, err = StringIO(), StringIO()
        assert run_check([str(path)], output_format=fmt, out=out, err=err) == 1
        assert secret not in out.getvalue() + err.getvalue()


def test_plaintext_secret_fixture_output_never_contains_the_value() -> None:
    path = FIXTURES / "E209_plaintext-secret.yaml"
    assert SECRET in path.read_text()  # the fixture really holds it
    result = load_paths([str(path)])
    (diag,) = result.diagnostics
    assert SECRET not in diag.message and SECRET not in (diag.hint or "")
    out = StringIO()
    run_check([str(path)], output_format="json", out=out, err=StringIO())
    assert SECRET not in out.getvalue()
    assert json.loads(out.getvalue())["diagnostics"][0]["code"] == "E209"


def test_plaintext_secret_in_a_custom_definition_field(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(
        "version: 1\n"
        "definitions:\n"
        "  - id: acme\n"
        "    name: ACME\n"
        "    fields:\n"
        "      - {id: token, type: secret, required: true}\n"
        "providers:\n"
        "  - {id: acme-1, name: ACME one, provider: acme, token: hunter2-ACME-TOKEN}\n"
    )
    result = load_paths([str(path)])
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.column) == ("E209", 8, 57)
    assert "'token'" in diag.message
    assert "hunter2" not in diag.message + (diag.hint or "")


# ---------------------------------------------------------------------- file-level edges


def test_size_limit_default_boundary(tmp_path: Path) -> None:
    limit = Limits().max_bytes
    assert limit == 1024 * 1024
    body = b"version: 1\nproviders: []\n"
    at_limit = tmp_path / "at.yaml"
    at_limit.write_bytes(body + b"#" * (limit - len(body)))
    over = tmp_path / "over.yaml"
    over.write_bytes(body + b"#" * (limit - len(body) + 1))
    assert load_paths([str(at_limit)]).diagnostics == ()
    (diag,) = load_paths([str(over)]).diagnostics
    assert diag.code == "E005"
    assert f"{limit + 1:,} bytes" in diag.message


def test_size_limit_applies_to_in_memory_parse() -> None:
    from provreg.config.read.reading import parse_file

    parsed = parse_file(b"version: 1\n" + b"#" * 100, "mem", "mem", limits=Limits(max_bytes=50))
    assert [(d.code, d.line, d.column) for d in parsed.diagnostics] == [("E005", 1, 1)]
    assert "111 bytes" in parsed.diagnostics[0].message
    assert not parsed.interpretable


def test_directory_named_like_a_config_file_is_unreadable(tmp_path: Path) -> None:
    from provreg.config.read.reading import read_file

    folder = tmp_path / "x.yaml"
    folder.mkdir()
    parsed = read_file(str(folder), "x.yaml")
    assert [(d.code, d.line, d.column) for d in parsed.diagnostics] == [("E011", 1, 1)]
    assert parsed.diagnostics[0].message.startswith("cannot read file: ")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_named_like_a_config_file_does_not_hang(tmp_path: Path) -> None:

    config = tmp_path / "config"
    config.mkdir()
    (config / "ok.yaml").write_text("version: 1\nproviders: []\n")
    os.mkfifo(config / "pipe.yaml")
    # A subprocess with a timeout: opening a FIFO for reading blocks until a
    # writer appears, and a hang must fail the test rather than stall the run.
    done = run_provreg("--check", str(config), "--format", "json", timeout=30)
    assert done.returncode == 1, done.stderr
    (diag,) = json.loads(done.stdout)["diagnostics"]
    assert (diag["code"], diag["file"]) == ("E011", str(config / "pipe.yaml"))


def test_alias_that_contains_itself_points_at_the_alias_collection() -> None:
    from provreg.config.read.reading import parse_file

    parsed = parse_file(b"version: 1\nx: &x [1, [2, *x]]\n", "f", "f")
    assert [(d.code, d.line, d.column) for d in parsed.diagnostics] == [("E006", 2, 11)]


def test_alias_limit_is_configurable() -> None:
    from provreg.config.read.reading import parse_file

    text = b"version: 1\na: &a [1, 2, 3]\nb: [*a, *a, *a]\nproviders: []\n"
    ok = parse_file(text, "f", "f", limits=Limits(max_alias_expansion=100))
    assert "E006" not in {d.code for d in ok.diagnostics}
    tight = parse_file(text, "f", "f", limits=Limits(max_alias_expansion=5))
    assert [(d.code, d.line, d.column) for d in tight.diagnostics] == [("E006", 3, 4)]


def test_libyaml_nesting_limit_is_too_deep_not_a_crash() -> None:
    from provreg.config.read.reading import parse_file

    parsed = parse_file(b"[" * 5000 + b"]" * 5000, "f", "f")
    (diag,) = parsed.diagnostics
    assert diag.code == "E007" and diag.line == 1 and diag.column > 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Scalars PyYAML resolves as numbers but cannot build: kept as text,
        # then validation says what it expected. Each used to raise.
        ("version: 0x_\n", ("E104", 1, 10)),
        ("version: 0b_\n", ("E104", 1, 10)),
        ("version: !!int abc\n", ("E104", 1, 10)),
        ("version: !!float abc\n", ("E104", 1, 10)),
        ("version: !!bool maybe\n", ("E104", 1, 10)),
        # Past the digit limit (E013) before Python's own 4,300-digit one.
        ("version: " + "1" * 5000 + "\n", ("E013", 1, 10)),
        ("version: 1\n!!bool maybe: 1\n", ("E102", 2, 1)),
    ],
    ids=["hex", "bin", "int-tag", "float-tag", "bool-tag", "5000-digits", "bool-tag-key"],
)
def test_numbers_python_cannot_build_are_diagnostics(
    text: str, expected: tuple[str, int, int]
) -> None:
    from provreg.config.read.reading import parse_file

    parsed = parse_file(text.encode(), "f", "f")
    assert [(d.code, d.line, d.column) for d in parsed.diagnostics] == [expected]


def test_huge_integer_in_an_int_field_is_past_the_digit_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - id: a\n    name: A\n    provider: openai\n"
        "    max_retries: " + "9" * 5000 + "\n"
    )
    (diag,) = load_paths([str(path)]).diagnostics
    assert (diag.code, diag.line, diag.column) == ("E013", 6, 18)


def test_byte_order_mark_and_crlf_keep_positions(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_bytes(
        b"\xef\xbb\xbfversion: 1\r\nproviders:\r\n  - id: a\r\n    name: A\r\n"
        b"    provider: opnai\r\n"
    )
    (diag,) = load_paths([str(path)]).diagnostics
    assert (diag.code, diag.line, diag.column) == ("E201", 5, 15)


def test_columns_count_characters_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "unicode.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - {id: a, name: Café ☕, provider: opnai}\n",
        encoding="utf-8",
    )
    (diag,) = load_paths([str(path)]).diagnostics
    # `  - {id: a, name: Café ☕, provider: ` is 36 characters (39 bytes).
    assert (diag.code, diag.line, diag.column) == ("E201", 3, 37)


def test_definition_defaults_are_checked_against_their_own_field(tmp_path: Path) -> None:
    """A default that its own field would reject is an E301 at the default."""
    path = tmp_path / "defs.yaml"
    path.write_text(
        "version: 1\n"
        "definitions:\n"
        "  - id: x\n"
        "    name: X\n"
        "    fields:\n"
        "      - {id: a, type: int, default: abc}\n"
        "      - {id: b, type: url, default: 'not a url'}\n"
        "      - {id: c, type: choice, choices: [p, q], default: r}\n",
        encoding="utf-8",
    )
    result = load_paths([str(path)])
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    assert found == [("E301", 6, 37), ("E301", 7, 37), ("E301", 8, 57)]
    assert "default of field 'a' is invalid" in result.diagnostics[0].message
    assert result.catalog.get("x") is None
