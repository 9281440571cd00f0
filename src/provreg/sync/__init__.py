"""Live sync: watch config directories and reconcile external edits into the registry.

Owns: `SyncEngine` (wiring and status, `engine`), `SyncSettings` (`settings`)
and `SyncStats` (`stats`); the parts are `roots` (what to watch), `watcher`
(watchfiles), `reconcile` (a batch into a reload), `differences` (stat
comparisons), `self_healing` (the periodic check and full rescan) and
`filesystems` (file system types and the inotify limit, for `provreg doctor`).
May import: watchfiles, anyio, `provreg.registry`, `provreg.storage`, `provreg.config`,
`provreg.model`, `provreg.paths`.
Never textual.
"""

from provreg.sync.engine import SyncEngine
from provreg.sync.settings import SyncSettings
from provreg.sync.stats import SyncStats

__all__ = ["SyncEngine", "SyncSettings", "SyncStats"]
