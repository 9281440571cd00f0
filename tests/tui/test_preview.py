"""The first screenful before the registry is open (issue 12): the preview's rows
are a prefix of the registry's rows, and the registry's replace them."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dashboard import RunDashboard, fixed_stamp, plain, started, table_of
from textual.widgets import Footer, Static, TabbedContent

from provreg.key_trouble import KeyTrouble
from provreg.registry import ProviderRegistry
from provreg.tui.app import ProvregApp
from provreg.tui.preview import preview_rows
from provreg.tui.screens.main import NARROW_WIDTH
from provreg.tui.widgets.providers_table import row_for

pytestmark = pytest.mark.anyio

ROOTS = ("cfg",)


async def registry_rows(paths: list[str]) -> list[tuple[str, str, str, str, str]]:
    registry = await ProviderRegistry.open(paths, audit=False)
    state = registry.snapshot()
    rows = []
    for instance_id, instance in state.instances.items():
        row = row_for(instance, state, KeyTrouble(), ROOTS)
        rows.append((instance_id, row.name, row.provider, row.model, row.where))
    return rows


async def test_the_preview_shows_the_registry_first_rows(cfg: Path) -> None:
    expected = await registry_rows(["cfg"])
    preview = preview_rows(["cfg"], ROOTS, 40)
    assert [key for key, _ in preview] == [row[0] for row in expected]
    for (key, row), (_, name, provider, model, where) in zip(preview, expected, strict=True):
        assert (row.name, row.provider, row.where) == (name, provider, where), key
        # Only an explicit default_model: a provider's default comes with the catalog.
        assert row.model in ("", model), key
        assert row.status == "checking"
    assert len(preview_rows(["cfg"], ROOTS, 3)) == 3


async def test_the_preview_stops_where_it_could_show_a_row_the_table_will_not_have(
    cfg: Path,
) -> None:
    local = cfg / "providers" / "local.yaml"
    hosted = [key for key, _ in preview_rows(["cfg"], ROOTS, 40)][:3]
    local.write_text("version: 1\nproviders:\n  - id: x\n    name: [not, plain\n")
    assert [key for key, _ in preview_rows(["cfg"], ROOTS, 40)] == hosted  # broken YAML
    local.write_text("providers:\n  - {id: x, name: X, provider: openai}\n")
    assert [key for key, _ in preview_rows(["cfg"], ROOTS, 40)] == hosted  # no version
    local.write_text("version: 1\nproviders:\n  - {id: gemini, name: X, provider: openai}\n")
    assert [key for key, _ in preview_rows(["cfg"], ROOTS, 40)] == hosted  # a duplicate id
    local.write_text("version: 1\nproviders:\n  - {id: y, name: 12, provider: openai}\n")
    assert [key for key, _ in preview_rows(["cfg"], ROOTS, 40)] == hosted  # a name not text
    assert preview_rows(["missing"], (), 40) == []


async def test_the_registry_rows_replace_the_preview(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """An entry without an id has a preview key no id can take, an invalid entry
    (which the preview does not validate) has a row until the registry opens;
    once loaded, every row is the registry's, none still "checking"."""
    local = cfg / "providers" / "local.yaml"
    local.write_text(local.read_text().replace("  - id: local-ollama\n    name:", "  - name:"))
    gateway = cfg / "team" / "gateway.yaml"
    invalid = "\n  - id: no-such-provider\n    name: Nowhere\n    provider: no-such\n"
    gateway.write_text(gateway.read_text() + invalid)
    preview = [key for key, _ in preview_rows(["cfg"], ROOTS, 40)]
    assert len(preview) == 9 and "local-ollama" not in preview
    assert preview[-1] == "no-such-provider"
    async with run_dashboard((120, 40), watch=False) as (app, pilot, _):
        table = table_of(pilot)
        assert app.state is not None
        assert table.instance_ids == list(app.state.instances)
        assert "local-ollama" in table.instance_ids  # its derived id
        assert "no-such-provider" not in table.instance_ids
        assert all(table.get_row_value(i).status != "checking" for i in table.instance_ids)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_bottom_tabs_come_after_the_first_rows(cfg: Path, size: tuple[int, int]) -> None:
    """The first frame has the preview's rows and empty places for the bottom
    tabs and the footer (mounted after it: they are most of the screen's widgets). A tab key
    pressed before they mount still takes effect, and the layout is the
    terminal width's (the Details tab only when narrow)."""
    app = ProvregApp(["cfg"], stamp=fixed_stamp, watch=False)
    async with app.run_test(size=size) as pilot:
        assert len(table_of(pilot).instance_ids) > 0  # the preview, before the tabs
        assert not app.query("#bottom-tabs"), "the tabs mounted before the first frame"
        assert not app.query(Footer), "the footer mounted before the first frame"
        app.action_show_tab("activity")
        await started(pilot)
        tabs = app.query_one("#bottom-tabs", TabbedContent)
        assert tabs.active == "activity"
        assert app.query_one("#activity-log").is_mounted
        assert app.query_one("#footer-slot Footer").is_mounted
        narrow = size[0] < NARROW_WIDTH
        assert tabs.get_tab("details").display is narrow
        assert app.query_one("#detail").display is not narrow
        # The Details tab's pane, shown before it was mounted, shows the selection.
        selected = table_of(pilot).selected_id
        assert app.state is not None and selected is not None
        body = app.query_one("#detail-tab #detail-body", Static).content
        assert app.state.instances[selected].name in plain(body)
