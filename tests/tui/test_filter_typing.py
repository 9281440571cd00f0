"""Typing a filter shows what a search from scratch shows.

The table keeps what a filter searches between keys (every row's text in a
list, and the rows each typed filter showed, shown again when it is erased),
and shows a filter's rows without indexing them (`LineTable.show_rows`). A
seeded random session of keys typed and erased, sorts, probe marks and
edits through the registry (which give the table new rows) is checked after
every step against the rows computed afresh from the registry's state:
filtered by the text, in the sort's order, the cursor on an instance the
table shows. Real files in a temp dir, the real app through `run_test`.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers.dashboard import wait_until

from provreg.tui.app import ProvregApp
from provreg.tui.widgets.providers_table import GLYPHS, ProvidersTable, RowData, row_for

pytestmark = pytest.mark.anyio

PROVIDERS = ("openai", "ollama", "anthropic", "openrouter")
TYPED = "ao-1lnx"


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    root = tmp_path / "cfg"
    root.mkdir()
    for index in range(4):
        entries = "".join(
            f"  - id: inst-{n:03d}\n"
            f"    name: {'Alpha' if n % 3 else 'beta'}-{n * 7 % 100:02d}\n"
            f"    provider: {PROVIDERS[n % 4]}\n"
            + ("    base_url: http://localhost:11434\n" if n % 4 == 1 else "")
            for n in range(index * 40, index * 40 + 40)
        )
        (root / f"p{index}.yaml").write_text(f"version: 1\nproviders:\n{entries}")
    return root


def expected_rows(app: ProvregApp, table: ProvidersTable) -> list[str]:
    """The instances a filter shows, computed from the state, in the sort's order."""
    state = app.state
    assert state is not None
    rows: dict[str, RowData] = {
        instance_id: row_for(
            instance,
            state,
            app.presence.trouble,
            table.roots,
            table.probe_marks.get(instance_id, ""),
        )
        for instance_id, instance in state.instances.items()
    }
    needle = table.filter_text
    shown = [i for i, row in rows.items() if needle in row.haystack()]
    rank = list(GLYPHS)
    orders = {
        "file": lambda i: 0,
        "name": lambda i: (rows[i].name.casefold(),),
        "provider": lambda i: (rows[i].provider, rows[i].name.casefold()),
        "status": lambda i: (-rank.index(rows[i].status), rows[i].name.casefold()),
    }
    return sorted(shown, key=orders[table.sort_key])


@pytest.mark.parametrize("seed", range(3))
async def test_typing_and_erasing_a_filter_shows_the_rows_a_fresh_search_shows(
    registry_dir: Path, seed: int
) -> None:
    rng = random.Random(seed)
    app = ProvregApp([str(registry_dir)], watch=False, audit=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one("#providers", ProvidersTable)
        await wait_until(pilot, lambda: table.filled, "the table to fill", timeout=30)
        # Erasing after a sort, and typing again after an edit made with no
        # filter: the rows remembered for a filter are those of another order,
        # or of other rows.
        assert app.registry is not None
        for action in ("a", "al", "sort", "a", "", "edit", "a", "al", "sort", "sort", "a"):
            before = app.state
            if action == "sort":
                app.action_sort()
            elif action == "edit":
                await app.registry.update("inst-001", {"name": "zeta"})
                await wait_until(pilot, lambda b=before: app.state is not b, "the edit")
            else:
                table.set_filter(action)
            await pilot.pause()
            assert table.instance_ids == expected_rows(app, table), action
        text = ""
        kinds: set[str] = set()
        for step in range(60):
            kind = rng.choices(("type", "erase", "sort", "probe", "edit"), (6, 4, 1, 1, 1))[0]
            if kind == "type" or (kind == "erase" and not text):
                kind = "type"
                text += rng.choice(TYPED)
                table.set_filter(text)
            elif kind == "erase":
                text = text[:-1]
                table.set_filter(text)
            elif kind == "sort":
                app.action_sort()
            elif kind == "probe":
                table.set_probe_mark(f"inst-{rng.randrange(160):03d}", rng.choice(("ok", "")))
            else:
                assert app.registry is not None and app.state is not None
                before = app.state
                instance_id = f"inst-{rng.randrange(160):03d}"
                await app.registry.update(instance_id, {"name": f"alpha-{step}x"})
                await wait_until(
                    pilot,
                    lambda b=before: app.state is not b and table.filled,
                    "the edit to reach the table",
                )
            kinds.add(kind)
            await pilot.pause()
            wanted = expected_rows(app, table)
            assert table.instance_ids == wanted, (step, kind, text, table.sort_key)
            # The index made on demand agrees with the rows shown.
            for instance_id in rng.sample(wanted, min(3, len(wanted))):
                assert table.get_row_index(instance_id) == wanted.index(instance_id)
            if wanted:
                assert table.selected_id in wanted
        assert kinds == {"type", "erase", "sort", "probe", "edit"}  # else this tests less
