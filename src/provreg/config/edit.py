"""Edit config file text in place, changing only the lines concerned.

Owns: the text changes behind create, update and delete (DESIGN §6).
May import: PyYAML, ruamel.yaml (lazily, fallback only), `provreg.config.yaml_source`,
`provreg.config.render`.

How: the fast parser already knows where every node starts and ends, so an
edit is a splice of the text at those positions: a value replaced, a line
inserted or removed. Comments, key order, quoting, blank lines, flow style,
long lines and CRLF endings outside the splice are untouched by construction.
Every result is reparsed and compared with the intended document; when a
splice cannot express a change (block-style values, flow-style `providers`,
an item's first key) or its result does not verify, a ruamel.yaml round-trip
edit is the fallback, verified the same way. A change that neither can make
exactly is refused, never written approximately.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config.render import render_block_item, render_key, render_value
from provreg.config.yaml_source import Document, mapping_entry, parse_text

REMOVE = object()
"""Marker in `changes`: delete this key from the instance."""


class EditError(Exception):
    """The change cannot be made to this file without risking its content."""


class _Unsupported(Exception):
    """The splicer cannot express this change; try the round-trip fallback."""


@dataclass(frozen=True, slots=True)
class InstanceKey:
    """How to find an instance's mapping in a file: its explicit id, else its name."""

    id: str
    name: str
    id_derived: bool = False


# --------------------------------------------------------------------------- public API


def update_instance(text: str, key: InstanceKey, changes: Mapping[str, Any]) -> str:
    """Set (or, with REMOVE, delete) keys of one instance; return the new text."""
    doc = _parse(text)
    index, _ = _find_item(doc, key)

    def apply(value: dict[Any, Any]) -> None:
        item = value["providers"][index]
        for field_id, new in changes.items():
            if new is REMOVE:
                item.pop(field_id, None)
            else:
                item[field_id] = _plain(new)

    return _edit(text, doc, apply, lambda: _splice_update(text, doc, index, changes))


def delete_instance(text: str, key: InstanceKey) -> str:
    """Remove one instance (and the comment lines directly above it)."""
    doc = _parse(text)
    index, _ = _find_item(doc, key)

    def apply(value: dict[Any, Any]) -> None:
        del value["providers"][index]

    return _edit(text, doc, apply, lambda: _splice_delete(text, doc, index))


def append_instance(text: str, item: Mapping[str, Any]) -> str:
    """Add an instance at the end of the file's `providers` list."""
    doc = _parse(text)

    def apply(value: dict[Any, Any]) -> None:
        providers = value.get("providers")
        if providers is None:
            value["providers"] = providers = []
        providers.append({k: _plain(v) for k, v in item.items()})

    return _edit(text, doc, apply, lambda: _splice_append(text, doc, item))


def new_file(item: Mapping[str, Any], *, header: str | None = None) -> str:
    """Text of a new config file holding one instance."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines += ["version: 1", "providers:"]
    lines += render_block_item(item, dash_column=2, newline="\n").splitlines()
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- machinery


def _parse(text: str) -> Document:
    doc = parse_text(text, "<edit>")
    if doc.failed or not isinstance(doc.value, dict):
        raise EditError("the file does not parse; fix it before provreg writes to it")
    if any(d.code == "E002" for d in doc.diagnostics):
        raise EditError("the file has duplicate keys; fix them before provreg writes to it")
    return doc


def find_entry(items: Sequence[Any], key: InstanceKey) -> int | None:
    """Index of the instance `key` among a file's `providers` values, if present.

    An explicit `id` matches first; an instance whose id was derived matches
    an entry without `id` by its name (ignoring case and surrounding spaces).
    """
    by_name = None
    for index, value in enumerate(items):
        if not isinstance(value, dict):
            continue
        if value.get("id") == key.id:
            return index
        if by_name is None and "id" not in value and key.id_derived:
            name = value.get("name")
            if isinstance(name, str) and name.strip().casefold() == key.name.strip().casefold():
                by_name = index
    return by_name


def _find_item(doc: Document, key: InstanceKey) -> tuple[int, MappingNode]:
    providers = mapping_entry(doc.root, "providers")
    items = doc.value.get("providers")
    if providers is None or not isinstance(providers[1], SequenceNode):
        raise EditError(f"instance '{key.id}' is not in this file")
    index = find_entry(items if isinstance(items, list) else [], key)
    if index is None:
        raise EditError(f"instance '{key.id}' is not in this file")
    node = providers[1].value[index]
    assert isinstance(node, MappingNode)
    return index, node


def _plain(value: Any) -> Any:
    """The value as the fast parser would build it from our rendering."""
    to_yaml = getattr(value, "to_yaml", None)
    if callable(to_yaml):
        return to_yaml()
    if isinstance(value, tuple):
        return list(value)
    return value


def _edit(
    text: str, doc: Document, apply: Callable[[dict[Any, Any]], None], splice: Callable[[], str]
) -> str:
    expected = copy.deepcopy(doc.value)
    apply(expected)
    try:
        result = splice()
        if _verifies(result, expected):
            return result
    except _Unsupported:
        pass
    result = _round_trip(text, apply)
    if _verifies(result, expected):
        return result
    raise EditError("this change cannot be written exactly (is the key set through a merge '<<'?)")


def _verifies(text: str, expected: Any) -> bool:
    doc = parse_text(text, "<verify>")
    return not doc.failed and not doc.diagnostics and doc.value == expected


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the newline of the line holding `index` (or len(text))."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _content_end(node: Node) -> int:
    """Index just past a node's last character (block nodes end at their last child)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1][1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1])
    end: int = node.end_mark.index
    return end


