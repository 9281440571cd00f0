"""Build the next RegistryState from what storage holds, and the events between states.

Owns: keep-last-good per file (a file with errors serves its last good
instances, marked stale), per-file status, linking across files, sharing
unchanged objects with the previous state (memory stays O(n) however many
revisions exist), and the diff into typed events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

from provreg.config.linking import link
from provreg.config.results import FileResult
from provreg.model import Diagnostic, ProviderInstance, Severity
from provreg.registry.events import (
    DiagnosticsChanged,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ReloadFailed,
    Source,
)
from provreg.registry.state import FileStatus, RegistryState
from provreg.storage.backend import StoredState


@dataclass
class LinkCache:
    """The last linking: per file, the result it was computed from and the ids it
    served; and the cross-file diagnostics. Lets a commit that changed only
    field values skip linking every instance again (O(all) -> O(changed file))."""

    effective: dict[str, FileResult] = field(default_factory=dict)
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cross: list[Diagnostic] = field(default_factory=list)


def _identity(result: FileResult) -> tuple[tuple[str, bool, str], ...]:
    """What linking depends on in a file: its instances' ids and names, in order."""
    return tuple(
        (instance.id, instance.id_derived, instance.name.strip().casefold())
        for instance in result.instances
    )


def _relink(
    effective: list[FileResult], previous: RegistryState, cache: LinkCache
) -> tuple[tuple[ProviderInstance, ...], list[Diagnostic]] | None:
    """Linking reused from `cache` when no file's ids or names changed, else None."""
    if [r.display for r in effective] != list(cache.effective):
        return None
    changed = {r.display for r in effective if r is not cache.effective[r.display]}
    if any(diag.file in changed for diag in cache.cross):
        return None  # its cross-file diagnostics carry line numbers that may have moved
    instances: list[ProviderInstance] = []
    structural = 0
    for result in effective:
        before = cache.effective[result.display]
        linked = cache.ids.get(result.display, ())
        if result is before:
            instances.extend(previous.instances[instance_id] for instance_id in linked)
            continue
        if _identity(result) != _identity(before) or len(linked) != len(result.instances):
            structural += 1
            if structural > 1 or cache.cross or not _clean_add_or_remove(result, before, previous):
                return None  # two files gaining entries could clash with each other
            # No cross-file findings anywhere (so every id is explicit and every name
            # unique), and this file only gained new, unique entries or lost some:
            # linking would keep every instance as it is.
            instances.extend(result.instances)
            continue
        for instance, instance_id in zip(result.instances, linked, strict=True):
            if instance.id != instance_id:  # a derived id made unique by linking
                instance = instance.model_copy(update={"id": instance_id})
            instances.append(instance)
    return tuple(instances), list(cache.cross)


