"""ProviderRegistry: the one writer. Every mutation goes through here.

Owns: validation of values coming from the app or the CLI, the single
`anyio.Lock` that serialises mutations (creates and renames also claim their
id and name across processes: `registry.id_claim`, `StorageBackend.claim`),
keep-last-good per file, diffing states into events, and the audit log.
Readers never lock: they read `snapshot()`, an immutable `RegistryState`
replaced whole on each commit.

Calling from threads: the registry belongs to the event loop that opened it.
From a worker started with `anyio.to_thread.run_sync`, call
`anyio.from_thread.run(registry.update, "work-openai", {...})`; from any
other thread, use a `BlockingPortal` started in the loop
(`portal.call(registry.update, ...)`). See docs/api.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import anyio

from provreg.config import codes
from provreg.config.edit import REMOVE
from provreg.config.edit.restore_edit import RemovedEntry
from provreg.config.read.field_problem import FieldProblem
from provreg.config.read.results import FileResult
from provreg.config.read.validation import check_fields
from provreg.config.read.yaml_source import Limits
from provreg.model import (
    ID_RE,
    NAME_MAX_LENGTH,
    ModelSpec,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
    name_length_ok,
)
from provreg.paths import env_flag
from provreg.registry.assemble import assemble_state
from provreg.registry.audit import AuditLog
from provreg.registry.audit_events import intent_fields as _change
from provreg.registry.audit_events import record_events, resolve_interrupted
from provreg.registry.audit_journal import intent_on_rename, new_txn
from provreg.registry.errors import (
    ConflictError,
    FileHasErrorsError,
    InstanceNotFoundError,
    InvalidValueError,
    MissingFieldError,
    ReadOnlyError,
    UnknownFieldError,
    UnknownProviderError,
)
from provreg.registry.events import (
    Conflict,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    Source,
)
from provreg.registry.id_claim import (
    check_name_free,
    check_same_instance,
    new_id,
)
from provreg.registry.relink import LinkCache
from provreg.registry.rewrite_ops import RewriteOperations
from provreg.registry.secret_ops import Deletion, SecretOperations
from provreg.registry.state import RegistryState, WatchMode
from provreg.registry.store import Store
from provreg.registry.undo_ops import UndoOperations
from provreg.secrets import SecretStore
from provreg.storage.backend import StorageBackend, StoredState, UndoableStorage, WriteOutcome
from provreg.storage.claims import ClaimView

READ_ONLY_ENV = "PROVREG_READ_ONLY"
ALLOW_HARDLINKS_ENV = "PROVREG_ALLOW_HARDLINKS"


class ProviderRegistry(UndoOperations, SecretOperations, RewriteOperations):
    """CRUD over provider instances, published through a `Store`."""

    def __init__(
        self,
        storage: StorageBackend,
        *,
        audit: AuditLog | None = None,
        secrets: SecretStore | None = None,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.audit = audit
        self.secrets = secrets
        self.read_only = read_only
        self._clock = clock
        self._lock = anyio.Lock()
        self._last_good: dict[str, FileResult] = {}
        self._link_cache = LinkCache()
        self._issued_ids: set[str] = set()
        from provreg.catalog import builtin_catalog

        self.store = Store(RegistryState.empty(builtin_catalog()))

    # ------------------------------------------------------------------ opening

    @classmethod
    async def open(
        cls,
        paths: list[str] | None = None,
        *,
        storage: StorageBackend | None = None,
        secrets: SecretStore | None = None,
        audit: AuditLog | None | bool = True,
        read_only: bool | None = None,
        limits: Limits = Limits(),
        allow_hardlink_in_place: bool | None = None,
    ) -> ProviderRegistry:
        """Load a registry from config paths (or a given storage backend).

        Args:
            paths: config directories or files; default `$PROVREG_CONFIG`,
                else the user config dir. Ignored when `storage` is given.
            storage: a backend to use instead of the YAML directory one.
            audit: an AuditLog, True for the default one in the state dir,
                or False/None for none.
            read_only: refuse every write; default from `PROVREG_READ_ONLY=1`.
        """
        if allow_hardlink_in_place is None:
            allow_hardlink_in_place = env_flag(ALLOW_HARDLINKS_ENV)
        if storage is None:
            from provreg.paths import default_config_paths
            from provreg.storage.yaml_dir import YamlDirectoryStorage

            storage = YamlDirectoryStorage(
                paths or default_config_paths(),
                limits=limits,
                allow_hardlink_in_place=allow_hardlink_in_place,
            )
        if audit is True:
            audit_log: AuditLog | None = AuditLog()
        elif audit is False or audit is None:
            audit_log = None
        else:
            audit_log = audit
        if read_only is None:
            read_only = env_flag(READ_ONLY_ENV, unknown=True)  # a typo must not write
        registry = cls(storage, audit=audit_log, secrets=secrets, read_only=read_only)
        stored = await storage.load_all()
        registry._commit(stored, "external", initial=True)
        if audit_log is not None:
            registry.resolve_interrupted_writes(audit_log)
        return registry

    def resolve_interrupted_writes(self, audit: AuditLog) -> None:
        """Close the audit intents of writers killed before their outcome: a
        change that reached its file gets its line now. Never raises for I/O."""
        resolve_interrupted(audit, self.find)

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> RegistryState:
        """The current state. Immutable: safe to keep and read from any thread."""
        return self.store.get_state()

    def find(self, instance_id: str) -> ProviderInstance | None:
        return self.snapshot().instances.get(instance_id)

    def get(self, instance_id: str) -> ProviderInstance:
        """The instance with this id.

        Raises:
            InstanceNotFoundError: no such instance.
        """
        instance = self.find(instance_id)
        if instance is None:
            raise InstanceNotFoundError(instance_id)
        return instance

    def instances(
        self, provider: str | None = None, file: str | None = None
    ) -> list[ProviderInstance]:
        """Instances in registry order, optionally only of one provider or file."""
        return [
            instance
            for instance in self.snapshot().instances.values()
            if (provider is None or instance.provider == provider)
            and (file is None or instance.file == file)
        ]

    def definitions(self) -> list[ProviderDefinition]:
        """Every provider definition: built-ins first, then user ones."""
        return list(self.snapshot().catalog)

    def definition(self, provider: str) -> ProviderDefinition:
        definition = self.snapshot().catalog.get(provider)
        if definition is None:
            raise UnknownProviderError(provider, self.snapshot().catalog.suggest(provider))
        return definition

    # ------------------------------------------------------------------ writing

    async def create(
        self,
        provider: str,
        name: str,
        values: Mapping[str, Any] | None = None,
        file: str | None = None,
        *,
        instance_id: str | None = None,
        source: Source = "app",
    ) -> ProviderInstance:
        """Add an instance; returns it as loaded back from storage.

        Raises:
            UnknownProviderError, UnknownFieldError, MissingFieldError,
            InvalidValueError, DuplicateNameError, DuplicateIdError,
            FileHasErrorsError, ReadOnlyError, StorageError.
        """
        self._check_writable()
        async with self._lock:
            definition = self.definition(provider)
            clean_name = _check_name(name)
            checked = _check_values(definition, dict(values or {}))
            if instance_id is not None and not ID_RE.fullmatch(instance_id):
                raise InvalidValueError(
                    [FieldProblem(codes.INVALID_ID, ("id",), f"invalid id '{instance_id}'")]
                )
            given = dict(values or {})
            to_write = {
                key: given[key] if _same_value(given.get(key), value) else value
                for key, value in checked.items()
            }
            # The name and the id are checked against the files as they are now
            # (what other processes wrote since this one read them), with no
            # other claim between the check and the write.
            async with self.storage.claim() as view:
                state = self._publish_claimed(view)
                check_name_free(state, clean_name, None, self._link_cache)
                instance_id = new_id(
                    state,
                    clean_name,
                    instance_id,
                    retired=self._issued_ids,
                    declared=view.declared,
                )
                self._issued_ids.add(instance_id)
                new = ProviderInstance(
                    id=instance_id, name=clean_name, provider=provider, values=to_write
                )
                target = self.storage.target_display(file)
                self._check_file_ok(state, target)
                txn = new_txn()
                fields = ("name", "provider", *to_write)
                with intent_on_rename(
                    self.storage,
                    self.audit,
                    txn,
                    **_change(source, "create", instance_id, target, fields),
                ):
                    outcome = await self.storage.save(new, file)
                self._commit_write(outcome, source, instance_id, txn)
            return self.get(instance_id)

    async def update(
        self, instance_id: str, changes: Mapping[str, Any], *, source: Source = "app"
    ) -> ProviderInstance:
        """Change fields (and/or `name`) of an instance. `None` or REMOVE unsets a field.

        Only changed keys are written. Returns the instance as loaded back.

        Raises:
            InstanceNotFoundError, UnknownFieldError, MissingFieldError,
            InvalidValueError, DuplicateNameError, ConflictError,
            FileHasErrorsError, ReadOnlyError, StorageError.
        """
        self._check_writable()
        async with self._lock:
            state = self.snapshot()
            instance = self.get(instance_id)
            definition = self.definition(instance.provider)
            if "id" in changes and changes["id"] != instance.id:
                # Never a rename: keyring entries are keyed by the id, and a new id
                # would have to be claimed like a create's (registry.id_claim).
                message = (
                    "an instance's id cannot be changed (its keyring entries are keyed by it); "
                    "add a copy with the new id and remove this one"
                )
                raise InvalidValueError([FieldProblem(codes.INVALID_ID, ("id",), message)])
            if "provider" in changes and changes["provider"] != instance.provider:
                raise InvalidValueError(
                    [
                        FieldProblem(
                            codes.UNKNOWN_PROVIDER,
                            ("provider",),
                            "an instance's provider cannot be changed; create a new instance",
                        )
                    ]
                )
            written: dict[str, Any] = {}
            if "name" in changes:
                new_name = _check_name(changes["name"])
                if new_name != instance.name:
                    written["name"] = new_name  # checked under the claim, below
            merged = dict(instance.values)
            for key, value in changes.items():
                if key in ("id", "name", "provider"):
                    continue
                if value is None or value is REMOVE:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            checked = _check_values(definition, merged)
            for key in set(instance.values) | set(checked):
                if key not in checked:
                    written[key] = REMOVE
                elif instance.values.get(key) != checked[key]:
                    # Write what the caller gave when it means the same (30, not 30.0).
                    given = merged.get(key)
                    written[key] = given if _same_value(given, checked[key]) else checked[key]
            if not written:
                return instance
            if instance.id_derived:
                written = {"id": instance.id, **written}  # pin the id on first edit
            # A new name is a claim (names are unique); other changes need no
            # view beyond the instance's own file, which the write re-reads.
            claim = self.storage.claim() if "name" in written else nullcontext(None)
            txn = new_txn()
            change = _change(source, "update", instance_id, instance.file, written, instance)
            try:
                async with claim as view:
                    if view is not None:
                        state = self._publish_claimed(view)
                        check_same_instance(state, instance)
                        check_name_free(state, written["name"], instance.id, self._link_cache)
                    self._check_file_ok(state, instance.file)
                    with intent_on_rename(self.storage, self.audit, txn, **change):
                        outcome = await self.storage.update(instance, written)
            except ConflictError as exc:
                self._record_conflict(exc, source)
                raise
            self._commit_write(outcome, source, instance_id, txn)
            return self.get(instance_id)

    async def delete(self, instance_id: str, *, source: Source = "app") -> ProviderInstance:
        """Remove an instance from its file. Returns the removed instance.

        Raises:
            InstanceNotFoundError, ConflictError, FileHasErrorsError,
            ReadOnlyError, StorageError.
        """
        return (await self.delete_with_keys(instance_id, source=source)).instance

    async def delete_with_keys(self, instance_id: str, *, source: Source = "app") -> Deletion:
        """`delete`, saying which of its stored keys were removed and which kept
        (another instance still references them)."""
        instance, _ = await self._delete_entry(instance_id, source, keep=False)
        return Deletion(instance, await self._forget_stored_keys(instance, source))

    async def _delete_entry(
        self, instance_id: str, source: Source, *, keep: bool
    ) -> tuple[ProviderInstance, RemovedEntry | None]:
        """Remove the instance's entry; with `keep`, and a storage that can undo,
        also return the removed text and its place (`registry.undo_ops`)."""
        self._check_writable()
        async with self._lock:
            state = self.snapshot()
            instance = self.get(instance_id)
            self._check_file_ok(state, instance.file)
            txn = new_txn()
            change = _change(source, "delete", instance_id, instance.file, (), instance)
            removed: RemovedEntry | None = None
            try:
                with intent_on_rename(self.storage, self.audit, txn, **change):
                    if keep and isinstance(self.storage, UndoableStorage):
                        outcome, removed = await self.storage.delete_keeping(instance)
                    else:
                        outcome = await self.storage.delete(instance)
            except ConflictError as exc:
                self._record_conflict(exc, source)
                raise
            self._commit_write(outcome, source, instance_id, txn)
        return instance, removed

    async def reload(self, paths: list[str] | None = None, *, source: Source = "external") -> None:
        """Re-read files from storage (all, or these real paths) and commit the result."""
        async with self._lock:
            if paths is None:
                stored = await self.storage.load_all()
            else:
                stored = await self.storage.reload(paths)
            self._commit(stored, source)

    async def wait_for_writes(self) -> None:
        """Return once no mutation is in progress (the sync engine's echo check:
        mid-write, the file already holds the new bytes before they are recorded)."""
        if self._lock.locked():
            async with self._lock:
                pass

    def set_watch_status(self, watch: WatchMode) -> None:
        """Record the sync engine's mode in the state (for the dashboard's header)."""
        state = self.snapshot()
        if state.watch != watch:
            self.store.commit(replace(state, watch=watch, revision=state.revision + 1))

    def dismiss_conflicts(self) -> None:
        state = self.snapshot()
        if state.conflicts:
            self.store.commit(replace(state, conflicts=(), revision=state.revision + 1))

    # ------------------------------------------------------------------ internals

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError()

    def _publish_claimed(self, view: ClaimView) -> RegistryState:
        """Publish what a claim found moved on disk (as external changes); the
        state every id and name check of the claim is made against."""
        if view.state is not None:
            self._commit(view.state, "external")
        return self.snapshot()

    def _check_file_ok(self, state: RegistryState, file: str) -> None:
        status = state.files.get(file)
        if status is not None and not status.ok:
            raise FileHasErrorsError(file, status.last_error or "see `provreg --check`")

    def _record_conflict(self, exc: ConflictError, source: Source) -> None:
        state = self.snapshot()
        conflict = Conflict(exc.instance_id, exc.file, str(exc), source)
        self.store.commit(
            replace(state, conflicts=(*state.conflicts, conflict), revision=state.revision + 1),
            [conflict],
        )

    def _commit_write(
        self,
        outcome: WriteOutcome,
        source: Source,
        instance_id: str | None = None,
        txn: str | None = None,
    ) -> None:
        self._commit(outcome.state, source, written_id=instance_id, txn=txn)
        if instance_id is not None:
            # A successful write of the instance resolves its earlier conflict.
            state = self.snapshot()
            kept = tuple(c for c in state.conflicts if c.instance_id != instance_id)
            if kept != state.conflicts:
                self.store.commit(replace(state, conflicts=kept, revision=state.revision + 1))

    def _commit(
        self,
        stored: StoredState,
        source: Source,
        *,
        initial: bool = False,
        written_id: str | None = None,
        txn: str | None = None,
        audited: bool = True,
    ) -> None:
        """Publish a new state built from storage.

        `written_id`: the instance this commit's write was for. A write re-reads
        its file, so it can also carry external edits made to other instances
        meanwhile; those are published (and audited) as `external`. `txn`: the
        write's audit intent, which its instance's line closes. `audited`:
        False when the writer logs its own lines (`rewrite_file`).
        """
        previous = self.snapshot()
        state, events = assemble_state(
            previous,
            stored,
            self._last_good,
            self._clock(),
            source,
            initial=initial,
            written_id=written_id,
            link_cache=self._link_cache,
        )
        # Every id seen in this run is retired for generation: a new instance
        # must not inherit a deleted one's id (and its keyring entries). Ids
        # new to this state are the added ones.
        if initial:
            self._issued_ids.update(state.instances)
        else:
            self._issued_ids.update(
                event.instance.id for event in events if isinstance(event, InstanceAdded)
            )
        if audited:
            self._audit(events, state, previous, written_id, txn)
        if self.secrets is not None:
            for event in events:
                if isinstance(event, InstanceUpdated | InstanceRemoved):
                    self.secrets.invalidate(event.instance.id)
        self.store.commit(state, events)

    def flush_audit(self) -> None:
        """Write the external changes the audit log still holds back (it waits
        `audit.OBSERVED_DELAY_S` to see whether their author logs them). Call
        when a watching process stops; the process's exit does it too. Never
        raises for I/O."""
        if self.audit is not None:
            self.audit.flush()

    def _audit(
        self,
        events: list[Event],
        state: RegistryState,
        previous: RegistryState,
        written_id: str | None = None,
        txn: str | None = None,
    ) -> None:
        """Record committed instance changes (see registry/audit_events.py)."""
        if self.audit is not None:
            closes_intents = hasattr(self.storage, "before_rename")
            record_events(self.audit, events, state, previous, written_id, txn, closes_intents)


def _same_value(given: Any, checked: Any) -> bool:
    """True when the caller's value is the validated one in another spelling (int for float)."""
    return (
        (type(given) is int and type(checked) is float and given == checked)
        or given == checked
        and type(given) is type(checked)
    )


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name_length_ok(name):
        raise InvalidValueError(
            [
                FieldProblem(
                    codes.INVALID_NAME,
                    ("name",),
                    f"a name is 1 to {NAME_MAX_LENGTH} characters of text",
                )
            ]
        )
    return name.strip()


