"""The command line as a table: every command has a runner, exceptions become exit
codes in one place, and options reach the commands as arguments (never through
the process environment, where they would outlive the command)."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pytest

import provreg.commands.instances
from provreg.cli import build_parser, exit_code_for, main
from provreg.commands.common import CommandError
from provreg.exit_codes import ExitCode
from provreg.registry.errors import ReadOnlyError
from provreg.secrets.errors import SecretMissingError
from provreg.storage.backend import ConflictError

SAMPLE_CONFIGS = Path(__file__).resolve().parent.parent / "sample_configs"

LEGACY = """\
providers:
  - name: Old Work
    provider: openai
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "cfg"
    shutil.copytree(SAMPLE_CONFIGS, target)
    return target


def tree(root: Path) -> dict[str, bytes]:
    files = sorted(path for path in root.rglob("*") if path.is_file())
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser that has no subcommands of its own, with the words that reach it."""
    found = []
    for action in parser._actions:  # argparse offers no public walk of its actions
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(leaf_parsers(sub, (*path, name)))
    return found or [(path, parser)]


def test_every_command_has_a_runner() -> None:
    leaves = leaf_parsers(build_parser())
    assert len(leaves) == 28  # 21 commands, `secret` with its 7 actions
    for path, parser in leaves:
        assert callable(parser.get_default("run")), " ".join(path)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (KeyboardInterrupt(), ExitCode.INTERRUPT),
        (BrokenPipeError(), ExitCode.OK),
        (CommandError("no"), ExitCode.FINDINGS),
        (ReadOnlyError(), ExitCode.FINDINGS),
        (ConflictError("work", "a.yaml", "changed on disk"), ExitCode.FINDINGS),
        (SecretMissingError("work", "api_key", "the keyring", "set it"), ExitCode.FINDINGS),
        (ValueError("a bug"), None),
        (OSError("disk"), None),
    ],
)
def test_exit_code_for(exc: BaseException, code: ExitCode | None) -> None:
    assert exit_code_for(exc) == code


def test_ctrl_c_exits_130(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(provreg.commands.instances, "cmd_list", interrupted)
    assert main(["list", "--config", str(config)]) == 130 == ExitCode.INTERRUPT
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_exits_0(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def closed(*_args: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(provreg.commands.instances, "cmd_list", closed)
    assert main(["list", "--config", str(config)]) == ExitCode.OK


def test_a_bug_keeps_its_traceback(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(provreg.commands.instances, "cmd_list", broken)
    with pytest.raises(ZeroDivisionError):
        main(["list", "--config", str(config)])


def test_a_refusal_is_one_line_and_exit_1(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "no-such-id", "--config", str(config)]) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err.startswith("provreg: ") and err.count("\n") == 1


# --------------------------------------------------------------------------- options as arguments

ADD = ["add", "ollama", "--name", "Second Ollama"]


@pytest.mark.parametrize(
    "argv",
    [
        [*ADD, "--read-only"],
        ["edit", "local-ollama", "--set", "keep_alive=5m", "--read-only"],
        ["rm", "local-ollama", "--yes", "--read-only"],
        ["secret", "import", "--read-only"],
        ["migrate", "--upgrade", "--read-only"],
    ],
    ids=["add", "edit", "rm", "secret-import", "migrate-upgrade"],
)
def test_read_only_refuses_without_touching_the_environment(
    config: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (config / "legacy.yaml").write_text(LEGACY)  # something for `migrate --upgrade` to do
    before = tree(config)
    assert main([*argv, "--config", str(config)]) == ExitCode.FINDINGS
    assert "read-only" in capsys.readouterr().err
    assert tree(config) == before
    assert "PROVREG_READ_ONLY" not in os.environ


def test_an_option_does_not_outlive_its_command(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two commands in one process (a test, a script that imports provreg): the
    first one's --read-only used to stay in os.environ and refuse the second."""
    assert main([*ADD, "--config", str(config), "--read-only"]) == ExitCode.FINDINGS
    assert main([*ADD, "--config", str(config)]) == ExitCode.OK
    assert "added second-ollama" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["1", "yes", "maybe"])
def test_the_users_read_only_variable_still_refuses(
    config: Path, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PROVREG_READ_ONLY is documented for users; an unclear value refuses too."""
    monkeypatch.setenv("PROVREG_READ_ONLY", value)
    before = tree(config)
    assert main([*ADD, "--config", str(config)]) == ExitCode.FINDINGS
    assert main(["migrate", "--upgrade", "--config", str(config)]) == ExitCode.FINDINGS
    assert "read-only" in capsys.readouterr().err
    assert tree(config) == before


def test_allow_hardlinks_reaches_the_write_without_the_environment(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = config / "providers" / "local.yaml"
    link = config.parent / "local-link.yaml"
    os.link(target, link)
    edit = ["edit", "local-ollama", "--set", "keep_alive=5m", "--config", str(config)]
    assert main(edit) == ExitCode.FINDINGS
    assert "--allow-hardlinks" in capsys.readouterr().err
    assert main([*edit, "--allow-hardlinks"]) == ExitCode.OK
    assert "PROVREG_ALLOW_HARDLINKS" not in os.environ
    assert os.path.samefile(target, link)
    assert "keep_alive: 5m" in link.read_text()
