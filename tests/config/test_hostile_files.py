"""Hostile file systems and names under `provreg --check`, through the real
command: names that would forge diagnostic lines, unreadable subdirectories,
a nonsensical size limit, and config that others may write."""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
from pathlib import Path

import pytest
from helpers.cli import run_provreg

from provreg.config.codes import BY_CODE

GOOD = "version: 1\nproviders:\n  - id: local\n    name: Local\n    provider: ollama\n"
BROKEN = "version: 1\nproviders:\n  - id: work\n    name: Work\n    provider: opnai\n"

TEXT_LINE = re.compile(r"^(.+):(\d+):(\d+): (error|warning|info)\[([EWI]\d{3})\]: \S.*$")
HINT_LINE = re.compile(r"^    = hint: \S.*$")
SUMMARY = re.compile(r"^checked \d+ files?, \d+ instances?: \d+ errors?, \d+ warnings?, \d+ info$")
GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) file=([^,:]+),line=(\d+),col=(\d+),title=([EWI]\d{3})::[^\r\n]*$"
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
    done = run_provreg("--check", str(tmp_path))
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
    done = run_provreg("--check", "--format", "github", str(tmp_path))
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
        done = run_provreg("--check", "--format", fmt, str(tmp_path))
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


# ---------------------------------------------------------------------- unreadable directories


def _run_check(*argv: str) -> subprocess.CompletedProcess[str]:
    done = run_provreg("--check", *argv)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_subdirectory_that_is_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    """`team -> team`: whether it is a directory cannot even be found out (ELOOP),
    for root as for anyone. It used to be skipped without a word (exit 0)."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "a.yaml").write_text(GOOD)
    (config / "team").symlink_to("team")
    done = _run_check(str(config))
    assert done.returncode == 1, done.stdout
    assert f"{config}/team:1:1: error[E015]: cannot read directory entry: " in done.stdout
    assert "Too many levels of symbolic links" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("checked 1 file, 1 instance: 1 error")


def _directory_past_path_max(root: Path) -> Path:
    """A real directory whose path is longer than PATH_MAX (4096 on Linux), so
    opening it by path fails with ENAMETOOLONG for root as for anyone. Built
    one level at a time relative to its parent's descriptor."""
    part = "d" * 200
    fd = os.open(root, os.O_RDONLY)
    depth = 0
    try:
        while len(str(root)) + depth * (len(part) + 1) <= 4200:
            os.mkdir(part, dir_fd=fd)
            child = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            depth += 1
        # A config file inside, which the walk cannot reach.
        file_fd = os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(file_fd, GOOD.encode())
        os.close(file_fd)
    finally:
        os.close(fd)
    return root.joinpath(*[part] * depth)


def test_directory_that_cannot_be_opened_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "a.yaml").write_text(GOOD.replace("local", "other"))
    deep = _directory_past_path_max(config)
    done = _run_check(str(config))
    assert done.returncode == 1, done.stdout[-500:]
    lines = [line for line in done.stdout.splitlines() if "error[E015]" in line]
    assert len(lines) == 1, done.stdout[-1000:]
    assert lines[0].startswith(f"{deep}:1:1: error[E015]: cannot read directory: ")
    assert "File name too long" in lines[0]
    # JSON names it too, as a file with a problem.
    as_json = _run_check("--format", "json", str(config))
    assert '"code": "E015"' in as_json.stdout


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root reads a chmod 000 directory; the two tests above fail the same way as root",
)
def test_directory_without_permissions_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "team").mkdir(parents=True)
    (config / "a.yaml").write_text(GOOD)
    (config / "team" / "b.yaml").write_text(GOOD.replace("local", "b"))
    (config / "team").chmod(0)
    try:
        done = _run_check(str(config))
    finally:
        (config / "team").chmod(0o755)
    assert done.returncode == 1
    assert f"{config}/team:1:1: error[E015]: cannot read directory: Permission denied" in (
        done.stdout
    )


# ---------------------------------------------------------------------- --max-file-size


@pytest.mark.parametrize("value", ["-5", "0", "abc", "1.5"])
def test_max_file_size_must_be_a_positive_whole_number(value: str, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    done = run_provreg("--check", "--max-file-size", value, str(tmp_path))
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert "--max-file-size" in done.stderr and "positive" in done.stderr
    assert "Traceback" not in done.stderr


def test_max_file_size_positive_still_applies(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    done = run_provreg("--check", "--max-file-size", "10", str(tmp_path))
    assert done.returncode == 1 and "error[E005]" in done.stdout


# ---------------------------------------------------------------------- writable by others


def _shared_group() -> int:
    """A group other than this user's private one, which a file can be given:
    any group as root; else a supplementary group of ours."""
    me = pwd.getpwuid(os.getuid())
    candidates = (
        [g.gr_gid for g in grp.getgrall() if g.gr_name != me.pw_name]
        if os.geteuid() == 0
        else [gid for gid in os.getgroups() if gid != me.pw_gid]
    )
    if not candidates:
        pytest.skip("this user is in no group but its own; the 0666 and 0777 cases still run")
    return candidates[0]


def test_group_writable_file_of_a_private_group_is_not_reported(tmp_path: Path) -> None:
    """umask 002 with a user private group (Ubuntu's default): group-writable,
    yet no one else can write it."""
    path = tmp_path / "a.yaml"
    path.write_text(GOOD)
    path.chmod(0o664)
    info = path.stat()
    group, owner = grp.getgrgid(info.st_gid), pwd.getpwuid(info.st_uid)
    if group.gr_name != owner.pw_name or group.gr_mem:
        pytest.skip(f"the file's group {group.gr_name} is not its owner's private group here")
    done = _run_check(str(path))
    assert "W016" not in done.stdout and done.returncode == 0


def test_config_writable_by_others_is_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "config"
    team = config / "team"
    team.mkdir(parents=True)
    mine = config / "a.yaml"
    mine.write_text(GOOD)
    shared = team / "b.yaml"
    shared.write_text(GOOD.replace("local", "b").replace("Local", "B"))
    group_only = team / "c.yaml"
    group_only.write_text(GOOD.replace("local", "c").replace("Local", "C"))
    mine.chmod(0o644)
    shared.chmod(0o666)
    group_only.chmod(0o664)
    os.chown(group_only, -1, _shared_group())
    team.chmod(0o777)
    done = _run_check(str(config))
    assert done.returncode == 0, done.stdout  # warnings do not fail a check...
    assert _run_check("--strict", str(config)).returncode == 1  # ...unless --strict
    lines = [line for line in done.stdout.splitlines() if "[W016]" in line]
    assert lines == [
        f"{team}:1:1: warning[W016]: directory is writable by others (mode 0777): "
        "anyone who can write here can add config that sends an instance's key "
        "to another host",
        f"{shared}:1:1: warning[W016]: file is writable by group and others (mode 0666): "
        "anyone who can write it can send an instance's key to another host",
        f"{group_only}:1:1: warning[W016]: file is writable by group (mode 0664): "
        "anyone who can write it can send an instance's key to another host",
    ], done.stdout
    hints = [line for line in done.stdout.splitlines() if "chmod" in line]
    assert hints == [
        f"    = hint: run `chmod o-w {team}`",
        f"    = hint: run `chmod go-w {shared}`",
        f"    = hint: run `chmod go-w {group_only}`",
    ]
    assert BY_CODE["W016"].severity.value == "warning"
    team.chmod(0o755)
    shared.chmod(0o644)
    group_only.chmod(0o644)
    assert "W016" not in _run_check(str(config)).stdout
