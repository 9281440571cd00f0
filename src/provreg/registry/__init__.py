"""The registry: the one writer (CRUD, ids, lock), its reactive store, events and audit log.

Owns: `ProviderRegistry`, `Store`, `RegistryState`, events, the audit log, and
the writes that change files whole (`rewrite_file`: `secret import` in
`secret_import`, `migrate --upgrade`).
May import: `provreg.storage`, `provreg.config`, `provreg.catalog`, `provreg.secrets`,
`provreg.model`, `provreg.paths`, `provreg.faults`, `provreg.report`,
`provreg.key_trouble`, anyio, pydantic. Never textual.
"""

from provreg.registry.audit import AuditLog
from provreg.registry.errors import (
    ConflictError,
    DuplicateIdError,
    DuplicateNameError,
    FieldsError,
    FileHasErrorsError,
    HelpersOffError,
    InstanceNotFoundError,
    InvalidValueError,
    MissingFieldError,
    ReadOnlyError,
    RegistryError,
    StorageError,
    UnknownFieldError,
    UnknownProviderError,
)
from provreg.registry.events import (
    Conflict,
    DiagnosticsChanged,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ReloadFailed,
    ReloadRecovered,
    Source,
)
from provreg.registry.registry import ProviderRegistry
from provreg.registry.state import FileStatus, RegistryState
from provreg.registry.store import Store

__all__ = [
    "AuditLog",
    "Conflict",
    "ConflictError",
    "DiagnosticsChanged",
    "DuplicateIdError",
    "DuplicateNameError",
    "Event",
    "FieldsError",
    "FileHasErrorsError",
    "FileStatus",
    "HelpersOffError",
    "InstanceAdded",
    "InstanceNotFoundError",
    "InstanceRemoved",
    "InstanceUpdated",
    "InvalidValueError",
    "MissingFieldError",
    "ProviderRegistry",
    "ReadOnlyError",
    "RegistryError",
    "RegistryState",
    "ReloadFailed",
    "ReloadRecovered",
    "Source",
    "StorageError",
    "Store",
    "UnknownFieldError",
    "UnknownProviderError",
]
