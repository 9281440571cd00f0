"""Every dashboard action end to end, at 80x24 and 120x40.

Each test drives the real app with keys against a real config directory
(a copy of sample_configs) and asserts both what the screen shows and what
the YAML files on disk say afterwards. The sync engine runs (watch=True), as
for a user, so the app's own writes also go through echo suppression.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.dashboard import (
    SIZE_IDS,
    SIZES,
    RunDashboard,
    clear_and_type,
    open_form,
    paste,
    plain,
    screen_text,
    select,
    table_of,
    type_text,
    wait_until,
)
from helpers.files import changed_lines, read_tree
from helpers.paths import SAMPLE_IDS
from textual.widgets import Input, Label, OptionList, Static, TabbedContent

from provreg.tui.app import ProvregApp
from provreg.tui.screens.confirm import ConfirmScreen
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.screens.provider_picker import ProviderPicker
from provreg.tui.screens.secret_input import SecretInputScreen
from provreg.tui.widgets.detail_pane import DetailPane
from provreg.tui.widgets.problems import ProblemsTable
from provreg.tui.widgets.status_header import StatusHeader

pytestmark = pytest.mark.anyio
sizes = pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)


def text_of(widget: Label | Any) -> str:
    return plain(widget.content).strip()


def cells(pilot: Any, instance_id: str) -> list[str]:
    """The row's cells as plain text: status (then the probe's glyph, if any), name,
    provider, model, file:line."""
    return [str(cell).rstrip() for cell in table_of(pilot).get_row(instance_id)]


def detail_text(pilot: Any) -> str:
    pane = pilot.app.query_one(DetailPane)
    return plain(pane.query_one("#detail-body", Static).content)


async def save_form(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await wait_until(
        pilot, lambda: not isinstance(pilot.app.screen, InstanceForm), "the form to close"
    )


# --------------------------------------------------------------------------- add


@sizes
async def test_add_picks_a_type_fills_the_form_and_selects_the_new_row(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert {"openai", "anthropic", "ollama", "acme-gateway"} <= set(ids)
        if options.highlighted is None:
            await pilot.press("down")
        await pilot.press(*["down"] * (ids.index("openai") - (options.highlighted or 0)))
        assert options.highlighted is not None and ids[options.highlighted] == "openai"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        form = app.screen
        assert isinstance(form, InstanceForm)
        assert form.definition.id == "openai"
        assert form.query_one("#field-name", Input).has_focus
        await type_text(pilot, "Team OpenAI")
        await clear_and_type(pilot, "#field-default_model", "gpt-4o", pasted=True)
        await save_form(pilot)

        table = table_of(pilot)
        await wait_until(pilot, lambda: table.selected_id == "team-openai", "the new row")
        await wait_until(pilot, lambda: table.has_focus, "the focus back on the table")
        assert cells(pilot, "team-openai")[1:4] == ["Team OpenAI", "openai", "gpt-4o"]
        assert cells(pilot, "team-openai")[4].startswith("providers.yaml:")
        assert sorted(table.instance_ids) == sorted([*SAMPLE_IDS, "team-openai"])
        assert "Team OpenAI" in detail_text(pilot)

    after = read_tree(cfg)
    assert {name: after[name] for name in before} == before, "another file was touched"
    assert set(after) - set(before) == {"providers.yaml"}
    document = yaml.safe_load(after["providers.yaml"])
    assert document["providers"] == [
        {
            "id": "team-openai",
            "name": "Team OpenAI",
            "provider": "openai",
            "default_model": "gpt-4o",
        }
    ]


# --------------------------------------------------------------------------- edit


@sizes
async def test_edit_changes_one_line_and_keeps_the_cursor(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        table = table_of(pilot)
        await select(pilot, "personal-anthropic")
        row_before = table.cursor_row
        form = await open_form(pilot, "e")
        assert form.query_one("#field-name", Input).value == "Personal Anthropic"
        assert form.query_one("#field-default_model", Input).value == "claude-sonnet-4-5"
        await clear_and_type(pilot, "#field-default_model", "claude-opus-4-1", pasted=True)
        await save_form(pilot)

        await wait_until(
            pilot,
            lambda: cells(pilot, "personal-anthropic")[3] == "claude-opus-4-1",
            "the row to show the new model",
        )
        assert table.selected_id == "personal-anthropic"
        assert table.cursor_row == row_before
        await wait_until(pilot, lambda: table.has_focus, "the focus back on the table")
        assert table.instance_ids == SAMPLE_IDS
        assert "claude-opus-4-1" in detail_text(pilot)

    after = read_tree(cfg)
    hosted = "providers/hosted.yaml"
    assert changed_lines(before[hosted], after[hosted]) == [
        "-    default_model: claude-sonnet-4-5",
        "+    default_model: claude-opus-4-1",
    ]
    assert {name: text for name, text in after.items() if name != hosted} == {
        name: text for name, text in before.items() if name != hosted
    }


async def test_a_click_selects_a_row_and_a_second_click_opens_its_form(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    async with run_dashboard((120, 40)) as (app, pilot, _):
        table = table_of(pilot)
        target = table.instance_ids[2]
        # Row 2 is the fourth line of the table (under the header), the name column.
        # A click acts on what the screen last drew there: wait until the rows are drawn
        # (under load the frame after the rows arrive can come after `started`).
        at = table.region.offset + (8, 3)
        await wait_until(
            pilot, lambda: "row" in app.screen.get_style_at(*at).meta, "the rows drawn"
        )
        await pilot.click("#providers", offset=(8, 3))
        await wait_until(pilot, lambda: table.selected_id == target, "the clicked row")
        await wait_until(
            pilot,
            lambda: (
                app.state is not None and app.state.instances[target].name in detail_text(pilot)
            ),
            "the detail of the clicked row",
        )
        assert not isinstance(app.screen, InstanceForm)
        await pilot.click("#providers", offset=(8, 3))
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        form = app.screen
        assert isinstance(form, InstanceForm)
        assert form.instance is not None and form.instance.id == target


# --------------------------------------------------------------------------- inline errors


@sizes
async def test_form_errors_show_inline_before_anything_is_written(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        await select(pilot, "acme-gateway-research")
        form = await open_form(pilot, "e")
        error = form.query_one("#error-max_tokens_per_day", Label)
        general = form.query_one("#form-error", Label)
        assert text_of(error) == ""

        # Not a number: the form's own parsing refuses it.
        await clear_and_type(pilot, "#field-max_tokens_per_day", "lots", pasted=True)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: text_of(error) != "", "the inline error")
        assert app.screen is form
        assert "whole number" in text_of(error)
        assert text_of(general) != ""
        assert read_tree(cfg) == before

        # A number below the field's minimum (1000): the registry's validation refuses it.
        await clear_and_type(pilot, "#field-max_tokens_per_day", "5")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "whole number" not in text_of(error), "the new error")
        assert app.screen is form
        assert "1000" in text_of(error), text_of(error)
        assert read_tree(cfg) == before

        # A bad URL in another field: its own label, the first one cleared.
        await clear_and_type(pilot, "#field-max_tokens_per_day", "3000", pasted=True)
        await clear_and_type(pilot, "#field-base_url", "not a url", pasted=True)
        await pilot.press("ctrl+s")
        url_error = form.query_one("#error-base_url", Label)
        await wait_until(pilot, lambda: text_of(url_error) != "", "the URL error")
        assert text_of(error) == ""
        assert app.screen is form
        assert read_tree(cfg) == before

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "cancel")
        assert cells(pilot, "acme-gateway-research")[3] == "claude-sonnet-4-5"
    assert read_tree(cfg) == before


# --------------------------------------------------------------------------- duplicate


@sizes
async def test_duplicate_copies_the_instance_into_its_file(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        form = await open_form(pilot, "c")
        assert form.title_text == "Duplicate Work OpenAI"
        assert form.query_one("#field-name", Input).value == "Work OpenAI (copy)"
        assert form.query_one("#field-organization", Input).value == "org-acme"
        await save_form(pilot)

        table = table_of(pilot)
        await wait_until(pilot, lambda: table.selected_id == "work-openai-copy", "the copy")
        assert cells(pilot, "work-openai-copy")[1:4] == ["Work OpenAI (copy)", "openai", "gpt-4.1"]
        assert cells(pilot, "work-openai-copy")[4].startswith("providers/hosted.yaml:")
        assert cells(pilot, "work-openai")[1] == "Work OpenAI"

    after = read_tree(cfg)
    hosted = "providers/hosted.yaml"
    assert all(line.startswith("+") for line in changed_lines(before[hosted], after[hosted]))
    providers = yaml.safe_load(after[hosted])["providers"]
    original, copy = providers[0], providers[-1]
    assert copy["id"] == "work-openai-copy"
    assert copy["name"] == "Work OpenAI (copy)"
    assert {k: v for k, v in copy.items() if k not in ("id", "name")} == {
        k: v for k, v in original.items() if k not in ("id", "name")
    }
    assert "api_key" not in copy
    assert {name: text for name, text in after.items() if name != hosted} == {
        name: text for name, text in before.items() if name != hosted
    }


# --------------------------------------------------------------------------- delete


@sizes
async def test_delete_asks_first_and_removes_the_row_and_the_entry(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, notes):
        table = table_of(pilot)
        await select(pilot, "personal-anthropic")

        # Cancel, twice: Enter on the focused Cancel button, then Escape.
        for cancel in ("enter", "escape"):
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            assert isinstance(app.screen, ConfirmScreen)
            assert "Personal Anthropic" in app.screen.question
            await pilot.press(cancel)
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the question to close")
        await pilot.pause(0.2)
        assert table.instance_ids == SAMPLE_IDS
        assert table.selected_id == "personal-anthropic"
        assert read_tree(cfg) == before

        # Yes.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: "personal-anthropic" not in table.instance_ids, "the row to go"
        )
        assert table.instance_ids == [i for i in SAMPLE_IDS if i != "personal-anthropic"]
        assert table.selected_id is not None
        assert "Deleted Personal Anthropic" in notes

    after = read_tree(cfg)
    hosted = "providers/hosted.yaml"
    removed = changed_lines(before[hosted], after[hosted])
    assert removed and all(line.startswith("-") for line in removed)
    ids = [entry["id"] for entry in yaml.safe_load(after[hosted])["providers"]]
    assert ids == ["work-openai", "gemini"]
    assert "Personal Anthropic" not in after[hosted]
    assert "# billing goes to the ACME org" in after[hosted]
    assert {name: text for name, text in after.items() if name != hosted} == {
        name: text for name, text in before.items() if name != hosted
    }


async def test_delete_keeps_a_key_another_instance_uses_and_says_so(
    cfg: Path, run_dashboard: RunDashboard, plaintext_keyring: Any
) -> None:
    """The dashboard's delete used to remove a keyring entry that another instance
    (`{keyring: shared}` on both) still needed."""
    hosted = cfg / "providers" / "hosted.yaml"
    text = hosted.read_text()
    shared_ref = "    api_key: {keyring: shared-openai}\n"
    for instance_id in ("work-openai", "personal-anthropic"):
        anchor = f"  - id: {instance_id}\n"
        assert anchor in text
        text = text.replace(anchor, anchor + shared_ref, 1)
    hosted.write_text(text)
    plaintext_keyring.set_password("provreg", "shared-openai", "sk-shared-value")
    from provreg.secrets.index import KeyLocation, SecretIndex

    SecretIndex().pin(
        KeyLocation("keyring", "provreg", "shared-openai"),
        "api.openai.com",
        "work-openai",
        "api_key",
        stored=True,
    )
    async with run_dashboard((120, 40)) as (app, pilot, notes):
        table = table_of(pilot)
        await select(pilot, "work-openai")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "work-openai" not in table.instance_ids, "the row to go")
        # The keys of a delete go when it can no longer be undone (u): at the
        # next delete, or when the app quits.
        await select(pilot, "gemini")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "Key kept" in notes or "kept the key" in notes, "notice")
        assert "kept the key shared-openai ('personal-anthropic' still uses it)" in notes
    assert plaintext_keyring.get_password("provreg", "shared-openai") == "sk-shared-value"


# --------------------------------------------------------------------------- set secret


async def _set_secret(
    cfg: Path,
    run_dashboard: RunDashboard,
    size: tuple[int, int],
    stored: Any,
    instance_id: str = "work-openai",
) -> None:
    """Press k on an instance, type a key, and check where it went (and did not)."""
    before = read_tree(cfg)
    value = "sk-" + secrets.token_hex(8)
    async with run_dashboard(size) as (app, pilot, notes):
        await select(pilot, instance_id)
        await wait_until(pilot, lambda: "○ missing" in detail_text(pilot), "the key's status")
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, SecretInputScreen), "the input")
        field = app.screen.query_one("#secret", Input)
        assert field.password and field.has_focus
        await type_text(pilot, value[:2])  # typed, then the rest pasted, as keys are
        await paste(pilot, value[2:])
        assert field.value == value
        shown = screen_text(app)
        assert value not in shown and value[:6] not in shown
        assert "•" * len(value) in shown
        await pilot.press("enter")
        await wait_until(pilot, lambda: stored() == value, "the key in the keyring", timeout=10)
        await wait_until(pilot, lambda: "● set" in detail_text(pilot), "the detail to say set")
        assert "Stored api_key for" in notes
        assert value not in screen_text(app)
        assert not any(value in message for message in notes.messages)
    after = read_tree(cfg)
    assert after == before
    assert not any(value in text for text in after.values())
    for path in Path(os.environ["XDG_STATE_HOME"]).rglob("*"):
        if path.is_file():
            assert value not in path.read_text(encoding="utf-8", errors="replace"), path


@sizes
async def test_set_secret_goes_to_the_keyring_only(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int], plaintext_keyring: Any
) -> None:
    await _set_secret(
        cfg,
        run_dashboard,
        size,
        lambda: plaintext_keyring.get_password("provreg", "work-openai/api_key"),
    )


async def test_set_secret_with_a_secret_service(
    cfg: Path, run_dashboard: RunDashboard, secret_service: Any
) -> None:
    """The same with gnome-keyring over D-Bus (the backend does not depend on the size)."""
    user = "personal-anthropic/api_key"
    try:
        await _set_secret(
            cfg,
            run_dashboard,
            (80, 24),
            lambda: secret_service.lookup(user),
            instance_id="personal-anthropic",
        )
    finally:
        import keyring

        try:
            keyring.delete_password("provreg", user)
        except Exception:
            pass


# --------------------------------------------------------------------------- filter


@sizes
async def test_filter_shows_matching_rows_and_escape_clears(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        table = table_of(pilot)
        field = app.query_one("#filter", Input)
        assert not field.display
        await pilot.press("slash")
        await wait_until(pilot, lambda: field.has_focus, "the filter input")
        assert field.display
        await type_text(pilot, "acme")
        await wait_until(pilot, lambda: len(table.instance_ids) == 3, "the filtered rows")
        # any text: the names, and the model "acme/support-llama-8b" of the GPU box
        assert table.instance_ids == ["gpu-box-vllm", "acme-gateway", "acme-gateway-research"]
        assert table.filter_text == "acme"
        await pilot.press("enter")
        assert table.has_focus
        assert table.selected_id in table.instance_ids

        await pilot.press("slash")
        await wait_until(pilot, lambda: field.has_focus, "the filter input again")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(table.instance_ids) == 8, "every row back")
        assert table.instance_ids == SAMPLE_IDS
        assert not field.display
        assert field.value == ""
        assert table.has_focus

        # by provider, and a filter that matches nothing
        await pilot.press("slash", *"olla")
        await wait_until(pilot, lambda: table.instance_ids == ["local-ollama"], "ollama only")
        await pilot.press("z")
        await wait_until(pilot, lambda: table.instance_ids == [], "no rows")
        assert table.selected_id is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(table.instance_ids) == 8, "every row back")
    assert read_tree(cfg) == before


# --------------------------------------------------------------------------- problems


@sizes
async def test_enter_on_a_problem_selects_its_instance(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    local = cfg / "providers" / "local.yaml"
    lines = local.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "keep_alive: 10m" in line) + 1
    lines.insert(at, "    temprature: 0.2\n")
    local.write_text("".join(lines), encoding="utf-8")
    before = read_tree(cfg)

    async with run_dashboard(size) as (app, pilot, _):
        problems = app.query_one(ProblemsTable)
        await wait_until(pilot, lambda: problems.row_count == 1, "the problem row")
        assert "1 warning" in text_of(app.query_one(StatusHeader))
        severity, where, code, message = (str(c) for c in problems.get_row_at(0))
        assert (severity, code) == ("warning", "W203")
        assert where == f"providers/local.yaml:{at + 1}:5"  # relative, as the table
        assert "temprature" in message
        table = table_of(pilot)
        assert table.selected_id == "work-openai"
        assert cells(pilot, "local-ollama")[0] == "▲"

        await pilot.press("exclamation_mark")
        assert app.query_one(TabbedContent).active == "problems"
        assert problems.has_focus
        await pilot.press("enter")
        await wait_until(pilot, lambda: table.selected_id == "local-ollama", "the jump")
        assert table.has_focus
        assert "W203" in detail_text(pilot)
        assert "temprature" in detail_text(pilot)
        # The row and its Details are on screen: narrow terminals show the Details tab.
        narrow = size[0] < 140
        assert (app.query_one(TabbedContent).active == "details") is narrow
    assert read_tree(cfg) == before


# --------------------------------------------------------------------------- theme


@sizes
async def test_theme_switch_is_remembered_for_the_next_start(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    from provreg.paths import user_state_dir

    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        assert app.theme == "provreg-dark"
        await pilot.press("t")
        await wait_until(pilot, lambda: app.screen.query("CommandInput"), "the theme palette")
        await paste(pilot, "provreg-light")
        await wait_until(
            pilot,
            lambda: any("provreg-light" in str(o.prompt) for o in _palette_options(app)),
            "the theme in the list",
        )
        options = app.screen.query_one(OptionList)
        for _ in range(options.option_count + 1):
            await pilot.press("down")
            chosen = options.highlighted_option
            if chosen is not None and "provreg-light" in str(chosen.prompt):
                break
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "provreg-light", "the theme to change")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the palette to close")
    remembered = Path(user_state_dir()) / "theme"
    assert remembered.read_text(encoding="utf-8").strip() == "provreg-light"

    async with run_dashboard(size) as (again, pilot, _):
        assert again.theme == "provreg-light"
    assert read_tree(cfg) == before


def _palette_options(app: ProvregApp) -> list[Any]:
    found = app.screen.query(OptionList)
    if not found:
        return []
    options = found.first()
    return [options.get_option_at_index(i) for i in range(options.option_count)]


# --------------------------------------------------------------------------- read-only


@sizes
async def test_read_only_refuses_every_change(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, notes):
        header = app.query_one(StatusHeader)
        assert "READ-ONLY" not in text_of(header)
        await pilot.press("w")
        assert "READ-ONLY" in text_of(header)
        assert "Read-only: changes are refused" in notes

        for key in ("a", "e", "c", "x", "k", "K", "enter"):
            count = len(notes.messages)
            await pilot.press(key)
            await pilot.pause()
            assert len(app.screen_stack) == 1, f"{key} opened {app.screen!r}"
            assert "Read-only: press w to allow changes." in notes.messages[count:], key
        assert table_of(pilot).instance_ids == SAMPLE_IDS

        await pilot.press("w")  # and back: changes allowed again
        assert "READ-ONLY" not in text_of(header)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")
        await pilot.press("escape")
    assert read_tree(cfg) == before
    assert sorted(p.name for p in cfg.rglob("*")) == sorted(
        p.name for p in (Path(__file__).resolve().parents[2] / "sample_configs").rglob("*")
    )
