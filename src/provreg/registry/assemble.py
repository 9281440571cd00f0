"""Build the next RegistryState from what storage holds, and the events between states.

Owns: keep-last-good per file (a file with errors serves its last good
instances, marked stale), per-file status, the instances mapping in registry
order, sharing unchanged objects with the previous state (memory stays O(n)
however many revisions exist), and the diff into typed events. Linking across
files is `relink`'s: with the registry's `LinkCache`, a commit does work in
proportion to the files it changed (mappings are copied whole, a C-speed copy),
not to every instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from types import MappingProxyType
from typing import NamedTuple, TypeVar

from provreg.config.read.linking import link
from provreg.config.read.results import FileResult
from provreg.model import Diagnostic, ProviderInstance, Severity
from provreg.registry.events import (
    DiagnosticsChanged,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ReloadFailed,
    ReloadRecovered,
    Source,
)
from provreg.registry.relink import LinkCache, Relinked
from provreg.registry.state import FileStatus, RegistryState
from provreg.storage.backend import StoredState

T = TypeVar("T")


def assemble_state(
    previous: RegistryState,
    stored: StoredState,
    last_good_by_file: dict[str, FileResult],
    now: float,
    source: Source,
    *,
    initial: bool = False,
    written_id: str | None = None,
    link_cache: LinkCache | None = None,
) -> tuple[RegistryState, list[Event]]:
    """The state after `previous` given storage's files, and the events between them.

    `last_good_by_file` is updated in place (files that are good now become the
    new last good; files that are gone are forgotten). `written_id`: the
    instance a write was for; other changes the write picked up are `external`.
    `link_cache`: the registry's linking of `previous`, updated in place; with
    it, a commit costs what its changed files cost, not what the registry holds.
    """
    effective, drafts, failed = _effective_files(previous, stored, last_good_by_file, now, source)
    cache = link_cache if link_cache is not None else LinkCache()
    relinked = cache.relink(effective, previous.instances, full=initial)
    ids_by_file: Mapping[str, Sequence[str]]
    cross_by_file: Mapping[str, Sequence[Diagnostic]]
    if relinked is None or relinked.full:
        cache.sorted_from = {}  # it remembers how `previous` was built: start over
    if relinked is None:
        by_id, ids_by_file, cross_by_file = _link_flat(effective, previous.instances)
    else:
        by_id = _served_by_id(cache, relinked)
        ids_by_file = {display: linked.ids for display, linked in cache.files.items()}
        cross_by_file = {
            display: linked.cross for display, linked in cache.files.items() if linked.cross
        }
    files = {
        display: _file_status(draft, tuple(ids_by_file.get(display, ())))
        for display, draft in drafts.items()
    }
    stale_ids = frozenset(
        chain.from_iterable(
            ids_by_file.get(display, ()) for display, status in files.items() if status.stale
        )
    )
    frozen_diags = _diagnostics(effective, cross_by_file, previous.diagnostics, cache.sorted_from)
    instances = (
        previous.instances
        if relinked is not None and by_id is cache.served_by_id
        else MappingProxyType(by_id)
    )
    state = RegistryState(
        instances=instances,
        diagnostics=MappingProxyType(frozen_diags),
        files=MappingProxyType(files),
        catalog=stored.catalog,
        conflicts=previous.conflicts,
        revision=previous.revision + 1,
        watch=previous.watch,
        stale_ids=_same_or(previous.stale_ids, stale_ids),
    )
    if relinked is not None:
        cache.published = instances
        cache.served_by_id = by_id
    if initial:
        return state, []
    if relinked is None or relinked.full:
        events = _diff(
            previous.instances,
            state.instances,
            state.instances.values(),
            previous.instances.values(),
            source,
            written_id,
        )
    elif relinked.swapped is not None:  # only these changed, no id came or went
        events = _diff(
            previous.instances, state.instances, relinked.touched, (), source, written_id
        )
    else:
        events = _diff(
            previous.instances,
            state.instances,
            chain.from_iterable(cache.files[display].served for display in relinked.files),
            chain.from_iterable(linked.served for linked in relinked.before),
            source,
            written_id,
        )
    changed_files = tuple(
        file
        for file in set(frozen_diags) | set(previous.diagnostics)
        if frozen_diags.get(file, ()) != previous.diagnostics.get(file, ())
    )
    if changed_files:
        events.append(DiagnosticsChanged(tuple(sorted(changed_files)), source))
    events.extend(failed)
    return state, events


def _effective_files(
    previous: RegistryState,
    stored: StoredState,
    last_good_by_file: dict[str, FileResult],
    now: float,
    source: Source,
) -> tuple[list[FileResult], dict[str, _StatusDraft], list[ReloadFailed | ReloadRecovered]]:
    """Keep-last-good per file: the results to link (a file with errors and a last
    good version serves the latter), draft file statuses, and reload failures."""
    effective: list[FileResult] = []
    drafts: dict[str, _StatusDraft] = {}
    failed: list[ReloadFailed | ReloadRecovered] = []
    present = {result.display for result in stored.files}
    for display in list(last_good_by_file):
        if display not in present:
            del last_good_by_file[display]
    for result in stored.files:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        last_good = last_good_by_file.get(result.display)
        if not errors:
            last_good_by_file[result.display] = result
            used = result
        elif last_good is not None:
            used = last_good
        else:
            used = result
        stale = bool(errors) and last_good is not None
        old_status = previous.files.get(result.display)
        sha256 = result.fingerprint.sha256 if result.fingerprint is not None else None
        unchanged = (
            old_status is not None and old_status.sha256 == sha256 and old_status.ok == (not errors)
        )
        # Instance ids come after linking, which can rename derived ids.
        drafts[result.display] = _StatusDraft(
            old_status,
            result.display,
            result.path,
            not errors,
            stale,
            old_status.last_reload if unchanged and old_status else now,
            _first_error(errors),
            sha256,
        )
        if errors and not unchanged:
            failed.append(ReloadFailed(result.display, tuple(errors), source))
        elif not errors and old_status is not None and not old_status.ok:
            # Said wherever the failure was said (Activity, `watch`, the toast).
            failed.append(ReloadRecovered(result.display, len(result.instances), source))
        effective.append(
            result
            if used is result
            else FileResult(
                result.path,
                result.display,
                result.fingerprint,
                used.instances,
                used.definitions,
                result.diagnostics,
            )
        )
    return effective, drafts, failed


class _StatusDraft(NamedTuple):
    """A file's status before linking, and the status it had."""

    old: FileStatus | None
    display: str
    path: str
    ok: bool
    stale: bool
    last_reload: float
    last_error: str | None
    sha256: str | None


