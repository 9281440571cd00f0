"""Undoable deletes: remove an entry now, its stored keys only later.

A mixin of `ProviderRegistry`, kept apart because it is its own idea (the
dashboard's `u`): `delete_for_undo` removes the entry and keeps its text and
place (`config.edit.restore_edit.RemovedEntry`) but leaves the keyring alone;
`restore_deleted` writes the entry back through the same lock, claim, audit
intent, atomic write and echo suppression as every other write; and
`forget_deleted_keys` removes the keys once the undo is given up (the app
quits, or another delete takes the one undo slot). The CLI's `rm` keeps
`delete_with_keys`, which removes the keys at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from provreg.config.edit.restore_edit import RemovedEntry
from provreg.model import ProviderInstance
from provreg.registry.audit_events import intent_fields
from provreg.registry.audit_journal import intent_on_rename, new_txn
from provreg.registry.id_claim import check_name_free, new_id
from provreg.storage.backend import StorageError, UndoableStorage

if TYPE_CHECKING:
    import anyio

    from provreg.registry.audit import AuditLog
    from provreg.registry.events import Source
    from provreg.registry.relink import LinkCache
    from provreg.registry.secret_ops import KeyCleanup
    from provreg.registry.state import RegistryState
    from provreg.storage.backend import StorageBackend, WriteOutcome
    from provreg.storage.claims import ClaimView


@dataclass(frozen=True, slots=True)
class UndoableDeletion:
    """What `delete_for_undo` removed: the instance, and its entry's text and
    place (None when the storage cannot put entries back)."""

    instance: ProviderInstance
    entry: RemovedEntry | None


class UndoOperations:
    """Mixed into ProviderRegistry; uses its lock, claim and commit machinery."""

    storage: StorageBackend
    audit: AuditLog | None
    _lock: anyio.Lock
    _link_cache: LinkCache

    if TYPE_CHECKING:
        # Provided by ProviderRegistry and SecretOperations.
        def get(self, instance_id: str) -> ProviderInstance: ...
        def _check_writable(self) -> None: ...
        def _publish_claimed(self, view: ClaimView) -> RegistryState: ...
        def _check_file_ok(self, state: RegistryState, file: str) -> None: ...
        def _commit_write(
            self,
            outcome: WriteOutcome,
            source: Source,
            instance_id: str | None = None,
            txn: str | None = None,
        ) -> None: ...
        async def _delete_entry(
            self, instance_id: str, source: Source, *, keep: bool
        ) -> tuple[ProviderInstance, RemovedEntry | None]: ...
        async def _forget_stored_keys(
            self, instance: ProviderInstance, source: Source
        ) -> KeyCleanup: ...

    async def delete_for_undo(
        self, instance_id: str, *, source: Source = "app"
    ) -> UndoableDeletion:
        """`delete`, keeping what an undo needs, and leaving the instance's stored
        keys in the keyring: call `forget_deleted_keys` once the undo is given up.

        Raises:
            InstanceNotFoundError, ConflictError, FileHasErrorsError,
            ReadOnlyError, StorageError.
        """
        instance, entry = await self._delete_entry(instance_id, source, keep=True)
        return UndoableDeletion(instance, entry)

    async def restore_deleted(
        self, deletion: UndoableDeletion, *, at_end: bool = False, source: Source = "app"
    ) -> ProviderInstance:
        """Put a deleted entry back: byte for byte when its file has not changed
        since, else its text after the entry it followed (or, with `at_end`, at
        the end of the list). Returns the instance as read back.

        Raises:
            PositionGoneError: the entry it followed is gone (`at_end` may work).
            DuplicateIdError, DuplicateNameError: its id or name is taken now.
            FileHasErrorsError, ReadOnlyError, StorageError.
        """
        self._check_writable()
        instance, entry = deletion.instance, deletion.entry
        if entry is None or not isinstance(self.storage, UndoableStorage):
            raise StorageError(f"the delete of '{instance.id}' cannot be undone here")
        async with self._lock, self.storage.claim() as view:
            # Its id and name are claimed like a create's, against the files as
            # they are now: another instance may have taken either meanwhile.
            state = self._publish_claimed(view)
            if not instance.id_derived:
                new_id(state, instance.name, instance.id, retired=set(), declared=view.declared)
            check_name_free(state, instance.name, None, self._link_cache)
            self._check_file_ok(state, entry.file)
            txn = new_txn()
            fields = ("name", "provider", *instance.values)
            change = intent_fields(source, "create", instance.id, entry.file, fields)
            with intent_on_rename(self.storage, self.audit, txn, **change):
                outcome = await self.storage.insert_entry(entry, at_end=at_end)
            self._commit_write(outcome, source, instance.id, txn)
        return self.get(instance.id)

    async def forget_deleted_keys(
        self, instance: ProviderInstance, *, source: Source = "app"
    ) -> KeyCleanup:
        """Remove the keyring entries provreg stored for a deleted instance, as
        `delete_with_keys` does at once: not those another instance (or one
        with the same id, back meanwhile) still references. Each keyring call
        runs off the event loop under the secret store's timeout."""
        return await self._forget_stored_keys(instance, source)
