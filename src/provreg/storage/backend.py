"""The storage protocol and the values it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from provreg.catalog import Catalog
from provreg.config.read.results import FileResult
from provreg.model import ProviderInstance

if TYPE_CHECKING:
    from provreg.config.edit.restore_edit import RemovedEntry
    from provreg.config.read.results import Fingerprint
    from provreg.config.read.yaml_source import Limits
    from provreg.storage.claims import ClaimView


class StorageError(Exception):
    """A write that could not be made; the message says why and what to do."""


class ConflictError(StorageError):
    """The instance changed on disk since it was read: the write was not made.

    Never resolved silently: the caller shows both versions to the user.
    """

    def __init__(self, instance_id: str, file: str, detail: str) -> None:
        super().__init__(f"{file}: '{instance_id}' {detail}; reload and try again")
        self.instance_id = instance_id
        self.file = file


class PositionGoneError(StorageError):
    """An undone delete cannot put its entry back where it was (the file changed);
    appending it at the end of the list may still work."""


@dataclass(frozen=True, slots=True)
class StoredState:
    """What storage holds: one result per file (raw, before keep-last-good) and the catalog."""

    files: tuple[FileResult, ...]
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """The state after a write, and what was written where."""

    state: StoredState
    file: str
    """Display path of the file written."""
    sha256: str
    """Hash of the bytes written (the sync engine ignores events with this content)."""


class StorageBackend(Protocol):
    """Where instances live. Async so file and network backends never block the loop.

    Writes take the instance as the registry knows it (its file, id and
    whether that id was derived) rather than a bare id, because a derived id
    is not written in the file and only the registry knows its final form.
    """

    async def load_all(self) -> StoredState: ...

    async def reload(self, paths: Iterable[str]) -> StoredState:
        """Re-read only these files (real paths); missing ones are dropped."""
        ...

    async def load(self, instance_id: str) -> ProviderInstance | None: ...

    def target_display(self, file: str | None) -> str:
        """Display path of the file `save(instance, file)` would write (StorageError if none)."""
        ...

    def claim(self) -> AbstractAsyncContextManager[ClaimView]:
        """Hold the registry-wide claim on ids and names (across processes) and
        give the registry as it is on disk now. Writes that add an id or a name
        (creates, renames) run inside it; other writes need not."""
        ...

    async def save(self, instance: ProviderInstance, file: str | None = None) -> WriteOutcome: ...

    async def update(
        self, instance: ProviderInstance, changes: Mapping[str, Any]
    ) -> WriteOutcome: ...

    async def delete(self, instance: ProviderInstance) -> WriteOutcome: ...


@runtime_checkable
class UndoableStorage(Protocol):
    """A storage whose deletes can be undone (the YAML directory one): the delete
    keeps the removed entry's text, and `insert_entry` puts it back."""

    async def delete_keeping(
        self, instance: ProviderInstance
    ) -> tuple[WriteOutcome, RemovedEntry]: ...

    async def insert_entry(self, entry: RemovedEntry, *, at_end: bool = False) -> WriteOutcome:
        """Write the removed entry back where it was, or (`at_end`) last in its list.

        Raises:
            PositionGoneError: the entry it followed is gone (at_end may work).
            StorageError: the file is gone, does not parse, cannot be written.
        """
        ...


@runtime_checkable
class RewritableStorage(Protocol):
    """A storage of text files that can rewrite one of them whole, through its
    one write path (the YAML directory one): `secret import` and
    `migrate --upgrade` write there, so their writes are locked, audited and
    recognised as the app's own like every other."""

    async def rewrite(
        self,
        path: str,
        transform: Callable[[str], str],
        *,
        expect_sha256: str | None = None,
        label: str | None = None,
    ) -> WriteOutcome:
        """Replace the file's text with `transform(text)` (ConflictError when
        `expect_sha256` is given and the file no longer holds those bytes)."""
        ...


@runtime_checkable
class WatchedStorage(Protocol):
    """A storage of files on disk the sync engine can watch: where they are,
    and what it last read or wrote in each (to tell its own writes, a touch
    and external edits apart)."""

    paths: list[str]
    limits: Limits

    def files(self) -> dict[str, str]:
        """Path (as discovered) -> display path of every file known."""
        ...

    def files_by_real(self) -> dict[str, str]:
        """Real path -> display path of every file known."""
        ...

    def fingerprint(self, display: str) -> Fingerprint | None:
        """(size, mtime_ns, sha256) of the bytes last read or written there."""
        ...

    def same_bytes_touched(self, display: str, mtime_ns: int) -> None:
        """The file holds the bytes last read; only its mtime moved."""
        ...


def instance_item(instance: ProviderInstance) -> dict[str, Any]:
    """The mapping that declares an instance in a file: id, name, provider, then values."""
    item: dict[str, Any] = {"id": instance.id, "name": instance.name, "provider": instance.provider}
    item.update(instance.values)
    return item