def _file_status(draft: _StatusDraft, instance_ids: tuple[str, ...]) -> FileStatus:
    old = draft.old
    if (
        old is not None
        and old.path == draft.path
        and old.ok == draft.ok
        and old.stale == draft.stale
        and old.last_reload == draft.last_reload
        and old.last_error == draft.last_error
        and old.sha256 == draft.sha256
        and old.instance_ids == instance_ids
    ):
        return old  # share an unchanged file's status object too, like instances
    return FileStatus(
        display=draft.display,
        path=draft.path,
        ok=draft.ok,
        stale=draft.stale,
        last_reload=draft.last_reload,
        last_error=draft.last_error,
        instance_ids=instance_ids,
        sha256=draft.sha256,
    )


def _link_flat(
    effective: list[FileResult], previous: Mapping[str, ProviderInstance]
) -> tuple[dict[str, ProviderInstance], dict[str, list[str]], dict[str, list[Diagnostic]]]:
    """Link every instance and group the outcome by each instance's `file`: what
    the registry does when results cannot be linked file by file."""
    instances, cross = link(effective)
    # Ids as the registry serves them: `link` makes derived ids unique
    # ('my-groq' -> 'my-groq-2') and drops duplicates of explicit ids.
    ids_by_file: dict[str, list[str]] = {}
    for instance in instances:
        ids_by_file.setdefault(instance.file, []).append(instance.id)
    by_id: dict[str, ProviderInstance] = {}
    for instance in instances:
        old = previous.get(instance.id)
        # Share unchanged instance objects with the previous state.
        by_id[instance.id] = (
            old if old is not None and (old is instance or old == instance) else instance
        )
    cross_by_file: dict[str, list[Diagnostic]] = {}
    for diag in cross:
        cross_by_file.setdefault(diag.file, []).append(diag)
    return by_id, ids_by_file, cross_by_file


