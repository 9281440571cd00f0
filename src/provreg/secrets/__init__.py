"""Secrets: references in YAML, values only in the keyring, the environment, a file
or a secret manager's command (`command.py`).

Owns: resolving references (lazily, off the event loop, with a timeout, cached),
the keyring backend policy (insecure backends refused unless opted in), the
index of entries provreg created (no values) with origin pinning, and
redaction for logs.
May import: keyring, secretstorage (a Secret Service's lock state, for
`provreg doctor`: `keyring_health`), pydantic, anyio, `provreg.model`, `provreg.paths`,
`provreg.faults`,
`provreg.secret_names`; `provreg.catalog` and `provreg.config` (the diagnostics of
`--check --secrets`, `secrets.check`; whether a config file may run a command
reference, `config.read.path_checks`); `provreg.storage.atomic` (the index's writes).
Never textual, never the registry: `secret import`, which rewrites config files,
is the registry's (`registry.secret_import`).
"""

from provreg.secrets.errors import (
    InsecureSecretFileError,
    KeyNotConfirmedError,
    OriginChangedError,
    SecretBackendError,
    SecretCommandError,
    SecretError,
    SecretInUseError,
    SecretMissingError,
    SecretTimeoutError,
    UnpinnedKeyError,
)
from provreg.secrets.index import SecretIndex
from provreg.secrets.store import SecretStatus, SecretStore

__all__ = [
    "InsecureSecretFileError",
    "KeyNotConfirmedError",
    "OriginChangedError",
    "SecretBackendError",
    "SecretCommandError",
    "SecretError",
    "SecretInUseError",
    "SecretIndex",
    "SecretMissingError",
    "SecretStatus",
    "SecretStore",
    "SecretTimeoutError",
    "UnpinnedKeyError",
]
