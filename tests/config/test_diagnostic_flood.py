"""A file with one mistake repeated 400,000 times: at most 100 diagnostics per
file, then one summary per code that keeps its severity, so the verdict and
the exit code stay what they were, in every output format. (The time and
memory of such a file are measured by benchmarks/bench_hostile.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.cli import run_provreg

from provreg.config.read.diagnostic_cap import MAX_DIAGNOSTICS_PER_FILE
from provreg.config.read.load_set import load_paths

LIST_OF_NUMBERS = "version: 1\nproviders: [" + ",".join(["1"] * 400_000) + "]\n"
LIST_OF_EMPTY_MAPPINGS = "version: 1\nproviders: [" + ",".join(["{}"] * 266_666) + "]\n"
SUMMARY = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): error\[(?P<code>E\d{3})\]: "
    r"and (?P<count>[\d,]+) more (?P=code) in this file from here on, not shown "
    r"\(at most 100 diagnostics are shown per file\)$"
)


def test_flood_of_one_code_is_capped_in_text(tmp_path: Path) -> None:
    path = tmp_path / "flood.yaml"
    path.write_text(LIST_OF_NUMBERS)
    assert len(LIST_OF_NUMBERS) > 800_000
    done = run_provreg("--check", str(path))
    assert done.returncode == 1
    assert done.stderr == ""
    assert len(done.stdout) < 20_000, len(done.stdout)  # was 58 MB
    lines = done.stdout.splitlines()
    reported = [line for line in lines if "error[E101]" in line]
    assert len(reported) == MAX_DIAGNOSTICS_PER_FILE + 1
    summary = SUMMARY.match(reported[-1])
    assert summary is not None, reported[-1]
    assert summary["count"] == "399,900"
    # At the first item left out: `version: 1\nproviders: [` then "1," per item.
    assert (summary["line"], summary["column"]) == ("2", str(13 + 2 * 100))
    assert lines[-1] == "checked 1 file, 0 instances: 101 errors, 0 warnings, 0 info"


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_flood_is_capped_in_every_format(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "flood.yaml"
    path.write_text(LIST_OF_NUMBERS)
    done = run_provreg("--check", "--format", fmt, str(path))
    assert done.returncode == 1
    assert len(done.stdout) < 40_000, len(done.stdout)
    if fmt == "json":
        report = json.loads(done.stdout)
        assert report["errors"] == MAX_DIAGNOSTICS_PER_FILE + 1
        assert len(report["diagnostics"]) == MAX_DIAGNOSTICS_PER_FILE + 1
        assert "399,900 more E101" in report["diagnostics"][-1]["message"]
    else:
        assert len(done.stdout.splitlines()) == MAX_DIAGNOSTICS_PER_FILE + 1


def test_flood_of_bad_instances_is_capped_per_code(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "a.yaml").write_text(LIST_OF_EMPTY_MAPPINGS)
    (config / "b.yaml").write_text(
        "version: 1\nproviders:\n  - id: local\n    name: Local\n    provider: ollama\n"
    )
    result = load_paths([str(config)])
    assert [i.id for i in result.instances] == ["local"]
    flood = [d for d in result.diagnostics if d.file.endswith("a.yaml")]
    kept = [d for d in flood if not d.message.startswith("and ")]
    summaries = {d.code: d.message for d in flood if d.message.startswith("and ")}
    assert len(kept) == MAX_DIAGNOSTICS_PER_FILE
    # Each empty mapping lacks both 'name' and 'provider': 533,332 E202 in all.
    assert list(summaries) == ["E202"]
    assert summaries["E202"].startswith(f"and {2 * 266_666 - MAX_DIAGNOSTICS_PER_FILE:,} more")


def test_cap_keeps_the_verdict_of_every_severity(tmp_path: Path) -> None:
    """150 warnings then one error: the error is past the cap, yet its summary
    is an error, so the check still fails (and --strict counts the warnings)."""
    entries = "".join(
        f"  - {{id: i{n}, name: I{n}, provider: ollama, colour{n}: blue}}\n" for n in range(150)
    )
    path = tmp_path / "mixed.yaml"
    path.write_text("version: 1\nproviders:\n" + entries + "  - {id: bad, name: Bad}\n")
    done = run_provreg("--check", str(path))
    assert done.returncode == 1, done.stdout[-500:]
    codes = re.findall(r"(warning|error)\[(\w+)\]: (and [\d,]+ more)?", done.stdout)
    assert codes.count(("warning", "W203", "")) == MAX_DIAGNOSTICS_PER_FILE
    assert ("warning", "W203", "and 50 more") in codes
    assert ("error", "E202", "and 1 more") in codes
    assert done.stdout.splitlines()[-1].endswith(": 1 error, 101 warnings, 0 info")


def test_cap_counts_diagnostics_made_across_files(tmp_path: Path) -> None:
    """Duplicate ids are found across files, after each file was capped on its
    own: the set is capped again, and summaries add up rather than nest."""
    config = tmp_path / "config"
    config.mkdir()
    body = "".join(f"  - {{id: i{n}, name: I{n}, provider: ollama}}\n" for n in range(250))
    (config / "a.yaml").write_text("version: 1\nproviders:\n" + body)
    (config / "b.yaml").write_text("version: 1\nproviders:\n" + body.replace("name: I", "name: J"))
    result = load_paths([str(config)])
    for name in ("a.yaml", "b.yaml"):
        mine = [d for d in result.diagnostics if d.file.endswith(name)]
        assert len(mine) == MAX_DIAGNOSTICS_PER_FILE + 1
        assert mine[-1].message.startswith("and 150 more E213 ")
        assert all(d.code == "E213" for d in mine)
