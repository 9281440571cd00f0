"""Live sync: watch config directories and reconcile external edits into the registry.

Owns: `SyncEngine` (watchfiles task, reconciler, rescan) and `SyncSettings`.
May import: watchfiles, anyio, `provreg.registry`, `provreg.storage`, `provreg.config`.
Never textual.
"""

from provreg.sync.engine import SyncEngine, SyncSettings, SyncStats

__all__ = ["SyncEngine", "SyncSettings", "SyncStats"]
