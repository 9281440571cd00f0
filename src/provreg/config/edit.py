"""Edit config file text in place, changing only the lines concerned.

Owns: the text changes behind create, update and delete (DESIGN §6).
May import: PyYAML, ruamel.yaml (lazily, fallback only), `provreg.config.yaml_source`,
`provreg.config.render`.

How: the fast parser already knows where every node starts and ends, so an
edit is a splice of the text at those positions: a value replaced, a line
inserted or removed. Comments, key order, quoting, blank lines, flow style,
long lines and CRLF endings outside the splice are untouched by construction.
Every result is reparsed and compared with the intended document (the
`*_verified` variants hand that parse back, so a caller that writes the text
need not parse it again, and accept the parse of the input it already has);
when a splice cannot express a change (block-style values, flow-style `providers`,
comments in the way) or its result does not verify, a ruamel.yaml round-trip
edit is the fallback, verified the same way and checked to keep every comment
outside what the change removes. A change that neither can make exactly is
refused, never written approximately.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config.render import render_block_item, render_key, render_value
from provreg.config.round_trip_edit import round_trip_edit
from provreg.config.text_lines import (
    end_of_line,
    is_blank,
    keep_final_newline,
    newline_of,
    start_of_line,
)
from provreg.config.yaml_source import Document, mapping_entry, parse_text

_BOM = "\ufeff"  # libyaml skips it, so node positions would be off by one

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


@dataclass(frozen=True, slots=True)
class Edited:
    """A verified edit: the new text and the parse that verified it."""

    text: str
    document: Document | None
    """The fast parser's reading of `text` (default limits, no diagnostics): the
    same bytes give the same tree, so it can stand for a parse of the written
    file. None when `text` starts with a BOM (positions would be off by one)."""


def update_instance(text: str, key: InstanceKey, changes: Mapping[str, Any]) -> str:
    """Set (or, with REMOVE, delete) keys of one instance; return the new text."""
    return update_instance_verified(text, key, changes).text


def update_instance_verified(
    text: str,
    key: InstanceKey,
    changes: Mapping[str, Any],
    *,
    current: Document | None = None,
) -> Edited:
    """`update_instance`, with the verification parse of the result.

    `current`, when given, must be `parse_text` of exactly `text` (default
    limits): it stands for the parse the edit would otherwise make.
    """
    if text.startswith(_BOM):
        return _with_bom(update_instance_verified(text[1:], key, changes))
    doc = _parse(text, current)
    index, node = _find_item(doc, key)

    def apply(value: dict[Any, Any]) -> None:
        item = value["providers"][index]
        for field_id, new in changes.items():
            if new is REMOVE:
                item.pop(field_id, None)
            else:
                item[field_id] = _plain(new)

    return _edit(
        text,
        doc,
        apply,
        lambda: _splice_update(text, doc, index, changes),
        may_lose=_pair_ranges(text, node, changes),
    )


def delete_instance(text: str, key: InstanceKey) -> str:
    """Remove one instance (and the comment lines directly above it)."""
    return delete_instance_verified(text, key).text


def delete_instance_verified(
    text: str, key: InstanceKey, *, current: Document | None = None
) -> Edited:
    """`delete_instance`, with the verification parse (`current` as for updates)."""
    if text.startswith(_BOM):
        return _with_bom(delete_instance_verified(text[1:], key))
    doc = _parse(text, current)
    index, _ = _find_item(doc, key)

    def apply(value: dict[Any, Any]) -> None:
        del value["providers"][index]

    return _edit(
        text,
        doc,
        apply,
        lambda: _splice_delete(text, doc, index),
        may_lose=[_item_range(text, _providers(doc), index)],
    )


def append_instance(text: str, item: Mapping[str, Any]) -> str:
    """Add an instance at the end of the file's `providers` list."""
    return append_instance_verified(text, item).text


def append_instance_verified(
    text: str, item: Mapping[str, Any], *, current: Document | None = None
) -> Edited:
    """`append_instance`, with the verification parse (`current` as for updates)."""
    if text.startswith(_BOM):
        return _with_bom(append_instance_verified(text[1:], item))
    doc = _parse(text, current)

    def apply(value: dict[Any, Any]) -> None:
        providers = value.get("providers")
        if providers is None:
            value["providers"] = providers = []
        providers.append({k: _plain(v) for k, v in item.items()})

    return _edit(text, doc, apply, lambda: _splice_append(text, doc, item), may_lose=[])


