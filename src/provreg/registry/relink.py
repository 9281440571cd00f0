"""Linking across files, kept up to date file by file.

Owns: the last linking of every file (the instances the registry serves from
it, with derived ids made unique, and its cross-file diagnostics), indexes of
the ids and names each file claims, and relinking only the files a commit
changed plus the files that share an id or a name with them. The outcome is
the one `config.linking.link` gives over all files (tests compare the two);
only the work is proportional to the files concerned, not to the registry.

Why relinking a few files is exact: `link` decides an instance's fate from the
other instances with the same explicit id, the same name (among the instances
it keeps), and, for an id derived from the name, the ids it tries on the way to
a free one (`base`, `base-2`, ...). Those are the keys a file claims. A file
that shares no key, before or after, with the changed files links exactly as
before; the changed files, closed over shared keys, link among themselves as
they would among all files. Imports only config and model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from provreg.config.linking import link
from provreg.config.results import FileResult
from provreg.model import Diagnostic, ProviderInstance


def name_key(name: str) -> str:
    """Names are unique ignoring case and surrounding spaces (as `link` compares them)."""
    return name.strip().casefold()


class _Claims:
    """Which files claim each key, a file once per claim. A key claimed once
    (nearly all of them) maps to the file's display string itself, so the index
    costs a dict entry per key and no container."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[str, str | tuple[str, ...]] = {}

    def count(self, key: str) -> int:
        claimed = self._by_key.get(key)
        if claimed is None:
            return 0
        return 1 if isinstance(claimed, str) else len(claimed)

    def files(self, key: str) -> tuple[str, ...]:
        claimed = self._by_key.get(key)
        if claimed is None:
            return ()
        return (claimed,) if isinstance(claimed, str) else claimed

    def add(self, keys: Iterable[str], file: str) -> None:
        by_key = self._by_key
        for key in keys:
            claimed = by_key.get(key)
            if claimed is None:
                by_key[key] = file
            elif isinstance(claimed, str):
                by_key[key] = (claimed, file)
            else:
                by_key[key] = (*claimed, file)

    def remove(self, keys: Iterable[str], file: str) -> None:
        by_key = self._by_key
        for key in keys:
            claimed = by_key[key]
            if isinstance(claimed, str):
                del by_key[key]
                continue
            rest = list(claimed)
            rest.remove(file)
            by_key[key] = rest[0] if len(rest) == 1 else tuple(rest)


@dataclass(frozen=True, slots=True)
class LinkedFile:
    """One file as last linked."""

    instances: tuple[ProviderInstance, ...]
    """The file's instances that were linked (its last good ones when stale)."""
    served: tuple[ProviderInstance, ...]
    """What the registry serves from it: duplicates of explicit ids dropped,
    derived ids made unique, objects shared with the previous state."""
    ids: tuple[str, ...]
    """Ids of `served`, in order."""
    cross: tuple[Diagnostic, ...]
    """Cross-file diagnostics about this file's instances, in `link`'s order."""
    id_keys: tuple[str, ...]
    """Ids it claims: explicit ids (kept or not) and every id a derived one tried."""
    name_keys: tuple[str, ...]
    """Names (as `name_key`) of the served instances."""


@dataclass(frozen=True, slots=True)
class Relinked:
    """What one relink changed."""

    full: bool
    """Every file was linked again (no usable previous linking)."""
    files: tuple[str, ...]
    """Files linked again that exist now, in registry order."""
    before: tuple[LinkedFile, ...] = ()
    """The previous linking of the files linked again (and of removed files),
    in the previous registry order; empty when `full`."""
    added_ids: bool = True
    """Some file linked again serves an id it did not serve before, or in
    another order (so the registry's order of ids cannot be patched)."""


