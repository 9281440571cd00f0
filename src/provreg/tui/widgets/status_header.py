"""The header line: where the config is, whether it is live, and the counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from provreg.report import plural
from provreg.severity import Severity

if TYPE_CHECKING:  # not at runtime: the first paint comes before the registry is imported
    from provreg.registry.state import RegistryState


def clock_time(timestamp: float) -> str:
    """A Unix time as local wall-clock time (HH:MM:SS), as the header shows it."""
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


class StatusHeader(Static):
    """One line. At 80 columns the counts, the failing-files mark and the live
    status always show: the status words get shorter first, then the location
    is cut with an ellipsis."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(
        self, location: str, *, stamp: Callable[[float], str] = clock_time, **kwargs: object
    ) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.location = location
        self.stamp = stamp
        self.read_only = False
        self.rescanned_at: float | None = None
        """When `r` last re-read every file: the files that did not change keep
        their own reload times, but the user just saw them all checked."""
        self._state: RegistryState | None = None

    def show(self, state: RegistryState | None, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._state = state
        self._render_line()

    def on_resize(self) -> None:
        self._render_line()

    def _render_line(self) -> None:
        state = self._state
        where = Text()
        where.append("provreg ", style="bold")
        where.append(self.location)
        if state is None:
            where.append("  loading…", style="italic")
            self.update(where, layout=False)
            return
        status = self._status(state, short=False)
        width = self.content_size.width
        if width and where.cell_len + 2 + status.cell_len > width:
            status = self._status(state, short=True)
        # The location is what gets cut (with an ellipsis) when even that is too wide.
        line = Table.grid(expand=True)
        line.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        line.add_column(no_wrap=True, justify="right")
        line.add_row(where, Text("  ") + status)
        self.update(line, layout=False)

    def _status(self, state: RegistryState, *, short: bool) -> Text:
        mode = {
            "watching": ("● live", "● live", "green"),
            "polling": ("● polling", "● poll", "green"),
            "stopped": ("○ not watching", "○ off", "yellow"),
        }[state.watch]
        text = Text()
        text.append(mode[1] if short else mode[0], style=mode[2])
        last = max((f.last_reload for f in state.files.values()), default=None)
        if self.rescanned_at is not None and (last is None or self.rescanned_at > last):
            last = self.rescanned_at
        failing = sum(1 for f in state.files.values() if not f.ok)
        if last is not None:
            text.append(f"  {self.stamp(last)} " if short else f"  reloaded {self.stamp(last)} ")
            if failing:
                label = f"{failing} failing" if short else f"{plural(failing, 'file')} failing"
                text.append(f"✖ {label}", style="red")
            else:
                text.append("✔", style="green")
        errors = state.count(Severity.ERROR)
        warnings = state.count(Severity.WARNING)
        text.append(f"  {plural(len(state.instances), 'instance')}")
        text.append(f"  {plural(errors, 'error')}", style="red" if errors else "")
        text.append(f"  {plural(warnings, 'warning')}", style="yellow" if warnings else "")
        if self.read_only:
            text.append("  READ-ONLY", style="bold reverse")
        return text