def new_file(item: Mapping[str, Any], *, header: str | None = None) -> str:
    """Text of a new config file holding one instance."""
    return new_file_verified(item, header=header).text


def new_file_verified(item: Mapping[str, Any], *, header: str | None = None) -> Edited:
    """`new_file`, with the verification parse of the text."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines += ["version: 1", "providers:"]
    lines += render_block_item(item, dash_column=2, newline="\n").splitlines()
    text = "\n".join(lines) + "\n"
    expected = {"version": 1, "providers": [{k: _plain(v) for k, v in item.items()}]}
    verified = _verified(text, expected)
    if verified is None:
        raise EditError("this instance cannot be written exactly")
    return Edited(text, verified)


# --------------------------------------------------------------------------- machinery


def _with_bom(edited: Edited) -> Edited:
    return Edited(_BOM + edited.text, None)


def _parse(text: str, current: Document | None = None) -> Document:
    doc = current if current is not None else parse_text(text, "<edit>")
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
    text: str,
    doc: Document,
    apply: Callable[[dict[Any, Any]], None],
    splice: Callable[[], str],
    *,
    may_lose: Sequence[tuple[int, int]],
) -> Edited:
    """The spliced text if it verifies, else the round-trip edit if it verifies.

    `may_lose` are the ranges of `text` whose comments the change removes
    (a deleted entry, a replaced value); the round-trip edit must keep every
    other comment, or the change is refused.
    """
    expected = _copy_for_apply(text, doc.value)
    apply(expected)
    try:
        result = keep_final_newline(text, splice())
        spliced = _verified(result, expected)
        if spliced is not None:
            return Edited(result, spliced)
    except _Unsupported:
        pass
    result = round_trip_edit(text, doc, apply)
    verified = _verified(result, expected)
    if verified is None:
        raise EditError(
            "this change cannot be written exactly (is the key set through a merge '<<'?)"
        )
    required = Counter(
        comment
        for index, comment in _comments(text, doc.root)
        if not any(start <= index < end for start, end in may_lose)
    )
    lost = required - Counter(comment for _, comment in _comments(result, verified.root))
    if lost:
        raise EditError(
            f"this change cannot be written without losing the comment '{next(iter(lost))}'; "
            "make it in an editor"
        )
    return Edited(result, verified)


def _copy_for_apply(text: str, value: dict[Any, Any]) -> dict[Any, Any]:
    """A copy of a document's value that the `apply` functions may change
    without changing `value` (which the caller may keep and reuse).

    `apply` only sets top-level keys, changes the `providers` list and sets or
    pops keys of its items, so copying those levels is enough, and much cheaper
    than a deep copy of every entry. Not when the text has an anchor: an alias
    shares one value between two places, a change through one shows at the
    other (as it will in the reparse), and only a deep copy keeps that sharing.
    """
    if "&" in text:
        return copy.deepcopy(value)
    copied = dict(value)
    providers = copied.get("providers")
    if isinstance(providers, list):
        copied["providers"] = [dict(item) if isinstance(item, dict) else item for item in providers]
    return copied


def _verified(text: str, expected: Any) -> Document | None:
    """The reparsed result when it means exactly `expected`, else None."""
    doc = parse_text(text, "<verify>")
    if doc.failed or doc.diagnostics or doc.value != expected:
        return None
    return doc


_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#[^\r\n]*", re.MULTILINE)


def _comments(text: str, root: Node | None) -> list[tuple[int, str]]:
    """Start index and text of each comment: a `#` after a space or at a line
    start, outside every scalar (the node tree knows where scalars are)."""
    spans = sorted(_scalar_spans(root))
    starts = [start for start, _ in spans]
    found = []
    for match in _COMMENT.finditer(text):
        at = bisect.bisect_right(starts, match.start()) - 1
        if at >= 0 and match.start() < spans[at][1]:
            continue
        found.append((match.start(), match.group().rstrip()))
    return found


def _scalar_spans(root: Node | None) -> set[tuple[int, int]]:
    spans: set[tuple[int, int]] = set()
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            spans.add((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
    return spans


def _pair_ranges(text: str, item: MappingNode, changes: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Where the changed keys of an item are written (a block pair: its whole lines)."""
    ranges = []
    for field_id in changes:
        entry = mapping_entry(item, field_id)
        if entry is None:
            continue
        key_node, value_node = entry
        if _is_alias(key_node, value_node):
            value_end = key_node.end_mark.index
        else:
            value_end = _content_end(text, value_node)
        if item.flow_style:
            ranges.append((key_node.start_mark.index, value_end))
        else:
            start = start_of_line(text, key_node.start_mark.index)
            ranges.append((start, end_of_line(text, max(value_end - 1, start))))
    return ranges