@dataclass
class LinkCache:
    """The last linking of every file, in registry order, and key indexes over it.

    Belongs to one registry and is updated on each of its commits.
    """

    files: dict[str, LinkedFile] = field(default_factory=dict)
    published: Mapping[str, ProviderInstance] | None = None
    """The `instances` mapping of the state built from this linking."""
    served_by_id: dict[str, ProviderInstance] = field(default_factory=dict)
    """The dict behind `published` (copied when a commit only patches it)."""
    sorted_from: dict[str, tuple[Sequence[Diagnostic], Sequence[Diagnostic]]] = field(
        default_factory=dict
    )
    """Per file, the own and cross-file diagnostics its state's sorted tuple was
    built from (the assembly reuses the tuple while both are the same objects)."""
    _ids: _Claims = field(default_factory=_Claims)
    _names: _Claims = field(default_factory=_Claims)

    def serving_name(self, key: str) -> int:
        """How many served instances have this name (`name_key`)."""
        return self._names.count(key)

    def relink(
        self,
        effective: Sequence[FileResult],
        previous: Mapping[str, ProviderInstance],
        *,
        full: bool = False,
    ) -> Relinked | None:
        """Link `effective` (every file, in registry order), reusing the previous
        linking for the files that share no id or name with the changed ones.

        `previous`: the instances of the state being replaced; unchanged
        instance objects are shared with it. Linking starts over when it is not
        the mapping this cache last published, or when `full`. None when some
        instance's `file` is not the display path of the result holding it
        (no backend does that): the caller then links the flat way.
        """
        if full or self.published is None or previous is not self.published:
            return self._link_all(effective, previous)
        now = {result.display: result for result in effective}
        changed = [
            display
            for display, result in now.items()
            if (before := self.files.get(display)) is None
            or before.instances is not result.instances
        ]
        changed.extend(display for display in self.files if display not in now)
        if not changed:
            return Relinked(False, (), (), added_ids=False)
        closure: set[str] = set()
        pending = changed
        while True:
            self._close_over(pending, closure, now)
            linked = _link_by_file([result for result in effective if result.display in closure])
            if linked is None:
                return self._link_all(effective, previous)
            # A derived id may have tried ids that files outside the closure claim.
            pending = [
                file
                for _, _, id_keys in linked.values()
                for key in id_keys
                for file in self._ids.files(key)
                if file not in closure
            ]
            if not pending:
                return self._splice(effective, previous, closure, linked)

    # ------------------------------------------------------------------ internals

    def _close_over(
        self, pending: list[str], closure: set[str], now: Mapping[str, FileResult]
    ) -> None:
        """Add `pending` to `closure`, then every file claiming a key they claim
        (before or now), until no file outside claims one."""
        while pending:
            display = pending.pop()
            if display in closure:
                continue
            closure.add(display)
            keys_of_ids: list[Iterable[str]] = []
            keys_of_names: list[Iterable[str]] = []
            before = self.files.get(display)
            if before is not None:
                keys_of_ids.append(before.id_keys)
                keys_of_names.append(before.name_keys)
            result = now.get(display)
            if result is not None:
                # Before linking, a derived id's base stands for the ids it will try;
                # `relink` checks those after linking. Every name counts: an instance
                # dropped for a duplicate id may be kept once the duplicate is gone.
                keys_of_ids.append([instance.id for instance in result.instances])
                keys_of_names.append([name_key(instance.name) for instance in result.instances])
            for claims, key_sets in ((self._ids, keys_of_ids), (self._names, keys_of_names)):
                for keys in key_sets:
                    for key in keys:
                        for file in claims.files(key):
                            if file not in closure:
                                pending.append(file)

    def _splice(
        self,
        effective: Sequence[FileResult],
        previous: Mapping[str, ProviderInstance],
        closure: set[str],
        linked: dict[str, _FileLinking],
    ) -> Relinked:
        before = tuple(
            linked_file for display, linked_file in self.files.items() if display in closure
        )
        for display, old in self.files.items():
            if display in closure:
                self._ids.remove(old.id_keys, display)
                self._names.remove(old.name_keys, display)
        files: dict[str, LinkedFile] = {}
        relinked: list[str] = []
        added_ids = False
        for result in effective:
            display = result.display
            if display not in closure:
                files[display] = self.files[display]
                continue
            new = _linked_file(result, linked[display], previous)
            self._ids.add(new.id_keys, display)
            self._names.add(new.name_keys, display)
            old_file = self.files.get(display)
            if not added_ids and not _is_subsequence(
                new.ids, old_file.ids if old_file is not None else ()
            ):
                added_ids = True
            files[display] = new
            relinked.append(display)
        self.files = files
        return Relinked(False, tuple(relinked), before, added_ids)

    def _link_all(
        self, effective: Sequence[FileResult], previous: Mapping[str, ProviderInstance]
    ) -> Relinked | None:
        self._ids = _Claims()
        self._names = _Claims()
        self.files = {}
        self.published = None
        self.served_by_id = {}
        linked = _link_by_file(effective)
        if linked is None:
            return None
        for result in effective:
            new = _linked_file(result, linked[result.display], previous)
            self._ids.add(new.id_keys, result.display)
            self._names.add(new.name_keys, result.display)
            self.files[result.display] = new
        return Relinked(True, tuple(self.files))


