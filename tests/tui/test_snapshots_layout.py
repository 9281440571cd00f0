"""Snapshots of the layouts a user meets first: a wide terminal, the sort
indicator, an empty registry, a first run with no config directory, and a
form's own footer. Deterministic as tests/tui/test_snapshots.py is (watch off,
a fixed clock, an empty isolated keyring). Update with `--snapshot-update`,
then look at the SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import fixed_stamp, no_blink, settled, started, table_of, wait_until
from textual.pilot import Pilot

from provreg.tui.app import ProvregApp
from provreg.tui.screens.instance_form import InstanceForm


def dashboard(path: str = "cfg") -> ProvregApp:
    return ProvregApp([path], watch=False, stamp=fixed_stamp)


async def edit_form_still(pilot: Pilot[Any]) -> None:
    """The rows loaded, every worker done, the first row's edit form open, no blinking."""
    await started(pilot)
    await settled(pilot)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InstanceForm), "the form")
    await no_blink(pilot)


def test_a_wide_terminal_widens_the_columns(cfg: Path, snap_compare: Any) -> None:
    """At 200 columns names, models and files show whole (they were cut with 70
    empty columns beside them)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await started(pilot)
        await settled(pilot)
        table = table_of(pilot)
        widths = {column.key: column.width for column in table.columns}
        assert widths["name"] > 24 and widths["model"] > 18, widths

    assert snap_compare(dashboard(), terminal_size=(200, 50), run_before=run_before)


def test_the_sorted_column_is_marked(cfg: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await started(pilot)
        await settled(pilot)
        await pilot.press("s")  # by name
        await wait_until(pilot, lambda: table_of(pilot).sort_key == "name", "sorted by name")
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=(120, 40), run_before=run_before)


def test_an_empty_registry_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: Any
) -> None:
    (tmp_path / "cfg").mkdir()
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ProvregApp)
        await wait_until(pilot, lambda: app.state is not None, "the (empty) registry")
        await settled(pilot)
        assert "press a to add one" in table_of(pilot).empty_message()

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)


def test_a_first_run_says_the_commands_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: Any
) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        # The main screen's widgets mount after the app is ready.
        await wait_until(pilot, lambda: pilot.app.query("#providers"), "the table")
        await wait_until(pilot, lambda: table_of(pilot).first_run_hint, "the hint")
        await settled(pilot)

    assert snap_compare(dashboard("no-such-dir"), terminal_size=(80, 24), run_before=run_before)


def test_a_form_shows_its_own_keys(cfg: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await edit_form_still(pilot)

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)


def test_a_notification_over_a_form_leaves_its_buttons_visible(
    cfg: Path, snap_compare: Any
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await edit_form_still(pilot)
        pilot.app.notify("external: providers/hosted.yaml — updated Gemini (default_model)")
        await pilot.pause(0.3)

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)
