"""Make a change to one instance as a splice of the file's text.

Owns: where a node, a key-value pair or a `providers` item is written in the
text (the fast parser's node positions, aliases, the comment lines an item
owns), and the splices behind update, delete and append: a value replaced,
a line inserted or removed, everything outside untouched by construction.
May import: PyYAML nodes, `provreg.config.edit.render`,
`provreg.config.edit.text_lines`, `provreg.config.read.yaml_source`.

`config.edit.entry_edit` verifies every splice by reparsing it; a change a splice cannot
express raises CannotSplice, and `entry_edit` falls back to `round_trip_edit`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config.edit.render import render_block_item, render_key, render_value
from provreg.config.edit.text_lines import (
    end_of_line,
    is_blank,
    keep_final_newline,
    newline_of,
    start_of_line,
)
from provreg.config.read.yaml_source import Document, mapping_entry

REMOVE = object()
"""Marker in `changes`: delete this key from the instance."""


class CannotSplice(Exception):
    """The splicer cannot express this change; try the round-trip fallback."""


# --------------------------------------------------------------------------- positions in the text


def pair_ranges(text: str, item: MappingNode, changes: Mapping[str, Any]) -> list[tuple[int, int]]:
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
        raise CannotSplice("cannot find the alias")
    return match.start(1), match.end(1)


# --------------------------------------------------------------------------- splices


def splice_update(text: str, doc: Document, index: int, changes: Mapping[str, Any]) -> str:
    """`text` with the keys of item `index` of `providers` set or removed (REMOVE)."""
    providers = mapping_entry(doc.root, "providers")
    assert providers is not None
    item = providers[1].value[index]
    assert isinstance(item, MappingNode)
    return splice_item_update(text, item, changes)


def splice_item_update(text: str, item: MappingNode, changes: Mapping[str, Any]) -> str:
    """`text` with the keys of the mapping `item` (a node of a parse of `text`)
    set or removed (REMOVE)."""
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
            raise CannotSplice("overlapping edits")
    for start, end, replacement in reversed(ordered):
        text = text[:start] + replacement + text[end:]
    return text


def _replace_value(text: str, entry: tuple[Node, Node], new: Any) -> tuple[int, int, str]:
    key_node, value_node = entry
    is_block_collection = isinstance(value_node, MappingNode | SequenceNode) and not bool(
        value_node.flow_style
    )
    alias = _is_alias(key_node, value_node)
    if not alias and is_block_collection:
        raise CannotSplice("block-style list or mapping")
    if not alias and isinstance(value_node, ScalarNode) and value_node.style in ("|", ">"):
        return _replace_block_scalar(text, value_node, new)
    start, end = _value_span(text, key_node, value_node)
    style = value_node.style if isinstance(value_node, ScalarNode) and not alias else None
    rendered = render_value(new, prefer_quote=style if style in ("'", '"') else None)
    if start == end:
        # An empty value (`key:`): write after the colon, keeping any comment.
        colon = text.find(":", key_node.end_mark.index)
        if colon < 0 or text[key_node.end_mark.index : colon].strip():
            raise CannotSplice("cannot find the colon")
        return colon + 1, colon + 1, " " + rendered
    return start, end, rendered


def _replace_block_scalar(text: str, node: ScalarNode, new: Any) -> tuple[int, int, str]:
    """A `|` or `>` scalar (its header and content lines) replaced by an inline value.

    The line break after the content and any blank lines the scalar ends with
    stay, so the next key keeps its line.
    """
    start = node.start_mark.index
    if "#" in text[start : end_of_line(text, start)]:
        raise CannotSplice("a comment on the block scalar's header")
    content_end = start + len(text[start : node.end_mark.index].rstrip())
    return start, content_end, render_value(new)


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
        raise CannotSplice("key does not start its line")
    if len(item.value) < 2:
        raise CannotSplice("the item's only key")
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
        raise CannotSplice("a comment between a key and its value")
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
            raise CannotSplice("cannot find the comma")
        return [(comma, comma + 1, ""), (key_start, value_end, "")]
    assert after is not None
    comma = text.find(",", value_end, after)
    if comma < 0 or text[value_end:comma].strip():
        raise CannotSplice("cannot find the comma")
    return [(key_start, comma + 1, "")]


def _add_pairs(text: str, item: MappingNode, pairs: list[tuple[str, Any]]) -> tuple[int, int, str]:
    newline = newline_of(text)
    if item.flow_style:
        close = item.end_mark.index - 1
        if text[close] != "}":
            raise CannotSplice("flow mapping without closing brace")
        body = "".join(f", {render_key(k)}: {render_value(v, flow=True)}" for k, v in pairs)
        return close, close, body
    if not item.value:
        raise CannotSplice("empty mapping")
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
        raise CannotSplice("the first key does not start its line")
    return at, at, rendered + newline_of(text) + " " * first_key.start_mark.column


def item_end(text: str, seq: SequenceNode, index: int) -> int:
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


def providers_sequence(doc: Document) -> SequenceNode:
    """The block or flow sequence node of a document's `providers` list."""
    entry = mapping_entry(doc.root, "providers")
    assert entry is not None and isinstance(entry[1], SequenceNode)
    return entry[1]


