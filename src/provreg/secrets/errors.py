"""Typed secret errors. Messages name the instance, field and where provreg
looked; they never contain a value."""

from __future__ import annotations


class SecretError(Exception):
    """Base of every secret failure."""


class SecretMissingError(SecretError):
    """The reference points nowhere: no keyring entry, variable unset, file absent or empty."""

    def __init__(self, instance_id: str, field: str, where: str, hint: str) -> None:
        super().__init__(f"{instance_id}.{field}: no secret found in {where}; {hint}")
        self.instance_id = instance_id
        self.field = field
        self.where = where
        self.hint = hint


class SecretBackendError(SecretError):
    """The keyring cannot be used (none, locked, insecure, broken). Says what to do."""


class SecretTimeoutError(SecretError):
    """The backend did not answer in time (a locked keyring waiting for a prompt)."""


class InsecureSecretFileError(SecretError):
    """A `{file: PATH}` secret readable by group or others."""


class OriginChangedError(SecretError):
    """The instance's base URL host changed since its key was stored: confirm first."""

    def __init__(self, instance_id: str, stored_host: str, current_host: str) -> None:
        super().__init__(
            f"{instance_id}: the base URL host changed from '{stored_host}' to "
            f"'{current_host}' since its key was stored; the key is not released until you "
            f"confirm with `provreg secret confirm {instance_id}`"
        )
        self.instance_id = instance_id
        self.stored_host = stored_host
        self.current_host = current_host
