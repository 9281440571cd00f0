"""What you see is what you act on: Details, the highlighted row and every
action's target are one instance, whatever the filter, the sort, or an
external edit did to the rows (each test here failed before its fix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Input, Static

from provreg.tui.app import ProvregApp
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.widgets.detail_pane import DetailPane

from .support import SIZE_IDS, SIZES, fixed_stamp, plain, select, started, table_of, wait_until

pytestmark = pytest.mark.anyio
sizes = pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)


class Notes:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.messages.append(message.notification.message)

    def __contains__(self, text: str) -> bool:
        return any(text in message for message in self.messages)


def detail_text(pilot: Any) -> str:
    pane = pilot.app.query_one(DetailPane)
    return plain(pane.query_one("#detail-body", Static).content)


def shown_name(pilot: Any) -> str:
    """The name line of the Details pane."""
    for line in detail_text(pilot).splitlines():
        if line.startswith("name"):
            return line.removeprefix("name").strip()
    return ""


@sizes
async def test_details_follow_the_filter_and_actions_act_on_what_details_show(
    cfg: Path, size: tuple[int, int]
) -> None:
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    notes = Notes()
    async with app.run_test(size=size, message_hook=notes) as pilot:
        await started(pilot)
        table = table_of(pilot)
        await select(pilot, "work-openai")
        await wait_until(pilot, lambda: shown_name(pilot) == "Work OpenAI", "Work OpenAI")

        await pilot.press("slash", *"gemini", "enter")
        await wait_until(pilot, lambda: table.instance_ids == ["gemini"], "Gemini alone")
        await wait_until(pilot, lambda: shown_name(pilot) == "Gemini (free tier)", "Gemini shown")
        assert app.selected_instance() is not None
        assert app.selected_instance().id == "gemini"  # type: ignore[union-attr]
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        assert app.screen.query_one("#field-name", Input).value == "Gemini (free tier)"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "the form shut")

        # A filter that matches nothing: Details shows none, and actions say so.
        await pilot.press("slash", "z", "z", "z", "enter")
        await wait_until(pilot, lambda: table.instance_ids == [], "no rows")
        await wait_until(pilot, lambda: "Select a provider instance" in detail_text(pilot), "none")
        for key in ("e", "x", "k", "o"):
            notes.messages.clear()
            await pilot.press(key)
            await wait_until(pilot, lambda: "No instance selected." in notes, f"{key}: say so")
            assert len(app.screen_stack) == 1


async def test_details_follow_the_row_that_takes_a_removed_ones_place(cfg: Path) -> None:
    """An instance removed on disk while highlighted: the row below moves up under
    the cursor, and Details and the actions follow it."""
    hosted = cfg / "providers" / "hosted.yaml"
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        table = table_of(pilot)
        await select(pilot, "personal-anthropic")
        await wait_until(pilot, lambda: shown_name(pilot) == "Personal Anthropic", "shown")
        text = hosted.read_text()
        start = text.index("  - id: personal-anthropic")
        end = text.index("  - id: gemini")
        hosted.write_text(text[:start] + text[end:])
        await wait_until(
            pilot, lambda: "personal-anthropic" not in table.instance_ids, "the row to go"
        )
        await wait_until(pilot, lambda: shown_name(pilot) == "Gemini (free tier)", "the next")
        assert table.selected_id == "gemini"
        assert app.selected_instance() is not None
        assert app.selected_instance().id == "gemini"  # type: ignore[union-attr]