_NON_BLOCKING = frozenset({codes.DUPLICATE_MODEL, codes.DEFAULT_MODEL_NOT_LISTED})


def _as_yaml_data(value: Any) -> Any:
    """A value as a config file states it (`SecretRef`s and `ModelSpec`s as their YAML)."""
    if isinstance(value, SecretRef | ModelSpec):
        return value.to_yaml()
    if isinstance(value, tuple) and any(isinstance(item, ModelSpec) for item in value):
        return [_as_yaml_data(item) for item in value]
    return value


def _check_values(definition: ProviderDefinition, values: dict[str, Any]) -> dict[str, Any]:
    """Validate values from the app/CLI; unknown fields are errors here, not warnings."""
    raw = {key: _as_yaml_data(value) for key, value in values.items()}
    checked, problems = check_fields(raw, definition)
    # A model listed twice or a default model outside `models:` is reported by
    # `--check`; it does not make a value wrong, so it does not refuse the write.
    problems = [p for p in problems if p.code not in _NON_BLOCKING]
    if problems:
        unknown = [p for p in problems if p.code is codes.UNKNOWN_FIELD]
        if unknown:
            raise UnknownFieldError(unknown)
        missing = [p for p in problems if p.code is codes.MISSING_FIELD]
        if missing and len(missing) == len(problems):
            raise MissingFieldError(missing)
        raise InvalidValueError(problems)
    assert checked is not None
    order = {spec.id: index for index, spec in enumerate(definition.fields)}
    return dict(sorted(checked.items(), key=lambda item: order.get(item[0], len(order))))


__all__ = ["ProviderRegistry"]
