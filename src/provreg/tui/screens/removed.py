"""The instance open in a form was removed on disk: the user decides what
becomes of the edits (they are never dropped without asking).

Recreate it with my values (same id, same file), copy my values to the
clipboard (the form stays open), or discard my edits.
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label

from provreg.tui.screens.help_key import HELP_BINDING

RemovedChoice = Literal["recreate", "copy", "discard"]


class RemovedScreen(ModalScreen[RemovedChoice]):
    help_title = "Removed on disk: keys"
    BINDINGS = [
        Binding("r", "choose('recreate')", "Recreate"),
        Binding("c", "choose('copy')", "Copy values"),
        Binding("d", "choose('discard')", "Discard"),
        HELP_BINDING,
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Removed on disk", classes="title")
            yield Label(self.message, classes="message", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Recreate with my values (r)", variant="primary", id="recreate")
                yield Button("Copy my values (c)", id="copy")
                yield Button("Discard my edits (d)", id="discard")
        yield Footer()  # this screen's own keys, not the dashboard's

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("recreate", "copy", "discard"):
            self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: RemovedChoice) -> None:
        self.dismiss(choice)
