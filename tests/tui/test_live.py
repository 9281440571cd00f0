"""The dashboard bound live to the files: other processes edit, the screen follows.

The config directory lives under the repository (`.pytest-tui/`), not in the
system temp directory, as the editor tests of the sync engine do: the point
is a real rename-save seen by a real watcher. Each edit is made by a separate
Python process, as an editor or a script would.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from helpers.dashboard import (
    Notes,
    RunDashboard,
    clear_and_type,
    fixed_stamp,
    plain,
    running_dashboard,
    screen_text,
    select,
    started,
    table_of,
    wait_until,
)
from helpers.files import copy_samples, read_tree
from helpers.paths import REPO_ROOT, SAMPLE_CONFIGS
from textual import events
from textual.widgets import Input, RichLog, Static

from provreg.registry.events import InstanceUpdated, ReloadFailed
from provreg.tui.app import ProvregApp
from provreg.tui.messages import EventsArrived
from provreg.tui.screens.conflict import ConflictScreen
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.widgets.detail_pane import DetailPane
from provreg.tui.widgets.problems import ProblemsTable
from provreg.tui.widgets.status_header import StatusHeader

pytestmark = pytest.mark.anyio

LIVE_TIMEOUT = 10.0
"""Generous: a loaded CI machine can be slow to deliver inotify batches."""

RENAME_SAVE = textwrap.dedent(
    """
    import os, sys
    path, old, new = sys.argv[1:4]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text, old
    temp = os.path.join(os.path.dirname(path), ".hosted.yaml.swp-tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    """
)

IN_PLACE_SAVE = textwrap.dedent(
    """
    import sys
    path, old, new = sys.argv[1:4]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text, old
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new))
    """
)


