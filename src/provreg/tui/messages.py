"""App-wide messages: how store commits and events reach the UI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # not at runtime: the first paint comes before the registry is imported
    from provreg.registry.events import Event
    from provreg.registry.state import RegistryState


class StoreChanged(Message):
    """A new snapshot. Bursts coalesce: only the newest pending one is handled."""

    def __init__(self, state: RegistryState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


class EventsArrived(Message):
    """Typed events of one commit, for the Activity tab and notifications."""

    def __init__(self, events: tuple[Event, ...]) -> None:
        super().__init__()
        self.events = events


class RegistryFailed(Message):
    """The registry could not be opened at all."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
