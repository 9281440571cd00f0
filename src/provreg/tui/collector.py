"""Make the cyclic garbage collector's full collections rare while the dashboard runs.

After a load of 10,000 instances the dashboard holds hundreds of thousands of
long-lived objects. The load freezes what it made (`gc.freeze()`, see
`ProvregApp`), but what comes later (the table's render caches, filled while
scrolling; the instances of reloaded files) stays in the oldest generation,
and each full collection walks all of it: 50-150 ms after some scrolling,
landing on a keypress or a live edit (docs/performance.md, "Dashboard").

By default CPython considers a full collection after every 10 collections of
the middle generation; `RareFullCollections` raises that to 100 while the
app runs (a full collection then comes about every 100 live edits instead of
every 10). Young generations are collected as before, so short-lived cycles
are still freed at once; only cycles that lived long wait longer. Freezing
the survivors of each full collection was tried instead: it leaked every
cached `Strip` (they refer to themselves) evicted after a freeze.
"""

from __future__ import annotations

import gc

FULL_COLLECTION_EVERY = 100
"""Middle-generation collections between full ones (CPython's default: 10)."""


class RareFullCollections:
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
