"""Update one `providers` item by reparsing only that item's lines.

Owns: `ItemIndex` (where each item of a file's block `providers` list starts,
and whether the file is one where an item's lines can be parsed on their own),
and `update_item_locally`, the splice of an update verified on the item's
lines alone.
May import: PyYAML nodes and marks, `provreg.config.read.yaml_source`, the
other `provreg.config.edit` modules (`entry_edit`, `splice_edit`, `text_lines`).

Why: verifying an update by reparsing the whole file costs what the file
costs (80 ms at 1,000 instances), not what the edit costs. The local proof
below shows that the whole text parses to the intended document by parsing
the edited item's lines, and applies only where that argument holds; every
other edit takes the full verification of `entry_edit` (the caller falls back
when this returns None).

The proof. The text before the edit parsed (whole, no diagnostics) with
`providers` a block sequence whose dashes are at column `c`, inside the block
mapping at the root. Item i owns the *chunk* of lines from its dash line up to
the dash line of item i+1 (or, for the last item, up to the next root key's
line, or the end of the text). The edit replaces the chunk only; the text
before and after it is the same. A YAML scanner at the start of a line in
block context carries no state but its stack of indentation columns (no flow
level: the list and the root are block collections; no pending simple key: a
simple key never spans lines), so at the chunk's first line it is in the same
state as before the edit. Inside the chunk, if every line that holds a token
(not blank, not a comment) is indented deeper than `c`, except the first,
which starts with `-` at column `c`, the scanner never pops the levels at or
below `c`: the tokens of the chunk are the tokens it gives parsed on its own
(where the sequence at column `c` is the outermost collection), and they end
before the next line holding a token, whose column (at most `c`: the next
dash, a root key) closes the item in both readings. Chomping of a block
scalar ending the chunk sees the same trailing lines in both (they are in the
chunk). What follows is the same text in the same scanner state, so it reads
as before. A chunk parsed on its own to a one-item block sequence equal to the
intended item therefore means the whole text parses to the intended document.
What the argument does not cover is excluded, for the whole file when the
index is built and for the new chunk here: anchors and aliases (`&`: a value
shared with other places, a change seen through them), merge keys (`<<`),
directives (`%TAG` changes what a tag means), document markers and any line
at column `c` or less in the chunk (`---`, `...`, a quoted scalar's
continuation), line breaks other than LF and CRLF (the line arithmetic), and a
file with any parse diagnostic (the full verification refuses those). Depth:
the item is two levels deeper in the file than on its own, so the chunk is
parsed with a depth limit one lower, and aborts exactly when the file would.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, SequenceNode

from provreg.config.edit.entry_edit import InstanceKey, find_entry, set_fields
from provreg.config.edit.splice_edit import CannotSplice, splice_item_update
from provreg.config.edit.text_lines import keep_final_newline, newline_of
from provreg.config.read.yaml_source import DEFAULT_MAX_DEPTH, Document, Limits, parse_text
from provreg.text_encoding import BOM_CHAR

_CHUNK_LIMITS = Limits(max_depth=DEFAULT_MAX_DEPTH - 1)
"""The item is at depth 2 in the file (root mapping, `providers` list) and at
depth 1 on its own: one level less keeps the same limit on what it holds."""

_OUTSIDE_PROOF_TEXTS = ("&", "\x85", "\u2028", "\u2029", "<<", "\n%")
"""Text the local proof does not cover (see the module docstring): an anchor, a
merge key, a line break libyaml has and the line arithmetic has not, a
directive (`%` starting a line)."""


def _outside_proof(text: str) -> bool:
    # Substring searches, not one regular expression: the alternation with a
    # multiline `^` scanned a registry's text at ~25 ms per MB, on every open.
    return text.startswith("%") or any(part in text for part in _OUTSIDE_PROOF_TEXTS)


@dataclass(frozen=True, slots=True)
class ItemIndex:
    """Where the items of a text's block `providers` list start, for a text the
    local proof applies to (`item_index`).

    The storage keeps one for every file it read or wrote (100,000 instances
    in a large registry): machine integers in an `array`, 16 bytes an item,
    not a list of int objects (about 72)."""

    starts: array[int]
    """Index of each item's dash line start (typecode "q")."""
    lines: array[int]
    """0-based line of each item's dash line (typecode "q")."""
    end: int
    """End of the last item's chunk: the next root key's line start, or len(text)."""
    end_line: int
    """0-based line of `end`."""
    column: int
    """Column of the dashes."""
    newline: str
    """`newline_of` the whole text (the splice renders added lines with it)."""


@dataclass(frozen=True, slots=True)
class LocalUpdate:
    """An update verified on its item's lines (see the module docstring)."""

    text: str
    index: int
    """Which item of `providers` changed."""
    value: dict[Any, Any]
    """The item's value, as the parse of `text` reads it."""
    node: MappingNode
    """The item's node, its marks placed in `text`."""
    items: ItemIndex
    """The index of `text`."""
    line_delta: int
    """Lines the edit added (or, negative, removed): the lines below the item move."""