def _content_end(text: str, node: Node) -> int:
    """Index just past a node's last character (block nodes end at their last child)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        key_node, value_node = node.value[-1]
        if _is_alias(key_node, value_node):
            return _value_span(text, key_node, value_node)[1]
        return _content_end(text, value_node)
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _content_end(text, node.value[-1])
    end: int = node.end_mark.index
    return end


_ALIAS = re.compile(r"[ \t]*:[ \t]*(\*[^\s,\[\]{}]+)")


def _is_alias(key_node: Node, value_node: Node) -> bool:
    # The composer hands back the anchored node itself for an alias, so its
    # marks point at the anchor, which always comes earlier in the text.
    return bool(value_node.start_mark.index < key_node.end_mark.index)


def _value_span(text: str, key_node: Node, value_node: Node) -> tuple[int, int]:
    """Where a pair's value is written: the node's own text, or its `*alias` token."""
    if not _is_alias(key_node, value_node):
        return value_node.start_mark.index, value_node.end_mark.index
    match = _ALIAS.match(text, key_node.end_mark.index)
    if match is None:
        raise _Unsupported("cannot find the alias")
    return match.start(1), match.end(1)


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
                edits.extend(_remove_pair(text, item, entry))
        elif entry is None:
            additions.append((field_id, new))
        else:
            edits.append(_replace_value(text, entry, new))
    pinned = [pair for pair in additions if pair[0] == "id"]
    if pinned and item.value:
        # An id (pinned on the first edit of an entry whose id was derived)
        # goes first, where every other entry has its id.
        edits.append(_add_first_pair(text, item, pinned[0]))
        additions.remove(pinned[0])
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
    alias = _is_alias(key_node, value_node)
    if not alias and (
        is_block_collection
        or (isinstance(value_node, ScalarNode) and value_node.style in ("|", ">"))
    ):
        raise _Unsupported("block-style value")
    start, end = _value_span(text, key_node, value_node)
    style = value_node.style if isinstance(value_node, ScalarNode) and not alias else None
    rendered = render_value(new, prefer_quote=style if style in ("'", '"') else None)
    if start == end:
        # An empty value (`key:`): write after the colon, keeping any comment.
        colon = text.find(":", key_node.end_mark.index)
        if colon < 0 or text[key_node.end_mark.index : colon].strip():
            raise _Unsupported("cannot find the colon")
        return colon + 1, colon + 1, " " + rendered
    return start, end, rendered


def _remove_pair(
    text: str, item: MappingNode, entry: tuple[Node, Node]
) -> list[tuple[int, int, str]]:
    key_node, value_node = entry
    if item.flow_style:
        return _remove_flow_pair(text, item, entry)
    key_start = key_node.start_mark.index
    start = start_of_line(text, key_start)
    if _is_alias(key_node, value_node):
        value_end = _value_span(text, key_node, value_node)[1]
    else:
        value_end = _content_end(text, value_node)
    end = end_of_line(text, max(value_end - 1, key_node.end_mark.index))
    if not text[start:key_start].strip():
        return [(start, end, "")]
    # An item's first key, after its dash: the next key moves up to its place
    # (keys of a block mapping share a column, so it lands where it belongs).
    if text[start:key_start].strip() != "-" or item.value[0][0] is not key_node:
        raise _Unsupported("key does not start its line")
    if len(item.value) < 2:
        raise _Unsupported("the item's only key")
    next_key = item.value[1][0].start_mark.index
    if not text[end:next_key].strip():
        return [(key_start, next_key, "")]
    # Comment lines above the next key stay where they are; the dash stays alone.
    dash_end = start + text[start:key_start].index("-") + 1
    line_end = end - (2 if text.endswith("\r\n", 0, end) else int(text.endswith("\n", 0, end)))
    return [(dash_end, line_end, "")]


def _remove_flow_pair(
    text: str, item: MappingNode, entry: tuple[Node, Node]
) -> list[tuple[int, int, str]]:
    """Cut `, key: value` (or `key: value, ` for the first pair) out of a flow mapping.

    A comment between the pair and its neighbour (a multi-line flow mapping)
    stays: then only the pair and its comma are cut.
    """
    key_node, _ = entry
    pairs = item.value
    position = next(i for i, pair in enumerate(pairs) if pair[0] is key_node)
    key_start = key_node.start_mark.index
    value_start, value_end = _value_span(text, *entry)
    if "#" in text[key_node.end_mark.index : value_start]:
        raise _Unsupported("a comment between a key and its value")
    if len(pairs) == 1:
        return [(key_start, value_end, "")]
    before = _value_span(text, *pairs[position - 1])[1] if position > 0 else None
    after = pairs[position + 1][0].start_mark.index if position + 1 < len(pairs) else None
    # The pair goes with the separator before it, else the one after it; a
    # separator holding a comment stays, all but its comma.
    if before is not None and "#" not in text[before:key_start]:
        return [(before, value_end, "")]
    if after is not None and "#" not in text[value_end:after]:
        return [(key_start, after, "")]
    if before is not None:
        comma = text.find(",", before, key_start)
        if comma < 0 or text[before:comma].strip():
            raise _Unsupported("cannot find the comma")
        return [(comma, comma + 1, ""), (key_start, value_end, "")]
    assert after is not None
    comma = text.find(",", value_end, after)
    if comma < 0 or text[value_end:comma].strip():
        raise _Unsupported("cannot find the comma")
    return [(key_start, comma + 1, "")]


def _add_pairs(text: str, item: MappingNode, pairs: list[tuple[str, Any]]) -> tuple[int, int, str]:
    newline = newline_of(text)
    if item.flow_style:
        close = item.end_mark.index - 1
        if text[close] != "}":
            raise _Unsupported("flow mapping without closing brace")
        body = "".join(f", {render_key(k)}: {render_value(v, flow=True)}" for k, v in pairs)
        return close, close, body
    if not item.value:
        raise _Unsupported("empty mapping")
    indent = item.value[0][0].start_mark.column
    insert_at = end_of_line(text, _content_end(text, item) - 1)
    lines = [" " * indent + f"{render_key(k)}: {render_value(v)}" for k, v in pairs]
    if text[insert_at - 1] != "\n":
        # The item ends the file and the file has no final newline: keep it so.
        return insert_at, insert_at, newline + newline.join(lines)
    return insert_at, insert_at, "".join(line + newline for line in lines)


def _add_first_pair(text: str, item: MappingNode, pair: tuple[str, Any]) -> tuple[int, int, str]:
    """Insert a key before the item's first key (same line for flow, own line for block)."""
    first_key = item.value[0][0]
    at = first_key.start_mark.index
    rendered = f"{render_key(pair[0])}: {render_value(pair[1], flow=bool(item.flow_style))}"
    if item.flow_style:
        return at, at, rendered + ", "
    if text[start_of_line(text, at) : at].strip(" -"):
        raise _Unsupported("the first key does not start its line")
    return at, at, rendered + newline_of(text) + " " * first_key.start_mark.column


