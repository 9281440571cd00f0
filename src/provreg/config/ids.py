"""Instance ids: readable slugs of names, made unique, and found in broken text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A readable id from a name: 'Work OpenAI (EU)' -> 'work-openai-eu'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")[:63].rstrip("-")
    return slug or "instance"


def unique_id(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is not taken."""
    if base not in taken:
        return base
    counter = 2
    while True:
        suffix = f"-{counter}"
        candidate = base[: 63 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        counter += 1


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