def _clean_add_or_remove(result: FileResult, before: FileResult, previous: RegistryState) -> bool:
    """True when `result` is `before` with entries removed, or with new entries whose
    explicit ids and names no other instance has (what a create or delete does)."""
    now, then = _identity(result), _identity(before)
    if any(derived for _, derived, _ in now):
        return False
    then_set = set(then)
    gained = [entry for entry in now if entry not in then_set]
    if [entry for entry in now if entry in then_set] != [e for e in then if e in set(now)]:
        return False  # entries were reordered or edited in id/name
    if not gained:
        return True  # only removals
    taken_ids = set(previous.instances)
    taken_names = {i.name.strip().casefold() for i in previous.instances.values()}
    seen: set[str] = set()
    for instance_id, _, name in gained:
        if instance_id in taken_ids or name in taken_names or name in seen:
            return False
        seen.add(name)
    return len({entry[0] for entry in gained}) == len(gained)


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
    """
    effective: list[FileResult] = []
    drafts: dict[str, tuple[FileStatus | None, FileStatus]] = {}
    failed: list[ReloadFailed] = []
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
        status = FileStatus(
            display=result.display,
            path=result.path,
            ok=not errors,
            stale=stale,
            last_reload=old_status.last_reload if unchanged and old_status else now,
            last_error=_first_error(errors),
            instance_ids=(),  # filled in after linking, which can rename derived ids
            sha256=sha256,
        )
        drafts[result.display] = (old_status, status)
        if errors and not unchanged:
            failed.append(ReloadFailed(result.display, tuple(errors), source))
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
    relinked = None
    if link_cache is not None and not initial:
        try:
            relinked = _relink(effective, previous, link_cache)
        except KeyError:  # an id the previous state does not have: link in full
            relinked = None
    instances, cross = relinked if relinked is not None else link(effective)
    # Ids as the registry serves them: `link` makes derived ids unique
    # ('my-groq' -> 'my-groq-2') and drops duplicates of explicit ids.
    ids_by_file: dict[str, list[str]] = {}
    for instance in instances:
        ids_by_file.setdefault(instance.file, []).append(instance.id)
    if link_cache is not None:
        link_cache.effective = {result.display: result for result in effective}
        link_cache.ids = {display: tuple(ids) for display, ids in ids_by_file.items()}
        link_cache.cross = list(cross)
    files: dict[str, FileStatus] = {}
    for display, (old_status, draft) in drafts.items():
        status = replace(draft, instance_ids=tuple(ids_by_file.get(display, ())))
        # Share an unchanged file's status object too, like instances.
        files[display] = old_status if old_status is not None and old_status == status else status
    stale_ids = frozenset(
        instance.id
        for instance in instances
        if (file_status := files.get(instance.file)) is not None and file_status.stale
    )
    by_id: dict[str, ProviderInstance] = {}
    for instance in instances:
        old = previous.instances.get(instance.id)
        # Share unchanged instance objects with the previous state.
        by_id[instance.id] = (
            old if old is not None and (old is instance or old == instance) else instance
        )
    diagnostics: dict[str, list[Diagnostic]] = {r.display: list(r.diagnostics) for r in effective}
    for diag in cross:
        diagnostics.setdefault(diag.file, []).append(diag)
    frozen_diags = {
        file: _same_or(
            previous.diagnostics.get(file), tuple(sorted(diags, key=Diagnostic.sort_key))
        )
        for file, diags in diagnostics.items()
    }
    state = RegistryState(
        instances=MappingProxyType(by_id),
        diagnostics=MappingProxyType(frozen_diags),
        files=MappingProxyType(files),
        catalog=stored.catalog,
        conflicts=previous.conflicts,
        revision=previous.revision + 1,
        watch=previous.watch,
        stale_ids=stale_ids,
    )
    events: list[Event] = [] if initial else _diff(previous, state, source, written_id)
    changed_files = tuple(
        file
        for file in set(frozen_diags) | set(previous.diagnostics)
        if frozen_diags.get(file, ()) != previous.diagnostics.get(file, ())
    )
    if changed_files and not initial:
        events.append(DiagnosticsChanged(tuple(sorted(changed_files)), source))
    if not initial:
        events.extend(failed)
    return state, events


def _same_or(
    old: tuple[Diagnostic, ...] | None, new: tuple[Diagnostic, ...]
) -> tuple[Diagnostic, ...]:
    return old if old is not None and old == new else new


def _first_error(errors: list[Diagnostic]) -> str | None:
    if not errors:
        return None
    first = errors[0]
    return f"{first.line}:{first.column}: {first.message}"


def _diff(
    previous: RegistryState,
    state: RegistryState,
    source: Source,
    written_id: str | None = None,
) -> list[Event]:
    def source_of(instance_id: str) -> Source:
        return source if written_id is None or instance_id == written_id else "external"

    events: list[Event] = []
    for instance_id, instance in state.instances.items():
        old = previous.instances.get(instance_id)
        if old is None:
            events.append(InstanceAdded(instance, source_of(instance_id)))
        elif old is not instance and old != instance:
            changed = _changed_fields(old, instance)
            if changed:
                events.append(InstanceUpdated(instance, old, changed, source_of(instance_id)))
    for instance_id, old in previous.instances.items():
        if instance_id not in state.instances:
            events.append(InstanceRemoved(old, source_of(instance_id)))
    return events


def _changed_fields(old: ProviderInstance, new: ProviderInstance) -> tuple[str, ...]:
    changed = [
        key for key in ("name", "provider", "file") if getattr(old, key) != getattr(new, key)
    ]
    for key in sorted(set(old.values) | set(new.values)):
        if old.values.get(key) != new.values.get(key):
            changed.append(key)
    return tuple(changed)