def _item_end(text: str, seq: SequenceNode, index: int) -> int:
    """Index just past an item's last line, with the comment lines that trail it.

    Comment lines right after the item's content, indented deeper than the
    sequence's dashes, are inside the item (a note under its keys).
    """
    end = end_of_line(text, _content_end(text, seq.value[index]) - 1)
    dash_column = seq.start_mark.column
    while end < len(text):
        line_end = end_of_line(text, end)
        line = text[end:line_end]
        stripped = line.lstrip(" ")
        if not stripped.startswith("#") or len(line) - len(stripped) <= dash_column:
            break
        end = line_end
    return end


def _providers(doc: Document) -> SequenceNode:
    entry = mapping_entry(doc.root, "providers")
    assert entry is not None and isinstance(entry[1], SequenceNode)
    return entry[1]


def _item_range(text: str, seq: SequenceNode, index: int) -> tuple[int, int]:
    """The text an item owns: its lines, the comment lines directly above it
    (they describe it) and the comment lines trailing it (flow: up to the next item)."""
    item = seq.value[index]
    if seq.flow_style:
        last = index == len(seq.value) - 1
        end = seq.end_mark.index - 1 if last else seq.value[index + 1].start_mark.index
        return item.start_mark.index, end
    start = start_of_line(text, item.start_mark.index)
    while start > 0:
        previous = start_of_line(text, start - 1)
        line = text[previous:start]
        stripped = line.lstrip(" ")
        if stripped.startswith("#") and len(line) - len(stripped) <= item.start_mark.column:
            start = previous
        else:
            break
    if index > 0:
        # Never cut into the previous item (nor the comment lines that trail it).
        start = max(start, _item_end(text, seq, index - 1))
    return start, _item_end(text, seq, index)