def _is_blank(line: str) -> bool:
    return not line.strip()


def _lines_between(text: str, start: int, end: int) -> list[str]:
    return text[start:end].splitlines()


# --------------------------------------------------------------------------- splices


def _splice_update(text: str, doc: Document, index: int, changes: Mapping[str, Any]) -> str:
    providers = mapping_entry(doc.root, "providers")
    assert providers is not None
    item = providers[1].value[index]
    assert isinstance(item, MappingNode)
    edits: list[tuple[int, int, str]] = []
    additions: list[tuple[str, Any]] = []
    for field_id, new in changes.items():
        entry = mapping_entry(item, field_id)
        if new is REMOVE:
            if entry is not None:
                edits.append(_remove_pair(text, item, entry))
        elif entry is None:
            additions.append((field_id, new))
        else:
            edits.append(_replace_value(text, entry, new))
    if additions:
        edits.append(_add_pairs(text, item, additions))
    return _apply_edits(text, edits)


def _apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    ordered = sorted(edits, key=lambda edit: (edit[0], edit[1]))
    for (_, end_a, _), (start_b, _, _) in zip(ordered, ordered[1:], strict=False):
        if start_b < end_a:
            raise _Unsupported("overlapping edits")
    for start, end, replacement in reversed(ordered):
        text = text[:start] + replacement + text[end:]
    return text


def _replace_value(text: str, entry: tuple[Node, Node], new: Any) -> tuple[int, int, str]:
    key_node, value_node = entry
    is_block_collection = isinstance(value_node, MappingNode | SequenceNode) and not bool(
        value_node.flow_style
    )
    if is_block_collection or (
        isinstance(value_node, ScalarNode) and value_node.style in ("|", ">")
    ):
        raise _Unsupported("block-style value")
    start, end = value_node.start_mark.index, value_node.end_mark.index
    style = value_node.style if isinstance(value_node, ScalarNode) else None
    rendered = render_value(new, prefer_quote=style if style in ("'", '"') else None)
    if start == end:
        # An empty value (`key:`): write after the colon, keeping any comment.
        colon = text.find(":", key_node.end_mark.index)
        if colon < 0 or text[key_node.end_mark.index : colon].strip():
            raise _Unsupported("cannot find the colon")
        return colon + 1, colon + 1, " " + rendered
    return start, end, rendered


def _remove_pair(text: str, item: MappingNode, entry: tuple[Node, Node]) -> tuple[int, int, str]:
    key_node, value_node = entry
    if item.flow_style:
        raise _Unsupported("flow mapping")
    start = _line_start(text, key_node.start_mark.index)
    if text[start : key_node.start_mark.index].strip():
        raise _Unsupported("key does not start its line (an item's first key)")
    end = _line_end(text, max(_content_end(value_node) - 1, key_node.end_mark.index))
    return start, end, ""


def _add_pairs(text: str, item: MappingNode, pairs: list[tuple[str, Any]]) -> tuple[int, int, str]:
    newline = _newline(text)
    if item.flow_style:
        close = item.end_mark.index - 1
        if text[close] != "}":
            raise _Unsupported("flow mapping without closing brace")
        body = "".join(f", {render_key(k)}: {render_value(v, flow=True)}" for k, v in pairs)
        return close, close, body
    if not item.value:
        raise _Unsupported("empty mapping")
    indent = item.value[0][0].start_mark.column
    insert_at = _line_end(text, _content_end(item) - 1)
    prefix = "" if insert_at == 0 or text[insert_at - 1] == "\n" else newline
    body = "".join(" " * indent + f"{render_key(k)}: {render_value(v)}" + newline for k, v in pairs)
    return insert_at, insert_at, prefix + body


