"""Which YAML tag an untagged node gets: PyYAML's YAML 1.1 resolution, made cheap.

Owns: `ConfigLoader`, the libyaml loader `yaml_source` composes node trees with.
May import: PyYAML.

libyaml parses in C, but for every node it calls back into Python: the
resolver's `resolve` (a regex loop per plain scalar, 20-25% of a parse under
cProfile) and `descend_resolver`/`ascend_resolver` (which do nothing without
path resolvers). Config files repeat the same few plain scalars (`name`,
`provider`, `true`, `4096`...), so a plain scalar's tag is remembered by its
text, and text that no implicit resolver could match (its first character
starts none of their patterns: most names and URLs) is a string at once.

The result is the tag `yaml.CSafeLoader` gives, always: the same table of
implicit resolvers, tried in the same order, first match wins. The table is
copied when this module is imported, so a later `add_implicit_resolver`
elsewhere in the process cannot change what a config file means (nor leave
stale entries in the cache).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

STR_TAG = BaseResolver.DEFAULT_SCALAR_TAG
SEQ_TAG = BaseResolver.DEFAULT_SEQUENCE_TAG
MAP_TAG = BaseResolver.DEFAULT_MAPPING_TAG
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"
"""The YAML 1.1 tags provreg's readers and writers look at (one set, shared)."""

CACHE_MAX_ENTRIES = 4096
"""Distinct plain scalars remembered; the cache is emptied when it is full.
A 1,000-instance file has a few hundred distinct candidates (mostly numbers)."""
CACHE_MAX_LENGTH = 64
"""Longer scalars are resolved every time: caching them would keep large
strings alive, and the common repeated ones (keys, booleans, numbers) are short."""

_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]


def _snapshot(table: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> dict[str, _Resolvers]:
    """The implicit resolvers by first character, each list with the wildcard
    resolvers (key None) appended, as `BaseResolver.resolve` tries them."""
    wildcard = tuple(table.get(None, ()))
    by_first: dict[str, _Resolvers] = {
        first: tuple(resolvers) + wildcard for first, resolvers in table.items() if first
    }
    by_first[""] = tuple(table.get("", ())) + wildcard
    return by_first


_BY_FIRST_CHARACTER = _snapshot(yaml.CSafeLoader.yaml_implicit_resolvers)
_WILDCARD: _Resolvers = tuple(yaml.CSafeLoader.yaml_implicit_resolvers.get(None, ()))
_cache: dict[str, str] = {}


def plain_scalar_tag(value: str) -> str:
    """The tag of an untagged plain scalar with this text (`true` -> bool...)."""
    resolvers = _BY_FIRST_CHARACTER.get(value[:1], _WILDCARD)
    if not resolvers:
        return STR_TAG  # most names and URLs: no pattern starts with their first character
    tag = _cache.get(value)
    if tag is not None:
        return tag
    tag = STR_TAG
    for candidate, pattern in resolvers:
        if pattern.match(value):
            tag = candidate
            break
    if len(value) <= CACHE_MAX_LENGTH:
        if len(_cache) >= CACHE_MAX_ENTRIES:
            _cache.clear()
        _cache[value] = tag
    return tag


def clear_tag_cache() -> None:
    """Forget the remembered tags (tests compare cold and warm parses)."""
    _cache.clear()


class ConfigLoader(yaml.CSafeLoader):
    """`yaml.CSafeLoader` with the cheap tag resolution described above.

    Path resolvers (which no safe loader has unless a program adds some) are
    never consulted, for the same reason the implicit table is a copy.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        """The tag of an untagged node, as `BaseResolver.resolve` gives it."""
        if kind is ScalarNode:
            # `implicit` is (plain, quoted); as in `BaseResolver.resolve`, only
            # the first says whether to resolve by pattern (libyaml sets it for
            # plain scalars, and for any scalar tagged just `!`).
            if not implicit[0]:
                return STR_TAG
            # The cache first, here: a long list of the same scalar (hostile or
            # not) then costs one dict lookup per item, not a call more.
            cached = _cache.get(value)
            if cached is not None:
                return cached
            if _WILDCARD or value[:1] in _BY_FIRST_CHARACTER:
                return plain_scalar_tag(value)
            return STR_TAG  # checked here too: one call fewer for most scalars
        if kind is SequenceNode:
            return SEQ_TAG
        if kind is MappingNode:
            return MAP_TAG
        raise TypeError(f"no tag for a node of kind {kind!r}")

    # Called around every node; without path resolvers there is nothing to track.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to do: path resolvers are not consulted."""

    def ascend_resolver(self) -> None:
        """Nothing to do: path resolvers are not consulted."""