def item_range(text: str, seq: SequenceNode, index: int) -> tuple[int, int]:
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
        start = max(start, item_end(text, seq, index - 1))
    return start, item_end(text, seq, index)


def splice_delete(text: str, doc: Document, index: int) -> str:
    """`text` without item `index` of `providers` (and the comment lines it owns)."""
    providers = mapping_entry(doc.root, "providers")
    assert providers is not None
    key_node, seq = providers
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise CannotSplice("flow sequence")
    if len(seq.value) == 1:
        start, end = item_range(text, seq, index)
        # The list becomes `[]`; a comment on the `providers:` line stays.
        colon = text.find(":", key_node.end_mark.index)
        line_end = end_of_line(text, colon)
        rest = text[colon + 1 : line_end]
        if rest.strip() and not rest.strip().startswith("#"):
            raise CannotSplice("text after `providers:`")
        if line_end >= end:
            raise CannotSplice("the list starts on the `providers:` line")
        return keep_final_newline(text, text[: colon + 1] + " []" + rest + text[end:])
    start, end = cut_range(text, seq, index)
    return keep_final_newline(text, text[:start] + text[end:])


def cut_range(text: str, seq: SequenceNode, index: int) -> tuple[int, int]:
    """What deleting item `index` of a block sequence of two or more items cuts:
    the text it owns (`item_range`) and its one blank separator. Undo puts
    exactly this text back (`config.edit.restore_edit`)."""
    start, end = item_range(text, seq, index)
    last = index == len(seq.value) - 1
    before_blank = start > 0 and is_blank(text[start_of_line(text, start - 1) : start])
    after_blank = end < len(text) and is_blank(text[end : end_of_line(text, end)])
    # An item owns one blank separator: the one after it, unless it is the last
    # item and that blank separates the list from what follows the list.
    if after_blank and (before_blank or not last):
        end = end_of_line(text, end)
    elif before_blank and last:
        start = start_of_line(text, start - 1)
    return start, end


def splice_append(text: str, doc: Document, item: Mapping[str, Any]) -> str:
    """`text` with `item` added at the end of `providers` (created if missing)."""
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
            raise CannotSplice("text after the empty list")
        head = text[: colon + 1] + (rest.rstrip() if rest.strip() else "")
        body = render_block_item(item, key_node.start_mark.column + 2, newline)
        return head + newline + body + text[line_end:]
    if not isinstance(seq, SequenceNode) or seq.flow_style:
        raise CannotSplice("flow sequence")
    dash_column = seq.start_mark.column
    insert_at = item_end(text, seq, len(seq.value) - 1)
    if len(seq.value) > 1:
        # Follow the file: a blank line before the new entry if the last two have one.
        gap = text[item_end(text, seq, len(seq.value) - 2) : seq.value[-1].start_mark.index]
        separated = any(is_blank(line) for line in gap.splitlines(keepends=True))
    else:
        separated = True  # a blank line between entries reads best
    block = render_block_item(item, dash_column, newline)
    if text[insert_at - 1] != "\n":
        # The list ends the file and the file has no final newline: keep it so.
        return text + newline + (newline if separated else "") + block[: -len(newline)]
    return text[:insert_at] + (newline if separated else "") + block + text[insert_at:]
