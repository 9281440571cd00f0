"""A table of one-line rows with fixed-width columns that renders only the lines on screen.

Textual's DataTable suits tables of any shape, and pays for it on large ones:
it keeps O(rows) lists (the row order, the line offsets) that every insertion
or update rebuilds, measures rows on idle, and renders each visible cell
through Rich's layout machinery whenever a table-wide counter changes. This
table is built on Textual's Line API (`ScrollView.render_line`): it holds the
row keys in order and one row object per key, renders a row's line only when
it is on screen, and caches that line until the row, its cursor or hover
state, or the styles change.

It behaves like a `DataTable(cursor_type="row", zebra_stripes=False)` with a
header and fixed-width columns (key bindings, cursor and page movement, mouse
hover and click, segment metadata), and looks like one in every theme: its
own CSS uses the same theme variables (`$panel`, `$block-cursor-*`,
`$block-hover-background`, ...). Its component classes are its own:
`line-table--header`, `--cursor`, `--hover`, `--header-cursor`,
`--header-hover`. Its messages are its own too (`LineTable.RowHighlighted`,
`RowSelected`, `HeaderClicked`, `CursorCleared`).

Textual it relies on beyond the documented widget API (re-check these when
the textual pin in pyproject.toml moves; tests/tui/test_line_table.py drives
it beside a real DataTable):

- `Widget.render_lines(crop)` is overridden to take the base style and the
  pseudo-class state once per paint; it must keep calling `render_line(y)`
  for each line it draws (through `ScrollView`'s styles cache).
- `Widget.get_pseudo_class_state()` and `textual.widget.PseudoClasses` key
  the line cache (what Textual offers Line API widgets for that purpose).
- `Widget.notify_style_update()` is overridden to drop the caches when the
  CSS or the theme changes; Textual calls it after styles are recomputed.
- `Widget.get_component_rich_style()` / `get_component_styles()` resolve the
  component classes; cells reproduce DataTable's layering of them (row style,
  component style, then the component's colour as a post style), so the
  look stays DataTable's if that layering changes upstream.
- `App.console` and `App.console_options` render the cells that are not
  plain ASCII through Rich, as DataTable does.
- `textual.cache.LRUCache` for the line and cell caches.

Not Textual internals but DataTable's behaviour, copied: the paging
arithmetic, and a click selects only on the cell clicked before (DataTable
keeps a cell coordinate even with a row cursor).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size, Spacing, clamp
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import PseudoClasses

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType


class TableRow(Protocol):
    """What the table holds per row: it asks for the cells only to draw the row."""

    def cells(self) -> Sequence[Text]: ...


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: Text
    width: int
    """Content width in cells, without the padding on each side."""


CELL_PADDING = 1
HEADER_HEIGHT = 1


def _fits_fast_path(text: Text) -> bool:
    """True if `text` renders as one segment of its own style, cut at the column
    width: no spans, and only printable ASCII (every character one cell wide).
    Anything else goes through Rich, exactly as DataTable renders it."""
    plain = text.plain
    return (
        not text.spans
        and text.justify in (None, "default")
        and text.overflow in (None, "fold", "crop")
        and plain.isascii()
        and plain.isprintable()
    )


def render_cell_segments(
    console: Console,
    options: ConsoleOptions,
    text: Text,
    width: int,
    pre_style: Style,
    post_style: Style,
) -> list[Segment]:
    """One cell's line exactly as DataTable renders it: the text in `width`
    cells, padded on both sides, between `pre_style` and `post_style`, through
    Rich (Padding, a pre and a post style, `render_lines`)."""
    lines = console.render_lines(
        _Layered(Padding(text, (0, CELL_PADDING)), pre_style, post_style),
        options.update_dimensions(width + 2 * CELL_PADDING, 1).update(no_wrap=True),
    )
    return lines[0]


class _Layered:
    """`renderable` with `pre_style` under its own styles and `post_style` over
    them (what DataTable does with textual's undocumented `Styled`)."""

    def __init__(self, renderable: RenderableType, pre_style: Style, post_style: Style) -> None:
        self.renderable = renderable
        self.pre_style = pre_style
        self.post_style = post_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterable[Segment]:
        return Segment.apply_style(
            console.render(self.renderable, options),
            style=self.pre_style,
            post_style=self.post_style,
        )


def keep_end(plain: str, width: int) -> str:
    """`plain` cut to `width` characters from its start, marked with an ellipsis
    (`…ders/local.yaml:6`): where the end says the most, a path's file and line."""
    if len(plain) <= width:
        return plain
    return plain[-width:] if width <= 1 else "…" + plain[-(width - 1) :]


class CellRenderer:
    """Cells' segments as DataTable renders them, without DataTable's cost.

    Printable ASCII without spans (the common cell) is built directly. Other
    cells (the status glyphs, names in other scripts) go through Rich once per
    distinct cell and styles, and get the row's metadata added afterwards:
    the metadata (row and column, for the mouse) is the only part of the style
    that differs from row to row, and adding it last gives equal styles.
    tests/tui/test_line_table.py checks the lines against DataTable's."""

    def __init__(self) -> None:
        self._rendered: LRUCache[tuple[object, ...], list[Segment]] = LRUCache(1024)

    def clear(self) -> None:
        self._rendered.clear()

    def render(
        self,
        console: Console,
        options: ConsoleOptions,
        text: Text,
        width: int,
        styles: tuple[Style, Style, Style, Style],
    ) -> list[Segment]:
        """`styles`: the row's style, the cell's metadata, the component style and
        the post style (DataTable's pre style is the first three added in order)."""
        row_style, meta, component, post_style = styles
        if _fits_fast_path(text):
            pre_style = row_style + meta + component
            plain = text.plain[:width]
            pad_style = pre_style + post_style
            before = " " * CELL_PADDING
            after = " " * (width - len(plain) + CELL_PADDING)
            if not plain:
                return [Segment(before + after, pad_style)]
            text_style = text.style
            if isinstance(text_style, str):
                text_style = console.get_style(text_style, default=Style.null())
            return [
                Segment(before, pad_style),
                Segment(plain, pre_style + text_style + post_style),
                Segment(after, pad_style),
            ]
        key = (
            text.plain,
            text.style,
            tuple(text.spans),
            text.justify,
            text.overflow,
            text.no_wrap,
            text.tab_size,
            width,
            row_style,
            component,
            post_style,
        )
        segments = self._rendered.get(key)
        if segments is None:
            segments = render_cell_segments(
                console, options, text, width, row_style + component, post_style
            )
            self._rendered[key] = segments
        return [
            Segment(part, style + meta if style is not None else None, control)
            for part, style, control in segments
        ]


class LineTable(ScrollView, can_focus=True):
    """Rows of fixed-width cells under a header, with a row cursor."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "cursor_right", "Cursor right", show=False),
        Binding("left", "cursor_left", "Cursor left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--cursor",
        "line-table--hover",
        "line-table--header-cursor",
        "line-table--header-hover",
    }
    """`--header`: the header row's base style. `--cursor` and `--hover` are laid
    over the row under the cursor and under the mouse; on the header they are
    followed by `--header-cursor` and `--header-hover` (the cursor reaches the
    header only in an empty table, as DataTable's does)."""

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;

        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .line-table--hover {
            background: $block-hover-background;
        }
        & > .line-table--header-cursor {
            background: $accent-darken-1;
            color: $foreground;
        }
        & > .line-table--header-hover {
            background: $accent 30%;
        }

        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor_row: Reactive[int] = Reactive(0, repaint=False, always_update=True)
    """The index of the row under the cursor."""
    hover_row: Reactive[int] = Reactive(0, repaint=False, always_update=True)
    """The index of the row under the mouse (-1: the header)."""

    class _RowMessage(Message):
        """A message about one row: the table, the row's index and its key."""

        def __init__(self, table: LineTable, cursor_row: int, row_key: str) -> None:
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key
            super().__init__()

        @property
        def control(self) -> LineTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to a row (or a row appeared under it in an empty table)."""

    class RowSelected(_RowMessage):
        """Enter on a row, or a click on the cell under the cursor."""

    class HeaderClicked(Message):
        """A click on a column's header (for sorting by it)."""

        def __init__(self, table: LineTable, column_key: str) -> None:
            self.table = table
            self.column_key = column_key
            super().__init__()

        @property
        def control(self) -> LineTable:
            return self.table

    class CursorCleared(Message):
        """No row is under the cursor any more (a filter matched nothing, the
        last row went): whatever showed the highlighted row must show none."""

        def __init__(self, table: LineTable) -> None:
            self.table = table
            super().__init__()

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._columns: tuple[Column, ...] = ()
        self._row_keys: list[str] = []
        """Row keys in display order."""
        self._row_index: dict[str, int] | None = {}
        """Row key -> position in `_row_keys` (None: not made yet, see `_index`)."""
        self._row_values: Mapping[str, TableRow] = {}
        """Row key -> its value, for every row shown (it may hold more: `show_rows`)."""
        self._values_lent = False
        """`_row_values` is the mapping `show_rows` was given: copied before a change."""
        self.keep_end_columns: frozenset[str] = frozenset()
        """Columns whose too-long text is cut at its start (`…ders/local.yaml:6`),
        where the end says the most (a path's file name and line)."""
        self._announced_key: str | None = None
        """The row key last announced with RowHighlighted (None: none, or CursorCleared)."""
        self._cursor_column = 0
        """The column of the last click: a click selects only on the cell clicked before
        (DataTable keeps a cell coordinate even with a row cursor)."""
        self._show_hover_cursor = False
        """Used to hide the mouse hover cursor when the user uses the keyboard."""
        self._lines: LRUCache[str, tuple[tuple[object, ...], Strip]] = LRUCache(1024)
        """Row key -> (what the line was drawn with, the line): one entry per row,
        dropped when the row changes; the rest of the key changes with scrolling,
        the cursor, the hover and the styles."""
        self._header: tuple[tuple[object, ...], Strip] | None = None
        self._styles: dict[tuple[object, ...], tuple[Style, Style]] = {}
        """(header, hover, cursor, pseudo-classes) -> a cell's component and post styles."""
        self._cells = CellRenderer()
        self._pass: tuple[Style, PseudoClasses] | None = None

    # ------------------------------------------------------------------ columns and rows

    def set_columns(self, columns: Iterable[tuple[str, str, int]]) -> None:
        """Columns as (key, label, width); labels are markup, widths exclude padding."""
        self._columns = tuple(
            Column(key, Text.from_markup(label), width) for key, label, width in columns
        )
        self._cursor_column = clamp(self._cursor_column, 0, len(self._columns) - 1)
        self._invalidate_all()
        self._update_virtual_size()

    def empty_message(self) -> str:
        """What an empty table shows under its header ("" for nothing)."""
        return ""

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def row_count(self) -> int:
        return len(self._row_keys)

    @property
    def row_keys(self) -> list[str]:
        """Row keys in display order (a copy)."""
        return list(self._row_keys)

    def has_row(self, key: str) -> bool:
        return key in self._index

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    @property
    def _index(self) -> dict[str, int]:
        """Row key -> position, made when first asked for after `show_rows`: a
        filter typed over 100,000 rows shows a new set at each key, and making
        the index each time was as long as the rest of the key's work."""
        index = self._row_index
        if index is None:
            keys = self._row_keys
            index = self._row_index = dict(zip(keys, range(len(keys)), strict=True))
            if len(index) != len(keys):
                raise KeyError("duplicate row keys")
        return index

    def _own_values(self) -> dict[str, TableRow]:
        """`_row_values`, to change: a copy of the rows shown if it was lent."""
        values = self._row_values
        if self._values_lent or not isinstance(values, dict):
            values = self._row_values = {key: values[key] for key in self._row_keys}
            self._values_lent = False
        return values

    def get_row(self, key: str) -> list[Text]:
        """The cells of the row with `key`."""
        return list(self._row_values[key].cells())

    def get_cell(self, key: str, column_key: str) -> Text:
        """The cell of the row with `key` in the column with `column_key`."""
        columns = [column.key for column in self._columns]
        return self.get_row(key)[columns.index(column_key)]

    def get_row_at(self, row_index: int) -> list[Text]:
        return self.get_row(self._row_keys[row_index])

    def get_row_value(self, key: str) -> TableRow:
        return self._row_values[key]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None in an empty table)."""
        row = self.cursor_row
        return self._row_keys[row] if 0 <= row < len(self._row_keys) else None

    def replace_rows(self, rows: Iterable[tuple[str, TableRow]]) -> None:
        """Show exactly `rows`, in order, as a cleared table refilled would: the
        cursor and the scroll position go back to the top."""
        self._row_keys = []
        self._row_index = {}
        self._row_values = {}
        self._values_lent = False
        self._lines.clear()
        self.cursor_row = 0
        self.hover_row = 0
        self.scroll_to(0, 0, animate=False, force=True)
        self.append_rows(rows)
        self.refresh()
        self._announce_cursor()

    def show_rows(self, keys: list[str], values: Mapping[str, TableRow]) -> None:
        """Show exactly the rows of `keys` (no key twice), in order, their values
        from `values` (a mapping that may hold more): a new filter or sort of
        many rows without a pass over them, where removing and appending cost
        several. Unlike `replace_rows`, the cursor and the scroll position stay
        where they are (clamped), as after `remove_rows`. The table owns `keys`
        from now on, and reads `values` until its rows change (then it copies
        what it shows): the caller changes neither meanwhile."""
        self._row_keys = keys
        self._row_index = None
        self._row_values = values
        self._values_lent = True
        self._rows_moved()

    def append_rows(self, rows: Iterable[tuple[str, TableRow]]) -> None:
        """Add rows at the bottom; keys must be new."""
        keys, index, values = self._row_keys, self._index, self._own_values()
        was_empty = not keys
        for key, row in rows:
            if key in index:
                raise KeyError(f"row key {key!r} exists")
            index[key] = len(keys)
            keys.append(key)
            values[key] = row
        if not keys:
            return
        self._update_virtual_size()
        self.refresh()  # cheap: only the lines on screen are drawn, mostly from the cache
        self.cursor_row = self.cursor_row
        if was_empty:
            # A cursor position opened where there was none.
            self._highlight_row(self.cursor_row)
        self._announce_cursor()

    def remove_rows(self, keys: Iterable[str]) -> None:
        """Remove the rows with `keys`; the cursor keeps its index (clamped)."""
        gone = set(keys)
        if not gone:
            return
        missing = gone - self._index.keys()
        if missing:
            raise KeyError(f"no rows with keys {sorted(missing)!r}")
        values = self._own_values()
        self._row_keys = [key for key in self._row_keys if key not in gone]
        self._row_index = {key: position for position, key in enumerate(self._row_keys)}
        for key in gone:
            del values[key]
        self._rows_moved()

    def _rows_moved(self) -> None:
        """After rows changed places: cached lines carry their old index, and
        the cursor and hover keep theirs (clamped to the rows there are now)."""
        self._lines.clear()
        self._update_virtual_size()
        self.cursor_row = self.cursor_row
        self.hover_row = self.hover_row
        self.refresh()
        self._announce_cursor()

    def update_row(self, key: str, row: TableRow) -> None:
        """Replace one row's value and redraw that row only."""
        self._own_values()[key] = row
        self._lines.discard(key)
        self.refresh_row(self._index[key])

    # ------------------------------------------------------------------ geometry

    @property
    def table_width(self) -> int:
        return sum(column.width + 2 * CELL_PADDING for column in self._columns)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.table_width, len(self._row_keys) + HEADER_HEIGHT)

    def _row_region(self, row_index: int) -> Region:
        """The row's region in the table's (unscrolled) coordinates."""
        return Region(0, row_index + HEADER_HEIGHT, max(self.size.width, self.table_width), 1)

    def refresh_row(self, row_index: int) -> None:
        if not 0 <= row_index < len(self._row_keys):
            return
        region = self._row_region(row_index)
        if self.window_region.overlaps(region):
            self.refresh(region.translate(-self.scroll_offset))

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        _, y, width, height = self._row_region(self.cursor_row)
        if not 0 <= self.cursor_row < len(self._row_keys):
            y, width, height = 0, 0, 0  # as DataTable: an empty region
        region = Region(int(self.scroll_x), y, width, height)
        self.scroll_to_region(
            region, animate=animate, spacing=Spacing(HEADER_HEIGHT, 0, 0, 0), force=True
        )

    # ------------------------------------------------------------------ cursor

    def validate_cursor_row(self, row: int) -> int:
        return clamp(row, 0, len(self._row_keys) - 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        if old != new:
            self.refresh_row(old)
            self._highlight_row(new)
            self._scroll_cursor_into_view()

    def watch_hover_row(self, old: int, new: int) -> None:
        self._refresh_row_or_header(old)
        self._refresh_row_or_header(new)

    def _refresh_row_or_header(self, row_index: int) -> None:
        if row_index == -1:
            self.refresh(Region(0, 0, max(self.size.width, self.table_width), HEADER_HEIGHT))
        else:
            self.refresh_row(row_index)

    def _highlight_row(self, row_index: int) -> None:
        self.refresh_row(row_index)
        if 0 <= row_index < len(self._row_keys):
            self._announced_key = self._row_keys[row_index]
            self.post_message(self.RowHighlighted(self, row_index, self._announced_key))

    def _announce_cursor(self) -> None:
        """Rows came or went: when another row (or none) is under the cursor at the
        same index, say so. The cursor index did not change, so the reactive's
        watcher stays silent, and a details pane would show a row no longer there."""
        key = self.cursor_key
        if key == self._announced_key:
            return
        if key is None:
            self._announced_key = None
            self.post_message(self.CursorCleared(self))
        else:
            self._highlight_row(self.cursor_row)

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        if scroll:
            self._scroll_cursor_into_view(animate=animate)
        self.cursor_row = row

    def _set_hover_cursor(self, active: bool) -> None:
        self._show_hover_cursor = active
        self._refresh_row_or_header(self.hover_row)

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._invalidate_all()
        self.refresh()

    def _invalidate_all(self) -> None:
        self._styles.clear()
        self._cells.clear()
        self._lines.clear()
        self._header = None

    def _cell_styles(self, header: bool, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """DataTable's component and post styles of a cell (row cursor, CSS
        foreground priority, renderable background priority)."""
        key = (header, hover, cursor, self.get_pseudo_class_state())
        cached = self._styles.get(key)
        if cached is not None:
            return cached
        get_component = self.get_component_rich_style
        component = Style()
        if hover:
            component += get_component("line-table--hover")
            if header:
                component += get_component("line-table--header-hover")
        if cursor:
            component += get_component("line-table--cursor")
            if header:
                component += get_component("line-table--header-cursor")
        post = Style.from_color(color=component.color) + Style.null()
        self._styles[key] = (component, post)
        return component, post

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of this pass shares (the base style walks the ancestors).
        self._pass = (self.rich_style, self.get_pseudo_class_state())
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base_style, pseudo_classes = self._pass or (self.rich_style, self.get_pseudo_class_state())
        if y >= HEADER_HEIGHT:
            y += scroll_y
        row_index = y - HEADER_HEIGHT
        if row_index >= len(self._row_keys):
            message = self.empty_message() if row_index >= 1 and not self._row_keys else ""
            if message:
                # An empty table says why and what to do, under the header, wrapped.
                lines = Text(message, style="italic").wrap(self.app.console, max(10, width - 2))
                if row_index - 1 < len(lines):
                    line = Text(" ") + lines[row_index - 1]
                    return Strip(list(line.render(self.app.console))).adjust_cell_length(
                        width, base_style
                    )
            return Strip.blank(width, base_style)
        hover = self._show_hover_cursor and self.hover_row == row_index
        cursor = self.cursor_row == row_index
        signature = (
            row_index,
            cursor,
            hover,
            width,
            scroll_x,
            base_style,
            pseudo_classes,
        )
        if row_index < 0:
            if self._header is not None and self._header[0] == signature:
                return self._header[1]
            strip = self._render_row_line(row_index, None, cursor, hover, base_style)
            self._header = (signature, strip)
            return strip
        key = self._row_keys[row_index]
        cached = self._lines.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        strip = self._render_row_line(row_index, self._row_values[key], cursor, hover, base_style)
        self._lines[key] = (signature, strip)
        return strip

    def _render_row_line(
        self,
        row_index: int,
        row: TableRow | None,
        cursor: bool,
        hover: bool,
        base_style: Style,
    ) -> Strip:
        """One row (None: the header) as DataTable draws it, cropped to the view."""
        width = self.size.width
        scroll_x = int(self.scroll_offset.x)
        header = row is None
        console = self.app.console
        options = self.app.console_options
        if row is None:
            row_style = self.get_component_styles("line-table--header").rich_style
            cells: Sequence[Text] = [column.label for column in self._columns]
        else:
            row_style = base_style
            cells = row.cells()
        component, post = self._cell_styles(header, hover, cursor)
        segments: list[Segment] = []
        render_cell = self._cells.render
        cut_at_start = self.keep_end_columns
        for column_index, (column, text) in enumerate(zip(self._columns, cells, strict=True)):
            if not header and column.key in cut_at_start and len(text.plain) > column.width:
                text = Text(keep_end(text.plain, column.width), style=text.style)
            meta = Style.from_meta({"row": row_index, "column": column_index})
            segments += render_cell(
                console, options, text, column.width, (row_style, meta, component, post)
            )
        # The rest of the width: DataTable's row-cursor extension (the cell's
        # component style, without the post style).
        extend_style = (
            row_style
            + component
            + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        )
        segments.append(Segment(" " * max(0, width - self.table_width), extend_style))
        return (
            Strip(segments)
            .crop(scroll_x, scroll_x + width)
            .adjust_cell_length(width, base_style)
            .simplify()
        )

    # ------------------------------------------------------------------ mouse

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover_cursor(True)
        meta = event.style.meta
        if not meta:
            self._set_hover_cursor(False)
            return
        if "row" in meta:
            self.hover_row = meta["row"]

    def on_leave(self, _: events.Leave) -> None:
        self._set_hover_cursor(False)

    async def on_click(self, event: events.Click) -> None:
        self._set_hover_cursor(True)
        meta = event.style.meta
        if "row" not in meta or "column" not in meta:
            return
        row_index, column_index = meta["row"], meta["column"]
        if row_index == -1:
            if 0 <= column_index < len(self._columns):
                self.post_message(self.HeaderClicked(self, self._columns[column_index].key))
            event.stop()
            return
        clicked_twice = (row_index, column_index) == (self.cursor_row, self._cursor_column)
        column_index = clamp(column_index, 0, len(self._columns) - 1)
        if row_index == self.cursor_row and column_index != self._cursor_column:
            # Another cell of the cursor's row: DataTable's cursor moved, so it
            # announces the row again.
            self._cursor_column = column_index
            self._highlight_row(row_index)
            self._scroll_cursor_into_view()
        else:
            self._cursor_column = column_index
            self.cursor_row = row_index
        if clicked_twice:
            self._post_selected()
        self._scroll_cursor_into_view(animate=True)
        event.stop()

    # ------------------------------------------------------------------ keys

    def _page_height(self) -> int:
        return self.scrollable_content_region.height - HEADER_HEIGHT

    def action_page_down(self) -> None:
        self._set_hover_cursor(False)
        height = self._page_height()
        row = self.cursor_row
        rows_to_scroll = min(height + 1, max(0, len(self._row_keys) - row))
        self.scroll_relative(y=height, animate=False, force=True)
        self.move_cursor(row=row + rows_to_scroll - 1, scroll=False)

    def action_page_up(self) -> None:
        self._set_hover_cursor(False)
        height = self._page_height()
        row = self.cursor_row
        rows_to_scroll = min(height + 1, max(0, min(row + 1, len(self._row_keys))))
        self.scroll_relative(y=-height, animate=False)
        self.move_cursor(row=row - rows_to_scroll + 1, scroll=False)

    def action_page_left(self) -> None:
        self._set_hover_cursor(False)
        super().scroll_page_left()

    def action_page_right(self) -> None:
        self._set_hover_cursor(False)
        super().scroll_page_right()

    def action_scroll_top(self) -> None:
        self._set_hover_cursor(False)
        self.cursor_row = 0

    def action_scroll_bottom(self) -> None:
        self._set_hover_cursor(False)
        self.cursor_row = len(self._row_keys) - 1

    def action_scroll_home(self) -> None:
        self._set_hover_cursor(False)
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self._set_hover_cursor(False)
        self.scroll_x = self.max_scroll_x

    def action_cursor_up(self) -> None:
        self._set_hover_cursor(False)
        self.cursor_row = self.cursor_row - 1

    def action_cursor_down(self) -> None:
        self._set_hover_cursor(False)
        self.cursor_row = self.cursor_row + 1

    def action_cursor_right(self) -> None:
        self._set_hover_cursor(False)
        super().action_scroll_right()

    def action_cursor_left(self) -> None:
        self._set_hover_cursor(False)
        super().action_scroll_left()

    def action_select_cursor(self) -> None:
        self._set_hover_cursor(False)
        self._post_selected()

    def _post_selected(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, key))
