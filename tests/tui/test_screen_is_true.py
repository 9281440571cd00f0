"""What you see is what you act on: Details, the highlighted row and every
action's target are one instance, whatever the filter, the sort, or an
external edit did to the rows (each test here failed before its fix)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import (
    SIZE_IDS,
    SIZES,
    RunDashboard,
    plain,
    select,
    started,
    table_of,
    wait_until,
)
from textual.widgets import Input, Static

from provreg.tui.app import ProvregApp
from provreg.tui.screens.confirm import ConfirmScreen
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.widgets.detail_pane import DetailPane

pytestmark = pytest.mark.anyio
sizes = pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)


def detail_text(pilot: Any) -> str:
    pane = pilot.app.query_one(DetailPane)
    return plain(pane.query_one("#detail-body", Static).content)


def shown_name(pilot: Any) -> str:
    """The name line of the Details pane."""
    for line in detail_text(pilot).splitlines():
        if line.startswith("name"):
            return line.removeprefix("name").strip()
    return ""


@sizes
async def test_details_follow_the_filter_and_actions_act_on_what_details_show(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int]
) -> None:
    async with run_dashboard(size) as (app, pilot, notes):
        table = table_of(pilot)
        await select(pilot, "work-openai")
        await wait_until(pilot, lambda: shown_name(pilot) == "Work OpenAI", "Work OpenAI")

        await pilot.press("slash", *"gemini", "enter")
        await wait_until(pilot, lambda: table.instance_ids == ["gemini"], "Gemini alone")
        await wait_until(pilot, lambda: shown_name(pilot) == "Gemini (free tier)", "Gemini shown")
        assert app.selected_instance() is not None
        assert app.selected_instance().id == "gemini"  # type: ignore[union-attr]
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        assert app.screen.query_one("#field-name", Input).value == "Gemini (free tier)"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "the form shut")

        # A filter that matches nothing: Details shows none, and actions say so.
        await pilot.press("slash", "z", "z", "z", "enter")
        await wait_until(pilot, lambda: table.instance_ids == [], "no rows")
        await wait_until(pilot, lambda: "Select a provider instance" in detail_text(pilot), "none")
        for key in ("e", "x", "k", "o"):
            notes.messages.clear()
            await pilot.press(key)
            await wait_until(pilot, lambda: "No instance selected." in notes, f"{key}: say so")
            assert len(app.screen_stack) == 1


async def test_details_follow_the_row_that_takes_a_removed_ones_place(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """An instance removed on disk while highlighted: the row below moves up under
    the cursor, and Details and the actions follow it."""
    hosted = cfg / "providers" / "hosted.yaml"
    async with run_dashboard((120, 40)) as (app, pilot, _):
        table = table_of(pilot)
        await select(pilot, "personal-anthropic")
        await wait_until(pilot, lambda: shown_name(pilot) == "Personal Anthropic", "shown")
        text = hosted.read_text()
        start = text.index("  - id: personal-anthropic")
        end = text.index("  - id: gemini")
        hosted.write_text(text[:start] + text[end:])
        await wait_until(
            pilot, lambda: "personal-anthropic" not in table.instance_ids, "the row to go"
        )
        await wait_until(pilot, lambda: shown_name(pilot) == "Gemini (free tier)", "the next")
        assert table.selected_id == "gemini"
        assert app.selected_instance() is not None
        assert app.selected_instance().id == "gemini"  # type: ignore[union-attr]


def glyph(pilot: Any, instance_id: str) -> str:
    return str(table_of(pilot).get_row(instance_id)[0])[0]  # then the probe glyph


def audit_lines() -> list[dict[str, Any]]:
    import json
    import os

    path = Path(os.environ["XDG_STATE_HOME"]) / "provreg" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@sizes
async def test_a_host_changed_outside_shows_where_exec_would_refuse_and_o_confirms_it(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int], plaintext_keyring: Any
) -> None:
    """The table and Details said `● set` while `secret status` and `exec` refused."""
    from pydantic import SecretStr

    from provreg.registry import ProviderRegistry
    from provreg.tui.screens.confirm import ConfirmScreen

    registry = await ProviderRegistry.open([str(cfg)])
    await registry.set_secret("work-openai", "api_key", SecretStr("sk-pinned-value"))
    hosted = cfg / "providers" / "hosted.yaml"
    async with run_dashboard(size) as (app, pilot, notes):
        await select(pilot, "work-openai")
        await wait_until(pilot, lambda: "● set" in detail_text(pilot), "the key set")
        assert glyph(pilot, "work-openai") == "●"

        text = hosted.read_text()
        hosted.write_text(
            text.replace(
                "    provider: openai\n",
                "    provider: openai\n    base_url: https://llm-proxy.example.net/v1\n",
                1,
            )
        )
        await wait_until(pilot, lambda: glyph(pilot, "work-openai") == "◇", "the table to say")
        await wait_until(
            pilot, lambda: "host not confirmed — press o" in detail_text(pilot), "Details to say"
        )
        # The same judgement as the CLI's.
        fresh = await ProviderRegistry.open([str(cfg)])
        [status] = await fresh.secret_status("work-openai")
        assert status.unconfirmed and status.problem

        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "'llm-proxy.example.net'" in app.screen.question
        assert "pinned to 'api.openai.com'" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: "Confirmed llm-proxy.example.net" in notes, "done")
        await wait_until(pilot, lambda: "● set" in detail_text(pilot), "the key usable again")
        await wait_until(pilot, lambda: glyph(pilot, "work-openai") == "●", "the row usable")
    resolved = await (await ProviderRegistry.open([str(cfg)])).resolve_secret("work-openai")
    assert resolved.get_secret_value() == "sk-pinned-value"
    confirms = [e for e in audit_lines() if e["action"] == "secret-confirm-origin"]
    assert [(e["instance_id"], e["source"]) for e in confirms] == [("work-openai", "app")]


async def test_o_explains_when_there_is_nothing_to_confirm(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """`o` on an `{env:}` key asked to "send the stored key"; with no key it said
    "Confirmed"."""
    from provreg.tui.screens.confirm import ConfirmScreen

    async with run_dashboard((120, 40)) as (app, pilot, notes):
        for instance_id, reason in (
            ("gemini", "environment keys are not pinned"),
            ("personal-anthropic", "no key is in the keyring entry"),
        ):
            await select(pilot, instance_id)
            notes.messages.clear()
            await pilot.press("o")
            await wait_until(pilot, lambda: "Nothing to confirm" in notes, f"{instance_id}")
            assert reason in notes, notes.messages
            assert not isinstance(app.screen, ConfirmScreen)
    assert not [e for e in audit_lines() if e["action"] == "secret-confirm-origin"]
    index = Path(__import__("os").environ["XDG_STATE_HOME"]) / "provreg" / "secrets-index.json"
    assert not index.exists() or "gemini" not in index.read_text()


async def test_a_theme_with_a_bad_colour_is_reported_and_never_crashes_a_start(
    cfg: Path,
    run_dashboard: RunDashboard,
) -> None:
    """`primary: "#zzzzzz"` crashed the app, and the choice was remembered, so every
    later start crashed too."""
    from provreg.paths import user_config_dir, user_state_dir

    themes = Path(user_config_dir()) / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text('name: broken\nprimary: "#zzzzzz"\n')
    (themes / "bad-variable.yaml").write_text(
        'name: bad-variable\nprimary: "#336699"\nvariables:\n  stale-foreground: "#qq"\n'
    )
    state = Path(user_state_dir())
    state.mkdir(parents=True, exist_ok=True)
    (state / "theme").write_text("broken\n")  # chosen back when it still loaded
    for size in ((80, 24), (120, 40)):
        async with run_dashboard(size) as (app, pilot, notes):
            reported = partial(notes.__contains__, "Some theme files were skipped")
            await wait_until(pilot, reported, "the report")
            report = next(m for m in notes.messages if "Some theme files" in m)
            assert f"{themes / 'broken.yaml'}: primary: '#zzzzzz' is not a colour" in report
            assert "stale-foreground: '#qq' is not a colour" in report
            assert "the theme you last chose no longer loads ('broken')" in notes
            assert app.theme == "provreg-dark"
            assert "broken" not in app.available_themes
        # The fallback is not the user's choice: what they chose stays remembered.
        assert (state / "theme").read_text().strip() == "broken"


async def test_k_with_a_refused_keyring_says_so_before_asking_for_the_key(
    cfg: Path, run_dashboard: RunDashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key was asked for, typed, and only then refused."""
    from provreg.tui.screens.secret_input import SecretInputScreen

    monkeypatch.delenv("PROVREG_ALLOW_INSECURE_KEYRING")  # the plaintext keyring: refused
    async with run_dashboard((80, 24)) as (app, pilot, notes):
        await select(pilot, "work-openai")
        await pilot.press("k")
        await wait_until(pilot, lambda: "not secure" in notes, "the refusal")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, SecretInputScreen)
        assert len(app.screen_stack) == 1
        # Said once; after that the whole reason stays in Details, not a toast a press.
        await wait_until(
            pilot,
            lambda: "PROVREG_ALLOW_INSECURE_KEYRING" in " ".join(detail_text(pilot).split()),
            "the reason in Details",
        )
        said = len(notes.messages)
        for key in ("k", "K", "y", "k"):
            await pilot.press(key)
            await pilot.pause(0.2)
        assert len(notes.messages) == said, notes.messages[said:]
        assert len(app.screen_stack) == 1


