"""The Problems tab: every diagnostic in every file; Enter jumps to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from provreg.severity import Severity
from provreg.tui.widgets.line_table import keep_end
from provreg.tui.widgets.providers_table import relative_file

if TYPE_CHECKING:  # not at runtime: the first paint comes before the models are imported
    from provreg.model import Diagnostic
    from provreg.registry.state import RegistryState

_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "bright_black"}

WHERE_WIDTH = 32
"""Fixed, so the message keeps room at 80 columns."""


def where_text(
    diagnostic: Diagnostic, width: int = WHERE_WIDTH, roots: tuple[str, ...] = ()
) -> str:
    """`file:line:col`, the file relative to its config directory as in the providers
    table; a long path loses its start, never the line and column."""
    text = f"{relative_file(diagnostic.file, roots)}:{diagnostic.line}:{diagnostic.column}"
    return keep_end(text, width)


class ProblemsTable(DataTable[Text]):
    DEFAULT_CSS = "ProblemsTable { height: 1fr; }"

    class JumpTo(Message):
        """The user picked a problem: show its instance, or its file and line."""

        def __init__(self, diagnostic: Diagnostic) -> None:
            super().__init__()
            self.diagnostic = diagnostic

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self._diagnostics: list[Diagnostic] = []
        self.roots: tuple[str, ...] = ()
        """Config directories: "Where" is relative to them, as the providers table."""

    def on_mount(self) -> None:
        self.add_column("", key="severity", width=7)
        self.add_column("Where", key="where", width=WHERE_WIDTH)
        self.add_column("Code", key="code", width=5)
        self.add_column("Message", key="message")

    def show(self, state: RegistryState) -> None:
        diagnostics = [d for d in state.all_diagnostics() if d.severity is not Severity.INFO]
        if diagnostics == self._diagnostics:
            return
        self._diagnostics = diagnostics
        self.clear()
        for index, diag in enumerate(diagnostics):
            style = _STYLE[diag.severity]
            self.add_row(
                Text(diag.severity.value, style=style),
                Text(where_text(diag, roots=self.roots)),
                Text(diag.code, style=style),
                Text(diag.message),
                key=str(index),
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        index = int(str(event.row_key.value))
        if 0 <= index < len(self._diagnostics):
            self.post_message(self.JumpTo(self._diagnostics[index]))
