"""What a user sees, as SVG snapshots (pytest-textual-snapshot), at 80x24 and 120x40.

Deterministic by construction: the config is copied to the same relative path
(`cfg`) every time, the sync engine is off (watch=False: the header says
"not watching"), the clock seam shows a fixed time, the keyring is an empty
isolated one, every worker has finished before the screenshot, and focused
inputs do not blink.

Update after an intended change with `uv run pytest tests/tui --snapshot-update`,
then look at the SVGs (snapshot_report.html shows the differences).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import SIZE_IDS, SIZES, fixed_stamp, no_blink, settled, started, wait_until
from textual.pilot import Pilot
from textual.widgets import OptionList

from provreg.tui.app import ProvregApp
from provreg.tui.screens.conflict import ConflictScreen
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.screens.provider_picker import ProviderPicker
from provreg.tui.widgets.problems import ProblemsTable

pytestmark = pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)

BROKEN = """\
version: 1
providers:
  - id: broken
    name: Broken
    provider: openai
    default_model: [gpt-4.1
"""


def dashboard() -> ProvregApp:
    return ProvregApp(["cfg"], watch=False, stamp=fixed_stamp)


def test_main_screen(cfg: Path, size: tuple[int, int], snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await started(pilot)
        await settled(pilot)

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_add_form(cfg: Path, size: tuple[int, int], snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = await started(pilot)
        await settled(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")
        options = app.screen.query_one(OptionList)
        assert options.highlighted == 0
        assert options.get_option_at_index(0).id == "openai"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        await pilot.press(*"Team")
        await no_blink(pilot)

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_problems_tab(cfg: Path, size: tuple[int, int], snap_compare: Any) -> None:
    (cfg / "team" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    local = cfg / "providers" / "local.yaml"
    local.write_text(
        local.read_text(encoding="utf-8").replace("keep_alive: 10m", "keep_alive: 10m\n    tmp: 1"),
        encoding="utf-8",
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        app = await started(pilot)
        await settled(pilot)
        await pilot.press("exclamation_mark")
        problems = app.query_one(ProblemsTable)
        assert problems.row_count == 2
        assert problems.has_focus

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_conflict_dialog(cfg: Path, size: tuple[int, int], snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = await started(pilot)
        await settled(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        form = app.screen
        assert isinstance(form, InstanceForm)
        mine = form.collect()
        mine.values["default_model"] = "gpt-5"
        assert app.state is not None
        current = app.state.instances["work-openai"]
        theirs = current.model_copy(update={"values": {**current.values, "project": "proj_ops"}})
        app.push_screen(
            ConflictScreen(
                f"'{theirs.name}' was changed in {theirs.file} while you were editing it.",
                {"name": mine.name, **mine.values},
                theirs,
            )
        )
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictScreen), "the dialog")
        await pilot.press("b")  # view both

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)
