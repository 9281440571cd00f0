"""The first fill in chunks shows what one fill of the whole registry shows.

The app fills the table in chunks (`_first_fill`: FIRST_ROWS, then every
ROW_CHUNK rows, yielding to the event loop between them), adding each chunk's
rows rather than redoing the table. These tests make the chunks small, act
between them as a user or another process would (a sort, a filter, the
cursor, an external edit of a file), and compare the table with one filled
in a single chunk and then given the same sort and filter: same rows, same
order, every row equal to one computed afresh from the registry's state.
Real files in a temp dir, the real app through `run_test`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import wait_until

from provreg.tui import app as app_module
from provreg.tui.app import ProvregApp
from provreg.tui.widgets.providers_table import ProvidersTable, RowData, row_for

pytestmark = pytest.mark.anyio

FILES, PER_FILE = 6, 60
COUNT = FILES * PER_FILE
PROVIDERS = ("openai", "ollama", "anthropic", "openrouter")

Hook = Callable[[ProvregApp, int], Awaitable[None]]
"""Run at each yield of the fill, with the yield's number (1: after the first rows)."""


def instance_yaml(n: int) -> str:
    # Names out of file order, in mixed case, so a sort by name moves rows.
    name = f"{'abcdefghij'[n * 7 % 10].upper() if n % 3 else 'abcdefghij'[n * 7 % 10]}-{n:04d}"
    return (
        f"  - id: inst-{n:04d}\n"
        f"    name: {name}\n"
        f"    provider: {PROVIDERS[n % len(PROVIDERS)]}\n"
        + (
            f"    default_model: model-{n % 5}\n"
            if PROVIDERS[n % len(PROVIDERS)] != "ollama"
            else ""
        )
        + ("    base_url: http://localhost:11434\n" if n % len(PROVIDERS) == 1 else "")
    )


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    root = tmp_path / "cfg"
    root.mkdir()
    for index in range(FILES):
        entries = "".join(instance_yaml(index * PER_FILE + n) for n in range(PER_FILE))
        (root / f"p{index}.yaml").write_text(f"version: 1\nproviders:\n{entries}")
    return root


def in_chunks(monkeypatch: pytest.MonkeyPatch, first: int, chunk: int) -> None:
    monkeypatch.setattr(app_module, "FIRST_ROWS", first)
    monkeypatch.setattr(app_module, "ROW_CHUNK", chunk)


async def run(
    root: Path, hook: Hook | None = None, after: Hook | None = None
) -> tuple[list[str], list[RowData], str | None, ProvregApp]:
    """Open the dashboard over `root`, run `hook` at each of the fill's yields and
    `after` once filled; return the rows shown (keys and values), the selected
    instance, and the app (stopped)."""
    yields = 0
    original = app_module._yield

    async def hooked() -> None:
        nonlocal yields
        yields += 1
        await original()
        if hook is not None:
            await hook(app, yields)

    app = ProvregApp([str(root)], watch=False, audit=False)
    patch = pytest.MonkeyPatch()
    patch.setattr(app_module, "_yield", hooked)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.query_one("#providers", ProvidersTable)
            await wait_until(pilot, lambda: table.filled, "the table to fill", timeout=30)
            await pilot.pause()
            if after is not None:
                await after(app, 0)
                await pilot.pause()
            assert app.state is not None
            for instance_id, instance in app.state.instances.items():
                if table.has_row(instance_id):
                    fresh = row_for(instance, app.state, app.presence.trouble, table.roots)
                    assert table.get_row_value(instance_id) == fresh, instance_id
            keys = table.instance_ids
            values = [table.get_row_value(key) for key in keys]
            assert isinstance(values[0], RowData) if values else True
            selected = table.selected_id
            assert app.selected_instance() is not None or selected is None
            if selected is not None:
                instance = app.selected_instance()
                assert instance is not None and instance.id == selected
    finally:
        patch.undo()
    return keys, values, selected, app  # type: ignore[return-value]


async def sort_by(app: ProvregApp, key: str) -> None:
    while app.main.table.sort_key != key:
        app.action_sort()


