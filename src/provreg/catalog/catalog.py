"""Catalog lookups: built-in definitions merged with user ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

import yaml

from provreg.model import (
    FieldSpec,
    FieldType,
    ProbePagination,
    ProbeSpec,
    ProviderDefinition,
)


def builtin_entries() -> list[dict[str, Any]]:
    """The shipped definitions as `builtin.yaml` writes them (new objects each call)."""
    text = resources.files("provreg.catalog").joinpath("builtin.yaml").read_text("utf-8")
    entries: list[dict[str, Any]] = yaml.load(text, Loader=yaml.CSafeLoader)["definitions"]
    return entries


@cache
def builtin_definitions() -> tuple[ProviderDefinition, ...]:
    """The shipped definitions, read once per process from package data.

    Our own data, so built directly, without checking it: pydantic stays out
    of `provreg --check` (docs/architecture.md). The tests validate every entry
    with `provreg.definition_schema`, the rules a user's definition meets, and
    require the very object built here."""
    return tuple(_definition({**entry, "builtin": True}) for entry in builtin_entries())


def _definition(entry: dict[str, Any]) -> ProviderDefinition:
    """A `builtin.yaml` entry as the definition pydantic would make of it: lists
    as tuples, types as `FieldType`, bounds as floats."""
    values = dict(entry)
    if "models" in values:
        values["models"] = tuple(values["models"])
    if "fields" in values:
        values["fields"] = tuple(_field(spec) for spec in values["fields"])
    if values.get("probe") is not None:
        probe = dict(values["probe"])
        if probe.get("pagination") is not None:
            probe["pagination"] = ProbePagination(**probe["pagination"])
        values["probe"] = ProbeSpec(**probe)
    return ProviderDefinition(**values)


def _field(spec: dict[str, Any]) -> FieldSpec:
    values = dict(spec)
    if "type" in values:
        values["type"] = FieldType(values["type"])
    for bound in ("min", "max"):
        if values.get(bound) is not None:
            values[bound] = float(values[bound])
    if values.get("choices") is not None:
        values["choices"] = tuple(values["choices"])
    return FieldSpec(**values)


@cache
def builtin_catalog() -> Catalog:
    return Catalog(builtin_definitions())


class Catalog:
    """An ordered, read-only set of provider definitions keyed by id."""

    def __init__(self, definitions: Iterable[ProviderDefinition]) -> None:
        self._by_id: dict[str, ProviderDefinition] = {}
        for definition in definitions:
            self._by_id.setdefault(definition.id, definition)

    def with_definitions(self, extra: Iterable[ProviderDefinition]) -> Catalog:
        """A new catalog with `extra` added (existing ids win)."""
        return Catalog([*self._by_id.values(), *extra])

    def get(self, provider_id: str) -> ProviderDefinition | None:
        return self._by_id.get(provider_id)

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._by_id

    def __iter__(self) -> Iterator[ProviderDefinition]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        return list(self._by_id)

    def suggest(self, provider_id: str) -> str | None:
        """The closest known id, for "did you mean" hints."""
        return did_you_mean(provider_id, self._by_id)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Closest candidate to a misspelt word, or None when nothing is close."""
    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
