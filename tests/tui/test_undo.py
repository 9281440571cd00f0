"""Undo the last delete (`u`): the entry comes back where it was, comments and
all, and the deleted instance's stored key is removed only when the undo is
no longer possible (the app quits, or another delete takes the undo slot).

Real config files, the real plaintext keyring of the tui conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import Notes, RunDashboard, select, table_of, wait_until
from helpers.files import read_tree

from provreg.secrets.index import KeyLocation, SecretIndex
from provreg.tui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.anyio

USER = "personal-anthropic/api_key"


def store_key(keyring: Any, instance_id: str = "personal-anthropic") -> None:
    """A key provreg stored for the instance: in the keyring and in its index."""
    keyring.set_password("provreg", f"{instance_id}/api_key", "sk-ant-undo-test")
    SecretIndex().pin(
        KeyLocation("keyring", "provreg", f"{instance_id}/api_key"),
        "api.anthropic.com",
        instance_id,
        "api_key",
        stored=True,
    )


async def delete(pilot: Any, instance_id: str) -> None:
    app = pilot.app
    table = table_of(pilot)
    await select(pilot, instance_id)
    await pilot.press("x")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.press("y")
    await wait_until(pilot, lambda: instance_id not in table.instance_ids, "the row to go")


Deleted = Callable[[str], AbstractAsyncContextManager[tuple[Any, Notes]]]


@pytest.fixture
def deleted(run_dashboard: RunDashboard) -> Deleted:
    """`async with deleted(instance_id) as (pilot, notes):` the app running on `cfg`,
    loaded, once `instance_id` has been deleted."""

    @asynccontextmanager
    async def deleting(instance_id: str) -> AsyncIterator[tuple[Any, Notes]]:
        async with run_dashboard((120, 40)) as (_, pilot, notes):
            await delete(pilot, instance_id)
            yield pilot, notes

    return deleting


async def test_delete_then_u_gives_the_file_back_byte_for_byte(
    cfg: Path, deleted: Deleted, plaintext_keyring: Any
) -> None:
    store_key(plaintext_keyring)
    before = read_tree(cfg)
    hosted = cfg / "providers" / "hosted.yaml"
    raw_before = hosted.read_bytes()
    async with deleted("personal-anthropic") as (pilot, notes):
        table = table_of(pilot)
        await wait_until(pilot, lambda: "u to undo" in notes, "the toast's hint")
        assert "Deleted Personal Anthropic — u to undo" in notes
        assert hosted.read_bytes() != raw_before
        # Not removed yet: the undo would need it.
        assert plaintext_keyring.get_password("provreg", USER) == "sk-ant-undo-test"
        await pilot.press("u")
        await wait_until(
            pilot, lambda: "personal-anthropic" in table.instance_ids, "the row to come back"
        )
        assert hosted.read_bytes() == raw_before
        assert read_tree(cfg) == before
        assert table.selected_id == "personal-anthropic"
        await wait_until(pilot, lambda: "Restored Personal Anthropic" in notes, "the notice")
    # The undo cancelled the cleanup: quitting keeps the key.
    assert plaintext_keyring.get_password("provreg", USER) == "sk-ant-undo-test"
    assert hosted.read_bytes() == raw_before


async def test_first_entry_comes_back_first(cfg: Path, deleted: Deleted) -> None:
    hosted = cfg / "providers" / "hosted.yaml"
    raw_before = hosted.read_bytes()
    async with deleted("work-openai") as (pilot, _):
        table = table_of(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: "work-openai" in table.instance_ids, "the row")
        assert hosted.read_bytes() == raw_before
        assert table.instance_ids[0] == "work-openai"


async def test_the_key_is_removed_when_the_app_quits(
    cfg: Path, deleted: Deleted, plaintext_keyring: Any
) -> None:
    store_key(plaintext_keyring)
    async with deleted("personal-anthropic") as (pilot, _):
        await pilot.pause(0.2)
        assert plaintext_keyring.get_password("provreg", USER) == "sk-ant-undo-test"
    assert plaintext_keyring.get_password("provreg", USER) is None


async def test_a_second_delete_finalises_the_first(
    cfg: Path, deleted: Deleted, plaintext_keyring: Any
) -> None:
    store_key(plaintext_keyring)
    hosted = cfg / "providers" / "hosted.yaml"
    async with deleted("personal-anthropic") as (pilot, notes):
        table = table_of(pilot)
        await delete(pilot, "gemini")
        await wait_until(
            pilot,
            lambda: plaintext_keyring.get_password("provreg", USER) is None,
            "the first delete's key to go",
        )
        # One undo level: u brings back the second only.
        await pilot.press("u")
        await wait_until(pilot, lambda: "gemini" in table.instance_ids, "gemini back")
        await pilot.press("u")
        await wait_until(pilot, lambda: "Nothing to undo" in notes, "the refusal")
        assert "personal-anthropic" not in table.instance_ids
    assert "personal-anthropic" not in hosted.read_text()
    assert "# exported by my shell profile" in hosted.read_text()


async def test_undo_after_the_file_changed_elsewhere(cfg: Path, deleted: Deleted) -> None:
    hosted = cfg / "providers" / "hosted.yaml"
    text_before = hosted.read_text()
    async with deleted("personal-anthropic") as (pilot, _):
        app = pilot.app
        table = table_of(pilot)
        # Another edit elsewhere in the file: the position is still there.
        text = hosted.read_text()
        hosted.write_text(text.replace("gemini-2.5-flash", "gemini-2.5-pro"))
        await wait_until(
            pilot,
            lambda: (
                app.state is not None
                and app.state.instances["gemini"].values.get("default_model") == "gemini-2.5-pro"
            ),
            "the external edit",
        )
        await pilot.press("u")
        await wait_until(pilot, lambda: "personal-anthropic" in table.instance_ids, "the row")
        ids = table.instance_ids
        assert ids.index("personal-anthropic") == ids.index("work-openai") + 1
        restored = hosted.read_text()
        assert "gemini-2.5-pro" in restored
        assert restored == text_before.replace("gemini-2.5-flash", "gemini-2.5-pro")

        # Now the neighbour it followed is gone: refused, and append is offered.
        await delete(pilot, "personal-anthropic")
        text = hosted.read_text()
        start = text.index("  - id: work-openai")
        end = text.index("  - id: gemini")
        hosted.write_text(text[:start] + text[end:])
        await wait_until(pilot, lambda: "work-openai" not in table.instance_ids, "external delete")
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the offer")
        assert isinstance(app.screen, ConfirmScreen)
        assert "work-openai" in app.screen.question and "end" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: "personal-anthropic" in table.instance_ids, "appended")
        assert table.instance_ids[-1] in ("personal-anthropic", "team-openrouter")
        entries = hosted.read_text().split("  - id: ")
        assert entries[-1].startswith("personal-anthropic")


async def test_undo_refused_when_the_name_is_taken(cfg: Path, deleted: Deleted) -> None:
    hosted = cfg / "providers" / "hosted.yaml"
    async with deleted("personal-anthropic") as (pilot, notes):
        table = table_of(pilot)
        text = hosted.read_text()
        hosted.write_text(
            text + "\n  - id: other\n    name: Personal Anthropic\n    provider: anthropic\n"
        )
        await wait_until(pilot, lambda: "other" in table.instance_ids, "the external add")
        await pilot.press("u")
        await wait_until(pilot, lambda: "already used" in notes, "the refusal")
        assert "personal-anthropic" not in table.instance_ids
