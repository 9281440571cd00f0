"""Catalog lookups: built-in definitions merged with user ones."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from provreg.model import (
    FieldSpec,
    FieldType,
    ProbePagination,
    ProbeSpec,
    ProviderDefinition,
)


def builtin_entries() -> list[dict[str, Any]]:
    """The shipped definitions as `builtin.yaml` writes them (new objects each call).

    Read from `builtin.json`, the same data (a test holds them equal and says
    how to write it again): parsing the YAML took ~5 ms of every start, the
    JSON 0.1 ms. Read as a plain file next to this module: `importlib.resources`
    (for zipped installs, which provreg does not support) cost ~10 ms more."""
    import json

    with open(BUILTIN_JSON, encoding="utf-8") as stream:
        entries: list[dict[str, Any]] = json.load(stream)["definitions"]
    return entries


BUILTIN_YAML = os.path.join(os.path.dirname(__file__), "builtin.yaml")
"""The catalog as maintainers edit it (comments say why a field is there)."""
BUILTIN_JSON = os.path.join(os.path.dirname(__file__), "builtin.json")
"""`builtin.yaml`'s data as JSON, what provreg reads."""


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
    import difflib  # only when a word is unknown: not on a clean check's path

    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
