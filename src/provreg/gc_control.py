"""The cyclic garbage collector, kept out of the way of bulk loads.

Owns: every place provreg steers `gc` (nothing else imports it):
- `gc_paused`: no collection during a parse or a load. A bulk load allocates
  many young objects and no cycles, and collections triggered by allocation
  counts cost a multiple of the load time on large files (docs/performance.md).
- `paused_then_frozen` and `freeze_loaded_objects`: what a load made is
  long-lived and acyclic; frozen, later collections no longer walk it.
  For applications (the CLI, the dashboard), not the library: a process
  that embeds the registry decides for itself. `unfreeze` gives it back.
- `RareFullCollections`: full collections made rare while the dashboard runs.
May import: the standard library only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FULL_COLLECTION_EVERY = 100
"""Middle-generation collections between full ones (CPython's default: 10)."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (as it was afterwards)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def paused_then_frozen() -> Iterator[None]:
    """`gc_paused`, then freeze what the block made (when it did not raise)."""
    with gc_paused():
        yield
        gc.freeze()


def freeze_loaded_objects() -> None:
    """Move everything allocated so far out of the collector's reach."""
    gc.freeze()


def unfreeze() -> None:
    """Make what was frozen collectable again (tests run many apps in one process)."""
    gc.unfreeze()


class RareFullCollections:
    """Make full collections rare while the dashboard runs.

    After a large load the dashboard holds a great many long-lived objects.
    The load freezes what it made, but what comes later
    (the table's render caches, filled while scrolling; the instances of
    reloaded files) stays in the oldest generation, and each full collection
    walks all of it, landing on a keypress or a live edit (docs/performance.md,
    "Dashboard").

    By default CPython considers a full collection after every 10 collections
    of the middle generation; this raises that to `FULL_COLLECTION_EVERY`
    while started. Young generations are collected as before, so short-lived
    cycles are still freed at once; only cycles that lived long wait longer.
    Freezing the survivors of each full collection was tried instead: it
    leaked every cached `Strip` (they refer to themselves) evicted after a
    freeze.
    """

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, old = self._saved
            gc.set_threshold(young, middle, max(old, FULL_COLLECTION_EVERY))

    def stop(self) -> None:
        """Restore the thresholds (the process may go on: tests run many apps)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
