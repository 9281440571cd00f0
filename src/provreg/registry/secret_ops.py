"""The registry's secret operations: resolve, set, remove, status, confirm origin.

A mixin of `ProviderRegistry`, kept apart because it is its own idea: all
calls into the secret store run in a worker thread under a timeout (a locked
keyring can block on a prompt), so the event loop — and the dashboard —
never waits on D-Bus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from provreg.model import ProviderDefinition, ProviderInstance, SecretRef
from provreg.secrets import SecretError, SecretStatus, SecretStore, SecretTimeoutError
from provreg.secrets.hosts import instance_host
from provreg.secrets.offloop import call_with_timeout
from provreg.secrets.store import timeout_message

if TYPE_CHECKING:
    from provreg.registry.audit import AuditLog
    from provreg.registry.events import Source
    from provreg.registry.state import RegistryState

T = TypeVar("T")


class SecretOperations:
    """Mixed into ProviderRegistry; uses its `get`, `definition`, `update`, `audit`."""

    secrets: SecretStore | None
    audit: AuditLog | None

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
        return self.secrets

    async def _off_loop(self, call: Callable[..., T], *args: Any) -> T:
        store = self.secret_store()
        try:
            return await call_with_timeout(call, *args, timeout=store.timeout)
        except TimeoutError:
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
        _, ref, host = self._secret_field(instance_id, field)
        store = self.secret_store()
        cached = store.cached(instance_id, field, ref, host)
        if cached is not None:
            return cached
        return await self._off_loop(store.resolve, instance_id, field, ref, host)

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
        existed = await self._off_loop(store.delete, instance_id, field, ref)
        self._audit_secret("secret-remove", instance, field, source)
        return existed

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
            return status if problem is None else replace(status, problem=problem)

        if not check_keyring:
            return [
                pinned(i, store.status(i.id, field, i.secret_ref(field), check_keyring=False))
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
                    store.status, instance.id, field, ref, timeout=store.timeout
                )
            except TimeoutError:
                silent = True
                status = store.unanswered_status(instance.id, field, ref)
            result.append(pinned(instance, status))
        return result

    async def confirm_origin(self, instance_id: str) -> int:
        """Accept the instance's current base URL host for its stored keys."""
        instance = self.get(instance_id)
        host = instance_host(instance, self.snapshot().catalog.get(instance.provider))
        store = self.secret_store()
        changed = await self._off_loop(store.index.confirm_host, instance_id, host)
        store.invalidate(instance_id)
        if changed:
            self._audit_secret("secret-confirm-origin", instance, "base_url", "cli")
        return changed

    def _audit_secret(
        self, action: str, instance: ProviderInstance, field: str, source: str
    ) -> None:
        if self.audit is None:
            return
        try:
            self.audit.record(
                source=source,
                action=action,
                instance_id=instance.id,
                file=instance.file,
                fields=[field],
            )
        except OSError:
            pass


def instance_secret_presence(registry: SecretOperations) -> frozenset[str]:
    """Ids of instances with a required key that is known missing.

    Cheap (no keyring call): keyring presence comes from provreg's index,
    env and file references are checked directly. Entries created outside
    provreg (e.g. with secret-tool) look missing here until the detail
    pane confirms them with the backend.
    """
    from provreg.secrets.store import keyring_user

    store = registry.secret_store()
    indexed = {(entry.service, entry.user) for entry in store.index.entries()}
    missing: set[str] = set()
    state = registry.snapshot()
    for instance in state.instances.values():
        definition = state.catalog.get(instance.provider)
        if definition is None:
            continue
        for spec in definition.secret_fields:
            if not spec.required:
                continue
            ref = instance.secret_ref(spec.id)
            if ref.kind == "keyring":
                present = (store.service, keyring_user(instance.id, spec.id, ref)) in indexed
            else:
                present = bool(store.status(instance.id, spec.id, ref, check_keyring=False).present)
            if not present:
                missing.add(instance.id)
                break
    return frozenset(missing)


__all__ = ["SecretOperations", "instance_host", "instance_secret_presence"]