@pytest.fixture
def live_cfg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of sample_configs under <repo>/.pytest-tui/<unique>/cfg; cwd is its parent."""
    base = REPO_ROOT / ".pytest-tui"
    base.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="live-", dir=base))
    copy_samples(root / "cfg")
    monkeypatch.chdir(root)
    try:
        yield root / "cfg"
    finally:
        monkeypatch.undo()
        shutil.rmtree(root, ignore_errors=True)
        try:
            base.rmdir()  # only when no other run is using it
        except OSError:
            pass


async def external_edit(script: str, path: Path, old: str, new: str) -> None:
    """Another process replaces `old` with `new` in `path`."""
    done = await anyio.run_process([sys.executable, "-c", script, str(path), old, new], check=False)
    assert done.returncode == 0, done.stderr.decode()


def activity(app: ProvregApp) -> str:
    log = app.query_one("#activity-log", RichLog)
    return "\n".join(line.text for line in log.lines)


def detail_text(app: ProvregApp) -> str:
    return plain(app.query_one(DetailPane).query_one("#detail-body", Static).content)


def cells(pilot: Any, instance_id: str) -> list[str]:
    return [str(cell).rstrip() for cell in table_of(pilot).get_row(instance_id)]


def screen_line(app: ProvregApp, text: str) -> str:
    """The first line on the terminal that shows `text` ("" if none)."""
    return next((line for line in screen_text(app).splitlines() if text in line), "")


async def test_external_rename_save_and_syntax_error(live_cfg: Path) -> None:
    hosted = live_cfg / "providers" / "hosted.yaml"
    local = live_cfg / "providers" / "local.yaml"
    async with running_dashboard() as (app, pilot, toasts):
        await wait_until(
            pilot, lambda: app.state is not None and app.state.watch == "watching", "the watcher"
        )
        table = table_of(pilot)
        await select(pilot, "personal-anthropic")
        row = table.cursor_row
        ids = table.instance_ids

        # 1. A rename-save (temp file + os.replace) by another process.
        await external_edit(
            RENAME_SAVE,
            hosted,
            "default_model: claude-sonnet-4-5",
            "default_model: claude-opus-4-1",
        )
        await wait_until(
            pilot,
            lambda: cells(pilot, "personal-anthropic")[3] == "claude-opus-4-1",
            "the row to show the external change",
            timeout=LIVE_TIMEOUT,
        )
        assert table.selected_id == "personal-anthropic"
        assert table.cursor_row == row
        assert table.instance_ids == ids
        assert "claude-opus-4-1" in detail_text(app)
        await pilot.press("l")  # the Activity tab (a hidden RichLog renders when shown)
        await wait_until(
            pilot,
            lambda: "updated Personal Anthropic (default_model)" in activity(app),
            "the activity line",
        )
        assert "12:00:00 external: cfg/providers/hosted.yaml — updated Work" not in activity(app)
        assert (
            "12:00:00 external: cfg/providers/hosted.yaml — updated Personal Anthropic "
            "(default_model)"
        ) in activity(app)
        assert table.has_focus

        # 2. Another process breaks the YAML of a different file (in place).
        await external_edit(
            IN_PLACE_SAVE, local, "default_model: llama3.2", "default_model: [llama3.2"
        )
        problems = app.query_one(ProblemsTable)
        await wait_until(
            pilot, lambda: problems.row_count >= 1, "the problem row", timeout=LIVE_TIMEOUT
        )
        rows = [[str(cell) for cell in problems.get_row_at(i)] for i in range(problems.row_count)]
        errors = [r for r in rows if r[0] == "error"]
        assert len(errors) == 1, rows
        # The parser notices at the ':' of the next key, where it wanted ',' or ']'.
        lines = local.read_text(encoding="utf-8").splitlines()
        line = next(i for i, text in enumerate(lines, 1) if "keep_alive" in text)
        column = lines[line - 1].index(":") + 1
        assert errors[0][1:3] == [f"providers/local.yaml:{line}:{column}", "E001"]
        assert "flow sequence" in errors[0][3]

        # The last good rows remain, marked stale; the cursor has not moved.
        assert table.instance_ids == ids
        assert cells(pilot, "local-ollama")[0] == "◌"
        assert cells(pilot, "gpu-box-vllm")[0] == "◌"
        assert cells(pilot, "local-ollama")[3] == "llama3.2"
        assert table.selected_id == "personal-anthropic"
        assert table.cursor_row == row
        header = plain(app.query_one(StatusHeader).content)
        assert "✖ 1 failing" in header and "1 error" in header, header  # 80 columns: short
        await select(pilot, "local-ollama")
        assert "stale" in detail_text(app)

        # 3. The next good save recovers.
        await external_edit(
            IN_PLACE_SAVE, local, "default_model: [llama3.2", "default_model: llama3.3"
        )
        await wait_until(
            pilot,
            lambda: cells(pilot, "local-ollama")[:4:3] == ["●", "llama3.3"],
            "the file to recover",
            timeout=LIVE_TIMEOUT,
        )
        assert problems.row_count == 0
        assert table.selected_id == "local-ollama"
        # Said where the failure was said: the Activity tab and a toast (the header
        # alone used to change).
        fixed = "external: providers/local.yaml is valid again (2 instances)"
        assert any("local.yaml" in m and "reload failed" in m for m in toasts.messages)
        await wait_until(pilot, lambda: fixed in toasts.messages, "the recovery toast")
        logged = "12:00:00 external: cfg/providers/local.yaml is valid again (2 instances)"
        await wait_until(pilot, lambda: logged in activity(app), "the activity line")


async def editing_while_watched(pilot: Any, instance_id: str) -> InstanceForm:
    """The app loaded and watching, `instance_id`'s edit form open."""
    app = pilot.app
    await started(pilot)
    await wait_until(
        pilot, lambda: app.state is not None and app.state.watch == "watching", "the watcher"
    )
    await select(pilot, instance_id)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
    form = app.screen
    assert isinstance(form, InstanceForm)
    return form


