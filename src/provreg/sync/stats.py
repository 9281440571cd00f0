"""Sync counters: what the engine did, for tests, benchmarks and diagnostics.

Owns: `SyncStats`, shared by the watcher, the reconciler and the self-healing
schedule, each counting its own work. Imports nothing from provreg.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SyncStats:
    """Counters for tests and benchmarks."""

    batches: int = 0
    reloads: int = 0
    suppressed: int = 0
    rescans: int = 0
    """Full rescans (a stat of every file)."""
    checks: int = 0
    """Cheap checks (the roots and the symlinked files only)."""
    missed_by_watch: int = 0
    """Full rescans that found a change the watch should have reported; after
    the first, every period is a full rescan."""
    restarts: int = 0
    failures: int = 0
    files_read: list[str] = field(default_factory=list)
