"""Instance ids: readable slugs of names, made unique, and found in broken text.

Owns: the sequence of ids a derived id tries (`tried_ids`), which `unique_id`,
the linking (`config.read.linking`) and its incremental form (`registry.relink`)
all follow. May import: the standard library only.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Container, Iterator

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


ID_MAX_LENGTH = 63
"""The longest id (`provreg.model.ID_PATTERN`): slugs are cut to it, and so is
every id `tried_ids` gives, by cutting the base to make room for the suffix."""


def slugify(text: str) -> str:
    """A readable id from a name: 'Work OpenAI (EU)' -> 'work-openai-eu'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")[:ID_MAX_LENGTH].rstrip("-")
    return slug or "instance"


def tried_ids(base: str) -> Iterator[str]:
    """`base`, `base-2`, `base-3`, ...: the ids `unique_id` tries, in order, each
    cut to `ID_MAX_LENGTH` by cutting the base (`base[:61] + "-2"`). Linking
    gives a derived id the first of them not taken; `config.read.linking.id_family`
    relies on this shape."""
    yield base
    limit = ID_MAX_LENGTH  # a local: `unique_id` runs this loop once per try
    for counter in itertools.count(2):
        suffix = f"-{counter}"
        yield base[: limit - len(suffix)] + suffix


def unique_id(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not taken (`tried_ids`)."""
    if base not in taken:
        return base
    for candidate in tried_ids(base):
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: tried_ids never ends")


_ID_KEY = re.compile(
    r"""(?:^|[\s{,-])id[ \t]*:[ \t]*(["']?)([a-z0-9][a-z0-9._-]{0,62})\1[ \t]*(?=$|[,}#\s])"""
)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:")


def declared_ids_in_text(text: str) -> list[tuple[str, int]]:
    """`(id, line)` of each `id:` key under `providers:` in a file's text, for a
    file that does not parse: its ids are the user's all the same, and a new
    instance must not take one. Tolerant by design (no parse): it reads block
    (`- id: x`, `  id: "x"`) and flow (`- {id: x, ...}`) entries, and skips the
    `definitions:` section, whose ids name provider types, not instances.
    """
    found: list[tuple[str, int]] = []
    section: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        top = _TOP_KEY.match(line)
        if top is not None:
            section = top.group(1)
        if section != "providers":
            continue
        stripped = line.split(" #", 1)[0]
        for match in _ID_KEY.finditer(stripped):
            found.append((match.group(2), number))
    return found
