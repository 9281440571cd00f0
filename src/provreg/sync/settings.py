"""Sync settings: the engine's timings and the environment switch for polling.

Owns: `SyncSettings` and `POLL_ENV`. Imports nothing from provreg.
"""

from __future__ import annotations

from dataclasses import dataclass

POLL_ENV = "PROVREG_POLL"
"""Environment flag: poll instead of inotify when no settings are given."""


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """Timings, chosen by measurement (docs/performance.md)."""

    debounce_ms: int = 50
    """Longest time watchfiles groups events before yielding a batch."""
    step_ms: int = 5
    """Quiet time after the last event that closes a batch. watchfiles wakes
    every step even when idle (a small, measured cost: docs/performance.md);
    a lone save waits one to two steps."""
    grace_s: float = 0.5
    """How long a vanished file keeps its instances (rename-saves reappear)."""
    rescan_s: float = 3.0
    """Period of the cheap check (watched directories replaced, symlinked files'
    targets changed): what inotify cannot report. With `poll`, the full rescan's
    period too (the poller misses a save in the same second)."""
    full_rescan_s: float = 10.0
    """Period of the full stat rescan of every file while inotify watches: the
    safety net for events the kernel or the watcher lost."""
    poll: bool = False
    """Poll instead of inotify (network file systems)."""
    poll_delay_ms: int = 300