def _served_by_id(cache: LinkCache, relinked: Relinked) -> dict[str, ProviderInstance]:
    """Instances by id in registry order (file order, then order in the file)."""
    if relinked.full or relinked.added_ids:
        by_id: dict[str, ProviderInstance] = {}
        for linked in cache.files.values():
            by_id.update(zip(linked.ids, linked.served, strict=True))
        return by_id
    if not relinked.files and not relinked.before:
        return cache.served_by_id  # nothing changed: the same mapping serves
    if relinked.swapped is not None:  # the same ids, some served objects replaced
        by_id = dict(cache.served_by_id)
        by_id.update((instance.id, instance) for instance in relinked.swapped)
        return by_id
    # Every file serves the ids it served, in the same order, or fewer of them:
    # a copy keeps the order, and patching values or removing keys keeps it too.
    by_id = dict(cache.served_by_id)
    kept = {instance_id for display in relinked.files for instance_id in cache.files[display].ids}
    for linked in relinked.before:
        for instance_id in linked.ids:
            if instance_id not in kept:
                del by_id[instance_id]
    for display in relinked.files:
        linked = cache.files[display]
        by_id.update(zip(linked.ids, linked.served, strict=True))
    return by_id


def _diagnostics(
    effective: list[FileResult],
    cross_by_file: Mapping[str, Sequence[Diagnostic]],
    previous: Mapping[str, tuple[Diagnostic, ...]],
    sorted_from: dict[str, tuple[Sequence[Diagnostic], Sequence[Diagnostic]]],
) -> dict[str, tuple[Diagnostic, ...]]:
    """Each file's own diagnostics and the cross-file ones about it, sorted.

    An unchanged file keeps its previous tuple. `sorted_from` (updated in place)
    remembers the own and cross diagnostics each file's tuple was sorted from:
    while both are the same objects, the tuple is the same.
    """
    frozen: dict[str, tuple[Diagnostic, ...]] = {}
    inputs: dict[str, tuple[Sequence[Diagnostic], Sequence[Diagnostic]]] = {}
    for result in effective:
        file = result.display
        own, cross = result.diagnostics, cross_by_file.get(file, ())
        before = sorted_from.get(file)
        old = previous.get(file)
        if before is not None and old is not None and before[0] is own and before[1] is cross:
            frozen[file] = old
        else:
            frozen[file] = _same_or(old, tuple(sorted((*own, *cross), key=Diagnostic.sort_key)))
        inputs[file] = (own, cross)
    for file, cross in cross_by_file.items():
        if file not in frozen:  # about a file no result has (see `_link_flat`)
            frozen[file] = _same_or(
                previous.get(file), tuple(sorted(cross, key=Diagnostic.sort_key))
            )
    sorted_from.clear()
    sorted_from.update(inputs)
    return frozen


def _same_or(old: T | None, new: T) -> T:
    """`old` when it equals `new`: unchanged values stay the same objects."""
    return old if old is not None and old == new else new


def _first_error(errors: list[Diagnostic]) -> str | None:
    if not errors:
        return None
    first = errors[0]
    return f"{first.line}:{first.column}: {first.message}"


def _diff(
    previous: Mapping[str, ProviderInstance],
    current: Mapping[str, ProviderInstance],
    candidates: Iterable[ProviderInstance],
    old_candidates: Iterable[ProviderInstance],
    source: Source,
    written_id: str | None = None,
) -> list[Event]:
    """Events from `previous` to `current`, looking at `candidates` (instances
    of `current`, in its order) and `old_candidates` (of `previous`, in its
    order): every instance that may have changed, all of them when in doubt."""

    def source_of(instance_id: str) -> Source:
        return source if written_id is None or instance_id == written_id else "external"

    events: list[Event] = []
    for instance in candidates:
        old = previous.get(instance.id)
        if old is None:
            events.append(InstanceAdded(instance, source_of(instance.id)))
        elif old is not instance and old != instance:
            changed = _changed_fields(old, instance)
            if changed:
                events.append(InstanceUpdated(instance, old, changed, source_of(instance.id)))
    for old in old_candidates:
        if old.id not in current:
            events.append(InstanceRemoved(old, source_of(old.id)))
    return events


def _changed_fields(old: ProviderInstance, new: ProviderInstance) -> tuple[str, ...]:
    changed = [
        key for key in ("name", "provider", "file") if getattr(old, key) != getattr(new, key)
    ]
    for key in sorted(set(old.values) | set(new.values)):
        if old.values.get(key) != new.values.get(key):
            changed.append(key)
    return tuple(changed)
