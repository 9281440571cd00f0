"""Claiming an id or a name for a write: checked against the registry as it is
on disk, under the registry-wide claim lock (`StorageBackend.claim`).

Owns: which ids count as taken (served ones, ones retired in this run, ones
declared in files with errors), choosing a derived id, and refusing taken ids
and names with a message that says where they are.
May import: `provreg.config.ids`, `provreg.config.read.linking` (`name_key`), the
registry's state, errors and linking.
"""

from __future__ import annotations

from collections.abc import Mapping

from provreg.config.ids import slugify, unique_id
from provreg.config.read.linking import name_key
from provreg.model import ProviderInstance
from provreg.registry.errors import ConflictError, DuplicateIdError, DuplicateNameError
from provreg.registry.relink import LinkCache
from provreg.registry.state import RegistryState


class TakenIds:
    """Membership in the union of the id sets, without building the union
    (a large registry would copy every id on each create)."""

    def __init__(
        self,
        served: Mapping[str, ProviderInstance],
        retired: set[str],
        declared: Mapping[str, str],
    ) -> None:
        self._served = served
        self._retired = retired
        self._declared = declared

    def __contains__(self, candidate: object) -> bool:
        return (
            candidate in self._served or candidate in self._retired or candidate in self._declared
        )


def new_id(
    state: RegistryState,
    name: str,
    wanted: str | None,
    *,
    retired: set[str],
    declared: Mapping[str, str],
) -> str:
    """The id for a new instance: `wanted` when free, else refused; without one,
    a slug of the name made unique against every id taken (an id once served
    in this run stays retired: a new instance must not inherit a deleted one's
    keyring entries).

    Raises:
        DuplicateIdError: `wanted` is served, or declared in a file with errors.
    """
    if wanted is None:
        return unique_id(slugify(name), TakenIds(state.instances, retired, declared))
    _check_id_free(state, wanted, declared)
    return wanted


def _check_id_free(state: RegistryState, wanted: str, declared: Mapping[str, str]) -> None:
    """Refuse an id an instance has, or a file with errors declares.

    Raises:
        DuplicateIdError
    """
    if wanted in state.instances:
        raise DuplicateIdError(wanted)
    if wanted in declared:
        raise DuplicateIdError(wanted, declared[wanted])


def check_name_free(
    state: RegistryState, name: str, own_id: str | None, link_cache: LinkCache
) -> None:
    """Refuse a name another instance has (ignoring case and surrounding spaces).

    Raises:
        DuplicateNameError
    """
    key = name_key(name)
    if link_cache.published is state.instances:
        # The linking's name index covers exactly these instances: walk them
        # only when some instance other than `own_id` has the name.
        others = link_cache.serving_name(key)
        own = state.instances.get(own_id) if own_id is not None else None
        if own is not None and name_key(own.name) == key:
            others -= 1
        if others <= 0:
            return
    for instance in state.instances.values():
        if instance.id != own_id and name_key(instance.name) == key:
            raise DuplicateNameError(name, instance.id)


def check_same_instance(state: RegistryState, known: ProviderInstance) -> None:
    """Refuse to write over an instance changed on disk since the caller read it
    (a claim re-reads its file, so the write itself could no longer tell)."""
    now = state.instances.get(known.id)
    if now is None:
        raise ConflictError(known.id, known.file, "was removed meanwhile")
    if (now.file, now.name, now.provider, now.values) != (
        known.file,
        known.name,
        known.provider,
        known.values,
    ):
        raise ConflictError(known.id, known.file, "was changed meanwhile")