def _splice_delete(text: str, doc: Document, index: int) -> str:
    providers = mapping_entry(doc.root, "providers")
    assert providers is not None
    key_node, seq = providers
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise _Unsupported("flow sequence")
    start, end = _item_range(text, seq, index)
    if len(seq.value) == 1:
        # The list becomes `[]`; a comment on the `providers:` line stays.
        colon = text.find(":", key_node.end_mark.index)
        line_end = end_of_line(text, colon)
        rest = text[colon + 1 : line_end]
        if rest.strip() and not rest.strip().startswith("#"):
            raise _Unsupported("text after `providers:`")
        if line_end >= end:
            raise _Unsupported("the list starts on the `providers:` line")
        return keep_final_newline(text, text[: colon + 1] + " []" + rest + text[end:])
    last = index == len(seq.value) - 1
    before_blank = start > 0 and is_blank(text[start_of_line(text, start - 1) : start])
    after_blank = end < len(text) and is_blank(text[end : end_of_line(text, end)])
    # An item owns one blank separator: the one after it, unless it is the last
    # item and that blank separates the list from what follows the list.
    if after_blank and (before_blank or not last):
        end = end_of_line(text, end)
    elif before_blank and last:
        start = start_of_line(text, start - 1)
    return keep_final_newline(text, text[:start] + text[end:])


def _splice_append(text: str, doc: Document, item: Mapping[str, Any]) -> str:
    newline = newline_of(text)
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
        line_end = end_of_line(text, colon)
        rest_start = seq.end_mark.index if seq.end_mark.index > colon else colon + 1
        rest = text[rest_start:line_end].rstrip("\r\n")
        if rest.strip() and not rest.strip().startswith("#"):
            raise _Unsupported("text after the empty list")
        head = text[: colon + 1] + (rest.rstrip() if rest.strip() else "")
        body = render_block_item(item, key_node.start_mark.column + 2, newline)
        return head + newline + body + text[line_end:]
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise _Unsupported("flow sequence")
    dash_column = seq.start_mark.column
    insert_at = _item_end(text, seq, len(seq.value) - 1)
    if len(seq.value) > 1:
        # Follow the file: a blank line before the new entry if the last two have one.
        gap = text[_item_end(text, seq, len(seq.value) - 2) : seq.value[-1].start_mark.index]
        separated = any(is_blank(line) for line in gap.splitlines(keepends=True))
    else:
        separated = True  # a blank line between entries reads best
    block = render_block_item(item, dash_column, newline)
    if text[insert_at - 1] != "\n":
        # The list ends the file and the file has no final newline: keep it so.
        return text + newline + (newline if separated else "") + block[: -len(newline)]
    return text[:insert_at] + (newline if separated else "") + block + text[insert_at:]