async def typed_then_changed_on_disk(
    pilot: Any,
    instance_id: str,
    model: str,
    change: tuple[str, Path, str, str],
    dialog: type[Any],
    what: str,
) -> InstanceForm:
    """`instance_id`'s form open with `model` typed in, then its file changed on
    disk (`external_edit(*change)`) until `dialog` asks what to do."""
    form = await editing_while_watched(pilot, instance_id)
    await clear_and_type(pilot, "#field-default_model", model)

    await external_edit(*change)
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, dialog), what, timeout=LIVE_TIMEOUT
    )
    return form


@pytest.mark.parametrize("choice", ["theirs", "mine"])
async def test_external_edit_of_the_instance_in_the_form_asks(live_cfg: Path, choice: str) -> None:
    """I change the model in the form; meanwhile the project is changed on disk."""
    hosted = live_cfg / "providers" / "hosted.yaml"
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await typed_then_changed_on_disk(
            pilot,
            "work-openai",
            "gpt-5",
            (RENAME_SAVE, hosted, "project: proj_platform", "project: proj_ops"),
            ConflictScreen,
            "the conflict dialog",
        )
        dialog = app.screen
        assert isinstance(dialog, ConflictScreen)
        assert "Work OpenAI" in dialog.message
        both = dialog.query_one("#both", Static)
        assert not both.display
        await pilot.press("b")
        assert both.display
        shown = plain(both.content)
        assert "project" in shown and "proj_ops" in shown and "gpt-5" in shown

        if choice == "theirs":  # the form reloads from disk; nothing of mine is written
            await pilot.press("t")
            await wait_until(pilot, lambda: app.screen is form, "back to the form")
            assert form.query_one("#field-project", Input).value == "proj_ops"
            assert form.query_one("#field-default_model", Input).value == "gpt-4.1"
            await pilot.press("escape")
            expected = {"project": "proj_ops", "default_model": "gpt-4.1"}
        else:  # my edit is applied on top of theirs: their project change survives
            await pilot.press("m")
            await wait_until(pilot, lambda: app.screen is form, "back to the form")
            assert form.query_one("#field-default_model", Input).value == "gpt-5"
            await pilot.press("ctrl+s")
            expected = {"project": "proj_ops", "default_model": "gpt-5"}
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the form to close")
        await wait_until(
            pilot,
            lambda: table_of(pilot).get_row("work-openai")[3].plain == expected["default_model"],
            "the row",
        )
    providers = yaml.safe_load(hosted.read_text(encoding="utf-8"))["providers"]
    assert {key: providers[0][key] for key in expected} == expected
    assert read_tree(live_cfg)["providers/local.yaml"] == (
        SAMPLE_CONFIGS / "providers" / "local.yaml"
    ).read_text(encoding="utf-8")
    assert not any(name.startswith(".") for name in os.listdir(hosted.parent))


async def test_external_edits_repaint_their_rows_under_one_toast(live_cfg: Path) -> None:
    """Rows changed by other processes are repainted where they are (the table
    re-renders only those rows), and while the first change's toast shows, the
    next change does not stack another one over the table."""
    hosted = live_cfg / "providers" / "hosted.yaml"
    local = live_cfg / "providers" / "local.yaml"
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    app.EXTERNAL_TOAST_SECONDS = 60.0  # the second edit surely comes while it shows
    toasts = Notes()
    async with app.run_test(size=(120, 40), message_hook=toasts) as pilot:
        await started(pilot)
        await wait_until(
            pilot, lambda: app.state is not None and app.state.watch == "watching", "the watcher"
        )
        table = table_of(pilot)
        row, selected = table.cursor_row, table.selected_id
        assert selected not in ("personal-anthropic", "local-ollama")
        assert "claude-sonnet-4-5" in screen_line(app, "Personal Anthropic")
        assert "llama3.2" in screen_line(app, "Local Ollama")

        await external_edit(
            IN_PLACE_SAVE,
            hosted,
            "default_model: claude-sonnet-4-5",
            "default_model: claude-opus-4-1",
        )
        await wait_until(
            pilot,
            lambda: "claude-opus-4-1" in screen_line(app, "Personal Anthropic"),
            "the row to show the new model",
            timeout=LIVE_TIMEOUT,
        )
        await external_edit(IN_PLACE_SAVE, local, "default_model: llama3.2", "default_model: x-9")
        await wait_until(
            pilot,
            lambda: "x-9" in screen_line(app, "Local Ollama"),
            "the second row to show the new model",
            timeout=LIVE_TIMEOUT,
        )
        assert "claude-sonnet-4-5" not in screen_line(app, "Personal Anthropic")
        assert (table.cursor_row, table.selected_id) == (row, selected)
        # Toasts name files as the table does, relative to the config directory.
        assert toasts.external_changes() == [
            "external: providers/hosted.yaml — updated Personal Anthropic (default_model)"
        ]
        await pilot.press("l")
        await wait_until(
            pilot, lambda: "updated Local Ollama (default_model)" in activity(app), "the log line"
        )