async def test_r_rescan_moves_the_headers_reload_time(cfg: Path) -> None:
    """`r` re-read every file but the header kept the time of the first load."""
    from provreg.tui.widgets.status_header import StatusHeader

    app = ProvregApp(["cfg"], stamp=lambda t: f"t={t:.6f}")
    async with app.run_test(size=(200, 24)) as pilot:
        await started(pilot)
        header = app.query_one(StatusHeader)

        def shown_time() -> str:
            text = plain(header.content)
            return text.split("reloaded ", 1)[1].split()[0] if "reloaded " in text else ""

        await wait_until(pilot, shown_time, "a reload time")
        first = shown_time()
        await pilot.press("r")
        await wait_until(pilot, lambda: shown_time() > first, "a later reload time")


async def test_user_text_with_brackets_is_shown_as_written(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """Rich markup ate `[...]`: a theme-name pattern showed as `'^{0,40}$'`."""
    from helpers.dashboard import screen_text

    from provreg.paths import user_config_dir

    themes = Path(user_config_dir()) / "themes"
    themes.mkdir(parents=True)
    (themes / "bad-name.yaml").write_text('name: "Bad Name"\nprimary: "#336699"\n')
    hosted = cfg / "providers" / "hosted.yaml"
    hosted.write_text(
        hosted.read_text().replace("default_model: gpt-4.1", "default_model: gpt-[beta]", 1)
    )
    async with run_dashboard((160, 40)) as (app, pilot, notes):
        toasts = notes.toasts
        await select(pilot, "work-openai")
        await wait_until(pilot, lambda: "gpt-[beta]" in detail_text(pilot), "the value")
        await wait_until(pilot, lambda: "gpt-[beta]" in screen_text(app), "the value shown")
        # Toasts are not drawn under run_test; what decides how one is drawn is
        # whether its text is read as markup.
        [themes_toast] = [t.notification for t in toasts if "theme files" in t.notification.message]
        assert "'^[a-z0-9][a-z0-9-]{0,40}$'" in themes_toast.message
        assert themes_toast.markup is False
        assert all(t.notification.markup is False for t in toasts)


async def test_form_errors_sit_above_the_fields_and_wrap_in_full(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    async with run_dashboard((80, 24)) as (app, pilot, _):
        await select(pilot, "work-openai")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
        form = app.screen
        assert isinstance(form, InstanceForm)
        general = form.query_one("#form-error")
        fields = form.query_one("#form-fields")
        assert general.region.y < fields.region.y
        long = "cannot write cfg/providers/hosted.yaml: " + "a reason worth reading " * 8 + "END"
        form.show_errors({}, long)
        await pilot.pause()
        assert general.region.height > 1
        from helpers.dashboard import screen_text

        shown = " ".join(screen_text(app).split())
        assert "END" in shown and "cannot write cfg/providers/hosted.yaml" in shown


async def test_keys_typed_in_one_burst_after_slash_go_into_the_filter(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """Pasting `/ollama` into the terminal (one key event per character, all queued at
    once) ran `o`, `a`... as commands: the Add picker opened."""
    from textual import events

    from provreg.tui.screens.provider_picker import ProviderPicker

    async with run_dashboard((80, 24)) as (app, pilot, _):
        table = table_of(pilot)
        for character in "/ollama":
            key = "slash" if character == "/" else character
            app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: table.instance_ids == ["local-ollama"], "the filter")
        assert app.query_one("#filter", Input).value == "ollama"
        assert not isinstance(app.screen, ProviderPicker)
        assert len(app.screen_stack) == 1

        # With Enter in the burst: the filter is applied and the table has the focus,
        # and Enter did not open the edit form of the row under the cursor.
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(table.instance_ids) == 8, "every row back")
        for key, character in [("slash", "/"), *((c, c) for c in "gem"), ("enter", "\r")]:
            app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: table.instance_ids == ["gemini"], "gemini alone")
        await wait_until(pilot, lambda: table.has_focus, "the table focused")
        assert len(app.screen_stack) == 1


