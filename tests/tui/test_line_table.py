"""LineTable behaves like the DataTable it replaced.

Two apps, one with a LineTable and one with a `DataTable(cursor_type="row")`
holding the same rows, get the same keys, mouse events and header clicks
(which sort the rows); after each step the same text must be on screen with
the same mouse metadata (row and column of each cell), the same lines must be
drawn alike (header, cursor, hover and plain rows told apart by background,
whatever the colours), the cursor and the scroll position must agree, and the
same row messages must have been posted. The colours themselves are
LineTable's own CSS: the snapshots hold the look, and a test below checks that
a theme's colours reach its component classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.color import Color
from textual.pilot import Pilot
from textual.theme import Theme
from textual.widgets import DataTable

from provreg.tui.themes import load_theme_file
from provreg.tui.widgets.line_table import LineTable

pytestmark = pytest.mark.anyio

COLUMNS = (("status", " ", 1), ("name", "Name", 12), ("where", "File:[b]line[/b]", 20))


@dataclass(frozen=True)
class Row:
    values: tuple[Text, ...]

    def cells(self) -> tuple[Text, ...]:
        return self.values


def sample_cells(index: int) -> tuple[Text, ...]:
    """Every kind of cell: plain ASCII, dimmed, empty, too long, wide and
    zero-width characters, spans, a right-justified cell."""
    names = [
        Text(f"row {index}"),
        Text(f"stale {index}", style="bright_black"),
        Text(""),
        Text("a name far too long for its column"),
        Text("東京 gateway wide"),
        Text("Cafe\u0301 combining"),
        Text.assemble(("sp", "bold"), ("ans", "red")),
        Text("right", justify="right"),
        Text("ellipsis overflowing", overflow="ellipsis"),
        Text("tab\there"),
    ]
    glyphs = [("●", "green"), ("▲", "yellow"), ("⚡", "magenta"), ("◌", "bright_black")]
    glyph, color = glyphs[index % len(glyphs)]
    return (
        Text(glyph, style=color),
        names[index % len(names)],
        Text(f"dir/file-{index}.yaml:{index * 7}"),
    )


ROWS = [(f"id-{i}", Row(sample_cells(i))) for i in range(45)]


class TableApp(App[None]):
    CSS = "LineTable, DataTable { height: 14; }"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.highlighted: list[tuple[int, str]] = []
        self.selected: list[tuple[int, str]] = []

    def compose(self) -> ComposeResult:
        if self.kind == "lines":
            yield LineTable(id="table")
        else:
            yield DataTable(id="table", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        table = self.query_one("#table")
        if isinstance(table, LineTable):
            table.set_columns(COLUMNS)
            table.append_rows(ROWS)
        else:
            assert isinstance(table, DataTable)
            for key, label, width in COLUMNS:
                table.add_column(label, key=key, width=width)
            for key, row in ROWS:
                table.add_row(*row.cells(), key=key)
        table.focus()

    def on_line_table_row_highlighted(self, event: LineTable.RowHighlighted) -> None:
        self.highlighted.append((event.cursor_row, event.row_key))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.highlighted.append((event.cursor_row, str(event.row_key.value)))

    def on_line_table_row_selected(self, event: LineTable.RowSelected) -> None:
        self.selected.append((event.cursor_row, event.row_key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.selected.append((event.cursor_row, str(event.row_key.value)))

    def on_line_table_header_clicked(self, event: LineTable.HeaderClicked) -> None:
        table = self.query_one(LineTable)
        table.replace_rows(sorted_rows(event.column_key))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        # DataTable.sort keeps the cursor's index and the scroll, which LineTable
        # does not offer: what replace_rows promises is a table cleared and refilled.
        table = self.query_one(DataTable)
        table.clear()
        for key, row in sorted_rows(str(event.column_key.value)):
            table.add_row(*row.cells(), key=key)


def sorted_rows(column_key: str) -> list[tuple[str, Row]]:
    column = [key for key, _, _ in COLUMNS].index(column_key)
    return sorted(ROWS, key=lambda item: (item[1].cells()[column].plain, item[0]))


def screen_lines(lines: list[list[Segment]]) -> list[list[tuple[str, object]]]:
    """Each line as its text cut where the mouse metadata changes, with that
    metadata: what is shown, and what a click there reaches."""
    shown = []
    for line in lines:
        parts: list[tuple[str, object]] = []
        for segment in line:
            meta = segment.style.meta if segment.style is not None else {}
            if parts and parts[-1][1] == meta:
                parts[-1] = (parts[-1][0] + segment.text, meta)
            else:
                parts.append((segment.text, meta))
        shown.append(parts)
    return shown


def line_kinds(lines: list[list[Segment]], kinds: dict[object, int]) -> list[int]:
    """Lines told apart by the background of their first cell, numbered in order
    of first appearance in the run (`kinds`): which lines are drawn alike, in
    this step and across steps, whatever the colours."""
    numbered = []
    for line in lines:
        style = line[0].style if line and line[0].style is not None else Style.null()
        numbered.append(kinds.setdefault(style.bgcolor, len(kinds)))
    return numbered


def seen(pilot: Pilot[Any], kinds: dict[object, int]) -> dict[str, Any]:
    """What the user sees of the table, and what the app was told."""
    app = pilot.app
    assert isinstance(app, TableApp)
    table: Any = app.query_one("#table")
    lines = [list(table.render_line(y)) for y in range(table.size.height)]
    return {
        "text": screen_lines(lines),
        "kinds": line_kinds(lines, kinds),
        "cursor": table.cursor_row,
        "scroll": (table.scroll_x, table.scroll_y),
        "highlighted": list(app.highlighted),
        "selected": list(app.selected),
    }


STEPS: list[tuple[str, tuple[Any, ...]]] = [
    ("start", ()),
    ("press", ("down", "down")),
    ("press", ("pagedown",)),
    ("press", ("pagedown", "pagedown", "pagedown")),
    ("press", ("end",)),
    ("press", ("pageup",)),
    ("press", ("home", "up")),
    ("press", ("ctrl+end",)),
    ("press", ("ctrl+home", "down")),
    ("press", ("right", "right")),
    ("press", ("left",)),
    ("press", ("enter",)),
    ("hover", (6, 4)),
    ("hover", (40, 5)),
    ("hover", (3, 0)),
    ("click", (6, 6)),
    ("click", (6, 6)),
    ("click", (30, 6)),
    ("click", (70, 8)),
    ("click", (6, 0)),  # the Name header: sort by name
    ("press", ("down", "pagedown")),
    ("click", (20, 0)),  # the File:line header: sort by file
    ("blur", ()),
    ("focus", ()),
]


async def run_steps(kind: str, size: tuple[int, int]) -> list[dict[str, Any]]:
    app = TableApp(kind)
    results = []
    kinds: dict[object, int] = {}
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.query_one("#table")
        for step, args in STEPS:
            if step == "press":
                await pilot.press(*args)
            elif step == "hover":
                await pilot.hover("#table", offset=args)
            elif step == "click":
                await pilot.click("#table", offset=args)
            elif step == "blur":
                app.set_focus(None)
            elif step == "focus":
                table.focus()
            await pilot.pause()
            await pilot.pause()
            results.append(seen(pilot, kinds))
    return results


@pytest.mark.parametrize("size", [(80, 16), (120, 20)], ids=["80x16", "120x20"])
async def test_line_table_matches_data_table(size: tuple[int, int]) -> None:
    expected = await run_steps("data", size)
    actual = await run_steps("lines", size)
    for (step, args), want, got in zip(STEPS, expected, actual, strict=True):
        for what in ("cursor", "scroll", "highlighted", "selected", "kinds"):
            assert got[what] == want[what], (step, args, what)
        for y, (line_want, line_got) in enumerate(zip(want["text"], got["text"], strict=True)):
            assert line_got == line_want, (step, args, y)


async def test_rows_come_and_go_like_data_table_rows() -> None:
    """Removing rows keeps the cursor's index (clamped); a first row is announced;
    replacing all rows goes back to the top; an update redraws the row."""
    app = TableApp("lines")
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        table = app.query_one(LineTable)
        assert app.highlighted == [(0, "id-0")]
        table.move_cursor(row=44)
        await pilot.pause()
        assert table.cursor_key == "id-44"
        table.remove_rows(["id-43", "id-44", "id-2"])
        await pilot.pause()
        assert (table.row_count, table.cursor_row, table.cursor_key) == (42, 41, "id-42")
        assert app.highlighted[-1] == (41, "id-42")
        assert table.get_row_index("id-3") == 2
        assert table.virtual_size.height == 43

        table.update_row("id-42", Row((Text("●"), Text("renamed"), Text("x.yaml:1"))))
        await pilot.pause()
        assert [cell.plain for cell in table.get_row("id-42")] == ["●", "renamed", "x.yaml:1"]
        cursor_line = "".join(segment.text for segment in table.render_line(table.size.height - 1))
        assert "renamed" in cursor_line or any(
            "renamed" in "".join(s.text for s in table.render_line(y))
            for y in range(table.size.height)
        )

        table.replace_rows([])
        await pilot.pause()
        assert (table.row_count, table.cursor_key, table.scroll_y) == (0, None, 0)
        count = len(app.highlighted)
        table.append_rows(ROWS[5:7])
        await pilot.pause()
        assert app.highlighted[count:] == [(0, "id-5")]
        with pytest.raises(KeyError):
            table.append_rows(ROWS[5:6])
        with pytest.raises(KeyError):
            table.remove_rows(["id-0"])


async def test_a_theme_colours_the_line_table(tmp_path: Path) -> None:
    """A user theme reaches LineTable's own component classes through the
    theme variables its CSS uses: the header's `panel`, the cursor's and the
    hover's `block-cursor-background` and `block-hover-background`."""
    path = tmp_path / "table-test.yaml"
    path.write_text(
        "name: table-test\n"
        'primary: "#5fafff"\n'
        'panel: "#123456"\n'
        "variables:\n"
        '  block-cursor-background: "#abcdef"\n'
        '  block-hover-background: "#fedcba"\n',
        encoding="utf-8",
    )
    theme: Theme = load_theme_file(path)
    app = TableApp("lines")
    async with app.run_test(size=(80, 16)) as pilot:
        app.register_theme(theme)
        app.theme = "table-test"
        await pilot.pause()
        table = app.query_one(LineTable)
        assert table.has_focus
        backgrounds = {
            name: table.get_component_styles(name).background
            for name in ("line-table--header", "line-table--cursor", "line-table--hover")
        }
        assert backgrounds == {
            "line-table--header": Color.parse("#123456"),
            "line-table--cursor": Color.parse("#abcdef"),
            "line-table--hover": Color.parse("#fedcba"),
        }
        cursor_line = table.render_line(1)  # row 0, under the cursor
        assert cursor_line and all(
            segment.style is not None and segment.style.bgcolor == Color.parse("#abcdef").rich_color
            for segment in cursor_line
        )


