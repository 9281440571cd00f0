"""Text that fits where it goes: the width to fit, whether to colour, tables that fit.

Owns: the rules every text listing follows (`catalog`, `list`, `show`,
`secret status`, `log`, and the colour of `--check`'s text), documented in
docs/cli.md, "Width and colour":

- Width: `COLUMNS` when it is set to a whole number, else the terminal's
  width when the output is a terminal, else none: piped output is not
  wrapped or cut, so it stays the same on every machine.
- Colour: never when `NO_COLOR` is set (to anything but the empty string),
  always when `FORCE_COLOR` is, else only when the output is a terminal
  whose `TERM` is not `dumb`.

May import: the standard library only (it is on the `--check` path, which
must start fast).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TextIO

ELLIPSIS = "…"
GAP = "  "
"""Between two columns."""

_MIN_COLUMN = 8
"""A column is not squeezed below this (or its header, or its widest cell if
narrower): a narrower terminal gets lines that overflow rather than unreadable ones."""


def output_width(stream: TextIO) -> int | None:
    """The width to fit `stream`'s text into, or None: do not wrap or cut."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _isatty(stream):
        return terminal_columns()
    return None


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns` without importing shutil (which
    imports bz2 and lzma: more than argparse costs a check): `COLUMNS`, else
    the width of the terminal on stdout, else 80."""
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    if width <= 0:
        try:
            width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            width = 0
    return width if width > 0 else 80


def wants_colour(stream: TextIO) -> bool:
    """Whether to colour what goes to `stream` (`NO_COLOR`, `FORCE_COLOR`, a terminal)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream) and os.environ.get("TERM") != "dumb"


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Palette:
    """SGR colours that are the identity when colour is off, so callers never branch."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> Palette:
        return cls(wants_colour(stream))

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def red(self, text: str) -> str:
        return self._sgr("31", text)

    def yellow(self, text: str) -> str:
        return self._sgr("33", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def bold(self, text: str) -> str:
        return self._sgr("1", text)


def elide_middle(text: str, width: int) -> str:
    """`text` cut to `width` characters by replacing its middle with `…`.

    The middle, because both ends carry meaning: a path's directory and its
    `file.yaml:12`, an id's prefix and its `-2`."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken at spaces where possible."""
    if len(text) <= width:
        return [text]
    import textwrap  # only when something must wrap

    return textwrap.wrap(text, max(width, 1), break_on_hyphens=False) or [""]


Style = Callable[[str], str]


def fit_table(
    rows: Sequence[Sequence[str]],
    width: int | None,
    *,
    wrap_columns: Collection[int] = (),
    squeeze_first: Collection[int] | None = None,
    floors: Mapping[int, int] | None = None,
    styles: Mapping[int, Style] | None = None,
    header_style: Style | None = None,
) -> str:
    """Left-aligned columns two spaces apart, no trailing spaces; the first row is the header.

    With a `width`, columns are narrowed until the table fits: those in
    `squeeze_first` (default: `wrap_columns`) first, then the others, the
    widest first in each group; their cells are wrapped (`wrap_columns`) or
    elided in the middle. Without a width, or when everything fits, nothing
    is cut. `floors` are the narrowest some columns may get (default: their
    header or `_MIN_COLUMN`). `styles` colour a column's cells (the padding
    stays plain, so widths are counted right)."""
    if not rows:
        return ""
    natural = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    first = wrap_columns if squeeze_first is None else squeeze_first
    lowest = _floors(natural, rows[0], floors)
    widths = natural if width is None else _narrowed(natural, lowest, width, first)
    styles = styles or {}
    laid_out = [
        [
            (wrap(cell, w) if column in wrap_columns else [elide_middle(cell, w)])
            for column, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        for row in rows
    ]
    # A wrapped column is as wide as its longest line, which may be less than its share.
    widths = [
        max(len(line) for row in laid_out for line in row[column]) for column in range(len(widths))
    ]
    lines: list[str] = []
    for index, cells in enumerate(laid_out):
        for depth in range(max(len(cell) for cell in cells)):
            parts = []
            for column, (cell, w) in enumerate(zip(cells, widths, strict=True)):
                text = cell[depth] if depth < len(cell) else ""
                style = header_style if index == 0 else styles.get(column)
                shown = style(text) if style is not None and text else text
                parts.append(shown + " " * (w - len(text)))
            lines.append(GAP.join(parts).rstrip())
    return "\n".join(lines) + "\n"


def table_fits(
    rows: Sequence[Sequence[str]], width: int, floors: Mapping[int, int] | None = None
) -> bool:
    """Whether `fit_table` can fit `rows` into `width` without going below `floors`:
    when not, a caller shows its rows another way (one block per row)."""
    natural = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return sum(_floors(natural, rows[0], floors)) + len(GAP) * (len(natural) - 1) <= width


def _floors(
    natural: list[int], header: Sequence[str], floors: Mapping[int, int] | None
) -> list[int]:
    asked = floors or {}
    return [
        min(n, asked.get(column, max(len(h), _MIN_COLUMN)))
        for column, (n, h) in enumerate(zip(natural, header, strict=True))
    ]


def _narrowed(
    natural: list[int], floors: list[int], width: int, first: Collection[int]
) -> list[int]:
    """Column widths that fit `width`, or as close as the floors allow.

    One group at a time (`first`, then every column), the group's widest
    columns are capped at one common width, as high as fits; no column goes
    below its floor."""
    room = width - len(GAP) * (len(natural) - 1)
    widths = list(natural)
    for group in (set(first), set(range(len(natural)))):
        if sum(widths) <= room:
            break
        cap = max(widths[column] for column in group)

        def capped(cap: int, group: set[int] = group, widths: list[int] = widths) -> list[int]:
            return [
                max(floors[column], min(w, cap)) if column in group else w
                for column, w in enumerate(widths)
            ]

        while cap > 0 and sum(capped(cap)) > room:
            cap -= 1
        new = capped(cap)
        # The cap moves in whole steps over several columns: what is left goes
        # back to the first narrowed column of the group.
        spare = room - sum(new)
        for column in sorted(group):
            if spare <= 0:
                break
            grow = min(spare, widths[column] - new[column])
            new[column] += grow
            spare -= grow
        widths = new
    return widths


def local_time(epoch_seconds: float) -> str:
    """A moment as ISO 8601 in local time with its offset, to the second
    (`2026-12-06T14:02:11+01:00`): how every command prints a time."""
    from datetime import datetime

    return datetime.fromtimestamp(epoch_seconds).astimezone().isoformat(timespec="seconds")