async def test_read_only_footer_offers_no_write_keys_and_home_end_go_to_the_ends(
    cfg: Path,
    run_dashboard: RunDashboard,
) -> None:
    from helpers.dashboard import screen_text

    async with run_dashboard((120, 40)) as (app, pilot, _):

        def footer() -> str:
            return next((line for line in screen_text(app).splitlines() if "? Help" in line), "")

        await wait_until(pilot, lambda: "a Add" in footer(), "the footer")
        assert "k Set key" in footer()
        await pilot.press("w")
        await wait_until(pilot, lambda: "a Add" not in footer(), "the write keys hidden")
        assert "e Edit" not in footer() and "x Delete" not in footer()
        assert "/ Filter" in footer() and "v $EDITOR" in footer()
        await pilot.press("w")
        await wait_until(pilot, lambda: "a Add" in footer(), "offered again")

        table = table_of(pilot)
        await pilot.press("end")
        assert table.selected_id == table.instance_ids[-1]
        await pilot.press("home")
        assert table.selected_id == table.instance_ids[0]


async def test_help_lists_the_keys_of_the_screen_in_front(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """`?` listed the dashboard's keys whatever was in front; a form's own keys
    (ctrl+s, esc) were nowhere to be found."""
    from helpers.dashboard import open_form
    from textual.widgets import Markdown

    from provreg.tui.screens.help import HelpScreen

    async with run_dashboard((120, 40)) as (app, pilot, _):
        await open_form(pilot, "e")
        # In a text field `?` is a character, not the help.
        field = app.screen.focused
        assert isinstance(field, Input)
        before = field.value
        await pilot.press("end", "question_mark")
        assert isinstance(app.screen, InstanceForm) and field.value == before + "?"
        await pilot.press("backspace", "f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        shown = app.screen.query_one(Markdown).source
        assert "The form: keys" in shown
        assert "`ctrl+s` | Save" in shown and "`escape` | Cancel" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form again")
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the dashboard")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the main help")
        assert "provreg dashboard" in app.screen.query_one(Markdown).source
        await pilot.press("escape")
        # A dialog with no text field answers `?` too, with its own keys.
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the delete dialog")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the dialog's help")
        shown = app.screen.query_one(Markdown).source
        assert "provreg dashboard" not in shown
        assert "`y` |" in shown and "`n` / `escape` |" in shown, shown
        assert "| `?` | Keys |" in shown and "question_mark" not in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog again")


async def test_a_file_line_too_long_for_its_column_keeps_its_end(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """The table cut File:line at its end, losing the file name and the line."""
    from helpers.dashboard import screen_text

    async with run_dashboard((80, 24)) as (app, pilot, _):
        table = table_of(pilot)
        narrow = [
            (key, label, 10 if key == "where" else width)
            for key, label, width in (
                (column.key, column.label.plain, column.width) for column in table.columns
            )
        ]
        table.set_columns(narrow)
        await pilot.pause()
        assert any("…ed.yaml:8" in line for line in screen_text(app).splitlines())
