"""Mistyped words get a suggestion and exit 2: commands (unless the word is a
path: `provreg PATH` opens the dashboard on it), options, help topics, and
provider types in `provreg add`."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.files import copy_samples

from provreg.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lst"], "unknown command 'lst' — did you mean 'list'?"),
        (["secrte", "status"], "unknown command 'secrte' — did you mean 'secret'?"),
        (["secret", "sett", "work"], "unknown command 'secret sett' — did you mean 'secret set'?"),
        (["list", "--jsn"], "unknown option '--jsn' for 'list' — did you mean '--json'?"),
        (
            ["secret", "status", "--jsn"],
            "unknown option '--jsn' for 'secret status' — did you mean '--json'?",
        ),
        (
            ["add", "openai", "--name", "X", "--nmae=Y"],
            "unknown option '--nmae=Y' for 'add' — did you mean '--name'?",
        ),
        (["help", "secret"], "unknown help topic 'secret' — did you mean 'secrets'?"),
    ],
)
def test_a_near_miss_is_named_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == f"provreg: {message}\n"
    assert captured.out == ""


def test_a_word_that_is_a_path_is_opened_not_corrected(tmp_path: Path) -> None:
    copy_samples(tmp_path / "lst")
    done = run_cli("lst", cwd=tmp_path)  # stdout is a pipe: the dashboard's text listing
    assert done.returncode == 0, done.output
    assert "provreg registry: lst" in done.stdout
    assert "did you mean" not in done.output


def test_a_word_close_to_nothing_is_still_a_missing_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["zzzzqqq"]) == 2
    assert "zzzzqqq: no such file or directory" in capsys.readouterr().err


def test_an_option_close_to_nothing_keeps_argparses_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["list", "--zzzzqqq"])
    assert raised.value.code == 2
    assert "unrecognized arguments: --zzzzqqq" in capsys.readouterr().err


def test_a_mistyped_provider_type_in_add(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    copy_samples(config)
    done = run_cli("add", "opena", "--name", "X", "--config", str(config))
    assert done.returncode == 1
    assert done.stderr == "provreg: unknown provider 'opena' (did you mean 'openai'?)\n"