async def test_external_changes_during_a_toast_are_summed_up_after_it(cfg: Path) -> None:
    app = ProvregApp(["cfg"], stamp=fixed_stamp, watch=False)
    app.EXTERNAL_TOAST_SECONDS = 0.5
    toasts = Notes()
    async with app.run_test(size=(80, 24), message_hook=toasts) as pilot:
        await started(pilot)
        assert app.state is not None
        instance = app.state.instances["personal-anthropic"]
        change = InstanceUpdated(instance, instance, ("default_model",), "external")
        app.post_message(EventsArrived((change,)))
        await wait_until(pilot, lambda: toasts.external_changes(), "the first toast")
        app.post_message(EventsArrived((change, change)))
        # A failed reload is never held back.
        app.post_message(EventsArrived((ReloadFailed("cfg/providers/local.yaml", (), "external"),)))
        await wait_until(
            pilot,
            lambda: any("reload failed" in m for m in toasts.messages),
            "the failed reload's toast",
        )
        assert len(toasts.external_changes()) == 1
        await wait_until(
            pilot, lambda: len(toasts.external_changes()) == 2, "the summary toast", timeout=10
        )
        assert toasts.external_changes() == [
            "external: providers/hosted.yaml — updated Personal Anthropic (default_model)",
            "2 more external changes (l: Activity)",
        ]


async def test_an_id_changed_on_disk_replaces_its_row_in_place(live_cfg: Path) -> None:
    """One commit removes an id and adds another: the table shows the new row
    where the old one was, and no row of the old id is left behind."""
    hosted = live_cfg / "providers" / "hosted.yaml"
    async with running_dashboard((120, 40)) as (app, pilot, _):
        await wait_until(
            pilot, lambda: app.state is not None and app.state.watch == "watching", "the watcher"
        )
        table = table_of(pilot)
        ids = table.instance_ids
        await external_edit(IN_PLACE_SAVE, hosted, "id: personal-anthropic", "id: personal-claude")
        await wait_until(
            pilot,
            lambda: "personal-claude" in table.instance_ids,
            "the renamed row",
            timeout=LIVE_TIMEOUT,
        )
        assert table.instance_ids == [
            "personal-claude" if i == "personal-anthropic" else i for i in ids
        ]
        assert table.row_count == len(ids)
        assert cells(pilot, "personal-claude")[1:4] == [
            "Personal Anthropic",
            "anthropic",
            "claude-sonnet-4-5",
        ]


