"""The reactive state container the dashboard binds to (a zustand analogue).

`get_state()` returns the current immutable `RegistryState`; `subscribe`
registers a listener called once per commit, only when its selected slice
changed (compared by identity, then equality); a failing listener is logged
and does not stop the others. Events of each commit go to event listeners.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from provreg.registry.events import Event
from provreg.registry.state import RegistryState

log = logging.getLogger("provreg.store")

T = TypeVar("T")
Unsubscribe = Callable[[], None]


class _Subscription(Generic[T]):
    __slots__ = ("listener", "selector", "last")

    def __init__(
        self, listener: Callable[[T, T], None], selector: Callable[[RegistryState], T], last: T
    ) -> None:
        self.listener = listener
        self.selector = selector
        self.last = last


class Store:
    """Holds the current state; publishes each commit to subscribers."""

    def __init__(self, initial: RegistryState) -> None:
        self._state = initial
        self._subscriptions: list[_Subscription[Any]] = []
        self._event_listeners: list[Callable[[Sequence[Event]], None]] = []
        # Commits come from the registry under its lock; this guards the
        # subscriber lists, which the UI may change from its own thread.
        self._guard = threading.Lock()

    def get_state(self) -> RegistryState:
        return self._state

    def subscribe(
        self,
        listener: Callable[[Any, Any], None],
        selector: Callable[[RegistryState], Any] | None = None,
    ) -> Unsubscribe:
        """Call `listener(new, old)` after each commit that changes `selector(state)`.

        Without a selector the whole state is the slice (every commit).
        Returns a function that unsubscribes (safe to call twice).
        """
        select = selector if selector is not None else _whole_state
        subscription = _Subscription(listener, select, select(self._state))
        with self._guard:
            self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            with self._guard:
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)

        return unsubscribe

    def subscribe_events(self, listener: Callable[[Sequence[Event]], None]) -> Unsubscribe:
        """Call `listener(events)` once per commit that has events."""
        with self._guard:
            self._event_listeners.append(listener)

        def unsubscribe() -> None:
            with self._guard:
                if listener in self._event_listeners:
                    self._event_listeners.remove(listener)

        return unsubscribe

    def commit(self, state: RegistryState, events: Sequence[Event] = ()) -> None:
        """Replace the state and notify. Only the registry calls this."""
        self._state = state
        with self._guard:
            subscriptions = list(self._subscriptions)
            event_listeners = list(self._event_listeners)
        for subscription in subscriptions:
            try:
                selected = subscription.selector(state)
                previous = subscription.last
                if selected is previous or selected == previous:
                    continue
                subscription.last = selected
                subscription.listener(selected, previous)
            except Exception:
                log.exception("store listener %r failed", subscription.listener)
        if events:
            for listener in event_listeners:
                try:
                    listener(events)
                except Exception:
                    log.exception("event listener %r failed", listener)


def _whole_state(state: RegistryState) -> RegistryState:
    return state
