"""Undo a delete: put a removed entry's text back where it was.

Owns: what a delete keeps for its undo (`RemovedEntry`: the exact text the
splice cut, the entry it followed, the whole file before and after) and the
edit that inserts that text again, verified by reparsing like every edit.
May import: `provreg.config.edit.entry_edit`, `provreg.config.edit.splice_edit`,
`provreg.config.edit.text_lines`, `provreg.config.read.yaml_source`,
`provreg.text_encoding`.

Putting back is exact when the file still holds the bytes the delete wrote
(the file before the delete is written again). When the file changed
elsewhere since, the cut text goes after the entry it followed (or first
under `providers:`), so its comments and blank line come back with it; when
that entry is gone too, `PositionGone` says so and the caller may append the
text at the end of the list instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yaml.nodes import SequenceNode

from provreg.config.edit.entry_edit import (
    Edited,
    EditError,
    InstanceKey,
    _copy_for_apply,
    _find_item,
    _parse,
    _verified,
    append_instance_verified,
    delete_instance_verified,
    find_entry,
)
from provreg.config.edit.splice_edit import cut_range, item_end, providers_sequence
from provreg.config.edit.text_lines import end_of_line, is_blank, newline_of
from provreg.config.read.yaml_source import Document, mapping_entry, parse_text
from provreg.text_encoding import BOM_CHAR


class PositionGone(Exception):
    """The removed entry cannot go back where it was (the message says why)."""


@dataclass(frozen=True, slots=True)
class RemovedEntry:
    """What a delete removed from a file, kept so the delete can be undone."""

    file: str
    """Display path of the file the entry was removed from."""
    value: dict[str, Any]
    """The entry as parsed: what the file must hold again after the undo."""
    block: str | None
    """The exact text the delete cut (its leading comments, its lines, its
    blank separator); None when the delete was not a plain cut (the file's
    only entry, a flow-style list): then only the whole-file undo applies."""
    after: InstanceKey | None
    """The entry it followed; None when it was the first."""
    gap: str
    """The text between that entry's end (or the `providers:` line) and the cut."""
    text_before: str
    """The whole file before the delete."""
    text_after: str
    """The whole file as the delete wrote it."""

    @property
    def after_label(self) -> str:
        """The entry it followed, as a message names it."""
        if self.after is None:
            return "the start of providers:"
        return f"'{self.after.name if self.after.id_derived else self.after.id}'"


def delete_keeping(
    text: str, key: InstanceKey, file: str, *, current: Document | None = None
) -> tuple[Edited, RemovedEntry]:
    """`delete_instance_verified`, and what an undo needs to put the entry back.

    `text` has no BOM (the storage takes it off before an edit)."""
    doc = _parse(text, current)
    edited = delete_instance_verified(text, key, current=doc)  # one parse for both
    index, _ = _find_item(doc, key)
    items = doc.value["providers"]
    seq = providers_sequence(doc)
    block: str | None = None
    gap = ""
    if not seq.flow_style and len(seq.value) > 1:
        start, end = cut_range(text, seq, index)
        if text[:start] + text[end:] == edited.text:
            block = text[start:end]
            anchor = item_end(text, seq, index - 1) if index else _list_start(text, doc)
            gap = text[anchor:start] if anchor <= start else ""
    after = _key_of(items[index - 1]) if index else None
    entry = RemovedEntry(file, items[index], block, after, gap, text, edited.text)
    return edited, entry


def restore_verified(
    text: str, entry: RemovedEntry, *, current: Document | None = None, at_end: bool = False
) -> Edited:
    """`text` with the removed entry back: where it was, or (`at_end`) last.

    Raises:
        PositionGone: the entry it followed is no longer in the file, or its
            text no longer fits there; `at_end` may still work.
        EditError: the file does not parse, or the result would not verify.
    """
    if text == entry.text_after and not at_end:
        # Nothing else changed: the file as it was, byte for byte.
        before = parse_text(entry.text_before, "<verify>")
        if before.failed or before.diagnostics:
            raise EditError("the file before the delete no longer reads back")
        return Edited(entry.text_before, None if text.startswith(BOM_CHAR) else before)
    if text.startswith(BOM_CHAR):
        raise PositionGone(f"{entry.file} starts with a byte order mark and changed meanwhile")
    doc = _parse(text, current)
    seq = _block_sequence(doc)
    if at_end and (entry.block is None or seq is None or not seq.value):
        return append_instance_verified(text, entry.value, current=doc)
    if entry.block is None or seq is None:
        raise PositionGone(f"{entry.file} changed since the delete, so it cannot be undone exactly")
    items = doc.value["providers"]
    if at_end:
        at = item_end(text, seq, len(seq.value) - 1)
        block = _trimmed(entry.block)
        lead = newline_of(text) if text[at - 1 : at] != "\n" else ""
        # A blank line between entries, as the file had around this one.
        new_text = text[:at] + lead + newline_of(text) + block + text[at:]
        index = len(items)
    else:
        if entry.after is None:
            at, index = _list_start(text, doc), 0
        else:
            found = find_entry(items, entry.after)
            if found is None:
                raise PositionGone(
                    f"{entry.after_label}, the entry it followed, is no longer in {entry.file}"
                )
            at, index = item_end(text, seq, found), found + 1
        if text.startswith(entry.gap, at):
            at += len(entry.gap)
        new_text = text[:at] + entry.block + text[at:]
    expected = _copy_for_apply(text, doc.value)
    expected["providers"].insert(index, entry.value)
    verified = _verified(new_text, expected)
    if verified is None:
        raise PositionGone(f"its text no longer fits in {entry.file} (was it re-indented?)")
    return Edited(new_text, verified)


def _key_of(value: Any) -> InstanceKey | None:
    if not isinstance(value, dict):
        return None
    name = value.get("name")
    name = name if isinstance(name, str) else ""
    if isinstance(value.get("id"), str):
        return InstanceKey(value["id"], name)
    return InstanceKey("", name, id_derived=True)


def _block_sequence(doc: Document) -> SequenceNode | None:
    entry = mapping_entry(doc.root, "providers")
    if entry is None or not isinstance(entry[1], SequenceNode) or entry[1].flow_style:
        return None
    return entry[1]


def _list_start(text: str, doc: Document) -> int:
    """Just past the `providers:` line: where the first entry's text begins."""
    entry = mapping_entry(doc.root, "providers")
    assert entry is not None
    return end_of_line(text, text.find(":", entry[0].end_mark.index))


def _trimmed(block: str) -> str:
    """The entry's own lines: without the blank separator the cut took along."""
    lines = block.splitlines(keepends=True)
    while lines and is_blank(lines[0]):
        lines.pop(0)
    while lines and is_blank(lines[-1]):
        lines.pop()
    return "".join(lines)