# Served instances, cross-file diagnostics and claimed ids of one file.
_FileLinking = tuple[list[ProviderInstance], list[Diagnostic], list[str]]


def _linked_file(
    result: FileResult, linking: _FileLinking, previous: Mapping[str, ProviderInstance]
) -> LinkedFile:
    served, cross, id_keys = linking
    shared = []
    for instance in served:
        old = previous.get(instance.id)
        # Share unchanged instance objects with the previous state.
        shared.append(old if old is not None and (old is instance or old == instance) else instance)
    return LinkedFile(
        instances=result.instances,
        served=tuple(shared),
        ids=tuple(instance.id for instance in shared),
        cross=tuple(cross),
        id_keys=tuple(id_keys),
        name_keys=tuple(name_key(instance.name) for instance in shared),
    )


def _link_by_file(results: Sequence[FileResult]) -> dict[str, _FileLinking] | None:
    """`link` over these files, split by file. None when an instance's `file`
    is not the display path of its result (the split would not be by result)."""
    for result in results:
        display = result.display
        if any(instance.file != display for instance in result.instances):
            return None
    instances, cross = link(results)
    by_file: dict[str, _FileLinking] = {result.display: ([], [], []) for result in results}
    for instance in instances:
        by_file[instance.file][0].append(instance)
    for diag in cross:  # always about an instance of `results` (its `file`)
        by_file[diag.file][1].append(diag)
    # `unique_id` tries at most one id more than there are ids taken.
    most_tried = sum(len(result.instances) for result in results) + 1
    for result in results:
        served, _, id_keys = by_file[result.display]
        claimed = _id_keys(result.instances, served, most_tried)
        if claimed is None:
            return None
        id_keys.extend(claimed)
    return by_file


def _id_keys(
    instances: Sequence[ProviderInstance], served: Sequence[ProviderInstance], most_tried: int
) -> list[str] | None:
    """The ids a file claims: every explicit id, and for each derived id every
    id `unique_id` tried, from the base to the one it got. None if a derived id
    is not where `tried_ids` leads (`unique_id` would then have changed)."""
    derived_served = iter([instance for instance in served if instance.id_derived])
    claimed: list[str] = []
    for instance in instances:
        if not instance.id_derived:
            claimed.append(instance.id)
            continue
        final = next(derived_served).id
        for count, tried in enumerate(tried_ids(instance.id), 1):
            claimed.append(tried)
            if tried == final:
                break
            if count >= most_tried:
                return None
    return claimed


def tried_ids(base: str) -> Iterator[str]:
    """`base`, `base-2`, `base-3`, ...: the ids `config.ids.unique_id` tries, in
    order (a test holds the two together)."""
    yield base
    counter = 2
    while True:
        suffix = f"-{counter}"
        yield base[: 63 - len(suffix)] + suffix
        counter += 1


def _is_subsequence(items: Sequence[str], of: Sequence[str]) -> bool:
    """True when `items` are some of `of`, in the same order."""
    if items == of:
        return True
    remaining = iter(of)
    return all(item in remaining for item in items)
