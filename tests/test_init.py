"""First run: `provreg init` in an empty HOME, and the offer `provreg` and
`provreg add` make when there is no config directory (a y/N prompt in a
terminal, the exact command in a pipe). Nothing is created unless asked."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import yaml
from helpers.cli import cli_env, run_cli
from helpers.paths import REPO_ROOT

from provreg.commands.init_cmd import SCHEMA_NAME, STARTER_NAME
from provreg.config.read.schema import schema_json


def config_dir(home: Path) -> Path:
    return home / ".config" / "provreg"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_in_an_empty_home_creates_a_valid_private_config(isolated_environment: Path) -> None:
    target = config_dir(isolated_environment)
    done = run_cli("init")
    assert done.returncode == 0, done.output
    assert sorted(os.listdir(target)) == [STARTER_NAME, SCHEMA_NAME]
    assert mode(target) == 0o700
    assert mode(target / STARTER_NAME) == mode(target / SCHEMA_NAME) == 0o600
    starter = (target / STARTER_NAME).read_text()
    assert starter.startswith(f"# yaml-language-server: $schema={SCHEMA_NAME}\n")
    assert (target / SCHEMA_NAME).read_text() == schema_json()
    for path in (target, target / STARTER_NAME, target / SCHEMA_NAME):
        assert f"created {path}" in done.stdout
    for command in ("provreg add", "provreg --check", "provreg secret set"):
        assert command in done.stdout
    check = run_cli("--check")  # the default config dir, as a new user runs it
    assert check.returncode == 0, check.output
    assert check.stdout.startswith("checked 1 file, 0 instances: 0 errors, 0 warnings")


def test_the_commented_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path / "cfg")).returncode == 0
    starter = (tmp_path / "cfg" / STARTER_NAME).read_text()
    lines = starter.splitlines()
    example = lines[lines.index("#   - id: work-openai") :]
    uncommented = [line.removeprefix("# ").removeprefix("#") for line in example]
    text = "\n".join(["version: 1", "providers:", *uncommented]) + "\n"
    (tmp_path / "cfg" / STARTER_NAME).write_text(text)
    assert len(yaml.safe_load(text)["providers"]) == 2
    check = run_cli("--check", str(tmp_path / "cfg"))
    assert check.returncode == 0, check.output + text
    assert "2 instances: 0 errors" in check.stdout


def test_init_twice_overwrites_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cfg"
    assert run_cli("init", str(target)).returncode == 0
    (target / STARTER_NAME).write_text("version: 1\nproviders: []  # mine\n")
    (target / SCHEMA_NAME).unlink()
    done = run_cli("init", str(target))
    assert done.returncode == 0, done.output
    assert (target / STARTER_NAME).read_text() == "version: 1\nproviders: []  # mine\n"
    assert f"exists, left as it is: {target / STARTER_NAME}" in done.stdout
    assert f"exists, left as it is: {target}{os.sep}" in done.stdout
    assert f"created {target / SCHEMA_NAME}" in done.stdout  # only what was missing
    assert "--config " + str(target) in done.stdout  # next steps name the directory


def test_init_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "cfg").write_text("not a directory")
    done = run_cli("init", str(tmp_path / "cfg"))
    assert done.returncode == 2
    assert "is not a directory" in done.stderr
    assert (tmp_path / "cfg").read_text() == "not a directory"


def test_in_a_pipe_provreg_and_add_name_the_command_and_create_nothing(
    isolated_environment: Path,
) -> None:
    for argv in ([], ["add", "ollama", "--name", "Local"]):
        done = run_cli(*argv)
        assert done.returncode == 2, (argv, done.output)
        assert "no config directory at" in done.stderr
        assert "`provreg init`" in done.stderr
        assert not (isolated_environment / ".config").exists()


def test_other_commands_name_init_too(isolated_environment: Path) -> None:
    done = run_cli("list")
    assert done.returncode == 1
    assert "no such file or directory (create it with `provreg init`" in done.stderr
    assert not (isolated_environment / ".config").exists()


def run_in_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """Run provreg with a pty as its terminal, answer its prompt, return (exit code, screen)."""
    controller, terminal = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "provreg", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=cli_env(),
        close_fds=True,
    )
    os.close(terminal)
    screen = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and child.poll() is not None:
                    break
                screen += chunk
            if not answered and b"[y/N]" in screen:
                os.write(controller, answer.encode() + b"\n")
                answered = True
            if child.poll() is not None and not ready:
                break
        code = child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(controller)
    assert answered, screen.decode(errors="replace")
    return code, screen.decode(errors="replace").replace("\r\n", "\n")


def test_in_a_terminal_add_offers_init_and_goes_on(isolated_environment: Path) -> None:
    code, screen = run_in_a_terminal(["add", "ollama", "--name", "Local"], "y")
    target = config_dir(isolated_environment)
    assert code == 0, screen
    assert f"no config directory at {target}" in screen
    assert f"created {target / STARTER_NAME}" in screen
    assert "added local in" in screen
    assert "provider: ollama" in (target / STARTER_NAME).read_text()
    assert mode(target) == 0o700


def test_in_a_terminal_no_creates_nothing(isolated_environment: Path) -> None:
    code, screen = run_in_a_terminal([], "n")
    assert code == 2, screen
    assert "Nothing created" in screen
    assert not (isolated_environment / ".config").exists()


def test_the_cli_doc_shows_what_init_prints(isolated_environment: Path) -> None:
    """docs/cli.md's `$ provreg init` block is today's output, with /home/me for HOME."""
    doc = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    shown = doc.split("```console\n$ provreg init\n", 1)[1].split("```", 1)[0]
    done = run_cli("init")
    assert done.returncode == 0, done.output
    assert done.stdout.replace(str(isolated_environment), "/home/me") == shown
