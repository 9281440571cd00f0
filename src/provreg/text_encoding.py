"""The byte order mark of config files: kept where it was, never in the text edited.

Owns: `BOM` (bytes), `BOM_CHAR` (the text's first character when a file is
decoded as plain UTF-8), `split_bom` and `join_bom`. A file that starts with
a BOM keeps it through every write; the editors and parsers work on the text
without it (libyaml skips it, so node positions would be off by one).
May import: the standard library only.
"""

from __future__ import annotations

import codecs

BOM = codecs.BOM_UTF8
BOM_CHAR = "\ufeff"


def split_bom(data: bytes) -> tuple[str, bytes]:
    """The text of UTF-8 `data` without its BOM, and the BOM it started with (or b"").

    Raises:
        UnicodeDecodeError: `data` is not UTF-8.
    """
    bom = BOM if data.startswith(BOM) else b""
    return data[len(bom) :].decode("utf-8"), bom


def join_bom(text: str, bom: bytes) -> bytes:
    """The bytes to write for `text`, after the BOM the file had (b"" for none)."""
    return bom + text.encode("utf-8")
