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


class SecretCommandError(SecretError):
    """A `{command: ...}` reference failed: refused, not found, timed out, failed or empty."""

    def __init__(self, instance_id: str, field: str, program: str, what: str) -> None:
        super().__init__(f"{instance_id}.{field}: the command '{program}' {what}")
        self.instance_id = instance_id
        self.field = field
        self.program = program


class InsecureSecretFileError(SecretError):
    """A `{file: PATH}` secret readable by group or others."""


class KeyNotConfirmedError(SecretError):
    """The key is not confirmed for the host this instance would send it to."""

    def __init__(self, message: str, instance_id: str, current_host: str) -> None:
        super().__init__(message)
        self.instance_id = instance_id
        self.current_host = current_host


class OriginChangedError(KeyNotConfirmedError):
    """The key is pinned to other hosts than this instance's base URL host: confirm first.

    Either the instance's own host changed since its key was stored, or the
    instance references a key that was stored or confirmed for another host.
    """

    def __init__(
        self,
        instance_id: str,
        stored_host: str,
        current_host: str,
        *,
        pinned_hosts: tuple[str, ...] = (),
        key: str | None = None,
        pinned_for: str | None = None,
    ) -> None:
        confirm = f"`provreg secret confirm {instance_id}`"
        if key is None or pinned_for == instance_id:
            message = (
                f"{instance_id}: the base URL host changed from '{stored_host}' to "
                f"'{current_host}' since its key was stored; the key is not released until "
                f"you confirm with {confirm}"
            )
        else:
            hosts = ", ".join(f"'{host}'" for host in pinned_hosts or (stored_host,))
            message = (
                f"{instance_id}: refused to send the key in {key} to '{current_host}': the key "
                f"is pinned to {hosts}"
                + (f" (stored for '{pinned_for}')" if pinned_for else "")
                + f"; if '{current_host}' is meant to have it, confirm with {confirm}"
            )
        super().__init__(message, instance_id, current_host)
        self.stored_host = stored_host
        self.pinned_hosts = pinned_hosts or (stored_host,)


class UnpinnedKeyError(KeyNotConfirmedError):
    """The key has no pin at all: provreg did not store it, or a store was interrupted."""

    def __init__(self, instance_id: str, field: str, key: str, current_host: str) -> None:
        why = (
            "a command's key goes to no host until one is confirmed, and the command is not "
            "run before"
            if key.startswith("the command ")
            else "provreg did not store it, or storing it was interrupted"
        )
        super().__init__(
            f"{instance_id}.{field}: the key in {key} is not confirmed for any host ({why}), "
            f"so it is not sent to '{current_host}'; if that host is meant to have it, "
            f"confirm with `provreg secret confirm {instance_id}`",
            instance_id,
            current_host,
        )
        self.field = field


class SecretInUseError(SecretError):
    """A key other instances still reference: removing it would break them."""

    def __init__(self, instance_id: str, field: str, key: str, users: list[str]) -> None:
        super().__init__(
            f"{instance_id}.{field}: kept {key}: {quoted_ids(users)} still "
            f"reference{'s' if len(users) == 1 else ''} it; change "
            f"{'that reference' if len(users) == 1 else 'those references'} first"
        )
        self.users = users


def quoted_ids(ids: list[str]) -> str:
    """`'a', 'b' and 3 more`: instance ids in a message, never a wall of them."""
    shown = ", ".join(f"'{i}'" for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
