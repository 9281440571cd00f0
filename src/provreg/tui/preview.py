"""The first screenful of rows before the registry is open: what users wait for.

Opening the registry imports pydantic and the models and validates and links
every file (long for a large registry); the rows on screen at the start are
the first entries of the first files, in file order. This reads just those
entries with libyaml (the registry's own loader class, so scalars resolve the
same way) and shows their names, providers, explicit default models and
File:line, with a "checking" status. The registry's rows replace them as soon
as it is open (same keys when the entries have explicit ids, so nothing
moves). Anything the preview cannot read as plainly as the registry would (a
file that does not parse, too large, an entry without a plain name) ends it
there. It does not validate: an entry the registry leaves out (a malformed
id, an unknown provider, an invalid field) shows until the registry opens,
then goes, its error in Problems. Numbers: docs/performance.md, "Dashboard".
"""

from __future__ import annotations

import os

from yaml import YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config.read.discovery import discover
from provreg.config.yaml_tags import INT_TAG, STR_TAG, ConfigLoader
from provreg.tui.widgets.providers_table import RowData, relative_file

MAX_PREVIEW_BYTES = 1024 * 1024
"""The loader's default size limit: a larger file is left out by the registry."""


def preview_rows(paths: list[str], roots: tuple[str, ...], count: int) -> list[tuple[str, RowData]]:
    """Up to `count` (key, row) pairs for the first entries, in table order.

    Keys are the entries' explicit ids (the registry's row keys too); an entry
    without one gets a key no id can take. Never raises: a problem ends the preview.
    """
    rows: list[tuple[str, RowData]] = []
    try:
        files = discover(paths)
    except Exception:  # a missing path: the registry says what is wrong
        return rows
    keys: set[str] = set()
    for file in files:
        if len(rows) >= count:
            break
        entries = _entries(file.path)
        if entries is None:
            break
        for entry in entries:
            row = _row(entry, file.display, roots)
            if row is None:
                return rows
            key = _plain(_value(entry, "id")) or f"\0preview-{len(rows)}"
            if key in keys:  # a duplicate id: the registry decides which row it is
                return rows
            keys.add(key)
            rows.append((key, row))
            if len(rows) >= count:
                break
    return rows


def _entries(path: str) -> list[MappingNode] | None:
    """The `providers:` entries of one file; [] when it has none; None when the
    preview cannot tell."""
    try:
        if os.path.getsize(path) > MAX_PREVIEW_BYTES:
            return None
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    loader = ConfigLoader(text)
    try:
        root = loader.get_single_node()
    except YAMLError:
        return None
    finally:
        loader.dispose()
    if root is None:
        return []
    if not isinstance(root, MappingNode) or _plain_int(_value(root, "version")) != "1":
        return None  # not a version 1 file: the registry reports it, with no rows
    providers = _value(root, "providers")
    if providers is None:
        return []
    if not isinstance(providers, SequenceNode):
        return None
    entries = [entry for entry in providers.value if isinstance(entry, MappingNode)]
    return entries if len(entries) == len(providers.value) else None


def _value(mapping: MappingNode, key: str) -> Node | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found: Node = value_node
            return found
    return None


def _plain(node: Node | None) -> str | None:
    """A string scalar's text; None for anything else."""
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return str(node.value)
    return None


def _plain_int(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == INT_TAG:
        return str(node.value)
    return None


def _row(entry: MappingNode, display: str, roots: tuple[str, ...]) -> RowData | None:
    name, provider = _plain(_value(entry, "name")), _plain(_value(entry, "provider"))
    if not name or not provider:
        return None
    return RowData(
        status="checking",
        name=name,
        provider=provider,
        # Explicit only: a provider's default comes with the catalog, once loaded.
        model=_plain(_value(entry, "default_model")) or "",
        where=f"{relative_file(display, roots)}:{entry.start_mark.line + 1}",
        stale=False,
    )
