"""Edit config file text in place, changing only the lines concerned.

Owns: the text changes behind create, update and delete (docs/architecture.md, "Writes"): the
public edit functions, the choice between a splice (`splice_edit`) and the
round-trip fallback (`round_trip_edit`), the verification of every result,
and the check that the fallback kept every comment it should.
May import: PyYAML, `provreg.config.read.yaml_source`, the other
`provreg.config.edit` modules: `render`, `text_lines`, `merged_keys`, the splice
(`splice_edit`) and the fallback (`round_trip_edit`); `provreg.text_encoding`
(the BOM).

How: the fast parser already knows where every node starts and ends, so an
edit is a splice of the text at those positions: a value replaced, a line
inserted or removed. Comments, key order, quoting, blank lines, flow style,
long lines and CRLF endings outside the splice are untouched by construction.
Every result is reparsed and compared with the intended document (the
`*_verified` variants hand that parse back, so a caller that writes the text
need not parse it again, and accept the parse of the input it already has);
when a splice cannot express a change (block-style lists and mappings as
values, flow-style `providers`, comments in the way) or its result does not
verify, a ruamel.yaml round-trip edit is the fallback, verified the same way
and checked to keep every comment outside what the change removes. ruamel
re-emits the whole document in its own spelling, so of an update only the
edited entry's text is taken from it. A change that neither can make exactly
is refused, never written approximately; so is one that would reach other
entries through a merge key (`merged_keys`).
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

from provreg.config.edit.merged_keys import SharedKeyError, check_merged_keys
from provreg.config.edit.render import render_block_item
from provreg.config.edit.round_trip_edit import round_trip_edit

# REMOVE is public here (docs/api.md names `provreg.config.edit.REMOVE`); the
# splices test for it, so it is defined with them.
from provreg.config.edit.splice_edit import REMOVE as REMOVE
from provreg.config.edit.splice_edit import (
    CannotSplice,
    item_range,
    pair_ranges,
    providers_sequence,
    splice_append,
    splice_delete,
    splice_update,
)
from provreg.config.edit.text_lines import keep_final_newline
from provreg.config.read.yaml_source import Document, mapping_entry, parse_text
from provreg.text_encoding import BOM_CHAR


class EditError(Exception):
    """The change cannot be made to this file without risking its content."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        """The line (1-based) the refusal is about, when it is about one."""


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
    if text.startswith(BOM_CHAR):
        return _with_bom(update_instance_verified(text[1:], key, changes))
    doc = _parse(text, current)
    index, node = _find_item(doc, key)
    try:
        check_merged_keys(text, doc, index, key.id, changes, REMOVE)
    except SharedKeyError as exc:
        raise EditError(str(exc), exc.line) from None

    def apply(value: dict[Any, Any]) -> None:
        set_fields(value["providers"][index], changes)

    return _edit(
        text,
        doc,
        apply,
        lambda: splice_update(text, doc, index, changes),
        may_lose=pair_ranges(text, node, changes),
        only_item=index,
    )


def delete_instance(text: str, key: InstanceKey) -> str:
    """Remove one instance (and the comment lines directly above it)."""
    return delete_instance_verified(text, key).text


def delete_instance_verified(
    text: str, key: InstanceKey, *, current: Document | None = None
) -> Edited:
    """`delete_instance`, with the verification parse (`current` as for updates)."""
    if text.startswith(BOM_CHAR):
        return _with_bom(delete_instance_verified(text[1:], key))
    doc = _parse(text, current)
    index, _ = _find_item(doc, key)

    def apply(value: dict[Any, Any]) -> None:
        del value["providers"][index]

    return _edit(
        text,
        doc,
        apply,
        lambda: splice_delete(text, doc, index),
        may_lose=[item_range(text, providers_sequence(doc), index)],
    )


def append_instance(text: str, item: Mapping[str, Any]) -> str:
    """Add an instance at the end of the file's `providers` list."""
    return append_instance_verified(text, item).text


def append_instance_verified(
    text: str, item: Mapping[str, Any], *, current: Document | None = None
) -> Edited:
    """`append_instance`, with the verification parse (`current` as for updates)."""
    if text.startswith(BOM_CHAR):
        return _with_bom(append_instance_verified(text[1:], item))
    doc = _parse(text, current)

    def apply(value: dict[Any, Any]) -> None:
        providers = value.get("providers")
        if providers is None:
            value["providers"] = providers = []
        providers.append({k: _plain(v) for k, v in item.items()})

    return _edit(text, doc, apply, lambda: splice_append(text, doc, item), may_lose=[])


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
    return Edited(BOM_CHAR + edited.text, None)


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


def set_fields(item: dict[Any, Any], changes: Mapping[str, Any]) -> None:
    """Apply `changes` to an instance's value as the reparse of the edit reads it."""
    for field_id, new in changes.items():
        if new is REMOVE:
            item.pop(field_id, None)
        else:
            item[field_id] = _plain(new)


def _plain(value: Any) -> Any:
    """The value as the fast parser would build it from our rendering."""
    to_yaml = getattr(value, "to_yaml", None)
    if callable(to_yaml):
        return to_yaml()
    if isinstance(value, list | tuple):
        # An instance's `models:` is a tuple of ModelSpecs: each item its own YAML.
        return [_plain(item) for item in value]
    return value


def _edit(
    text: str,
    doc: Document,
    apply: Callable[[dict[Any, Any]], None],
    splice: Callable[[], str],
    *,
    may_lose: Sequence[tuple[int, int]],
    only_item: int | None = None,
) -> Edited:
    """The spliced text if it verifies, else the round-trip edit if it verifies.

    `may_lose` are the ranges of `text` whose comments the change removes
    (a deleted entry, a replaced value); the round-trip edit must keep every
    other comment, or the change is refused. `only_item`: the index of the
    one `providers` item the change is about; of the round-trip edit, only
    that item's text is kept (see `_only_item`).
    """
    expected = _copy_for_apply(text, doc.value)
    apply(expected)
    try:
        result = keep_final_newline(text, splice())
        spliced = _verified(result, expected)
        if spliced is not None:
            return Edited(result, spliced)
    except CannotSplice:
        pass
    try:
        result = round_trip_edit(text, doc, apply)
    except Exception as exc:  # ruamel.yaml's own limits (KeyError, ...): no write, no traceback
        raise EditError(f"this change cannot be written exactly ({type(exc).__name__})") from exc
    verified = _verified(result, expected)
    if verified is not None and only_item is not None:
        result, verified = _only_item(text, doc, result, verified, only_item, expected)
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


def _only_item(
    text: str, doc: Document, result: str, verified: Document, index: int, expected: Any
) -> tuple[str, Document | None]:
    """`text` with only item `index` of `providers` taken from the round-trip `result`.

    ruamel.yaml re-emits the whole document, in its own spelling of what it
    does not keep (escapes such as `"\\x7f"` come back as `"\\x7F"`, some
    spacing): every byte outside the edited entry must stay the user's.
    """
    start, end = item_range(text, providers_sequence(doc), index)
    new_start, new_end = item_range(result, providers_sequence(verified), index)
    local = keep_final_newline(text, text[:start] + result[new_start:new_end] + text[end:])
    return local, _verified(local, expected)


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