def _splice_delete(text: str, doc: Document, index: int) -> str:
    providers = mapping_entry(doc.root, "providers")
    assert providers is not None
    key_node, seq = providers
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise _Unsupported("flow sequence")
    newline = _newline(text)
    if len(seq.value) == 1:
        colon = text.find(":", key_node.end_mark.index)
        end = _line_end(text, _content_end(seq) - 1)
        return text[: colon + 1] + " []" + newline + text[end:]
    item = seq.value[index]
    start = _line_start(text, item.start_mark.index)
    dash_column = item.start_mark.column
    # Comment lines directly above the item describe it: they go with it.
    while start > 0:
        previous = _line_start(text, start - 1)
        line = text[previous:start]
        stripped = line.lstrip(" ")
        if stripped.startswith("#") and len(line) - len(stripped) <= dash_column:
            start = previous
        else:
            break
    if index > 0:
        # Never cut into the previous item's last line.
        start = max(start, _line_end(text, _content_end(seq.value[index - 1]) - 1))
    end = _line_end(text, _content_end(item) - 1)
    before_blank = start == 0 or _is_blank(text[_line_start(text, start - 1) : start])
    after_line_end = _line_end(text, end) if end < len(text) else end
    if end < len(text) and _is_blank(text[end:after_line_end]) and before_blank:
        end = after_line_end  # one blank separator goes with the item
    elif index == len(seq.value) - 1 and start > 0 and before_blank:
        start = _line_start(text, start - 1)  # the last item takes the blank line above it
    return text[:start] + text[end:]


def _splice_append(text: str, doc: Document, item: Mapping[str, Any]) -> str:
    newline = _newline(text)
    entry = mapping_entry(doc.root, "providers")
    if entry is None:
        body = text if text.endswith("\n") or not text else text + newline
        return body + "providers:" + newline + render_block_item(item, 2, newline)
    key_node, seq = entry
    is_empty = (isinstance(seq, SequenceNode) and not seq.value) or (
        isinstance(seq, ScalarNode) and seq.tag.endswith(":null") and not seq.value
    )
    if is_empty:
        # `providers: []` or `providers:` -> a block list, keeping a trailing comment.
        colon = text.find(":", key_node.end_mark.index)
        line_end = _line_end(text, colon)
        rest_start = seq.end_mark.index if seq.end_mark.index > colon else colon + 1
        rest = text[rest_start:line_end].rstrip("\r\n")
        if rest.strip() and not rest.strip().startswith("#"):
            raise _Unsupported("text after the empty list")
        head = text[: colon + 1] + (" " + rest.strip() if rest.strip() else "")
        body = render_block_item(item, key_node.start_mark.column + 2, newline)
        return head + newline + body + text[line_end:]
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise _Unsupported("flow sequence")
    dash_column = seq.start_mark.column
    insert_at = _line_end(text, _content_end(seq) - 1)
    prefix = "" if text[insert_at - 1] == "\n" else newline
    separated = len(seq.value) > 1 and any(
        _is_blank(line)
        for line in _lines_between(text, _content_end(seq.value[0]), seq.value[1].start_mark.index)
    )
    if len(seq.value) == 1:
        separated = True  # a blank line between entries reads best
    block = render_block_item(item, dash_column, newline)
    return text[:insert_at] + prefix + (newline if separated else "") + block + text[insert_at:]


# --------------------------------------------------------------------------- fallback


def _round_trip(text: str, apply: Callable[[dict[Any, Any]], None]) -> str:
    """Edit through ruamel.yaml's round-trip document (slow, keeps comments)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    newline = _newline(text)
    data = yaml.load(text.replace("\r\n", "\n"))
    if not isinstance(data, CommentedMap):
        raise EditError("the file is not a mapping")
    shadow: dict[Any, Any] = {"providers": _RoundTripList(data)}
    apply(shadow)
    out = io.StringIO()
    yaml.dump(data, out)
    result = out.getvalue()
    return result.replace("\n", newline) if newline != "\n" else result


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
        self._mapping[key] = _to_round_trip(value)

    def pop(self, key: str, default: Any = None) -> Any:
        return self._mapping.pop(key, default)


def _to_round_trip(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        mapping = CommentedMap(value)
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq
    return value
