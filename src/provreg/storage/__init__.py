"""Storage backends: where instances live and how changes reach disk.

Owns: the `StorageBackend` protocol, the YAML directory backend (atomic,
comment-preserving writes with optimistic concurrency and a cross-process
lock) and the in-memory backend.
May import: `provreg.config`, `provreg.model`, `provreg.paths`. Never textual.
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
