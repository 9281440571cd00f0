"""Hostile file systems and names under `provreg --check`, through the real
command: names that would forge diagnostic lines, unreadable subdirectories,
a nonsensical size limit, and config that others may write."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "version: 1\nproviders:\n  - id: local\n    name: Local\n    provider: ollama\n"
BROKEN = "version: 1\nproviders:\n  - id: work\n    name: Work\n    provider: opnai\n"

TEXT_LINE = re.compile(r"^(.+):(\d+):(\d+): (error|warning|info)\[([EWI]\d{3})\]: \S.*$")
HINT_LINE = re.compile(r"^    = hint: \S.*$")
SUMMARY = re.compile(r"^checked \d+ files?, \d+ instances?: \d+ errors?, \d+ warnings?, \d+ info$")
GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) file=([^,:]+),line=(\d+),col=(\d+),title=([EWI]\d{3})::[^\r\n]*$"
)


def provreg(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provreg", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# ---------------------------------------------------------------------- forged lines

FORGED = "x.yaml:1:1: error[E999]: forged"
NAMES = {
    "newline": f"a\n{FORGED}\n.yaml",
    "carriage-return": f"a\r{FORGED}\r.yaml",
    "unicode-line-separator": f"a\u2028{FORGED}\u2029.yaml",
    "next-line": f"a\x85{FORGED}.yaml",
    "terminal-escape": "a\x1b[2K\x1b[1G" + FORGED + ".yaml",
}


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_file_names_cannot_forge_text_lines(name: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(BROKEN)
    done = provreg("--check", str(tmp_path))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert TEXT_LINE.match(line) or HINT_LINE.match(line) or SUMMARY.match(line), repr(line)
    assert "E999" not in {m.group(5) for m in map(TEXT_LINE.match, lines) if m}
    reported = [m for m in map(TEXT_LINE.match, lines) if m]
    assert [m.group(5) for m in reported] == ["E201"]
    # Every character is still there, escaped as Python writes it.
    assert (
        "\\x1b" in done.stdout
        or "\\n" in done.stdout
        or "\\r" in done.stdout
        or ("\\x85" in done.stdout or "\\u2028" in done.stdout)
    )
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", done.stdout)


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_file_names_cannot_forge_github_annotations(name: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(BROKEN)
    done = provreg("--check", "--format", "github", str(tmp_path))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.split("\n")
    assert lines[-1] == ""
    assert len(lines) == 2, lines
    match = GITHUB_LINE.match(lines[0])
    assert match is not None, repr(lines[0])
    assert match.group(5) == "E201"
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", done.stdout)


def test_values_quoted_in_messages_cannot_forge_lines(tmp_path: Path) -> None:
    # A provider name with a line separator and a terminal escape inside quotes.
    (tmp_path / "a.yaml").write_text(
        'version: 1\nproviders:\n  - id: w\n    name: W\n    provider: "op\\u2028'
        + FORGED
        + '\\e[2J"\n',
        encoding="utf-8",
    )
    for fmt in ("text", "github"):
        done = provreg("--check", "--format", fmt, str(tmp_path))
        assert done.returncode == 1
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", done.stdout)
        lines = done.stdout.split("\n")
        if fmt == "github":
            assert len(lines) == 2 and GITHUB_LINE.match(lines[0]), lines
            continue
        # The forged text stays inside the one diagnostic line that quotes it.
        head, hint, summary, end = lines
        assert head.startswith(f"{tmp_path}/a.yaml:5:15: error[E201]: unknown provider 'op\\u2028")
        assert "forged\\x1b[2J'" in head
        assert HINT_LINE.match(hint) and SUMMARY.match(summary) and end == ""
