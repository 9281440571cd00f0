"""Enter a key in a masked input. The value goes to the secret store only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label

from provreg.tui.screens.help_key import HELP_BINDING

if TYPE_CHECKING:  # imported when a key is entered: pydantic is not loaded at start
    from pydantic import SecretStr  # noqa: F401 (named in the base class, a string)


class SecretInputScreen(ModalScreen["SecretStr | None"]):
    help_title = "Set a key: keys"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), HELP_BINDING]

    def __init__(self, instance_name: str, field: str, where: str) -> None:
        super().__init__()
        self.instance_name = instance_name
        self.field = field
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Set {self.field} for {self.instance_name}", classes="title", markup=False)
            yield Label(
                f"Stored in {self.where}; never written to the YAML.", classes="hint", markup=False
            )
            yield Input(password=True, placeholder="paste the key", id="secret")
            yield Label("", id="secret-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Store", variant="primary", id="store")
                yield Button("Cancel", id="cancel")
        yield Footer()  # this screen's own keys, not the dashboard's

    def on_mount(self) -> None:
        self.query_one("#secret", Input).focus()

    def _submit(self) -> None:
        value = self.query_one("#secret", Input).value
        if not value.strip():
            self.query_one("#secret-error", Label).update("Enter a key, or press Escape.")
            return
        from pydantic import SecretStr

        self.dismiss(SecretStr(value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "store":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