async def test_the_detail_pane_takes_the_height_of_each_instance(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """The pane's text is at least as tall as the pane (blank lines below it), so
    cursor moves between instances whose text fits cost no layout of the screen;
    a text taller than the pane makes the body that tall (nothing cut off: it
    scrolls), and a shorter one after it brings the body back to the pane."""
    async with run_dashboard((160, 17), watch=False) as (app, pilot, _):  # wide: the side pane
        pane = app.query_one("#detail", DetailPane)
        body = pane.query_one("#detail-body", Static)
        seen: dict[str, tuple[int, int]] = {}
        for instance_id in list(table_of(pilot).instance_ids):
            await select(pilot, instance_id)
            await wait_until(pilot, lambda: "checking" not in detail_text(app), "the keys")
            await pilot.pause()
            width, viewport = body.content_size.width, pane.scrollable_content_region.height
            options = app.console_options.update(width=width, highlight=False)
            text_lines = len(app.console.render_lines(body.content.renderable, options))
            assert body.content_size.height == max(text_lines, viewport), instance_id
            assert body.content_size.height == body.get_content_height(
                pane.content_size, app.size, width
            )
            seen[instance_id] = (text_lines, viewport)
        # Else this tests nothing: texts shorter and taller than the pane.
        assert any(lines < viewport for lines, viewport in seen.values()), seen
        assert any(lines > viewport for lines, viewport in seen.values()), seen


async def test_the_detail_pane_is_rendered_again_for_a_new_size(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """The text was rendered for the pane's width and height: after a resize it
    fills the new pane, wrapped at the new width."""
    async with run_dashboard((160, 40), watch=False) as (app, pilot, _):
        pane = app.query_one("#detail", DetailPane)
        body = pane.query_one("#detail-body", Static)
        await wait_until(pilot, lambda: "checking" not in detail_text(app), "the keys")
        for size in ((150, 30), (170, 45)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await wait_until(
                pilot,
                lambda: (
                    body.content.width == body.content_size.width
                    and body.content_size.height == pane.scrollable_content_region.height
                ),
                f"the pane's text rendered for {size}",
            )
            selected = app.selected_instance()
            assert selected is not None and selected.name in detail_text(app)


async def test_the_detail_pane_follows_a_held_key(cfg: Path, run_dashboard: RunDashboard) -> None:
    """Presses that come faster than frames: the pane ends on the row the cursor is on."""
    async with run_dashboard((160, 50), watch=False) as (app, pilot, _):
        table = table_of(pilot)
        for _ in range(5):
            app.post_message(events.Key("down", None))
        await wait_until(pilot, lambda: table.cursor_row == 5, "the cursor")
        selected = app.selected_instance()
        assert selected is not None
        await wait_until(
            pilot,
            lambda: selected.name in detail_text(app) and "checking" not in detail_text(app),
            "the pane to show the row under the cursor",
        )


REMOVE_ENTRY = textwrap.dedent(
    """
    import sys
    path, start, end = sys.argv[1:4]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    cut = text[text.index(start) : text.index(end)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(cut, ""))
    """
)


@pytest.mark.parametrize("choice", ["recreate", "copy", "discard"])
async def test_an_instance_removed_on_disk_while_in_its_form_asks(
    live_cfg: Path, choice: str
) -> None:
    """The edits were lost on save, with no word of why."""
    from provreg.tui.screens.removed import RemovedScreen

    hosted = live_cfg / "providers" / "hosted.yaml"
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await typed_then_changed_on_disk(
            pilot,
            "personal-anthropic",
            "claude-opus-4-1",
            (REMOVE_ENTRY, hosted, "  - id: personal-anthropic", "  - id: gemini"),
            RemovedScreen,
            "the removed dialog",
        )
        assert "Personal Anthropic" in app.screen.message  # type: ignore[attr-defined]
        await pilot.press(choice[0])
        if choice == "discard":
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the form to close")
            ids = [p.get("id") for p in yaml.safe_load(hosted.read_text())["providers"]]
            assert "personal-anthropic" not in ids
            return
        await wait_until(pilot, lambda: app.screen is form, "back to the form")
        assert form.query_one("#field-default_model", Input).value == "claude-opus-4-1"
        if choice == "copy":
            assert "default_model: claude-opus-4-1" in app.clipboard
            assert "name: Personal Anthropic" in app.clipboard
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the form to close")
            return
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, "the form to close")
        await wait_until(
            pilot, lambda: "personal-anthropic" in table_of(pilot).instance_ids, "the row back"
        )
    [entry] = [
        p
        for p in yaml.safe_load(hosted.read_text())["providers"]
        if p["name"] == "Personal Anthropic"
    ]
    assert entry["id"] == "personal-anthropic"
    assert entry["default_model"] == "claude-opus-4-1"
