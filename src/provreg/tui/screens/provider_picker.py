"""Pick a provider type from the catalog, with its description."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from provreg.model import ProviderDefinition
from provreg.tui.screens.help_key import HELP_BINDING


class ProviderPicker(ModalScreen[str | None]):
    help_title = "Pick a provider type: keys"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), HELP_BINDING]

    def __init__(self, definitions: list[ProviderDefinition]) -> None:
        super().__init__()
        self.definitions = definitions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Add a provider instance: pick its type", classes="title")
            options = []
            for definition in self.definitions:
                prompt = Text(definition.name, style="bold")
                prompt.append(f"  {definition.id}", style="bright_black")
                if not definition.builtin:
                    prompt.append("  custom", style="italic")
                if definition.description:
                    prompt.append(f"\n  {definition.description}")
                options.append(Option(prompt, id=definition.id))
            yield OptionList(*options, id="provider-types")
        yield Footer()  # this screen's own keys, not the dashboard's

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
