"""The registry's secret operations: resolve, set, remove, status, confirm origin.

A mixin of `ProviderRegistry`, kept apart because it is its own idea: all
calls into the secret store run in a worker thread under a timeout (a locked
keyring can block on a prompt), so the event loop — and the dashboard —
never waits on D-Bus.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from provreg.model import ProviderDefinition, ProviderInstance, SecretRef
from provreg.secrets import (
    SecretError,
    SecretInUseError,
    SecretStatus,
    SecretStore,
    SecretTimeoutError,
)
from provreg.secrets.errors import quoted_ids
from provreg.secrets.hosts import instance_host
from provreg.secrets.index import KeyLocation, default_index_path
from provreg.secrets.offloop import call_with_timeout
from provreg.secrets.pinning import ConfirmationNeed
from provreg.secrets.store import timeout_message

if TYPE_CHECKING:
    from provreg.registry.audit import AuditLog
    from provreg.registry.events import Source
    from provreg.registry.state import RegistryState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeyCleanup:
    """What deleting an instance did to the keyring entries provreg stored for it."""

    removed: list[str] = dataclasses.field(default_factory=list)
    """Keyring users removed."""
    kept: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)
    """Keyring users kept, with the instances that still reference each."""
    unreachable: list[str] = dataclasses.field(default_factory=list)
    """Keyring users left because the keyring failed (`secret prune` removes them later)."""

    def summary(self) -> str:
        """One sentence for the CLI and the dashboard, empty when nothing was kept."""
        return "; ".join(
            f"kept the key {user} ({quoted_ids(users)} still use{_s(users)} it)"
            for user, users in self.kept
        )


def _s(items: list[str]) -> str:
    return "s" if len(items) == 1 else ""


@dataclass(frozen=True, slots=True)
class Deletion:
    """What `delete_with_keys` did: the instance removed, and its stored keys."""

    instance: ProviderInstance
    keys: KeyCleanup


class SecretOperations:
    """Mixed into ProviderRegistry; uses its `get`, `definition`, `update`, `audit`."""

    secrets: SecretStore | None
    audit: AuditLog | None
    terminal_for_commands: bool = False
    """Let `{command: ..., interactive: true}` programs use the terminal (the CLI sets
    it; the dashboard, which owns the terminal, never does)."""

    if TYPE_CHECKING:
        # Provided by ProviderRegistry.
        def get(self, instance_id: str) -> ProviderInstance: ...
        def definition(self, provider: str) -> ProviderDefinition: ...
        def snapshot(self) -> RegistryState: ...
        def _check_writable(self) -> None: ...
        async def update(
            self, instance_id: str, changes: Mapping[str, Any], *, source: Source = "app"
        ) -> ProviderInstance: ...

    def secret_store(self) -> SecretStore:
        if self.secrets is None:
            self.secrets = SecretStore()
        self.secrets.allow_terminal = self.terminal_for_commands
        return self.secrets

    async def _off_loop(self, call: Callable[..., T], *args: Any) -> T:
        store = self.secret_store()
        try:
            return await call_with_timeout(call, *args, timeout=store.timeout)
        except TimeoutError:
            raise SecretTimeoutError(timeout_message(store.timeout)) from None

    async def _resolve_off_loop(
        self, instance: ProviderInstance, field: str, ref: SecretRef, host: str | None
    ) -> SecretStr:
        """`store.resolve` in a worker thread; a command gets its own timeout (the
        program is stopped by then, so the wait here is only a backstop)."""
        store = self.secret_store()
        timeout = store.timeout_for(ref)

        def resolve() -> SecretStr:
            return store.resolve(instance.id, field, ref, host, config_file=instance.file)

        try:
            return await call_with_timeout(resolve, timeout=timeout)
        except TimeoutError:
            if ref.kind == "command":
                raise SecretTimeoutError(
                    f"{instance.id}.{field}: {ref.describe()} did not answer within {timeout:g} s"
                ) from None
            raise SecretTimeoutError(timeout_message(store.timeout)) from None

    def _secret_field(
        self, instance_id: str, field: str
    ) -> tuple[ProviderInstance, SecretRef, str | None]:
        instance = self.get(instance_id)
        definition = self.definition(instance.provider)
        spec = definition.field(field)
        if spec is None or not spec.is_secret:
            secret_fields = ", ".join(s.id for s in definition.secret_fields) or "none"
            raise SecretError(
                f"'{field}' is not a secret field of provider '{instance.provider}' "
                f"(secret fields: {secret_fields})"
            )
        return instance, instance.secret_ref(field), instance_host(instance, definition)

    async def resolve_secret(self, instance_id: str, field: str = "api_key") -> SecretStr:
        """The secret value of a field, resolved now (cached for the process).

        Raises:
            InstanceNotFoundError, SecretMissingError, SecretBackendError,
            SecretTimeoutError, InsecureSecretFileError, OriginChangedError.
        """
        instance, ref, host = self._secret_field(instance_id, field)
        store = self.secret_store()
        cached = store.cached(instance_id, field, ref, host)
        if cached is not None:
            return cached
        return await self._resolve_off_loop(instance, field, ref, host)

    async def read_secret_for_helper(
        self,
        instance_id: str,
        field: str = "api_key",
        *,
        reader: Mapping[str, str | int],
        helpers_off: str | None = None,
        source: Source = "cli",
    ) -> SecretStr:
        """The value of a field for a program that asked for it (`provreg secret get`),
        with one audit line: `secret-read`, or `secret-read-refused` with a `reason`.

        `reader` (the asking process: `parent`, `parent_pid`) goes into the line;
        the value never does. `helpers_off` says why helpers are off registry-wide
        (None: they are on). A read that cannot be audited is refused.

        Raises:
            InstanceNotFoundError, SecretError (not a secret field),
            HelpersOffError, KeyNotConfirmedError (both audited), SecretMissingError,
            SecretBackendError, SecretTimeoutError, InsecureSecretFileError.
        """
        from provreg.registry.errors import HelpersOffError
        from provreg.secrets import KeyNotConfirmedError

        instance, _, _ = self._secret_field(instance_id, field)
        why = helpers_off or _instance_helpers_off(instance)
        if why is not None:
            self._audit_read(instance, field, source, {**reader, "reason": "helpers-off"})
            raise HelpersOffError(instance_id, why)
        try:
            value = await self.resolve_secret(instance_id, field)
        except KeyNotConfirmedError:
            self._audit_read(instance, field, source, {**reader, "reason": "unconfirmed-host"})
            raise
        self._audit_read(instance, field, source, dict(reader), required=True)
        return value

    def _audit_read(
        self,
        instance: ProviderInstance,
        field: str,
        source: str,
        details: dict[str, str | int],
        *,
        required: bool = False,
    ) -> None:
        action = "secret-read-refused" if "reason" in details else "secret-read"
        if self.audit is None:
            if required:
                raise SecretError(
                    f"{instance.id}.{field}: no audit log is open, so the key is not handed out"
                )
            return
        try:
            self._audit_secret(action, instance, field, source, details=details, strict=True)
        except OSError as exc:
            if required:
                raise SecretError(
                    f"{instance.id}.{field}: cannot write the audit log {self.audit.path} "
                    f"({exc.strerror or exc}), so the key is not handed out"
                ) from None

    async def check_keyring(self) -> None:
        """Raise unless keys can be stored: writes allowed and a usable keyring backend.

        Raises:
            ReadOnlyError, SecretBackendError, SecretTimeoutError.
        """
        self._check_writable()
        await self._off_loop(self.secret_store().backend)

    async def check_secret_target(self, instance_id: str, field: str) -> str:
        """Everything `set_secret` checks before it needs the value: the instance
        exists, the field is a secret one with a keyring reference, writes are
        allowed, and the keyring backend is usable. Returns the keyring user.

        So a prompt for a key comes only when the key can be stored.

        Raises:
            InstanceNotFoundError, ReadOnlyError, SecretError (SecretBackendError
            for a refused or broken keyring), SecretTimeoutError.
        """
        from provreg.secrets.pinning import keyring_user

        self._check_writable()
        _, ref, _ = self._secret_field(instance_id, field)
        store = self.secret_store()
        store.check_writable_ref(instance_id, field, ref)
        await self._off_loop(store.backend)
        return keyring_user(instance_id, field, ref)

    async def set_secret(
        self,
        instance_id: str,
        field: str,
        value: SecretStr,
        *,
        source: Source = "app",
    ) -> str:
        """Store a value in the keyring for a field; returns the keyring user.

        An instance whose id was derived from its name gets `id:` written
        first, so a later rename cannot detach the secret.
        """
        self._check_writable()
        instance, ref, host = self._secret_field(instance_id, field)
        if instance.id_derived:
            await self.update(instance_id, {"id": instance_id}, source=source)
        store = self.secret_store()
        user = await self._off_loop(store.set, instance_id, field, ref, value, host)
        self._audit_secret("secret-set", instance, field, source)
        return user

    async def remove_secret(self, instance_id: str, field: str, *, source: Source = "app") -> bool:
        """Remove a field's keyring value; False when there was none."""
        self._check_writable()
        instance, ref, _ = self._secret_field(instance_id, field)
        store = self.secret_store()
        key = store.key_location(instance_id, field, ref)
        users = self.key_users(key, excluding=instance_id) if key is not None else []
        if key is not None and users:
            raise SecretInUseError(instance_id, field, key.describe(), users)
        existed = await self._off_loop(store.delete, instance_id, field, ref)
        self._audit_secret("secret-remove", instance, field, source)
        return existed

    def key_users(self, key: KeyLocation, *, excluding: str | None = None) -> list[str]:
        """Ids of the instances whose secret fields reference `key` (stale ones included:
        a file that fails to parse keeps its last good instances, and their keys)."""
        users = dict.fromkeys(
            instance_id
            for instance_id, used in self._keys_in_use(kind=key.kind)
            if used == key and instance_id != excluding
        )
        return list(users)

    def referenced_keys(self) -> set[KeyLocation]:
        """Every key some instance references (for `secret prune`: one pass, not one
        pass per stored entry)."""
        return {used for _, used in self._keys_in_use()}

    def _keys_in_use(self, *, kind: str | None = None) -> Iterator[tuple[str, KeyLocation]]:
        store = self.secret_store()
        state = self.snapshot()
        for instance in state.instances.values():
            definition = state.catalog.get(instance.provider)
            for spec in definition.secret_fields if definition is not None else ():
                ref = instance.secret_ref(spec.id)
                if kind is not None and ref.kind != kind:
                    continue
                used = store.key_location(instance.id, spec.id, ref)
                if used is not None:
                    yield instance.id, used

    async def _forget_stored_keys(self, instance: ProviderInstance, source: Source) -> KeyCleanup:
        """Remove the keyring entries provreg stored for a deleted instance,
        except those another instance still references.

        Otherwise a later instance given the same id (same name, another run)
        would inherit the old key. Only entries in provreg's index are touched
        (no keyring call at all when there are none); a keyring that cannot be
        reached leaves them for `provreg secret prune`.
        """
        cleanup = KeyCleanup()
        if self.secrets is None and not os.path.exists(default_index_path()):
            return cleanup
        store = self.secret_store()
        for pin in store.index.stored_entries():
            if pin.instance_id != instance.id:
                continue
            users = self.key_users(pin.key)
            if users:
                cleanup.kept.append((pin.user, users))
                continue
            try:
                await self._off_loop(store.delete_entry, pin.service, pin.user)
            except SecretError:
                cleanup.unreachable.append(pin.user)
                continue
            cleanup.removed.append(pin.user)
            self._audit_secret("secret-remove", instance, pin.field, source)
        return cleanup

    async def remove_secret_entry(self, service: str, user: str) -> None:
        """Remove one keyring entry by its coordinates (`secret prune`: its instance is gone)."""
        self._check_writable()
        store = self.secret_store()
        await self._off_loop(store.delete_entry, service, user)

    async def secret_status(
        self, instance_id: str | None = None, *, check_keyring: bool = True
    ) -> list[SecretStatus]:
        """Presence of every secret field (of one instance, or all). Never values.

        With `check_keyring=False` keyring presence comes from the index only
        (no backend call): cheap enough for a table of thousands of rows.
        """
        instances = (
            [self.get(instance_id)] if instance_id else list(self.snapshot().instances.values())
        )
        store = self.secret_store()
        wanted = [
            (instance, spec.id)
            for instance in instances
            if (definition := self.snapshot().catalog.get(instance.provider)) is not None
            for spec in definition.secret_fields
        ]
        catalog = self.snapshot().catalog

        def pinned(instance: ProviderInstance, status: SecretStatus) -> SecretStatus:
            # A key that exists but would be refused (its host changed) is not "set".
            if not status.present or status.problem:
                return status
            host = instance_host(instance, catalog.get(instance.provider))
            problem = store.origin_problem(
                instance.id, status.field, instance.secret_ref(status.field), host
            )
            return status if problem is None else replace(status, problem=problem, unconfirmed=True)

        if not check_keyring:
            return [
                pinned(
                    i,
                    store.status(
                        i.id, field, i.secret_ref(field), check_keyring=False, config_file=i.file
                    ),
                )
                for i, field in wanted
            ]
        # One bounded call per field (a whole registry in one call would share one
        # timeout); once the keyring stops answering, the rest are not asked.
        result: list[SecretStatus] = []
        silent = False
        for instance, field in wanted:
            ref = instance.secret_ref(field)
            if silent and ref.kind == "keyring":
                result.append(store.unanswered_status(instance.id, field, ref))
                continue
            try:
                status = await call_with_timeout(
                    functools.partial(
                        store.status, instance.id, field, ref, config_file=instance.file
                    ),
                    timeout=store.timeout_for(ref),
                )
            except TimeoutError:
                silent = True
                status = store.unanswered_status(instance.id, field, ref)
            result.append(pinned(instance, status))
        return result

    async def confirmation_needs(self, instance_id: str) -> list[ConfirmationNeed]:
        """For each secret field: would `confirm_origin` change anything, and why not.

        May ask the keyring whether a key with no pin exists (off the loop).
        """
        instance = self.get(instance_id)
        definition = self.snapshot().catalog.get(instance.provider)
        host = instance_host(instance, definition)
        store = self.secret_store()
        return [
            await self._off_loop(
                store.confirmation_need, instance_id, spec.id, instance.secret_ref(spec.id), host
            )
            for spec in (definition.secret_fields if definition is not None else [])
        ]

    async def confirm_origin(self, instance_id: str, *, source: Source = "app") -> int:
        """Allow the instance's keys to go to its current base URL host.

        The pin belongs to the key, so this also lets every other instance
        with that host use those keys. Only keys that exist (or are pinned)
        are confirmed: `{env: ...}` keys are not pinned, and a key not stored
        yet has nothing to send. Returns how many keys gained the host.
        """
        instance = self.get(instance_id)
        definition = self.snapshot().catalog.get(instance.provider)
        host = instance_host(instance, definition)
        store = self.secret_store()
        changed = 0
        for spec in definition.secret_fields if definition is not None else []:
            ref = instance.secret_ref(spec.id)
            if await self._off_loop(store.confirm, instance_id, spec.id, ref, host):
                changed += 1
                self._audit_secret("secret-confirm-origin", instance, spec.id, source)
        return changed

    def _audit_secret(
        self,
        action: str,
        instance: ProviderInstance,
        field: str,
        source: str,
        *,
        details: dict[str, str | int] | None = None,
        strict: bool = False,
    ) -> None:
        """One audit line for a key (never its value). A failed write is ignored
        unless `strict` (a read that cannot be audited is not handed out)."""
        if self.audit is None:
            return
        try:
            self.audit.record(
                source=source,
                action=action,
                instance_id=instance.id,
                file=instance.file,
                fields=[field],
                details=details,
            )
        except OSError:
            if strict:
                raise


def _instance_helpers_off(instance: ProviderInstance) -> str | None:
    """Why the instance itself turns helpers off, or None."""
    if instance.helpers_allowed:
        return None
    return f"`helpers: false` in {instance.file}:{instance.line}"


__all__ = [
    "Deletion",
    "KeyCleanup",
    "SecretOperations",
    "instance_host",
]
