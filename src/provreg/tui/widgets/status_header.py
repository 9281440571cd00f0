"""The header line: where the config is, whether it is live, and the counts."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from provreg.model import Severity
from provreg.registry.state import RegistryState


class StatusHeader(Static):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, location: str, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.location = location
        self.read_only = False

    def show(self, state: RegistryState | None, *, read_only: bool = False) -> None:
        self.read_only = read_only
        text = Text()
        text.append("provreg ", style="bold")
        text.append(self.location)
        if state is None:
            text.append("  loading…", style="italic")
            self.update(text)
            return
        mode = {
            "watching": ("● live", "green"),
            "polling": ("● polling", "green"),
            "stopped": ("○ not watching", "yellow"),
        }[state.watch]
        text.append("  ")
        text.append(mode[0], style=mode[1])
        last = max((f.last_reload for f in state.files.values()), default=None)
        failing = [f for f in state.files.values() if not f.ok]
        if last is not None:
            stamp = datetime.fromtimestamp(last).strftime("%H:%M:%S")
            text.append(f"  reloaded {stamp} ")
            text.append(
                "✔" if not failing else f"✖ {len(failing)} file(s) failing",
                style="green" if not failing else "red",
            )
        errors = state.count(Severity.ERROR)
        warnings = state.count(Severity.WARNING)
        text.append(f"  {len(state.instances)} instances")
        text.append(f"  {errors} errors", style="red" if errors else "")
        text.append(f"  {warnings} warnings", style="yellow" if warnings else "")
        if read_only:
            text.append("  READ-ONLY", style="bold reverse")
        self.update(text)
