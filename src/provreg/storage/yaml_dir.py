"""The YAML directory backend: config files on disk, edited in place.

Every write, in a worker thread under the file's cross-process lock:
1. read the file as it is now and compare its fingerprint with the last read;
2. if it moved, re-read it and go on only when the instance concerned is
   unchanged on disk (the edit is re-applied to the new text), else raise
   `ConflictError` — a user's edit is never overwritten silently;
3. splice the text (`config.edit`, verified by reparsing; the parse of the
   bytes last written there is reused when the file still holds them,
   `storage.recent_trees`; an update splices and parses only its item's
   lines, `_local_edit`, when the file still holds the bytes last read or
   written there, whose item index is kept);
4. replace the file atomically (`storage.atomic`);
5. take the verification's parse as the parse of what was written (the same
   text) and recompute the state of that file only.
The hash of each written file is remembered so the sync engine can tell the
app's own writes from external edits (echo suppression).
A whole-file rewrite (`rewrite`: `secret import`, `migrate --upgrade`) takes
the same path, its transform given the text as it is under the lock; with
the hash the rewrite was planned from, a file that moved is a `ConflictError`.
A write that adds an id or a name first holds the registry-wide claim
(`claim`): the files that moved since they were read are read again, so the
registry checks the id and the name against the disk (`storage.claims`).
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import os
from bisect import bisect_left
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any, NamedTuple, Protocol

import anyio

from provreg.catalog import Catalog, builtin_catalog
from provreg.config import codes
from provreg.config.edit import (
    Edited,
    EditError,
    InstanceKey,
    append_instance_verified,
    delete_instance_verified,
    find_entry,
    new_file_verified,
    update_instance_verified,
)
from provreg.config.edit.local_edit import (
    ItemIndex,
    LocalUpdate,
    item_index,
    update_item_locally,
)
from provreg.config.edit.restore_edit import (
    PositionGone,
    RemovedEntry,
    delete_keeping,
    restore_verified,
)
from provreg.config.read.definitions import collect_definitions
from provreg.config.read.diagnostic_cap import MAX_DIAGNOSTICS_PER_FILE
from provreg.config.read.discovery import ConfigFile, discover, is_config_name, is_skipped_dir
from provreg.config.read.instance_validation import validate_entry
from provreg.config.read.load_set import Collected, read_and_validate, validate_all
from provreg.config.read.reading import parse_file, parsed_from_document, read_file
from provreg.config.read.results import FileResult, Fingerprint, ParsedFile, RawEntry
from provreg.config.read.yaml_source import Document, Limits
from provreg.gc_control import gc_paused
from provreg.model import Diagnostic, ProviderInstance
from provreg.storage.atomic import HardLinkError, atomic_write, sweep_stale_temp_files
from provreg.storage.backend import (
    ConflictError,
    PositionGoneError,
    StorageError,
    StoredState,
    WriteOutcome,
    instance_item,
)
from provreg.storage.claims import ClaimView, MovedFiles, declared_with_errors
from provreg.storage.lock import LockTimeout, claim_lock, file_write_lock
from provreg.storage.recent_trees import RecentTrees
from provreg.text_encoding import join_bom, split_bom
from provreg.value_class import field_replacer

DEFAULT_FILE_NAME = "providers.yaml"
"""Where new instances go when no file is named: this name in the first config directory."""

_REMEMBERED_WRITES = 64
_WRITE_ATTEMPTS = 3


class _Positioned(Protocol):
    """An instance or a diagnostic (a value object): where it is."""

    @property
    def line(self) -> int: ...


class _MovedMeanwhile(Exception):
    """The file changed between our read and our rename."""


LocalTransform = Callable[[str, ItemIndex, Sequence[Any]], LocalUpdate | None]
"""An update made on its item's lines (`config.edit.local_edit`), given the
text, its item index and the values of its `providers` items; None when it
must be made the full way."""


class _Write(NamedTuple):
    """One write, as `_write_sync` takes it; each attempt under the lock reads it again."""

    target: ConfigFile
    transform: Callable[[str | None, Document | None], Edited]
    key: InstanceKey | None
    instance_id: str
    expect_sha256: str | None
    local: LocalTransform | None = None


BeforeRename = Callable[[str, str | None, str], None]
"""Called as (real path, sha256 of the bytes replaced or None, sha256 of the new
bytes) once the new bytes are durable in the temp file, just before the
rename: the registry logs its audit intent there."""


class YamlDirectoryStorage:
    """Config directories (searched recursively) and/or single files."""

    def __init__(
        self,
        paths: list[str],
        *,
        limits: Limits = Limits(),
        base_catalog: Catalog | None = None,
        allow_hardlink_in_place: bool = False,
        lock_timeout: float = 10.0,
    ) -> None:
        self.paths = list(paths)
        self.limits = limits
        self.allow_hardlink_in_place = allow_hardlink_in_place
        self.lock_timeout = lock_timeout
        self._base = base_catalog if base_catalog is not None else builtin_catalog()
        self._parsed: dict[str, ParsedFile] = {}
        self._reals: dict[str, str] = {}
        self._results: dict[str, FileResult] = {}
        self._catalog = self._base
        self._written: dict[str, deque[str]] = {}
        self._recent_trees = RecentTrees()
        self._item_indexes: dict[str, tuple[str, ItemIndex]] = {}
        """Display path -> (sha256 of the bytes last read or written there,
        `item_index` of their text): where an update can be verified on its
        item's lines alone. Built while a read or a write has the file's node
        tree, for every file (16 bytes an item), so that the first write to a
        file after it was read is local too; used only while the file still
        holds those bytes (`_local_edit`)."""
        self.before_rename: BeforeRename | None = None
        """Set by the registry around each of its writes (its lock serialises them)."""
        self._moved_files = MovedFiles()

    # ------------------------------------------------------------------ reading

    @property
    def directories(self) -> list[str]:
        """The config directories (not single files) being served."""
        return [path for path in self.paths if os.path.isdir(path)]

    def files(self) -> dict[str, str]:
        """Path (as discovered) -> display path of every file currently known."""
        return {parsed.path: display for display, parsed in self._parsed.items()}

    def files_by_real(self) -> dict[str, str]:
        """Real path (symlinks resolved when the file was read) -> display path."""
        return {self._real_of(display): display for display in self._parsed}

    def _real_of(self, display: str) -> str:
        # realpath costs an lstat per path component: resolve each file once,
        # when it is read, not on every event and rescan.
        real = self._reals.get(display)
        if real is None:
            real = self._reals[display] = os.path.realpath(self._parsed[display].path)
        return real

    async def load_all(self) -> StoredState:
        return await anyio.to_thread.run_sync(self._load_all_sync)

    def _load_all_sync(self) -> StoredState:
        # One file per display path, where a dict keyed by it would put it.
        files = list({f.display: f for f in discover(self.paths)}.values())
        # A writer killed mid-write leaves its temp file; opening is the first
        # chance to remove it (writes sweep their own directory too).
        sweep_stale_temp_files(
            {os.path.dirname(f.path) or "." for f in files} | {*self.directories}
        )
        with gc_paused():
            # File by file: only one file's node tree exists at a time, so the
            # load's peak (which stays resident) is not all the trees at once.
            self._item_indexes = {}
            parsed, results, catalog = read_and_validate(
                files, self._base, self.limits, on_read=self._index_read
            )
        self._parsed = {item.display: item for item in parsed}
        self._reals = {}
        self._results = {result.display: result for result in results}
        self._catalog = catalog
        return StoredState(tuple(results), catalog)

    async def reload(self, paths: Iterable[str]) -> StoredState:
        wanted = [os.path.realpath(path) for path in paths]
        return await anyio.to_thread.run_sync(self._reload_sync, wanted)

    def _reload_sync(self, real_paths: list[str]) -> StoredState:
        """Re-read the files at these real paths: new ones are added, gone ones dropped."""
        # A parse allocates tens of thousands of young objects and no cycles; a
        # collection it triggers may walk the whole registry (docs/performance.md),
        # as for loads, writes and recomputes.
        with gc_paused():
            return self._reload_paused(real_paths)

    def _reload_paused(self, real_paths: list[str]) -> StoredState:
        changed: set[str] = set()
        added = False
        by_real = self.files_by_real()
        for real in real_paths:
            display = by_real.get(real)
            if display is None:
                config_file = self._config_file_for(real)
                if config_file is None or not os.path.isfile(real):
                    continue
                display = config_file.display
                path = config_file.path
            else:
                path = self._parsed[display].path
            self._reals.pop(display, None)  # a symlink may point elsewhere now
            if os.path.exists(path):
                added = added or display not in self._parsed
                self._parsed[display] = self._read(path, display)
            else:
                self._parsed.pop(display, None)
                self._results.pop(display, None)
                self._item_indexes.pop(display, None)
            changed.add(display)
        if added:  # replacing or dropping a file keeps the others in order
            self._parsed = dict(sorted(self._parsed.items(), key=self._discovery_order))
        return self._recompute(changed)

    def _read(self, path: str, display: str) -> ParsedFile:
        """`read_file`, keeping the item index of what was read (`_index_read`)."""
        parsed = read_file(path, display, self.limits, keep_text=True)
        self._index_read(parsed)
        parsed.text = None  # the index was all it was read for
        return parsed

    def _index_read(self, parsed: ParsedFile) -> None:
        """Keep the item index of a file just read, tied to the hash of the bytes
        read: the node tree and the text are at hand now, and gone once the
        file is slimmed. A file without one (not read, or outside the local
        proof) forgets the index of what it held before."""
        fingerprint = parsed.fingerprint
        items = None
        if parsed.text is not None and fingerprint is not None and fingerprint.sha256:
            items = self._index_of(parsed.text, parsed.document)
        self._set_index(parsed.display, fingerprint.sha256 if fingerprint else "", items)

    @staticmethod
    def _index_of(text: str, document: Document | None) -> ItemIndex | None:
        if document is None or document.failed:
            return None
        return item_index(text, document)

    def _discovery_order(self, item: tuple[str, ParsedFile]) -> tuple[Any, ...]:
        """Sort key putting files in the order `discover` walks them (roots in
        order; in each directory its files by name, then its subdirectories),
        so a file added by a reload or a write lands where a fresh load puts it."""
        display = item[0]
        for index, root in enumerate(self.paths):
            if display == root:
                return (index, ())
            prefix = root.rstrip(os.sep) + os.sep
            if display.startswith(prefix):
                parts = display[len(prefix) :].split(os.sep)
                return (index, (*((1, part) for part in parts[:-1]), (0, parts[-1])))
        return (len(self.paths), ((0, display),))

    def _config_file_for(self, real: str) -> ConfigFile | None:
        """Display path for a file inside one of the config directories."""
        if not is_config_name(os.path.basename(real)):
            return None
        for root in self.paths:
            root_real = os.path.realpath(root)
            if os.path.isdir(root) and real.startswith(root_real + os.sep):
                relative = os.path.relpath(real, root_real)
                folder = os.path.dirname(relative)
                if folder and is_skipped_dir(folder):
                    return None
                return ConfigFile(os.path.join(root, relative), os.path.join(root, relative))
            if os.path.realpath(root) == real:
                return ConfigFile(root, root)
        return None

    def _recompute(self, changed: set[str]) -> StoredState:
        with gc_paused():
            collected = self._unslim_if_needed(changed)
            results, catalog = validate_all(
                list(self._parsed.values()),
                self._base,
                previous=self._results,
                previous_catalog=self._catalog,
                changed=changed,
                collected=collected,
            )
            # Between writes only entry values are needed (conflict checks), not
            # node trees: dropping them halves the registry's memory per instance.
            self._parsed = {display: item.slimmed() for display, item in self._parsed.items()}
        self._results = {result.display: result for result in results}
        self._catalog = catalog
        return StoredState(tuple(results), catalog)

    def _unslim_if_needed(self, changed: set[str]) -> Collected:
        """Re-read the slimmed files that must be validated again: all of them when
        the user definitions changed (their instances may depend on them).

        Returns the collected definitions, which re-reading does not change (slim
        files keep their definition entries), so validation need not redo them.
        """
        collected = self._collect_definitions()
        catalog = collected[0]
        reread = False
        definitions_changed = [d for d in catalog if not d.builtin] != [
            d for d in self._catalog if not d.builtin
        ]
        for display, item in list(self._parsed.items()):
            must_validate = (
                definitions_changed or display in changed or display not in self._results
            )
            if item.slim and must_validate:
                self._parsed[display] = self._read(item.path, display)
                reread = True
        if reread:  # the disk may have moved on since the file was slimmed
            collected = self._collect_definitions()
        return collected

    _last_collected: tuple[list[tuple[str, list[RawEntry]]], Collected] | None = None
    """The input and result of the last `collect_definitions` (see below)."""

    def _collect_definitions(self) -> Collected:
        """`collect_definitions` of the files as they are now, or its last result
        when its input is the same: the same files in the same order, each with
        the same definition entries (the very list, which slim files keep) or
        with none, then and now. Most edits touch no definition, and collecting
        validates every definition again and visits every file."""
        inputs = [(display, item.definitions) for display, item in self._parsed.items()]
        last = self._last_collected
        if (
            last is not None
            and len(last[0]) == len(inputs)
            and all(
                display == last_display
                and (entries is last_entries or not (entries or last_entries))
                for (display, entries), (last_display, last_entries) in zip(
                    inputs, last[0], strict=True
                )
            )
        ):
            return last[1]
        collected = collect_definitions(list(self._parsed.values()), self._base)
        self._last_collected = (inputs, collected)
        return collected

    def state(self) -> StoredState:
        return StoredState(tuple(self._results.values()), self._catalog)

    async def load(self, instance_id: str) -> ProviderInstance | None:
        for result in self._results.values():
            for instance in result.instances:
                if instance.id == instance_id:
                    return instance
        return None

    def fingerprint(self, display: str) -> Fingerprint | None:
        parsed = self._parsed.get(display)
        return parsed.fingerprint if parsed is not None else None

    def same_bytes_touched(self, display: str, mtime_ns: int) -> None:
        """The file still holds the bytes last read and only its mtime moved (a
        `touch`, a save of the same text): take the new mtime, so the rescans,
        which compare (size, mtime), stop taking it for a change."""
        parsed = self._parsed.get(display)
        if parsed is not None and parsed.fingerprint is not None:
            parsed.fingerprint = parsed.fingerprint.model_copy(update={"mtime_ns": mtime_ns})

    def wrote(self, real_path: str, sha256: str) -> bool:
        """True when provreg itself wrote these bytes to this file (an echo)."""
        return sha256 in self._written.get(real_path, ())

    # ------------------------------------------------------------------ writing

    @contextlib.asynccontextmanager
    async def claim(self) -> AsyncIterator[ClaimView]:
        with contextlib.ExitStack() as held:
            try:
                view = await anyio.to_thread.run_sync(self._claim_sync, held)
            except LockTimeout as exc:
                raise StorageError(str(exc)) from None
            except OSError as exc:
                raise StorageError(f"cannot claim ids and names: {exc.strerror or exc}") from None
            yield view

    def _claim_sync(self, held: contextlib.ExitStack) -> ClaimView:
        """Take the claim lock (released with `held`), then see what moved: one
        thread hop for both."""
        held.enter_context(claim_lock(self.lock_timeout))
        moved = self._moved_files.moved(self.paths, self._parsed, self._real_of)
        state = self._reload_sync([os.path.realpath(path) for path in moved]) if moved else None
        return ClaimView(state, declared_with_errors(self._parsed, self._results))

    async def save(self, instance: ProviderInstance, file: str | None = None) -> WriteOutcome:
        target = self._target_for_new(file)
        item = instance_item(instance)

        def transform(text: str | None, current: Document | None) -> Edited:
            if text is None or not text.strip():
                return new_file_verified(item)
            return append_instance_verified(text, item, current=current)

        return await anyio.to_thread.run_sync(
            self._write_sync, target, transform, None, instance.id
        )

    async def update(self, instance: ProviderInstance, changes: Mapping[str, Any]) -> WriteOutcome:
        target = self._existing(instance)
        key = InstanceKey(instance.id, instance.name, instance.id_derived)

        def transform(text: str | None, current: Document | None) -> Edited:
            if text is None:
                raise ConflictError(instance.id, target.display, "its file was removed")
            return update_instance_verified(text, key, changes, current=current)

        def local(text: str, items: ItemIndex, values: Sequence[Any]) -> LocalUpdate | None:
            return update_item_locally(text, items, values, key, changes)

        return await anyio.to_thread.run_sync(
            self._write_sync, target, transform, key, instance.id, None, local
        )

    async def delete(self, instance: ProviderInstance) -> WriteOutcome:
        return (await self._delete(instance, keep=False))[0]

    async def delete_keeping(self, instance: ProviderInstance) -> tuple[WriteOutcome, RemovedEntry]:
        """`delete`, and the removed entry's text and place, for an undo."""
        outcome, entry = await self._delete(instance, keep=True)
        assert entry is not None
        return outcome, entry

    async def _delete(
        self, instance: ProviderInstance, *, keep: bool
    ) -> tuple[WriteOutcome, RemovedEntry | None]:
        target = self._existing(instance)
        key = InstanceKey(instance.id, instance.name, instance.id_derived)
        kept: list[RemovedEntry] = []

        def transform(text: str | None, current: Document | None) -> Edited:
            if text is None:
                raise ConflictError(instance.id, target.display, "its file was removed")
            if not keep:
                return delete_instance_verified(text, key, current=current)
            edited, entry = delete_keeping(text, key, target.display, current=current)
            kept[:] = [entry]  # a write that starts over on new text keeps its last
            return edited

        outcome = await anyio.to_thread.run_sync(
            self._write_sync, target, transform, key, instance.id
        )
        return outcome, kept[0] if kept else None

    async def insert_entry(self, entry: RemovedEntry, *, at_end: bool = False) -> WriteOutcome:
        parsed = self._parsed.get(entry.file)
        if parsed is None:
            raise PositionGoneError(f"{entry.file} is no longer a file of this registry")
        target = ConfigFile(parsed.path, parsed.display)

        def transform(text: str | None, current: Document | None) -> Edited:
            if text is None:
                raise PositionGone(f"{entry.file} was removed")
            return restore_verified(text, entry, current=current, at_end=at_end)

        try:
            # No instance key: there is no entry on disk to compare; the
            # transform finds the place again on the text as it is now.
            label = str(entry.value.get("id") or entry.value.get("name"))
            return await anyio.to_thread.run_sync(self._write_sync, target, transform, None, label)
        except PositionGone as exc:
            raise PositionGoneError(str(exc)) from None

    async def rewrite(
        self,
        path: str,
        transform: Callable[[str], str],
        *,
        expect_sha256: str | None = None,
        label: str | None = None,
    ) -> WriteOutcome:
        """Replace the text of one file of this registry with `transform(text)`,
        through the write path every other write takes (the lock, the BOM kept,
        the atomic write, the audit intent, the hash remembered for the echo).

        `transform` gets the text without its BOM, under the lock. With
        `expect_sha256`, the file must still hold those bytes (the ones a plan
        was made from), else nothing is written: `ConflictError`, named after
        `label` (what the write was for; default the file).

        Raises:
            ConflictError: the file moved since `expect_sha256` was read.
            StorageError: not a file of this registry, gone, or not writable.
        """
        target = self._existing_file(path)

        def whole(text: str | None, current: Document | None) -> Edited:
            if text is None:
                raise StorageError(f"{target.display} was removed")
            return Edited(transform(text), None)

        name = label or target.display
        return await anyio.to_thread.run_sync(
            self._write_sync, target, whole, None, name, expect_sha256
        )

    def _existing_file(self, path: str) -> ConfigFile:
        real = os.path.realpath(path)
        for display, parsed in self._parsed.items():
            if path in (display, parsed.path) or self._real_of(display) == real:
                return ConfigFile(parsed.path, display)
        raise StorageError(f"{path}: not a file of this registry")

    def target_display(self, file: str | None) -> str:
        """Display path of the file a new instance would be written to."""
        return self._target_for_new(file).display

    def _existing(self, instance: ProviderInstance) -> ConfigFile:
        parsed = self._parsed.get(instance.file)
        if parsed is None:
            raise StorageError(f"{instance.file}: not a file of this registry")
        return ConfigFile(parsed.path, parsed.display)

    def _target_for_new(self, file: str | None) -> ConfigFile:
        if file is None:
            directories = self.directories
            if directories:
                root = directories[0]
                return self._known_or_new(os.path.join(root, DEFAULT_FILE_NAME))
            if self._parsed:
                first = next(iter(self._parsed.values()))
                return ConfigFile(first.path, first.display)
            raise StorageError("no config directory or file to write to")
        real = os.path.realpath(file)
        for display, parsed in self._parsed.items():
            if file in (display, parsed.path) or self._real_of(display) == real:
                return ConfigFile(parsed.path, display)
        if not is_config_name(os.path.basename(file)):
            raise StorageError(f"{file}: a config file name ends in .yaml or .yml")
        candidates = [file] if os.path.isabs(file) else []
        candidates += [os.path.join(root, file) for root in self.directories]
        for candidate in candidates:
            if self._config_file_for(os.path.realpath(candidate)) is not None:
                return self._known_or_new(candidate)
        raise StorageError(f"{file}: not inside a config directory of this registry")

    def _known_or_new(self, path: str) -> ConfigFile:
        real = os.path.realpath(path)
        for display, parsed in self._parsed.items():
            if self._real_of(display) == real:
                return ConfigFile(parsed.path, display)
        found = self._config_file_for(real)
        return found if found is not None else ConfigFile(path, path)

    def _write_sync(
        self,
        target: ConfigFile,
        transform: Callable[[str | None, Document | None], Edited],
        key: InstanceKey | None,
        instance_id: str,
        expect_sha256: str | None = None,
        local: LocalTransform | None = None,
    ) -> WriteOutcome:
        try:
            with file_write_lock(target.path, self.lock_timeout):
                write = _Write(target, transform, key, instance_id, expect_sha256, local)
                for _ in range(_WRITE_ATTEMPTS - 1):
                    try:
                        return self._write_locked(write)
                    except _MovedMeanwhile:
                        continue  # an editor saved during our write: start over on its text
                return self._write_locked(write)
        except _MovedMeanwhile:
            raise ConflictError(
                instance_id, target.display, "kept changing on disk while provreg wrote it"
            ) from None
        except LockTimeout as exc:
            raise StorageError(str(exc)) from None
        except HardLinkError as exc:
            raise StorageError(str(exc)) from None
        except EditError as exc:
            where = f"{target.display}:{exc.line}" if exc.line else target.display
            raise StorageError(f"{where}: {exc}") from None
        except OSError as exc:
            raise StorageError(f"{target.display}: cannot write: {exc.strerror or exc}") from None

    def _write_locked(self, write: _Write) -> WriteOutcome:
        target, transform, key, instance_id, expect_sha256, local = write
        try:
            with open(target.path, "rb") as handle:
                current: bytes | None = handle.read()
        except FileNotFoundError:
            current = None
        current_digest = hashlib.sha256(current).hexdigest() if current is not None else None
        if expect_sha256 is not None and current_digest != expect_sha256:
            raise ConflictError(instance_id, target.display, "changed on disk since it was read")
        known = self._parsed.get(target.display)
        if current is not None and known is not None and key is not None:
            if known.fingerprint is None or current_digest != known.fingerprint.sha256:
                self._check_unchanged(target, known, current, key, instance_id)
        text, bom = split_bom(current) if current is not None else (None, b"")
        with gc_paused():  # the parse allocates tens of thousands of objects and no cycles
            fast = self._local_edit(target.display, known, text, bom, current_digest, local)
            if fast is not None:
                edited = Edited(fast.text, None)
            else:
                edited = transform(text, self._recent_trees.get(target.display, current_digest))
        new_text = edited.text
        data = join_bom(new_text, bom)
        if current is None:
            os.makedirs(os.path.dirname(os.path.abspath(target.path)), exist_ok=True)

        def unchanged_since_read() -> None:
            try:
                with open(target.path, "rb") as handle:
                    now = handle.read()
            except FileNotFoundError:
                now = None
            if now != current:
                raise _MovedMeanwhile()
            if self.before_rename is not None:
                self.before_rename(os.path.realpath(target.path), current_digest, digest)

        digest = hashlib.sha256(data).hexdigest()
        real = atomic_write(
            target.path,
            data,
            allow_hardlink_in_place=self.allow_hardlink_in_place,
            before_replace=unchanged_since_read,
        )
        self._written.setdefault(real, deque(maxlen=_REMEMBERED_WRITES)).append(digest)
        info = os.stat(real)
        fingerprint = Fingerprint(len(data), info.st_mtime_ns, digest)
        local_commit = fast is not None and self._reads_as_verified(data)
        if fast is not None and local_commit:
            self._set_index(target.display, digest, fast.items)
            self._recent_trees.forget(target.display)  # a tree of bytes no longer there
            with gc_paused():
                state = self._commit_local(target.display, fast, fingerprint)
            if state is not None:
                return WriteOutcome(state, target.display, digest)
        written = self._parse_written(data, target, fingerprint, edited.document)
        if not local_commit:
            # The parse of what was written (the verification's, or a fresh
            # one) has the tree; a file with a BOM is never edited locally.
            items = None if bom else self._index_of(new_text, written.document)
            self._set_index(target.display, digest, items)
        self._parsed[target.display] = written
        self._parsed = dict(sorted(self._parsed.items(), key=self._discovery_order))
        self._recent_trees.put(target.display, digest, edited.document, len(new_text))
        state = self._recompute({target.display})
        return WriteOutcome(state, target.display, digest)

    def _set_index(self, display: str, digest: str, items: ItemIndex | None) -> None:
        """Keep `items` as the index of the bytes with hash `digest` in
        `display`, or (None) keep none for the file."""
        if items is None:
            self._item_indexes.pop(display, None)
        else:
            self._item_indexes[display] = (digest, items)

    def _local_edit(
        self,
        display: str,
        known: ParsedFile | None,
        text: str | None,
        bom: bytes,
        digest: str | None,
        local: LocalTransform | None,
    ) -> LocalUpdate | None:
        """The update made on its item's lines, when the file still holds the
        bytes this storage last read or wrote there (so the values it keeps and
        the item index are those of `text`: the caller hashed `text`'s bytes
        under the lock, `digest`); else None (the full edit)."""
        if local is None or text is None or bom or known is None or digest is None:
            return None
        indexed = self._item_indexes.get(display)
        if indexed is None or indexed[0] != digest:
            return None
        if known.fingerprint is None or known.fingerprint.sha256 != digest:
            return None
        return local(text, indexed[1], [entry.value for entry in known.providers])

    def _commit_local(
        self, display: str, fast: LocalUpdate, fingerprint: Fingerprint
    ) -> StoredState | None:
        """The state after an update made on its item's lines, revalidating only
        that item; None when this cannot be shown to be the result a full
        revalidation gives (the caller then reparses the written file and
        revalidates it whole).

        Sound because an item's validation depends on its value, its node's
        positions, the catalog and the file's display path only
        (`validate_entry`), and the update changed none of these for the other
        items but their lines: their values are the same, the catalog is the
        same (no other file was read, and definitions are outside the
        `providers` list: those below it would move, so then the file is
        revalidated whole). Items below the edited one keep their instances and
        diagnostics, moved by the lines the edit added or removed (no message
        of a file's own validation quotes a line); only where the item's own go
        in the file's list is to be shown (`_diagnostics_with`).
        """
        parsed = self._parsed.get(display)
        previous = self._results.get(display)
        if parsed is None or previous is None or not parsed.slim:
            return None  # (a file not slimmed keeps node trees this update moved)
        if len(parsed.providers) != len(fast.items.starts):
            return None
        lines = fast.items.lines
        first = lines[fast.index] + 1  # 1-based, as diagnostics and instances count
        # Where the item's lines ended before the edit (1-based, exclusive).
        after = lines[fast.index + 1] if fast.index + 1 < len(lines) else fast.items.end_line
        after += 1 - fast.line_delta
        if fast.line_delta and any(
            entry.node is None or entry.node.start_mark.line + 1 >= first
            for entry in parsed.definitions
        ):
            return None
        try:
            instance, found = validate_entry(
                display, RawEntry(fast.value, fast.node), self._catalog
            )
        except Exception:  # noqa: BLE001 - validate_file reports it for the file: let it
            return None

        def moved(items: Sequence[_Positioned]) -> list[Any]:
            """`items` (in line order), those below the item moved with its lines."""
            if not fast.line_delta:
                return list(items)
            below = bisect_left(items, after, key=lambda item: item.line)
            delta = fast.line_delta
            kept = list(items[:below])
            for kind, group in groupby(items[below:], type):
                replace_line: Callable[[Any, int], Any] = field_replacer(kind, "line")
                kept.extend([replace_line(item, item.line + delta) for item in group])
            return kept

        diagnostics = self._diagnostics_with(
            display, parsed, previous, (first, after), found, moved
        )
        if diagnostics is None:
            return None
        instances = previous.instances
        at = bisect_left(instances, first, key=lambda instance: instance.line)
        had = at < len(instances) and instances[at].line == first
        providers = list(parsed.providers)
        providers[fast.index] = RawEntry(fast.value, None)
        self._parsed[display] = parsed.model_copy(
            update={
                "fingerprint": fingerprint,
                "providers": providers,
                "diagnostics": self._moved_in_order(parsed.diagnostics, after, moved),
            }
        )
        self._results[display] = previous.model_copy(
            update={
                "fingerprint": fingerprint,
                "instances": (
                    *instances[:at],
                    *((instance,) if instance is not None else ()),
                    *moved(instances[at + 1 if had else at :]),
                ),
                "diagnostics": diagnostics,
            }
        )
        return StoredState(tuple(self._results.values()), self._catalog)

    @staticmethod
    def _moved_in_order(
        diagnostics: Sequence[Diagnostic],
        after: int,
        moved: Callable[[Sequence[_Positioned]], list[Any]],
    ) -> list[Diagnostic]:
        """`diagnostics` in their order, those from line `after` on moved (the
        list is not in line order: `moved` takes one in line order)."""
        return [moved([d])[0] if d.line >= after else d for d in diagnostics]

    def _diagnostics_with(
        self,
        display: str,
        parsed: ParsedFile,
        previous: FileResult,
        span: tuple[int, int],
        found: list[Diagnostic],
        moved: Callable[[Sequence[_Positioned]], list[Any]],
    ) -> tuple[Diagnostic, ...] | None:
        """The file's diagnostics with those of the item on lines `span`
        ([first, after) before the edit) replaced by `found` and those below
        moved, as a full validation orders them; None when that order or the
        per-file cap cannot be shown.

        A file's diagnostics are its read's (`parsed.diagnostics`: none on an
        item's lines, since the local proof needs a parse without diagnostics
        and every item a mapping), then each item's in item order, all sorted
        when the file declares definitions (`load_set._with_definitions`). The
        cap left nothing out when the file has fewer diagnostics than it, before
        and after (no summary then stands for one of the item's).
        """
        first, after = span
        old = previous.diagnostics
        if any(d.code == codes.INTERNAL_ERROR.code for d in old):
            return None  # the file's validation failed: its items' lists are not known
        kept = self._moved_in_order([d for d in old if not first <= d.line < after], after, moved)
        if (
            len(old) >= MAX_DIAGNOSTICS_PER_FILE
            or len(kept) + len(found) > MAX_DIAGNOSTICS_PER_FILE
        ):
            return None
        if not found and len(kept) == len(old) and all(map(operator.is_, kept, old)):
            return old
        _, definitions, definition_diags = self._collect_definitions()
        if definitions.get(display) or any(d.file == display for d in definition_diags):
            return tuple(sorted([*kept, *found], key=Diagnostic.sort_key))
        read = len(parsed.diagnostics)
        if tuple(old[:read]) != tuple(parsed.diagnostics) or any(
            first <= d.line < after for d in old[:read]
        ):
            return None
        before = [d for d in kept[read:] if d.line < first]
        return (*kept[:read], *before, *found, *kept[read + len(before) :])

    def _parse_written(
        self,
        data: bytes,
        target: ConfigFile,
        fingerprint: Fingerprint,
        verified: Document | None,
    ) -> ParsedFile:
        """The parse of the bytes just written: the edit's verification parse of
        the same text when `parse_file` would build exactly that tree, else a fresh one.

        The verification parsed the text with the default limits and found no
        problem; this storage's limits give the same tree when they are no
        stricter (limits only ever stop a parse), and the bytes pass the
        checks `parse_bytes` makes before parsing (size, NUL bytes).
        """
        if (
            verified is None
            or verified.failed
            or verified.diagnostics
            or not self._reads_as_verified(data)
        ):
            return parse_file(data, target.path, target.display, fingerprint, self.limits)
        document = Document(target.display, verified.root, verified.value, [])
        return parsed_from_document(document, target.path, target.display, fingerprint)

    def _reads_as_verified(self, data: bytes) -> bool:
        """Whether `parse_file` of `data` with this storage's limits reads it as
        an edit's verification (default limits) does: the limits are no
        stricter (limits only ever stop a parse), and the bytes pass the checks
        `parse_bytes` makes before parsing (size, NUL bytes)."""
        default = Limits()
        return not (
            len(data) > self.limits.max_bytes
            or self.limits.max_depth < default.max_depth
            or self.limits.max_alias_expansion < default.max_alias_expansion
            or self.limits.max_integer_digits < default.max_integer_digits
            or b"\x00" in data
        )

    def _check_unchanged(
        self,
        target: ConfigFile,
        known: ParsedFile,
        current: bytes,
        key: InstanceKey,
        instance_id: str,
    ) -> None:
        """The file moved since we read it: go on only if our instance did not."""
        fresh = parse_file(current, target.path, target.display, None, self.limits)
        if not fresh.interpretable:
            raise ConflictError(instance_id, target.display, "is in a file that no longer parses")
        before = [entry.value for entry in known.providers]
        after = [entry.value for entry in fresh.providers]
        old_index = find_entry(before, key)
        new_index = find_entry(after, key)
        if new_index is None:
            raise ConflictError(instance_id, target.display, "was removed from the file meanwhile")
        if old_index is None or before[old_index] != after[new_index]:
            raise ConflictError(instance_id, target.display, "was changed in the file meanwhile")
