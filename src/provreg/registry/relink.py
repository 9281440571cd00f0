"""Linking across files, kept up to date file by file.

Owns: the last linking of every file (the instances the registry serves from
it, with derived ids made unique, and its cross-file diagnostics), indexes of
the ids and names each file claims, and relinking only the files a commit
changed plus the files that share an id or a name with them. The outcome is
the one `config.read.linking.link` gives over all files (tests compare the two);
only the work is proportional to the files concerned, not to the registry.

Why relinking a few files is exact: the linking rules (`config.read.linking`,
the one description both linkers follow) decide an instance's fate from the
other instances with the same explicit id, the same name (among the instances
kept), and, for an id derived from the name, the ids it tries on the way to a
free one (`ids.tried_ids`). A file claims the keys the rules give
(`id_claim_keys`: each id's *family*, under which an id meets every id it
could contend with, `x-3` meets `x` whose derived ids try `x-3`; and
`name_key`), and follows the keys that contend with them (`contending_keys`).
A file that shares no key, before or after, with the changed files links
exactly as before; the
changed files, closed over shared keys, link among themselves as they would
among all files. Claiming families rather than every id tried keeps the index
linear when many files derive ids from one base (80 files with an entry named
"OpenAI" and no id try `openai` ... `openai-80`: 3,240 claims the other way).
May import: `provreg.config` (`codes`, `read.linking`, `read.results`), `provreg.model`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from provreg.config import codes
from provreg.config.read.linking import (
    contending_keys,
    id_claim_keys,
    in_base_family,
    link,
    name_key,
)
from provreg.config.read.results import FileResult
from provreg.model import Diagnostic, ProviderInstance


class _Claims:
    """Which files claim each key, a file once per claim. A key claimed once
    (nearly all of them) maps to the file's display string itself, so the index
    costs a dict entry per key and no container; a key claimed more than once
    maps to a list changed in place (a derived-id base shared by many files is
    claimed by each of them, and rebuilding a tuple per claim was quadratic)."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[str, str | list[str]] = {}

    def count(self, key: str) -> int:
        claimed = self._by_key.get(key)
        if claimed is None:
            return 0
        return 1 if isinstance(claimed, str) else len(claimed)

    def files(self, key: str) -> Sequence[str]:
        """The files claiming `key` (read it before the next add or remove)."""
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
                by_key[key] = [claimed, file]
            else:
                claimed.append(file)

    def remove(self, keys: Iterable[str], file: str) -> None:
        by_key = self._by_key
        for key in keys:
            claimed = by_key[key]
            if isinstance(claimed, str):
                del by_key[key]
                continue
            claimed.remove(file)
            if len(claimed) == 1:
                by_key[key] = claimed[0]


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
    """Keys it claims for ids (`id_claim_keys`): every explicit id (kept or not),
    and the family of every id, explicit or derived (by its base)."""
    name_keys: tuple[str, ...]
    """Names (as `name_key`) of the served instances."""
    sources: tuple[int, ...] | None = None
    """Index in `instances` of each served instance (None: not known)."""


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
    swapped: tuple[ProviderInstance, ...] | None = None
    """When not None, all the relink changed: these served objects replace
    the ones served under their ids (`LinkCache._relink_in_place`)."""
    touched: tuple[ProviderInstance, ...] = ()
    """Of `swapped`, those that may differ in more than their line (the others
    are the same instance, moved by an edit above it: no event)."""


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
        same_links = self._relink_in_place(changed, now, previous)
        if same_links is not None:
            return same_links
        closure: set[str] = set()
        # The keys of a file as it is now are the keys it will claim once linked
        # (a derived id's family covers every id linking may give it), so one
        # closure is enough.
        self._close_over(changed, closure, now)
        linked = _link_by_file(
            [result for result in effective if result.display in closure], self.files
        )
        if linked is None:
            return self._link_all(effective, previous)
        return self._splice(effective, previous, closure, linked)

    # ------------------------------------------------------------------ internals

    def _close_over(
        self, pending: list[str], closure: set[str], now: Mapping[str, FileResult]
    ) -> None:
        """Add `pending` to `closure`, then every file claiming a key they claim
        (before or now), until no file outside claims one.

        Each key is followed once and each file queued once: with a derived-id
        base shared by many files, every file claims the same keys, and
        following them again per file made this quadratic in those files."""
        followed: tuple[set[str], set[str]] = (set(), set())
        queued = set(pending)
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
                # A derived id's base is its `id` before linking, and its family
                # covers every id it will try (an unchanged file's keys are those
                # it claims already). Every name counts: an instance dropped for a
                # duplicate id may be kept once the duplicate is gone.
                if before is None or result.instances is not before.instances:
                    keys_of_ids.append(id_claim_keys(result.instances))
                keys_of_names.append([name_key(instance.name) for instance in result.instances])
            for claims, key_sets, seen in (
                (self._ids, keys_of_ids, followed[0]),
                (self._names, keys_of_names, followed[1]),
            ):
                for keys in key_sets:
                    for key in keys:
                        for wanted in contending_keys(key) if claims is self._ids else (key,):
                            if wanted in seen:
                                continue
                            seen.add(wanted)
                            for file in claims.files(wanted):
                                if file not in closure and file not in queued:
                                    queued.add(file)
                                    pending.append(file)

    def _relink_in_place(
        self,
        changed: Sequence[str],
        now: Mapping[str, FileResult],
        previous: Mapping[str, ProviderInstance],
    ) -> Relinked | None:
        """The relink of files whose instances changed only in what linking does
        not decide by (a field's value, a model list, the line below an edit
        that added one), or whose derived id was written into the file as is
        (`_pinned`), each at the same place in the file's order.

        Linking decides from each instance's link key (its id, whether derived,
        name, file and column: `config.read.linking.link` quotes its line only
        in diagnostics) and the order alone (which instance is served, under
        which id, which cross-file diagnostic it gets), so every file links as
        before: the claims, ids and diagnostics stay, and only
        the served objects of the changed instances are the new ones, and the
        diagnostics at moved instances move with them. A pinned id links as
        before too: no explicit id was the same (derived ids avoid them), no
        instance before it in the linking order tried it (it would have taken
        it, being free then), and every one after it found it taken, as now;
        only its own derived-id diagnostic (I215) goes, and its claims are
        those of an explicit id. The work is that of the changed instances,
        whatever the ids and names they share with other files. None when some
        change is of another kind, or when a diagnostic quotes the line of an
        instance that moved (`_quotes_below`).
        """
        # One pass over each changed file, and nothing of this cache changed
        # until every file is shown to link as before (then `planned` and
        # `claims` are applied). The pass is per changed instance, and an edit
        # that adds a line changes every one below it: the checks are inline
        # (the link key and the places as calls, and a tuple per instance,
        # were half of this time at 5,000 instances a file), and the places
        # are only gathered for a file with cross-file diagnostics.
        planned: dict[str, LinkedFile] = {}
        claims: list[tuple[list[str], list[str], str]] = []
        swapped: list[ProviderInstance] = []
        touched: list[ProviderInstance] = []
        for display in changed:
            before, result = self.files.get(display), now.get(display)
            if before is None or result is None or before.sources is None:
                return None
            if len(before.instances) != len(result.instances):
                return None
            sources = before.sources
            served = list(before.served)
            id_keys: list[str] | None = None
            pinned: set[tuple[int, int]] = set()
            with_cross = bool(before.cross)  # (its diagnostics are at their instances' places)
            lines: dict[tuple[int, int], int] = {}
            first_moved: int | None = None
            for index, (old, new) in enumerate(
                zip(before.instances, result.instances, strict=True)
            ):
                if old is new:
                    continue
                at = bisect_left(sources, index)
                if at == len(sources) or sources[at] != index:
                    at = -1  # not served (a duplicate id): it stays so
                if (
                    old.id != new.id
                    or old.name != new.name
                    or old.column != new.column
                    or old.id_derived != new.id_derived
                    or old.file != new.file
                ) and not (at >= 0 and _pinned(old, new, before.served[at].id)):
                    return None  # (the link key changed)
                if old.line != new.line:
                    if first_moved is None or old.line < first_moved:
                        first_moved = old.line
                    if with_cross:
                        lines[(old.line, old.column)] = new.line
                if at < 0:
                    continue
                # As `link` serves it: under the id linking gave (a derived id
                # made unique), shared with the previous state when equal.
                if new.id != served[at].id:
                    new = new.model_copy(update={"id": served[at].id})
                kept = previous.get(new.id)
                # (Objects at another line are not equal: no need to compare them.)
                if kept is not None and kept.line == new.line and kept == new:
                    new = kept
                served[at] = new
                swapped.append(new)
                if not (  # moved only: a copy sharing its values, at another line
                    old.values is new.values
                    and old.id == new.id
                    and old.name == new.name
                    and old.provider == new.provider
                    and old.file == new.file
                ):
                    touched.append(new)
                if old.id_derived != new.id_derived:
                    old_keys, new_keys = id_claim_keys([old]), id_claim_keys([new])
                    if id_keys is None:
                        id_keys = list(before.id_keys)
                    for key in old_keys:
                        id_keys.remove(key)
                    id_keys.extend(new_keys)
                    claims.append((old_keys, new_keys, display))
                    pinned.add(_place(old))
            if first_moved is not None and (
                self._quotes_below(display, first_moved)
                or (
                    with_cross
                    and len({_place(old) for old in before.instances}) != len(before.instances)
                )
            ):
                return None  # a quoted line, or places that do not tell instances apart
            cross = before.cross
            if lines or pinned:  # a cross-file diagnostic is at the place of its instance
                cross = tuple(
                    d.model_copy(update={"line": lines[(d.line, d.column)]})
                    if (d.line, d.column) in lines
                    else d
                    for d in cross
                    if not (d.code == codes.DERIVED_ID.code and (d.line, d.column) in pinned)
                )
            planned[display] = replace(
                before,
                instances=result.instances,
                served=tuple(served),
                cross=cross,
                id_keys=tuple(id_keys) if id_keys is not None else before.id_keys,
            )
        before_files = tuple(self.files[display] for display in self.files if display in planned)
        for old_keys, new_keys, display in claims:
            self._ids.remove(old_keys, display)
            self._ids.add(new_keys, display)
        self.files.update(planned)
        files = tuple(display for display in self.files if display in planned)
        return Relinked(
            False,
            files,
            before_files,
            added_ids=False,
            swapped=tuple(swapped),
            touched=tuple(touched),
        )

    def _quotes_below(self, display: str, line: int) -> bool:
        """Whether a cross-file diagnostic quotes a place in this file from `line`
        on (`link` writes `at file:line` of the other declaration of a duplicate
        id or name)."""
        quoting = (codes.DUPLICATE_ID.code, codes.DUPLICATE_NAME.code)
        where = re.compile(r"at " + re.escape(display) + r":(\d+)")
        return any(
            int(found.group(1)) >= line
            for linked in self.files.values()
            for d in linked.cross
            if d.code in quoting
            for found in where.finditer(d.message)
        )

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
    sources = _sources(result.instances, served)
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
        sources=sources,
    )


