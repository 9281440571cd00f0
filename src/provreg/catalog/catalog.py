"""Catalog lookups: built-in definitions merged with user ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources

import yaml

from provreg.model import ProviderDefinition


@cache
def builtin_definitions() -> tuple[ProviderDefinition, ...]:
    """The shipped definitions, read once per process from package data."""
    text = resources.files("provreg.catalog").joinpath("builtin.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=yaml.CSafeLoader)
    return tuple(
        ProviderDefinition.model_validate({**entry, "builtin": True})
        for entry in raw["definitions"]
    )


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
