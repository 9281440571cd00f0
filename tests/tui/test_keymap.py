"""A user keymap (keymap.yaml in the config directory) rebinds the dashboard's
keys by binding id; a bad one is reported and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dashboard import RunDashboard, wait_until

from provreg.paths import user_config_dir
from provreg.tui.keymap import load_keymap
from provreg.tui.screens.provider_picker import ProviderPicker

pytestmark = pytest.mark.anyio


def write_keymap(text: str) -> Path:
    path = Path(user_config_dir()) / "keymap.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def test_a_keymap_rebinds_a_key_and_the_footer_shows_it(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    write_keymap("add: n\n")
    async with run_dashboard((120, 40)) as (app, pilot, _):
        await pilot.press("a")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ProviderPicker)  # `a` no longer adds
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")
        keys = {b.binding.id: b.binding.key for b in app.screen.active_bindings.values()}
        assert keys.get("add") == "n"


async def test_a_bad_keymap_is_reported_and_the_defaults_stay(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    path = write_keymap("add: [n]\nno-such-action: z\n")
    async with run_dashboard((120, 40)) as (app, pilot, notes):
        await wait_until(pilot, lambda: "unknown binding id 'no-such-action'" in notes, "a note")
        assert f"{path}: 'add' needs keys as text" in notes
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")


def test_a_keymap_that_does_not_parse_says_where(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text("add: n\ndelete: [x\n")
    loaded = load_keymap({"add", "delete"}, path)
    assert loaded.keymap == {}
    assert loaded.problems == [f"{path}:3:1: not valid YAML; default keys"]
