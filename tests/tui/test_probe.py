"""The dashboard's live probes (issue 16): `p` probes the selected row, `P` every
row without holding up the keys, against a real loopback server playing an
OpenAI-compatible `/v1/models`; the result shows as the row's glyph and in
Details, and the key (a canary) never reaches the screen.

Keys come from `{env: ...}` (not pinned, docs/secrets.md), so no keyring is
asked; the engine's own outcomes are tested in tests/probe/.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from helpers.cli import canary_value
from helpers.dashboard import (
    Dashboard,
    Notes,
    fixed_stamp,
    plain,
    screen_text,
    started,
    table_of,
    wait_until,
)
from helpers.fake_providers import FakeProvider, serving
from textual.widgets import Static

from provreg.tui.app import ProvregApp
from provreg.tui.probes import PROBE_GLYPHS, ProbeBoard, age_text
from provreg.tui.widgets.detail_pane import DetailPane
from provreg.tui.widgets.providers_table import GLYPHS

pytestmark = pytest.mark.anyio

KEY_ENV = "PROBE_TUI_KEY"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = canary_value()
    monkeypatch.setenv(KEY_ENV, value)
    return value


def write_instances(directory: Path, url: str, count: int) -> Path:
    """`count` OpenAI-compatible instances `p0`, `p1`, ... at the server `url`."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = "".join(
        f"  - id: p{index}\n"
        f"    name: Probe {index}\n"
        "    provider: openai-compatible\n"
        f"    base_url: {url}/v1\n"
        f"    api_key: {{env: {KEY_ENV}}}\n"
        "    default_model: model-a\n"
        for index in range(count)
    )
    path = directory / "providers.yaml"
    path.write_text("version: 1\nproviders:\n" + entries, encoding="utf-8")
    return path


@asynccontextmanager
async def dashboard(
    directory: Path, count: int, size: tuple[int, int] = (80, 24)
) -> AsyncIterator[Dashboard]:
    app = ProvregApp([str(directory)], stamp=fixed_stamp, watch=False, audit=False)
    notes = Notes()
    async with app.run_test(size=size, message_hook=notes) as pilot:
        await started(pilot, instances=count)
        yield app, pilot, notes


def details(app: ProvregApp) -> str:
    pane = app.query_one("#detail-tab", DetailPane)
    return plain(pane.query_one("#detail-body", Static).content)


def probe_mark(app: ProvregApp, instance_id: str) -> str:
    """The row's probe mark, as the table draws it (`ok`, `failed`, `running`, ``)."""
    return app.main.table.probe_marks.get(instance_id, "")


def assert_no_key(app: ProvregApp, notes: Notes, key: str) -> None:
    shown = screen_text(app)
    for text in (shown, details(app), *notes.messages):
        assert key not in text
        assert key[10:] not in text  # not even its random part


async def test_p_shows_the_result_in_details_and_the_glyph(tmp_path: Path, key: str) -> None:
    fake = FakeProvider("openai", key=key, models=["model-a", "model-b", "model-c"])
    with serving(fake):
        write_instances(tmp_path / "cfg", fake.url, 2)
        async with dashboard(tmp_path / "cfg", 2) as (app, pilot, notes):
            assert "never (p probes it, P probes all)" in details(app)
            assert table_of(pilot).get_row("p0")[0].plain == "●  "  # never probed: blank
            await pilot.press("p")
            board = app.main.probes
            await wait_until(pilot, lambda: board.last("p0") is not None, "the probe of p0")
            await pilot.pause()
            result = board.last("p0")
            assert result is not None and result.ok, result
            assert probe_mark(app, "p0") == "ok"
            assert table_of(pilot).get_row("p0")[0].plain == "● ✓"
            assert probe_mark(app, "p1") == ""  # only the selected row was probed
            text = details(app)
            assert "last probe" in text
            assert " ms, 3 models, just now" in text
            assert "Probe 0: ok " in notes
            assert "✓" in screen_text(app)
            # The server saw the key where OpenAI expects it; the screen never did.
            assert fake.presented_key(fake.seen[-1]) == key
            assert_no_key(app, notes, key)


async def test_details_age_and_an_edit_marks_the_result_older(tmp_path: Path, key: str) -> None:
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        write_instances(tmp_path / "cfg", fake.url, 1)
        async with dashboard(tmp_path / "cfg", 1) as (app, pilot, _):
            await pilot.press("p")
            board = app.main.probes
            await wait_until(pilot, lambda: board.last("p0") is not None, "the probe")
            result = board.last("p0")
            assert result is not None
            instance = app.state.instances["p0"] if app.state else None
            assert instance is not None
            later = board.detail_line(instance, now=result.checked_at + 150).plain
            assert later.endswith("2 models, 2 min ago"), later
            # An edit after the probe: the result stays, marked as older than it.
            assert app.registry is not None
            await app.registry.update("p0", {"default_model": "model-b"})
            await wait_until(pilot, lambda: probe_mark(app, "p0") == "ok-old", "the older mark")
            await wait_until(pilot, lambda: "before the last change" in details(app), "Details")
            assert "2 models" in details(app)
            # Probing again clears the mark.
            await pilot.press("p")
            await wait_until(pilot, lambda: probe_mark(app, "p0") == "ok", "the new result")
            assert "before the last change" not in details(app)