async def test_shown_rows_read_the_given_values_until_the_rows_change() -> None:
    """`show_rows` shows some keys of a larger mapping without copying it or
    indexing the keys; a later change copies what is shown, and never writes
    into the mapping given; the index, made when first asked for, agrees."""
    app = TableApp("lines")
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        table = app.query_one(LineTable)
        given = dict(ROWS)
        before = dict(given)
        keys = [f"id-{i}" for i in range(40, 0, -3)]
        table.show_rows(list(keys), given)
        await pilot.pause()
        assert table.row_keys == keys and table.virtual_size.height == len(keys) + 1
        assert [table.get_row_index(key) for key in keys] == list(range(len(keys)))
        assert not table.has_row("id-0") and table.has_row("id-1")
        assert table.get_row("id-40") == list(given["id-40"].cells())
        assert table.cursor_key == "id-40"

        table.update_row("id-37", Row((Text("●"), Text("renamed"), Text("x.yaml:1"))))
        table.remove_rows(["id-40"])
        table.append_rows([("id-0", given["id-0"])])
        await pilot.pause()
        assert given == before and all(given[key] is row for key, row in before.items())
        assert table.row_keys == [*keys[1:], "id-0"]
        assert [cell.plain for cell in table.get_row("id-37")][1] == "renamed"
        assert table.get_row_index("id-0") == len(keys) - 1

        table.show_rows(["id-1", "id-1"], given)
        with pytest.raises(KeyError, match="duplicate"):
            table.has_row("id-1")
