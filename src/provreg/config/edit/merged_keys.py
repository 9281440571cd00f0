"""Refuse changes that would reach, or cannot undo, what a merge key `<<` shares.

Owns: finding which `providers` entries merge which (`<<: *anchor`, or a list
of them), and the refusals, each with the line and the reason:
- removing a key an entry gets from a merge (the value is not the entry's to
  remove), or an override that would bring the merged value back;
- changing a key of an anchored entry that another entry inherits through
  `<<` (the change would silently reach that entry too).
Setting a key in an entry that merges it is fine: the entry then overrides it.
May import: PyYAML nodes, `provreg.config.read.yaml_source`, `provreg.config.yaml_tags`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from provreg.config.read.yaml_source import Document, mapping_entry
from provreg.config.yaml_tags import MERGE_TAG


class SharedKeyError(Exception):
    """A change a merge shares with other entries; `line` is where (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def check_merged_keys(
    text: str,
    doc: Document,
    index: int,
    instance_id: str,
    changes: Mapping[str, Any],
    remove: object,
) -> None:
    """Raise SharedKeyError for a change to item `index` of `providers` that a
    merge shares (see the module docstring). `remove` is the REMOVE marker.

    Free when the file has no merge key at all (the text has no `<<`).
    """
    if "<<" not in text:
        return
    entry = mapping_entry(doc.root, "providers")
    if entry is None or not isinstance(entry[1], SequenceNode):
        return
    items = [node for node in entry[1].value if isinstance(node, MappingNode)]
    item = entry[1].value[index]
    assert isinstance(item, MappingNode)
    for field, new in changes.items():
        own = _own_entry(item, field)
        if new is remove:
            for merge_key, source in _sources(item):
                if _has_key(source, field):
                    merged = f"'<<: {_written(text, merge_key)}' (anchored at line {_line(source)})"
                    if own is None:
                        raise SharedKeyError(
                            f"'{field}' of '{instance_id}' comes from {merged}, which other "
                            "entries share: set a value to override it here, or edit the file",
                            _line(merge_key),
                        )
                    raise SharedKeyError(
                        f"removing '{field}' of '{instance_id}' would bring back the value "
                        f"merged from {merged}: set a value instead, or edit the file",
                        _line(own[0]),
                    )
        for other in items:
            if other is item or _own_entry(other, field) is not None:
                continue
            via = next((key for key, source in _sources(other) if source is item), None)
            if via is None:
                continue
            other_id = _scalar(other, "id") or _scalar(other, "name") or "another entry"
            verb = "is" if own is not None else "would be"
            raise SharedKeyError(
                f"'{field}' of '{instance_id}' {verb} merged into '{other_id}' (line "
                f"{_line(other)}) by '<<: {_written(text, via)}': changing it here changes "
                "that entry too; edit the file",
                _line(own[0]) if own is not None else _line(item),
            )


def _own_entry(node: MappingNode, field: str) -> tuple[Node, Node] | None:
    """The pair the mapping itself writes for `field` (not one it merges)."""
    return mapping_entry(node, field)


def _sources(node: MappingNode, seen: set[int] | None = None) -> Iterator[tuple[Node, MappingNode]]:
    """(the `<<` key node, a mapping it merges), depth first, merges of merges included."""
    seen = set() if seen is None else seen
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            continue
        merged = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in merged:
            if isinstance(source, MappingNode) and id(source) not in seen:
                seen.add(id(source))
                yield key_node, source
                for _, deeper in _sources(source, seen):
                    yield key_node, deeper


def _has_key(node: MappingNode, field: str) -> bool:
    return mapping_entry(node, field) is not None


def _scalar(node: MappingNode, key: str) -> str | None:
    found = mapping_entry(node, key)
    value = found[1].value if found is not None else None
    return value if isinstance(value, str) and value else None


def _written(text: str, merge_key: Node) -> str:
    """The merge's value as written after `<<:` (`*base`, `[*a, *b]`)."""
    line_end = text.find("\n", merge_key.end_mark.index)
    rest = text[merge_key.end_mark.index : line_end if line_end >= 0 else len(text)]
    return rest.split(":", 1)[-1].split(" #", 1)[0].strip()


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1
