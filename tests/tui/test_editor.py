"""`v` decides the editor before it gives up the terminal: a missing one is
said on screen, never a blank screen (`EDITOR=nosuch-editor` left one)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers.dashboard import RunDashboard, wait_until

from provreg.editor import EditorError, editor_command

pytestmark = pytest.mark.anyio


def programs(directory: Path, *names: str) -> str:
    """A PATH holding only these (empty) programs."""
    directory.mkdir(exist_ok=True)
    for name in names:
        path = directory / name
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(directory)


@pytest.mark.parametrize(
    ("environ", "on_path", "expected"),
    [
        ({"VISUAL": "code --wait", "EDITOR": "vim"}, ("code", "vim"), ["code", "--wait"]),
        ({"VISUAL": "", "EDITOR": "vim"}, ("vim",), ["vim"]),
        ({}, ("vi", "nano"), ["vi"]),
        ({}, ("nano",), ["nano"]),
    ],
)
def test_the_editor_chosen(
    tmp_path: Path, environ: dict[str, str], on_path: tuple[str, ...], expected: list[str]
) -> None:
    env = {**environ, "PATH": programs(tmp_path / "bin", *on_path)}
    assert editor_command("cfg/a.yaml", 7, env) == [*expected, "+7", "cfg/a.yaml"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"EDITOR": "nosuch-editor"}, "$EDITOR is 'nosuch-editor', and 'nosuch-editor' is not"),
        ({"VISUAL": "nosuch --wait"}, "$VISUAL is 'nosuch --wait'"),
        ({"EDITOR": "'unclosed"}, "cannot be read as a command"),
        ({}, "no editor found: set $VISUAL or $EDITOR"),
    ],
)
def test_no_editor_is_an_error_that_says_what_to_set(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    env = {**environ, "PATH": programs(tmp_path / "bin", "vim")}
    with pytest.raises(EditorError) as caught:
        editor_command("a.yaml", 1, env)
    assert message in str(caught.value)


async def test_v_with_a_missing_editor_says_so_and_keeps_the_dashboard(
    cfg: Path, run_dashboard: RunDashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "nosuch-editor")
    monkeypatch.delenv("VISUAL", raising=False)
    async with run_dashboard() as (app, pilot, notes):
        shown = notes.messages
        await pilot.press("v")
        await wait_until(pilot, lambda: shown, "a message")
        assert "'nosuch-editor' is not on PATH" in shown[-1], shown
        assert app.is_running and len(app.screen_stack) == 1
        await pilot.press("down")  # still answering keys
    assert os.environ["EDITOR"] == "nosuch-editor"
