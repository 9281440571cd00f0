"""LineTable draws and behaves like the DataTable it replaced.

Two apps, one with a LineTable and one with a `DataTable(cursor_type="row")`
holding the same rows, get the same keys and mouse events; after each step
every line on screen must be the same segments with the same styles (and
metadata), the cursor and the scroll position must agree, and the same row
messages must have been posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

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


def seen(pilot: Pilot[Any]) -> dict[str, Any]:
    """What the user sees of the table, and what the app was told."""
    app = pilot.app
    assert isinstance(app, TableApp)
    table: Any = app.query_one("#table")
    return {
        "lines": [list(table.render_line(y)) for y in range(table.size.height)],
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
    ("blur", ()),
    ("focus", ()),
]


async def run_steps(kind: str, size: tuple[int, int]) -> list[dict[str, Any]]:
    app = TableApp(kind)
    results = []
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
            results.append(seen(pilot))
    return results


@pytest.mark.parametrize("size", [(80, 16), (120, 20)], ids=["80x16", "120x20"])
async def test_line_table_matches_data_table(size: tuple[int, int]) -> None:
    expected = await run_steps("data", size)
    actual = await run_steps("lines", size)
    for (step, args), want, got in zip(STEPS, expected, actual, strict=True):
        for what in ("cursor", "scroll", "highlighted", "selected"):
            assert got[what] == want[what], (step, args, what)
        for y, (line_want, line_got) in enumerate(zip(want["lines"], got["lines"], strict=True)):
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