async def test_chunks_give_the_rows_of_one_fill(
    registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_keys, one_values, _, one_app = await run(registry_dir)
    assert one_app.state is not None
    assert one_keys == list(one_app.state.instances)
    assert len(one_keys) == COUNT
    in_chunks(monkeypatch, 20, 50)
    yields: list[int] = []

    async def count(_app: ProvregApp, n: int) -> None:
        yields.append(n)

    keys, values, selected, _ = await run(registry_dir, count)
    assert len(yields) >= COUNT // 50  # it did fill in chunks
    assert (keys, values) == (one_keys, one_values)
    assert selected == keys[0]


@pytest.mark.parametrize(
    ("sort", "needle"),
    [("name", ""), ("provider", ""), ("status", ""), ("file", "ollama"), ("name", "a-0")],
)
async def test_sort_and_filter_during_the_fill(
    registry_dir: Path, monkeypatch: pytest.MonkeyPatch, sort: str, needle: str
) -> None:
    async def choose(app: ProvregApp, _n: int) -> None:
        await sort_by(app, sort)
        if needle:
            app.main.table.set_filter(needle)

    one_keys, one_values, _, _ = await run(registry_dir, after=choose)
    in_chunks(monkeypatch, 20, 50)

    async def at_second_yield(app: ProvregApp, n: int) -> None:
        if n == 2:
            await choose(app, n)

    keys, values, _, app = await run(registry_dir, at_second_yield)
    assert app.main.table.sort_key == sort
    assert (keys, values) == (one_keys, one_values)
    if needle:
        assert 0 < len(keys) < COUNT
        assert all(value.matches(needle) for value in values)
    if sort == "name":
        names = [value.name.casefold() for value in values]
        assert names == sorted(names)


async def test_the_cursor_stays_on_its_instance_during_the_fill(
    registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_chunks(monkeypatch, 20, 50)
    chosen: list[str] = []

    async def move(app: ProvregApp, n: int) -> None:
        table = app.main.table
        if n == 1:
            table.move_cursor(row=7)
            chosen.append(str(table.selected_id))
        elif n == 3:
            await sort_by(app, "name")  # the instance moves; the cursor goes with it

    keys, _, selected, app = await run(registry_dir, move)
    assert selected == chosen[0] == "inst-0007"
    assert app.main.table.cursor_row == keys.index("inst-0007")


async def test_an_external_edit_during_the_fill(
    registry_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit committed while the fill is under way (a file rewritten by another
    process and reread) shows, and the fill's older rows never overwrite it."""
    in_chunks(monkeypatch, 20, 50)
    edited = registry_dir / "p0.yaml"
    later = registry_dir / f"p{FILES - 1}.yaml"

    async def edit(app: ProvregApp, n: int) -> None:
        if n != 2:
            return
        assert app.registry is not None and app.state is not None
        before = app.state
        app.main.table.move_cursor(row=3)
        # One row already shown, one not yet reached, one removed.
        edited.write_text(
            edited.read_text()
            .replace("name: b-0003\n", "name: Edited three\n")
            .replace("  - id: inst-0005\n", "  - id: inst-0005-renamed\n")
        )
        later.write_text(later.read_text().replace("name: h-0351\n", "name: Edited later\n"))
        await app.registry.reload([str(edited), str(later)])
        # The commit reaches the screen through a message: let it arrive.
        for _ in range(200):
            if app.state is not before:
                break
            await app_module.asyncio.sleep(0.01)
        assert app.state is not before

    keys, values, selected, app = await run(registry_dir, edit)
    state = app.state
    assert state is not None
    assert keys == list(state.instances)
    names = {value.name for value in values}
    assert {"Edited three", "Edited later"} <= names
    assert "b-0003" not in names and "h-0351" not in names
    assert "inst-0005-renamed" in keys and "inst-0005" not in keys
    assert selected == "inst-0003"
    # The table's basis is the edited state: a later edit updates rows in place.
    table: Any = app.main.table
    assert table._basis is not None and table._basis[0] is state


async def test_one_instances_key_status_redoes_its_row_only(registry_dir: Path) -> None:
    """The keyring's answer for the selected row changes that row alone (no walk
    over every instance), and the table ends as a full `apply` leaves it."""
    target = "inst-0002"  # anthropic: its key is looked for in the keyring

    async def answer(app: ProvregApp, _n: int) -> None:
        table = app.main.table
        state, since = app.state, app.presence.trouble
        assert state is not None
        trouble = since.with_present(target, target in since.missing)
        assert trouble is not since
        before = table.get_row_value(target)
        others = {i: table.get_row_value(i) for i in table.instance_ids if i != target}
        table.apply_keys_of(state, trouble, target, since=since)
        app.presence.set_trouble(trouble)  # run() compares every row with fresh ones
        assert table.get_row_value(target) != before
        assert all(table.get_row_value(i) is row for i, row in others.items())

    keys, _, _, app = await run(registry_dir, after=answer)
    assert app.state is not None and keys == list(app.state.instances)
