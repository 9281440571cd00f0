"""Output that fits the terminal: golden text at 60/80/120/200 columns, plain
when piped, colour only on a terminal (a real pty) with NO_COLOR/FORCE_COLOR,
and ISO 8601 times with an offset in `log` and `watch --json`.

Every CLI run is a real subprocess from the repository root (so the paths in
the output are the relative `sample_configs/...`). Regenerate the golden files
after an intended change with `UPDATE_GOLDEN=1 uv run pytest
tests/test_terminal_output.py` and read the diff.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from helpers.cli import cli_env, run_provreg
from helpers.paths import FIXTURES, REPO_ROOT, SAMPLE_CONFIGS

from provreg.commands.log_cmd import local_time
from provreg.terminal_text import elide_middle, fit_table, output_width, wants_colour, wrap

GOLDEN = FIXTURES / "terminal_output"
WIDTHS = (60, 80, 120, 200)
COMMANDS = {
    "catalog": ("catalog", "--config", "sample_configs"),
    "list": ("list", "--config", "sample_configs"),
    "show": ("show", "acme-gateway-research", "--config", "sample_configs"),
}
ESC = "\x1b["


def provreg(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = run_provreg(*args, env=cli_env(**env), cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return done


# --------------------------------------------------------------------------- golden text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_golden_text_at_each_width(command: str, width: int) -> None:
    shown = provreg(*COMMANDS[command], COLUMNS=str(width)).stdout
    golden = GOLDEN / f"{command}-{width}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(shown, encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8")
    too_long = [line for line in shown.splitlines() if len(line) > width]
    assert too_long == [], f"lines wider than {width}"
    assert ESC not in shown, "a pipe gets no colour"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_piped_without_columns_nothing_is_wrapped_or_cut(command: str) -> None:
    """The fixed rule for pipes: no COLUMNS, no fitting; the same text as at any
    width wide enough for everything."""
    piped = provreg(*COMMANDS[command]).stdout
    assert "…" not in piped
    assert piped == provreg(*COMMANDS[command], COLUMNS="1000").stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_secret_status_fits_each_width(width: int) -> None:
    shown = provreg("secret", "status", "--config", "sample_configs", COLUMNS=str(width)).stdout
    assert [line for line in shown.splitlines() if len(line) > width] == []
    for instance_id in ("work-openai", "acme-gateway-research"):
        assert re.search(rf"^{instance_id}\b", shown, re.MULTILINE), "ids are never cut"


def test_show_aligns_every_key_in_one_column() -> None:
    """The issue: `provider` and `file` were aligned apart from the fields."""
    shown = provreg(*COMMANDS["show"]).stdout.splitlines()[1:]
    value_columns = {len(line) - len(line[2:].split("  ", 1)[1].lstrip()) for line in shown}
    assert len(value_columns) == 1, shown


# --------------------------------------------------------------------------- the pieces


def test_elide_keeps_both_ends() -> None:
    assert elide_middle("sample_configs/providers/hosted.yaml:8", 20) == "sample_con…ed.yaml:8"
    assert len(elide_middle("x" * 50, 7)) == 7
    assert elide_middle("short", 10) == "short"
    assert elide_middle("abc", 1) == "…"


def test_wrap_breaks_at_spaces() -> None:
    assert wrap("one two three", 7) == ["one two", "three"]
    assert wrap("fits", 10) == ["fits"]


def test_a_table_without_a_width_is_never_cut() -> None:
    rows = [("A", "B"), ("x" * 300, "y")]
    assert fit_table(rows, None) == "A" + " " * 301 + "B\n" + "x" * 300 + "  y\n"


def test_a_table_that_fits_is_left_as_it_is() -> None:
    rows = [("ID", "NAME"), ("a", "b")]
    assert fit_table(rows, 80) == fit_table(rows, None) == "ID  NAME\na   b\n"


def test_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), open(os.devnull, "w")  # noqa: SIM115 - closed below
    try:
        monkeypatch.setenv("TERM", "xterm")
        assert wants_colour(terminal) and not wants_colour(pipe)  # type: ignore[arg-type]
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert wants_colour(pipe)
        monkeypatch.setenv("NO_COLOR", "1")
        assert not wants_colour(pipe) and not wants_colour(terminal)  # type: ignore[arg-type]
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.delenv("FORCE_COLOR")
        monkeypatch.setenv("TERM", "dumb")
        assert not wants_colour(terminal)  # type: ignore[arg-type]
        assert output_width(pipe) is None
        monkeypatch.setenv("COLUMNS", "73")
        assert output_width(pipe) == 73
    finally:
        pipe.close()


# --------------------------------------------------------------------------- colour on a pty


def on_a_terminal(args: list[str], **env: str) -> str:
    """Run `python -m provreg ARGS` with a pseudo-terminal as stdout; what it wrote."""
    leader, follower = pty.openpty()
    environment = cli_env(TERM="xterm", **env)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "provreg", *args],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=REPO_ROOT,
        )
        os.close(follower)
        data = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed its side
                    break
                if not chunk:
                    break
                data += chunk
            elif child.poll() is not None:
                break
        child.wait(timeout=60)
    finally:
        os.close(leader)
    return data.decode("utf-8", "replace")


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    target = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, target)
    hosted = target / "providers" / "hosted.yaml"
    text = hosted.read_text(encoding="utf-8")
    # An unknown field is a warning; a bad value an error.
    text = text.replace("    organization: org-acme", "    organisation: org-acme")
    text = text.replace("timeout_seconds: 120", "timeout_seconds: soon")
    hosted.write_text(text, encoding="utf-8")
    return target


def test_check_is_coloured_on_a_terminal_only(bad_config: Path) -> None:
    shown = on_a_terminal(["--check", str(bad_config)])
    assert "\x1b[31merror[" in shown and "\x1b[33mwarning[" in shown
    assert "\x1b[2m" in shown, "positions are dim"
    piped = run_provreg("--check", str(bad_config))
    assert piped.returncode == 1 and ESC not in piped.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown).replace("\r\n", "\n") == piped.stdout


def test_no_color_and_force_color(bad_config: Path) -> None:
    assert ESC not in on_a_terminal(["--check", str(bad_config)], NO_COLOR="1")
    forced = run_provreg("--check", str(bad_config), env=cli_env(FORCE_COLOR="1"))
    assert "\x1b[31merror[" in forced.stdout
    both = run_provreg("--check", str(bad_config), env=cli_env(FORCE_COLOR="1", NO_COLOR="1"))
    assert ESC not in both.stdout


def test_list_on_a_terminal_is_coloured_and_fits() -> None:
    shown = on_a_terminal(["list", "--config", "sample_configs"], COLUMNS="200")
    assert "\x1b[2msample_configs/providers/hosted.yaml:8\x1b[0m" in shown
    assert ESC not in on_a_terminal(["list", "--config", "sample_configs"], NO_COLOR="1")


# --------------------------------------------------------------------------- times


def assert_iso_with_offset(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.utcoffset() is not None, f"{text!r} has no offset"
    return when


def test_log_times_are_local_iso_with_offset(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, config)
    added = run_provreg("add", "groq", "--name", "Fast", "--config", str(config))
    assert added.returncode == 0, added.stderr
    shown = run_provreg("log", env=cli_env(TZ="IST-5:30")).stdout.splitlines()
    assert shown[0].split()[0] == "TIME"
    when = assert_iso_with_offset(shown[1].split()[0])
    assert when.utcoffset() == timedelta(hours=5, minutes=30)
    stored = json.loads(run_provreg("log", "--json").stdout.splitlines()[0])["time"]
    assert abs(assert_iso_with_offset(stored) - when) < timedelta(seconds=1)


@pytest.mark.parametrize("width", WIDTHS)
def test_log_fits_each_width(tmp_path: Path, width: int) -> None:
    config = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, config)
    for seconds in ("101", "102"):
        edit = ("edit", "work-openai", "--set", f"timeout_seconds={seconds}")
        assert run_provreg(*edit, "--config", str(config)).returncode == 0
    shown = run_provreg("log", env=cli_env(COLUMNS=str(width))).stdout
    assert shown.count("work-openai") == 2
    assert [line for line in shown.splitlines() if len(line) > width] == []
    assert_iso_with_offset(shown.split()[0 if width < 100 else 6])


def test_local_time_leaves_what_is_not_a_time_alone() -> None:
    assert local_time("yesterday") == "yesterday"
    assert local_time(None) == "?"
    assert local_time("2026-01-01T00:00:00") == "2026-01-01T00:00:00"
    assert_iso_with_offset(local_time("2026-01-01T00:00:00.123+00:00"))


def line_within(stream: IO[str], seconds: float) -> str:
    """The next line of a child's pipe, failing the test rather than hanging."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"nothing within {seconds}s"
    return stream.readline()


def test_watch_json_times_carry_an_offset(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, config)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "provreg", "watch", "--json", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(TZ="IST-5:30"),
    )
    try:
        assert watcher.stderr is not None and watcher.stdout is not None
        assert "watching" in line_within(watcher.stderr, 60)
        hosted = config / "providers" / "hosted.yaml"
        hosted.write_text(
            hosted.read_text(encoding="utf-8").replace("org-acme", "org-other"), encoding="utf-8"
        )
        line = line_within(watcher.stdout, 60)
        when = assert_iso_with_offset(json.loads(line)["time"])
        assert when.utcoffset() == timedelta(hours=5, minutes=30)
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
