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
    __slots__ = ("listener", "selector", "last", "active")

    def __init__(
        self, listener: Callable[[T, T], None], selector: Callable[[RegistryState], T], last: T
    ) -> None:
        self.listener = listener
        self.selector = selector
        self.last = last
        self.active = True


class _EventSubscription:
    __slots__ = ("listener", "active")

    def __init__(self, listener: Callable[[Sequence[Event]], None]) -> None:
        self.listener = listener
        self.active = True


class Store:
    """Holds the current state; publishes each commit to subscribers."""

    def __init__(self, initial: RegistryState) -> None:
        self._state = initial
        self._subscriptions: list[_Subscription[Any]] = []
        self._event_listeners: list[_EventSubscription] = []
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
                # Inactive at once: a commit already notifying skips it too.
                subscription.active = False
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)

        return unsubscribe

    def subscribe_events(self, listener: Callable[[Sequence[Event]], None]) -> Unsubscribe:
        """Call `listener(events)` once per commit that has events."""
        subscription = _EventSubscription(listener)
        with self._guard:
            self._event_listeners.append(subscription)

        def unsubscribe() -> None:
            with self._guard:
                subscription.active = False
                if subscription in self._event_listeners:
                    self._event_listeners.remove(subscription)

        return unsubscribe

    def commit(self, state: RegistryState, events: Sequence[Event] = ()) -> None:
        """Replace the state and notify. Only the registry calls this."""
        self._state = state
        with self._guard:
            subscriptions = list(self._subscriptions)
            event_listeners = list(self._event_listeners)
        for subscription in subscriptions:
            if not subscription.active:
                continue  # unsubscribed by an earlier listener of this commit
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
            for event_subscription in event_listeners:
                if not event_subscription.active:
                    continue
                try:
                    event_subscription.listener(events)
                except Exception:
                    log.exception("event listener %r failed", event_subscription.listener)


def _whole_state(state: RegistryState) -> RegistryState:
    return state
