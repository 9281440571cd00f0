"""Whole-file rewrites: `secret import` and `migrate --upgrade` write through here.

A mixin of `ProviderRegistry`. Some writes change a file as a whole rather
than one instance: the plaintext keys of several entries become references,
or a file is upgraded to the current format version. They go through the
storage's one write path (`RewritableStorage.rewrite`: the file lock, the
hash check, the BOM kept, the atomic write) under the registry's lock, so
they get what every other write gets: an audit intent before the rename and
one line per change after it (with the true source and action, closing the
intent), the written bytes remembered (the sync engine takes the file event
for the echo it is), the new state committed, and a `Conflict` published
when the file moved since the plan was made.

The file's status is not checked first, unlike instance writes: these
rewrites exist to repair files that do not load cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provreg.registry.audit_events import intent_fields
from provreg.registry.audit_journal import intents_on_rename, new_txn
from provreg.storage.backend import ConflictError, RewritableStorage, StorageError

if TYPE_CHECKING:
    import anyio

    from provreg.registry.audit import AuditLog
    from provreg.registry.events import Source
    from provreg.storage.backend import StorageBackend, StoredState

log = logging.getLogger("provreg.audit")


@dataclass(frozen=True, slots=True)
class FileChange:
    """One audit line of a rewrite: what it did to one instance (field names only)."""

    action: str
    """`secret-import`, `upgrade`, ..."""
    instance_id: str
    fields: tuple[str, ...] = ()


class RewriteOperations:
    """Mixed into ProviderRegistry; uses its lock, commit and audit machinery."""

    storage: StorageBackend
    audit: AuditLog | None
    _lock: anyio.Lock

    if TYPE_CHECKING:
        # Provided by ProviderRegistry.
        def _check_writable(self) -> None: ...
        def _record_conflict(self, exc: ConflictError, source: Source) -> None: ...
        def _commit(
            self,
            stored: StoredState,
            source: Source,
            *,
            initial: bool = False,
            written_id: str | None = None,
            txn: str | None = None,
            audited: bool = True,
        ) -> None: ...

    async def rewrite_file(
        self,
        file: str,
        transform: Callable[[str], str],
        changes: Sequence[FileChange],
        *,
        expect_sha256: str | None = None,
        source: Source = "cli",
    ) -> str:
        """Rewrite one config file whole: its text becomes `transform(text)`.
        `changes` are the audit lines the write stands for. Returns the
        sha256 of the bytes written.

        Args:
            file: the file (as discovered, or its display path).
            transform: the new text from the current one (no BOM; it is kept).
            changes: what the rewrite does, one audit line each.
            expect_sha256: the bytes the rewrite was planned from: when the
                file no longer holds them nothing is written (ConflictError,
                also published as a `Conflict`).

        Raises:
            ConflictError, ReadOnlyError, StorageError.
        """
        self._check_writable()
        storage = self.storage
        if not isinstance(storage, RewritableStorage):
            raise StorageError("this storage has no files to rewrite")
        async with self._lock:
            txn = new_txn()
            intents = [
                intent_fields(source, change.action, change.instance_id, file, change.fields)
                for change in changes
            ]
            label = changes[0].instance_id if changes else None
            try:
                with intents_on_rename(storage, self.audit, txn, intents):
                    outcome = await storage.rewrite(
                        file, transform, expect_sha256=expect_sha256, label=label
                    )
            except ConflictError as exc:
                self._record_conflict(exc, source)
                raise
            # The events are published as this source's; the audit lines are
            # the rewrite's own (an instance update line per entry would say
            # less: that a key moved to the keyring, that a file was upgraded).
            self._commit(outcome.state, source, audited=False)
            self._log_changes(changes, outcome.file, source, txn)
            return outcome.sha256

    def _log_changes(
        self, changes: Sequence[FileChange], file: str, source: Source, txn: str
    ) -> None:
        """One line per change, each closing the write's intents (a rewrite with
        no changes logged no intent and gets no line). Never raises for I/O."""
        if self.audit is None:
            return
        try:
            for change in changes:
                self.audit.record(
                    source=source,
                    action=change.action,
                    instance_id=change.instance_id,
                    file=file,
                    fields=change.fields,
                    txn=txn,
                )
        except OSError:
            log.warning("cannot write the audit log %s", self.audit.path, exc_info=True)
