"""Checks across files: the linking rules, and `link`, which applies them to all files.

Owns: the one description of how instances from many files become the
registry. Two linkers follow it: `link` here (all files at once: `--check`,
the first load) and `provreg.registry.relink` (only the files a commit
concerns). A test compares the two.
May import: `provreg.model`, `provreg.config.codes`, `provreg.config.ids`,
`provreg.config.read.results`, `provreg.config.read.yaml_source`.

The rules, in load order (files in registry order, entries in file order):
1. Explicit ids first. The first declaration of an explicit id wins; every
   later one is a duplicate (reported at both declarations) and is not served.
2. Then derived ids (no `id:`, slug of the name): each gets the first of
   `ids.tried_ids(base)` (`base`, `base-2`, ...) not taken by any explicit id
   nor by an earlier derived id. Its `id` before linking is that base.
3. Names are unique by `name_key` (case and surrounding spaces ignored) among
   the served instances: the first keeps the name, later ones are reported and
   still served. An instance dropped for a duplicate id claims no name.

What may contend, so what an incremental linker must relink together: every
id claims keys by role (`id_claim_keys`): an explicit id meets only the same
explicit id (rule 1); a derived id meets every id its tries may hit, that is
every id of its base's family (`id_family`), explicit (rule 2) or derived
(two bases whose tries meet); `contending_keys` says which keys meet. Names
meet by `name_key` (rule 3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from provreg.config import codes
from provreg.config.ids import ID_MAX_LENGTH, unique_id
from provreg.config.read.results import FileResult
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance


def name_key(name: str) -> str:
    """Names are unique ignoring case and surrounding spaces (rule 3)."""
    return name.strip().casefold()


FAMILY_LENGTH = 50
"""Ids are cut to this many characters in family keys. `tried_ids` cuts a base
to make room for its suffix (`base[:61] + "-2"`), keeping at least 50
characters for any suffix up to 13 characters, so every id it tries keeps the
base's first 50."""
assert ID_MAX_LENGTH - len("-") - 12 >= FAMILY_LENGTH

_NUMBERED = re.compile(r"(.+)-(?:[2-9]|[1-9][0-9])")
"""An id `tried_ids` may give a base `x`: `x-2` ... `x-99` (never `-0`, `-1`,
`-07`). Families join `x-N` to `x` only up to `x-99`: beyond, every `x-N` id
up to the thousands would be a possible try of `x`, joining unrelated ids
(`team-1207`, `team-1300`) into one family. A derived id that links beyond
`base-99` fails `in_base_family` (its own family no longer holds its base),
so an incremental linker must then link everything. A base of 50 characters
or more needs no stem: every try keeps its first 50."""


def id_family(instance_id: str) -> tuple[str, ...]:
    """The keys under which `instance_id` meets every id it may contend with:
    its first `FAMILY_LENGTH` characters and, for `x-N`, those of `x` (a base
    whose derived ids try `x-N`). Two ids that could ever be the same id, or one
    a try of the other's base, share a key; unrelated ids rarely do (sharing one
    only makes a relink larger, never wrong)."""
    head = instance_id[:FAMILY_LENGTH]
    numbered = _NUMBERED.fullmatch(instance_id)
    if numbered is None:
        return (head,)
    stem = numbered.group(1)[:FAMILY_LENGTH]
    return (head,) if stem == head else (head, stem)


def in_base_family(base: str, linked_id: str) -> bool:
    """True when the id linking gave a derived id is in its base's family, so
    the keys of the base covered it (false only past `base-99`)."""
    return base[:FAMILY_LENGTH] in id_family(linked_id)


def id_claim_keys(instances: Sequence[ProviderInstance]) -> list[str]:
    """The id keys instances claim (before linking), tagged by role: `=x` for
    an explicit id, `e` + each key of its family, `d` + each key of a derived
    id's family (by its base). See `contending_keys` for which roles meet."""
    keys: list[str] = []
    for instance in instances:
        family = id_family(instance.id)
        if instance.id_derived:
            keys.extend(f"d{key}" for key in family)
        else:
            keys.append(f"={instance.id}")
            keys.extend(f"e{key}" for key in family)
    return keys


def contending_keys(key: str) -> tuple[str, ...]:
    """The keys of the claims that can contend with this one: two explicit ids
    when equal (rule 1); an explicit id and a derived one when the derived one
    may try it (same family, rule 2); two derived ids when their tries may meet
    (same family). Two explicit ids of one family (`gpt-4`, `gpt-5`) never
    contend."""
    role, rest = key[0], key[1:]
    if role == "=":
        return (key,)
    if role == "e":
        return (f"d{rest}",)
    return (key, f"e{rest}")


def link(results: Sequence[FileResult]) -> tuple[tuple[ProviderInstance, ...], list[Diagnostic]]:
    """Apply the linking rules to `results` (every file, in load order).

    Returns the instances that make up the registry (first declaration of an
    id wins) and the cross-file diagnostics.
    """
    diagnostics: list[Diagnostic] = []
    explicit: dict[str, ProviderInstance] = {}
    for result in results:
        for instance in result.instances:
            if instance.id_derived:
                continue
            first = explicit.get(instance.id)
            if first is None:
                explicit[instance.id] = instance
                continue
            for here, there in ((instance, first), (first, instance)):
                diagnostics.append(
                    diagnostic(
                        codes.DUPLICATE_ID,
                        here.file,
                        here.line,
                        here.column,
                        f"id '{here.id}' is also used at {there.file}:{there.line}",
                        hint="ids must be unique across all config files",
                        instance_id=here.id,
                    )
                )
    taken = set(explicit)
    accepted: list[ProviderInstance] = []
    names: dict[str, ProviderInstance] = {}
    for result in results:
        for instance in result.instances:
            if instance.id_derived:
                derived = unique_id(instance.id, taken)
                if derived != instance.id:
                    instance = instance.model_copy(update={"id": derived})
                diagnostics.append(
                    diagnostic(
                        codes.DERIVED_ID,
                        instance.file,
                        instance.line,
                        instance.column,
                        f"no 'id'; using '{instance.id}' derived from the name",
                        hint=f"add `id: {instance.id}` to keep it stable if the name changes",
                        instance_id=instance.id,
                    )
                )
                taken.add(instance.id)
            elif explicit.get(instance.id) is not instance:
                continue  # a duplicate id: reported above, first one wins
            key = name_key(instance.name)
            first_named = names.get(key)
            if first_named is not None:
                diagnostics.append(
                    diagnostic(
                        codes.DUPLICATE_NAME,
                        instance.file,
                        instance.line,
                        instance.column,
                        f"name '{instance.name}' is also used by '{first_named.id}' at "
                        f"{first_named.file}:{first_named.line}",
                        hint="names are compared ignoring case and surrounding spaces",
                        instance_id=instance.id,
                    )
                )
            else:
                names[key] = instance
            accepted.append(instance)
    return tuple(accepted), diagnostics