def item_index(text: str, doc: Document) -> ItemIndex | None:
    """The index of `text` given its whole parse, or None where the local proof
    does not apply (then every edit of it is verified whole)."""
    root = doc.root
    if doc.failed or doc.diagnostics or not isinstance(root, MappingNode) or root.flow_style:
        return None
    if text.startswith(BOM_CHAR) or _outside_proof(text) or _lone_cr(text):
        return None
    position = next(
        (k for k, (key, _) in enumerate(root.value) if getattr(key, "value", None) == "providers"),
        None,
    )
    if position is None:
        return None
    seq = root.value[position][1]
    if not isinstance(seq, SequenceNode) or seq.flow_style or not seq.value:
        return None
    column = seq.start_mark.column
    dash = " " * column + "- "
    starts, lines = array("q"), array("q")
    for item in seq.value:
        if not isinstance(item, MappingNode) or item.flow_style or not item.value:
            return None
        start = item.start_mark.index - item.start_mark.column
        if not text.startswith(dash, start):
            return None  # the dash is not on the first key's line
        starts.append(start)
        lines.append(item.start_mark.line)
    if position + 1 < len(root.value):
        mark = root.value[position + 1][0].start_mark
        end = mark.index - mark.column
    else:
        end = len(text)
    return ItemIndex(starts, lines, end, text.count("\n", 0, end), column, newline_of(text))


def update_item_locally(
    text: str,
    items: ItemIndex,
    values: Sequence[Any],
    key: InstanceKey,
    changes: Mapping[str, Any],
) -> LocalUpdate | None:
    """Update the item `key` finds among `values` (the values of `text`'s
    `providers` items, in order) by splicing its chunk, verified on the chunk
    alone; None when the local proof does not apply or the splice cannot make
    the change (the caller makes the edit the full way).
    """
    if len(values) != len(items.starts):
        return None
    index = find_entry(values, key)
    if index is None:
        return None
    start = items.starts[index]
    end = items.starts[index + 1] if index + 1 < len(items.starts) else items.end
    chunk = text[start:end]
    if newline_of(chunk) != items.newline and "\n" in chunk:
        return None
    old = _parse_chunk(chunk, items.column)
    if old is None or old[1] != values[index]:
        return None  # the index does not describe this text: never guess
    expected = dict(values[index])
    set_fields(expected, changes)
    try:
        new_chunk = keep_final_newline(chunk, splice_item_update(chunk, old[0], changes))
    except CannotSplice:
        return None
    if _outside_proof(new_chunk):
        return None
    new = _parse_chunk(new_chunk, items.column)
    if new is None or new[1] != expected:
        return None
    node, value = new
    if index + 1 < len(items.starts):
        next_column: int | None = items.column  # the next item's dash
    else:
        next_column = 0 if items.end < len(text) else None  # a root key, the end
    _place(node, start, items.lines[index], len(new_chunk), next_column)
    delta = len(new_chunk) - len(chunk)
    line_delta = new_chunk.count("\n") - chunk.count("\n")  # no other line break (_lone_cr)
    moved = ItemIndex(
        _shifted(items.starts, index, delta),
        _shifted(items.lines, index, line_delta),
        items.end + delta,
        items.end_line + line_delta,
        items.column,
        items.newline,
    )
    return LocalUpdate(text[:start] + new_chunk + text[end:], index, value, node, moved, line_delta)


def _shifted(positions: array[int], index: int, delta: int) -> array[int]:
    """`positions` with those after `index` moved by `delta` (a new array: the
    index of the text before the edit stays as it was)."""
    if not delta:
        return positions
    moved = positions[: index + 1]
    moved.fromlist([at + delta for at in positions[index + 1 :]])  # (faster than a loop)
    return moved


def _lone_cr(text: str) -> bool:
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _parse_chunk(chunk: str, column: int) -> tuple[MappingNode, Any] | None:
    """The item of a chunk parsed on its own, when the chunk has the shape the
    proof needs: its first line a dash at `column`, every other line holding a
    token indented deeper, one block mapping item, no diagnostic."""
    if not chunk.startswith(" " * column + "- ") or _lone_cr(chunk):
        return None
    for line in chunk.split("\n")[1:]:
        content = line.lstrip(" ")
        if content.strip() and not content.startswith("#") and len(line) - len(content) <= column:
            return None
    doc = parse_text(chunk, "<item>", _CHUNK_LIMITS)
    root = doc.root
    if doc.failed or doc.diagnostics or not isinstance(root, SequenceNode) or root.flow_style:
        return None
    if len(root.value) != 1 or root.start_mark.column != column:
        return None
    item = root.value[0]
    if not isinstance(item, MappingNode) or item.flow_style:
        return None
    return item, doc.value[0]


def _place(
    node: MappingNode, offset: int, first_line: int, size: int, next_column: int | None
) -> None:
    """Move the marks of a chunk's nodes to where the chunk is in the file (the
    chunk starts a line, so columns stay).

    A block collection ends where the next token starts: on its own, the end of
    the chunk (`size`); in the file, the token after the chunk, at
    `next_column` of the line that follows it (None: the chunk ends the file,
    and both are the end of the text).
    """
    seen: set[int] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        collection = isinstance(current, MappingNode | SequenceNode)
        for name in ("start_mark", "end_mark"):
            mark = getattr(current, name)
            index, column = mark.index, mark.column
            if collection and name == "end_mark" and index == size and next_column is not None:
                index, column = index + next_column, next_column
            moved = Mark(mark.name, index + offset, mark.line + first_line, column, None, 0)
            setattr(current, name, moved)
        if isinstance(current, MappingNode):
            stack.extend(part for pair in current.value for part in pair)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
