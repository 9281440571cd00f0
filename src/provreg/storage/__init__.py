"""Storage backends: where instances live and how changes reach disk.

Owns: the `StorageBackend` protocol, the YAML directory backend (atomic,
comment-preserving writes with optimistic concurrency and a cross-process
lock; `rewrite`, the same path for whole-file rewrites) and the in-memory
backend; the protocols the layers above ask for (`RewritableStorage`,
`WatchedStorage`, `UndoableStorage`).
May import: `provreg.config`, `provreg.catalog`, `provreg.model` (and its base,
`provreg.value_class`), `provreg.paths`, `provreg.faults`, `provreg.gc_control`,
`provreg.text_encoding`, anyio. Never textual.
"""

from provreg.storage.backend import (
    ConflictError,
    StorageBackend,
    StorageError,
    StoredState,
    WriteOutcome,
)
from provreg.storage.memory import MemoryStorage
from provreg.storage.yaml_dir import YamlDirectoryStorage

__all__ = [
    "ConflictError",
    "MemoryStorage",
    "StorageBackend",
    "StorageError",
    "StoredState",
    "WriteOutcome",
    "YamlDirectoryStorage",
]
