"""One hostile value in one file never takes down the commands that load the
registry: a huge integer (hexadecimal or YAML 1.1 base 60) or a NaN/infinity
where a number is compared is a diagnostic at its line and column, that file
fails alone, and every other file keeps working.

Through the real command (a subprocess, as CI runs it) and the loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import run_provreg

from provreg.config.read.load_set import load_paths

GOOD = """\
version: 1
providers:
  - id: local
    name: Local
    provider: ollama
"""

HEX_DIGITS = "f" * 50_000
BASE_60 = ":".join(["1"] + [str(part % 60) for part in range(1, 20_000)])


def _instance_with(value: str) -> str:
    # `max_retries` is an int field of openai with min 0 and max 10; the value
    # starts on line 6, column 18.
    return (
        "version: 1\nproviders:\n  - id: work\n    name: Work\n    provider: openai\n"
        f"    max_retries: {value}\n"
    )


def _definition_with_bound(bound: str, field_type: str = "int") -> str:
    # The bound's value starts on line 6, column 40 (`min: ` ends at column 39).
    return (
        "version: 1\n"
        "definitions:\n"
        "  - id: acme\n"
        "    name: ACME\n"
        "    fields:\n"
        f"      - {{id: budget, type: {field_type:<5}, min: {bound}}}\n"
        "providers:\n"
        "  - id: acme-1\n"
        "    name: ACME one\n"
        "    provider: acme\n"
        "    budget: 3\n"
    )


# Each case: the bad file's text, then the (code, line, column) it must report.
CASES = {
    "hex-50000-digits": (_instance_with("0x" + HEX_DIGITS), ("E013", 6, 18)),
    "base-60-20000-parts": (_instance_with(BASE_60), ("E013", 6, 18)),
    "decimal-5000-digits": (_instance_with("9" * 5000), ("E013", 6, 18)),
    "nan-min-int-field": (_definition_with_bound(".nan"), ("E301", 6, 40)),
    "inf-min-float-field": (_definition_with_bound(".inf", "float"), ("E301", 6, 40)),
    "nan-min-text-field": (_definition_with_bound(".nan", "text"), ("E301", 6, 40)),
    "inf-min-list-field": (_definition_with_bound("-.inf", "list"), ("E301", 6, 40)),
    "fraction-min-int-field": (_definition_with_bound("1.5"), ("E301", 6, 40)),
    "huge-min-text-field": (_definition_with_bound("1.0e+300", "text"), ("E301", 6, 40)),
    "nan-float-value": (
        _instance_with("1").replace("max_retries: 1", "timeout_seconds: .nan"),
        ("E216", 6, 22),
    ),
    "inf-float-value": (
        _instance_with("1").replace("max_retries: 1", "timeout_seconds: 1.0e+999"),
        ("E216", 6, 22),
    ),
}


def _config(tmp_path: Path, bad: str) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    (config / "a-good.yaml").write_text(GOOD)
    (config / "b-bad.yaml").write_text(bad)
    return config


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_check_reports_the_value_at_its_position(
    case: tuple[str, tuple[str, int, int]], tmp_path: Path
) -> None:
    bad, (code, line, column) = case
    config = _config(tmp_path, bad)
    done = run_provreg("--check", str(config))
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr == ""
    assert done.returncode == 1, done.stdout
    expected = f"{config}/b-bad.yaml:{line}:{column}: error[{code}]: "
    assert expected in done.stdout, done.stdout
    # The report stays small: the value is never repeated in full.
    assert len(done.stdout) < 2000, len(done.stdout)
    # The good file still loads.
    assert "1 instance:" in done.stdout.splitlines()[-1], done.stdout


@pytest.mark.parametrize(
    "case", [CASES["hex-50000-digits"], CASES["nan-min-int-field"]], ids=["hex", "nan"]
)
def test_list_and_edit_of_other_files_still_work(
    case: tuple[str, tuple[str, int, int]], tmp_path: Path
) -> None:
    config = _config(tmp_path, case[0])
    listed = run_provreg("list", "--json", "--config", str(config))
    assert "Traceback" not in listed.stderr, listed.stderr[-2000:]
    assert '"id": "local"' in listed.stdout, (listed.stdout, listed.stderr)
    edited = run_provreg("edit", "local", "--set", "default_model=qwen3", "--config", str(config))
    assert "Traceback" not in edited.stderr, edited.stderr[-2000:]
    assert edited.returncode == 0, edited.stderr
    assert "default_model: qwen3" in (config / "a-good.yaml").read_text()
    # Nothing of the bad file was lost.
    assert (config / "b-bad.yaml").read_text() == case[0]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_loader_isolates_the_file(case: tuple[str, tuple[str, int, int]], tmp_path: Path) -> None:
    bad, (code, line, column) = case
    config = _config(tmp_path, bad)
    result = load_paths([str(config)])
    assert [i.id for i in result.instances] == ["local"]
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    assert (code, line, column) in found, found
    assert all(d.file.endswith("b-bad.yaml") for d in result.diagnostics)
    assert all(len(d.message) < 300 for d in result.diagnostics)


def test_integer_digit_limit_boundary(tmp_path: Path) -> None:
    """100 digits is still a number (and out of range, E206); 101 is the limit."""
    path = tmp_path / "x.yaml"
    path.write_text(_instance_with("9" * 100))
    assert [d.code for d in load_paths([str(path)]).diagnostics] == ["E206"]
    path.write_text(_instance_with("9" * 101))
    (diag,) = load_paths([str(path)]).diagnostics
    assert (diag.code, diag.line, diag.column) == ("E013", 6, 18)
    assert "101 digits" in diag.message and "100" in diag.message
    # Underscores and a sign are not digits; a key can be a huge number too.
    path.write_text(_instance_with("-" + "1_0" * 50))
    assert [d.code for d in load_paths([str(path)]).diagnostics] == ["E206"]
    path.write_text("version: 1\nproviders: []\n" + "1" * 200 + ": x\n")
    (diag,) = load_paths([str(path)]).diagnostics
    assert (diag.code, diag.line, diag.column) == ("E013", 3, 1)
