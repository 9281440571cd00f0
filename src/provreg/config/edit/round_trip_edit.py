"""The fallback edit: through ruamel.yaml's round-trip document.

Slow (many times a splice's cost; docs/performance.md) and it may reflow some lines, so
`config.edit.entry_edit` uses it only when a text splice cannot express a change; its
result is verified the same way as a splice's.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from yaml.nodes import MappingNode, SequenceNode

from provreg.config.edit.text_lines import keep_final_newline, newline_of
from provreg.config.read.yaml_source import Document, mapping_entry


def round_trip_edit(text: str, doc: Document, apply: Callable[[dict[Any, Any]], None]) -> str:
    """Apply `apply` to the `providers` list of a ruamel round-trip document of `text`.

    Raises:
        ValueError: the file is not a mapping.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never fold long lines
    # ruamel indents every list alike: follow the file's `providers` list
    # (dashes under the key, or indented), so its lines stay as they are.
    offset, sequence = 2, 4
    entry = mapping_entry(doc.root, "providers")
    if entry is not None and isinstance(entry[1], SequenceNode) and not entry[1].flow_style:
        key_node, seq = entry
        if seq.value and isinstance(seq.value[0], MappingNode) and not seq.value[0].flow_style:
            offset = seq.start_mark.column - key_node.start_mark.column
            sequence = seq.value[0].start_mark.column - key_node.start_mark.column
    if offset < 0 or sequence < offset + 2:
        offset, sequence = 2, 4
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    newline = newline_of(text)
    data = yaml.load(text.replace("\r\n", "\n"))
    if not isinstance(data, CommentedMap):
        raise ValueError("the file is not a mapping")
    shadow: dict[Any, Any] = {"providers": _RoundTripList(data)}
    apply(shadow)
    out = io.StringIO()
    yaml.dump(data, out)
    result = out.getvalue()
    result = result.replace("\n", newline) if newline != "\n" else result
    return keep_final_newline(text, result)


class _RoundTripList:
    """Lets the same `apply` functions edit a ruamel document's `providers` list."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def _seq(self) -> Any:
        from ruamel.yaml.comments import CommentedSeq

        seq = self._data.get("providers")
        if seq is None:
            seq = CommentedSeq()
            self._data["providers"] = seq
        return seq

    def __getitem__(self, index: int) -> Any:
        return _RoundTripItem(self._seq()[index])

    def __delitem__(self, index: int) -> None:
        del self._seq()[index]

    def append(self, item: dict[str, Any]) -> None:
        from ruamel.yaml.comments import CommentedMap

        mapping = CommentedMap()
        for key, value in item.items():
            mapping[key] = _to_round_trip(value)
        self._seq().append(mapping)


class _RoundTripItem:
    def __init__(self, mapping: Any) -> None:
        self._mapping = mapping

    def __setitem__(self, key: str, value: Any) -> None:
        old = self._mapping.get(key)
        # A list (or mapping) written in block style stays in block style.
        same_kind = (isinstance(old, list) and isinstance(value, list)) or (
            isinstance(old, dict) and isinstance(value, dict)
        )
        block = same_kind and not old.fa.flow_style()
        self._mapping[key] = _to_round_trip(value, flow=not block)

    def pop(self, key: str, default: Any = None) -> Any:
        return self._mapping.pop(key, default)


def _to_round_trip(value: Any, *, flow: bool = True) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        mapping = CommentedMap(value)
        if flow:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    return value
