"""The node trees of the few files the app wrote last, for the next write.

Owns: a small, bounded cache from a file to the parse of the exact bytes the
app last wrote there. May import: `provreg.config.read.yaml_source`.

Why: between writes the storage keeps files without their node trees (half
the registry's memory per instance), so each edit would parse the file again
to find where to splice. Writes come in runs to the same file (a user editing
one instance after another), and the parse of what was written is at hand
(the edit's verification). Keeping it for a few files saves that parse.

Why it is safe: an entry is keyed by the sha256 of the bytes it was parsed
from, and it is used only when the file's bytes, read again under the write
lock, have that hash; the same bytes give the same tree. An external edit
changes the bytes, so its file is parsed afresh.
"""

from __future__ import annotations

from collections import OrderedDict

from provreg.config.read.yaml_source import Document

MAX_FILES = 4
MAX_TEXT_CHARS = 1 << 19
"""Total text behind the kept trees: a tree costs many times its text in
memory, so the bound is on the text (the measured cost per character and what
this bound comes to are in docs/performance.md)."""


class RecentTrees:
    """Least recently written first; at most `max_files` trees and `max_chars` of text."""

    def __init__(self, max_files: int = MAX_FILES, max_chars: int = MAX_TEXT_CHARS) -> None:
        self.max_files = max_files
        self.max_chars = max_chars
        self._entries: OrderedDict[str, tuple[str, Document, int]] = OrderedDict()
        self._chars = 0

    def get(self, display: str, sha256: str | None) -> Document | None:
        """The tree of `display` if it was parsed from bytes with this hash."""
        entry = self._entries.get(display)
        if entry is None or sha256 is None or entry[0] != sha256:
            return None
        self._entries.move_to_end(display)
        return entry[1]

    def put(self, display: str, sha256: str, document: Document | None, chars: int) -> None:
        """Remember the parse of the bytes just written (None forgets the file)."""
        self.forget(display)
        if document is None or document.failed or chars > self.max_chars:
            return
        self._entries[display] = (sha256, document, chars)
        self._chars += chars
        while len(self._entries) > self.max_files or self._chars > self.max_chars:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self._chars -= dropped

    def forget(self, display: str) -> None:
        entry = self._entries.pop(display, None)
        if entry is not None:
            self._chars -= entry[2]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, display: object) -> bool:
        return display in self._entries