def _sources(
    instances: Sequence[ProviderInstance], served: Sequence[ProviderInstance]
) -> tuple[int, ...] | None:
    """Index in `instances` of each of `served` (as `link` gave them, in order):
    `link` serves every instance with a derived id (a copy when it changes the
    id) and an instance with an explicit id itself, or not at all. None when
    `served` is not such a subsequence."""
    found: list[int] = []
    for index, instance in enumerate(instances):
        if len(found) == len(served):
            break
        candidate = served[len(found)]
        if candidate is instance or (instance.id_derived and candidate.id_derived):
            found.append(index)
    return tuple(found) if len(found) == len(served) else None


def _link_by_file(
    results: Sequence[FileResult], known: Mapping[str, LinkedFile] | None = None
) -> dict[str, _FileLinking] | None:
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
    for result in results:
        served, _, id_keys = by_file[result.display]
        if not _derived_ids_in_family(result.instances, served):
            return None
        last = known.get(result.display) if known is not None else None
        # Id keys depend on the instances alone: reuse them for an unchanged file.
        if last is not None and last.instances is result.instances:
            id_keys.extend(last.id_keys)
        else:
            id_keys.extend(id_claim_keys(result.instances))
    return by_file


def _derived_ids_in_family(
    instances: Sequence[ProviderInstance], served: Sequence[ProviderInstance]
) -> bool:
    """True when every derived id linking gave is in its base's family
    (`in_base_family`); otherwise the keys claimed did not cover what it tried
    (past `base-99`), so the caller links the flat way."""
    derived_served = iter([instance for instance in served if instance.id_derived])
    for instance in instances:
        if not instance.id_derived:
            continue
        final = next(derived_served, None)
        if final is None:
            return False
        if not in_base_family(instance.id, final.id):
            return False
    return True


def _pinned(old: ProviderInstance, new: ProviderInstance, served_id: str) -> bool:
    """Whether `new` is `old` with the id linking gave it written into its file."""
    return (
        old.id_derived
        and not new.id_derived
        and new.id == served_id
        and (old.name, old.file, old.column) == (new.name, new.file, new.column)
    )


def _place(instance: ProviderInstance) -> tuple[int, int]:
    return instance.line, instance.column


def _is_subsequence(items: Sequence[str], of: Sequence[str]) -> bool:
    """True when `items` are some of `of`, in the same order."""
    if items == of:
        return True
    remaining = iter(of)
    return all(item in remaining for item in items)