async def test_P_probes_all_while_the_cursor_keeps_moving(tmp_path: Path, key: str) -> None:
    fake = FakeProvider("openai", key=key, mode="slow", delay=0.5)
    with serving(fake):
        write_instances(tmp_path / "cfg", fake.url, 12)
        async with dashboard(tmp_path / "cfg", 12, size=(120, 40)) as (app, pilot, notes):
            board = app.main.probes
            table = table_of(pilot)
            assert table.selected_id == "p0"
            started_at = time.monotonic()
            await pilot.press("P")
            await wait_until(pilot, lambda: board.any_running, "the probes to start")
            # Navigation is not blocked: the cursor moves while probes still run.
            await pilot.press("down", "down", "down")
            assert table.selected_id == "p3"
            assert board.any_running
            if board.running("p3"):
                assert "probing…" in details(app)
            running = [f"p{i}" for i in range(12) if probe_mark(app, f"p{i}") == "running"]
            assert running, "no row shows its probe running"
            assert "…" in table.get_row(running[0])[0].plain
            await pilot.press("up")
            assert table.selected_id == "p2"
            # 12 probes of 0.5 s, 8 at a time: two rounds, not twelve, and not one.
            await wait_until(pilot, lambda: not board.any_running, "every probe", timeout=8)
            elapsed = time.monotonic() - started_at
            assert 1.0 <= elapsed < 5.0, elapsed
            await pilot.pause()
            assert all(probe_mark(app, f"p{i}") == "ok" for i in range(12))
            assert "Probed 12: 12 ok, 0 failed" in notes
            assert len(fake.seen) == 12
            assert "ok " in details(app)
            assert_no_key(app, notes, key)


async def test_a_failing_probe_shows_its_detail_and_never_the_key(tmp_path: Path, key: str) -> None:
    # The server answers 401 and repeats the key it got in its error message.
    fake = FakeProvider("openai", key=key, mode="echo")
    with serving(fake):
        write_instances(tmp_path / "cfg", fake.url, 1)
        async with dashboard(tmp_path / "cfg", 1) as (app, pilot, notes):
            await pilot.press("p")
            board = app.main.probes
            await wait_until(pilot, lambda: board.last("p0") is not None, "the probe")
            await pilot.pause()
            assert probe_mark(app, "p0") == "failed"
            assert table_of(pilot).get_row("p0")[0].plain == "● ✗"
            text = details(app)
            assert "auth failed: HTTP 401" in text
            assert "Incorrect API key provided" in text
            assert fake.seen and fake.presented_key(fake.seen[-1]) == key  # it was sent
            assert_no_key(app, notes, key)


async def test_an_unreachable_endpoint_says_why(tmp_path: Path, key: str) -> None:
    from helpers.fake_providers import free_port

    write_instances(tmp_path / "cfg", f"http://127.0.0.1:{free_port()}", 1)
    async with dashboard(tmp_path / "cfg", 1) as (app, pilot, _):
        await pilot.press("p")
        board = app.main.probes
        await wait_until(pilot, lambda: board.last("p0") is not None, "the probe")
        await pilot.pause()
        assert "unreachable: connection refused" in details(app)
        assert probe_mark(app, "p0") == "failed"


async def test_the_probe_keys_can_be_rebound(
    tmp_path: Path, key: str, isolated_environment: Path
) -> None:
    from provreg.tui.keymap import keymap_path

    keymap_path().parent.mkdir(parents=True, exist_ok=True)
    keymap_path().write_text("probe: ctrl+t\nprobe-all: ctrl+y\n", encoding="utf-8")
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        write_instances(tmp_path / "cfg", fake.url, 2)
        async with dashboard(tmp_path / "cfg", 2) as (app, pilot, notes):
            assert not [m for m in notes.messages if "keymap" in m.lower()]
            await pilot.press("ctrl+t")
            board = app.main.probes
            await wait_until(pilot, lambda: board.last("p0") is not None, "ctrl+t's probe")
            assert board.last("p1") is None
            await pilot.press("ctrl+y")
            await wait_until(pilot, lambda: board.last("p1") is not None, "ctrl+y's probes")


def test_the_glyphs_differ_in_shape_not_only_colour() -> None:
    """NO_COLOR and the high-contrast theme: every probe state reads by its shape,
    and none looks like a status glyph of the column beside it."""
    shapes = [glyph for glyph, _ in PROBE_GLYPHS.values()]
    assert len(set(shapes)) == len(shapes)
    assert not set(shapes) & {glyph for glyph, _ in GLYPHS.values()}


def test_ages_are_coarse() -> None:
    assert [age_text(s) for s in (0, 59, 60, 150, 3599, 3600, 7200 * 24, 86400 * 5)] == [
        "just now",
        "just now",
        "1 min ago",
        "2 min ago",
        "59 min ago",
        "1 h ago",
        "2 days ago",
        "5 days ago",
    ]
    assert ProbeBoard().known_ids == set()
