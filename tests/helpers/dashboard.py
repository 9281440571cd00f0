"""Driving the real dashboard: bounded waits, keys as a user presses them, screen text,
and the notifications it showed.

The `run_dashboard` fixture (helpers.fixtures) starts the app over the `cfg`
sample copy with these; a test that needs an app of its own builds
`ProvregApp(["cfg"], stamp=fixed_stamp)` and calls `started(pilot)`.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from rich.console import Console
from textual import events
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input

from provreg.tui.app import ProvregApp
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.widgets.providers_table import ProvidersTable

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = ["80x24", "120x40"]


def fixed_stamp(_timestamp: float) -> str:
    """The clock seam for tests: every time reads the same."""
    return "12:00:00"


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 5.0
) -> None:
    """Let the app run until `predicate()` holds; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def app_of(pilot: Pilot[Any]) -> ProvregApp:
    app = pilot.app
    assert isinstance(app, ProvregApp)
    return app


def table_of(pilot: Pilot[Any]) -> ProvidersTable:
    return pilot.app.query_one("#providers", ProvidersTable)


async def started(pilot: Pilot[Any], instances: int = 8) -> ProvregApp:
    """Wait until the registry is loaded, every row is shown and the first is selected."""
    app = app_of(pilot)
    # The main screen's widgets mount after the app is ready (a snapshot's
    # run_before can come first).
    await wait_until(pilot, lambda: app.query("#providers"), "the table to mount")
    table = table_of(pilot)
    await wait_until(
        pilot,
        lambda: (
            app.state is not None
            and len(app.state.instances) == instances
            and len(table.instance_ids) == instances
            and table.selected_id is not None
        ),
        f"the registry to load with {instances} instances",
    )
    return app


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until every worker has finished (only for apps run with watch=False)."""
    app = pilot.app
    await wait_until(
        pilot, lambda: all(worker.is_finished for worker in app.workers), "the workers to finish"
    )
    await pilot.pause()


async def no_blink(pilot: Pilot[Any]) -> None:
    """Stop the cursors of the screen's inputs blinking (for snapshots)."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def select(pilot: Pilot[Any], instance_id: str) -> None:
    """Move the cursor to a row with the arrow keys, as a user does."""
    table = table_of(pilot)
    target = table.instance_ids.index(instance_id)
    current = table.instance_ids.index(table.selected_id or table.instance_ids[0])
    key = "down" if target > current else "up"
    await pilot.press(*[key] * abs(target - current))
    assert table.selected_id == instance_id


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type into the focused widget one key at a time."""
    await pilot.press(*text)


async def paste(pilot: Pilot[Any], text: str) -> None:
    """Paste into the focused widget, as a terminal's bracketed paste arrives.

    Cheaper than a key per character (each simulated key waits for the app to
    be idle), and what users do with keys and long model names.
    """
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def clear_and_type(
    pilot: Pilot[Any], selector: str, text: str, *, pasted: bool = False
) -> None:
    """Focus an input of the current screen, empty it with keys, then type or paste `text`."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    await pilot.press("home", "ctrl+k")  # Input: to the start, delete everything right
    assert field.value == ""
    if pasted:
        await paste(pilot, text)
    else:
        await type_text(pilot, text)
    assert field.value == text


def plain(renderable: Any) -> str:
    """A widget's content (str, rich Text or Table) as plain text."""
    console = Console(width=200, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def screen_text(app: ProvregApp) -> str:
    """What the terminal shows now, as plain text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg)
    return html.unescape(text).replace("\xa0", " ")


class Notes:
    """Collects the app's notifications, in order (`App.notify` posts a `Notify` message).

    Pass it as `run_test(message_hook=...)`; `"text" in notes` asks whether any
    message so far contains the text.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.toasts: list[Notify] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.toasts.append(message)
            self.messages.append(message.notification.message)

    def __contains__(self, text: str) -> bool:
        return any(text in message for message in self.messages)

    def external_changes(self) -> list[str]:
        """The notices of changes made outside the app (not the failed reloads)."""
        return [m for m in self.messages if "external" in m and "reload failed" not in m]


async def open_form(pilot: Pilot[Any], key: str) -> InstanceForm:
    """Press `key` (e, c, Enter) and wait for the instance form."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InstanceForm), "the form")
    form = pilot.app.screen
    assert isinstance(form, InstanceForm)
    return form


Dashboard = tuple[ProvregApp, Pilot[Any], Notes]
"""What `run_dashboard(...)` enters with: the app, its pilot, its notifications."""

RunDashboard = Callable[..., AbstractAsyncContextManager[Dashboard]]
"""The type of the `run_dashboard` fixture (helpers.fixtures)."""


@asynccontextmanager
async def running_dashboard(
    size: tuple[int, int] = (80, 24), **app_options: Any
) -> AsyncIterator[Dashboard]:
    """The real app over "cfg" (relative to the cwd), with the fixed clock, at `size`;
    entered once every sample row is shown and the first is selected. Keyword
    arguments go to `ProvregApp` (`watch=False` turns the sync engine off).

    Tests over the `cfg` fixture ask for `run_dashboard`, which is this.
    """
    app = ProvregApp(["cfg"], stamp=fixed_stamp, **app_options)
    notes = Notes()
    async with app.run_test(size=size, message_hook=notes) as pilot:
        await started(pilot)
        yield app, pilot, notes
