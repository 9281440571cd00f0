"""An external edit changed the instance open in a form: the user decides.

Keep mine (my form wins when saved), take theirs (the form reloads from
disk), or view both (the differing fields side by side). Never silently
overwrites either side.
"""

from __future__ import annotations

from typing import Literal

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from provreg.model import ProviderInstance
from provreg.tui.screens.help_key import HELP_BINDING

Choice = Literal["mine", "theirs"]


def differences(mine: dict[str, object], theirs: ProviderInstance) -> Table:
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("field")
    table.add_column("your form")
    table.add_column("on disk now")
    theirs_values: dict[str, object] = {"name": theirs.name, **theirs.values}
    for key in sorted(set(mine) | set(theirs_values)):
        left, right = mine.get(key), theirs_values.get(key)
        if left != right:
            table.add_row(
                key, "" if left is None else str(left), "" if right is None else str(right)
            )
    return table


class ConflictScreen(ModalScreen[Choice]):
    help_title = "Conflict: keys"
    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine"),
        Binding("t", "choose('theirs')", "Take theirs"),
        Binding("b", "both", "View both"),
        HELP_BINDING,
    ]

    def __init__(self, message: str, mine: dict[str, object], theirs: ProviderInstance) -> None:
        super().__init__()
        self.message = message
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Conflict", classes="title")
            yield Label(self.message, classes="message", markup=False)
            yield Static(differences(self.mine, self.theirs), id="both", classes="hidden")
            with Horizontal(classes="buttons"):
                yield Button("Keep mine", variant="primary", id="mine")
                yield Button("Take theirs", id="theirs")
                yield Button("View both", id="both-button")
        yield Footer()  # this screen's own keys, not the dashboard's

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "both-button":
            self.action_both()
        elif event.button.id in ("mine", "theirs"):
            self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)

    def action_both(self) -> None:
        self.query_one("#both", Static).toggle_class("hidden")
