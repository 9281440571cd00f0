"""The app's own writes are echoes, not reloads; an external edit that lands
between load and app write is a conflict, and nothing is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_YAML, B_YAML

from provreg.registry import ConflictError
from provreg.registry.events import Conflict, InstanceUpdated
from provreg.sync import SyncSettings

pytestmark = pytest.mark.anyio


async def test_hundred_app_writes_cause_no_reload(sync_dir: Path, watch: Any) -> None:
    async with watch(sync_dir) as h:
        for index in range(100):
            instance_id = "work-openai" if index % 2 else "local-ollama"
            await h.registry.update(instance_id, {"default_model": f"model-{index}"})
        created = await h.registry.create("openai", "Echo Test", {"default_model": "gpt-5"})
        await h.registry.delete(created.id)
        assert h.value("work-openai", "default_model") == "model-99"
        # Every watcher batch and two full rescans have come and gone.
        await h.quiet_rescans(2)
        assert h.engine.stats.suppressed >= 1, "the watcher never saw the app's writes"
        assert h.engine.stats.reloads == 0
        assert [e for e in h.events if e.source == "external"] == []
        assert h.engine.stats.files_read == []
        h.check(removed={created.id})


async def test_external_write_between_load_and_app_write_is_a_conflict(
    sync_dir: Path, watch: Any
) -> None:
    """The engine is running but has not reconciled the edit yet (a long
    step holds the batch back): the app's write must not overwrite it."""
    slow = SyncSettings(debounce_ms=3000, step_ms=2000, grace_s=0.3, rescan_s=30)
    async with watch(sync_dir, slow) as h:
        external = A_YAML.replace("gpt-4.1", "gpt-5-external")
        (sync_dir / "a.yaml").write_text(external)
        assert h.value("work-openai", "default_model") == "gpt-4.1"  # not reconciled yet
        with pytest.raises(ConflictError):
            await h.registry.update("work-openai", {"default_model": "gpt-5-app"})
        assert (sync_dir / "a.yaml").read_text() == external  # nothing lost on disk
        conflicts = h.of_type(Conflict)
        assert [(c.instance_id, c.source) for c in conflicts] == [("work-openai", "app")]
        assert h.registry.snapshot().conflicts

        # A write to another instance of the same file is re-applied on top
        # of the external edit, which survives.
        await h.registry.update("personal-anthropic", {"default_model": "claude-opus-4-1"})
        text = (sync_dir / "a.yaml").read_text()
        assert "gpt-5-external" in text and "claude-opus-4-1" in text

        await h.wait_value("work-openai", "default_model", "gpt-5-external")
        assert h.value("personal-anthropic", "default_model") == "claude-opus-4-1"
        # Now the app's edit goes through on top of what the user wrote.
        await h.registry.update("work-openai", {"default_model": "gpt-5-app"})
        assert "gpt-5-app" in (sync_dir / "a.yaml").read_text()
        h.check()


async def test_conflict_before_the_engine_starts(sync_dir: Path, watch: Any) -> None:
    """The same race, made deterministic by starting the engine afterwards."""
    async with watch(sync_dir, start=False) as h:
        external = B_YAML.replace("llama3.2", "qwen3")
        (sync_dir / "b.yaml").write_text(external)
        with pytest.raises(ConflictError):
            await h.registry.update("local-ollama", {"default_model": "mistral"})
        assert (sync_dir / "b.yaml").read_text() == external
        await h.start()
        await h.wait_value("local-ollama", "default_model", "qwen3")
        external_updates = [e for e in h.of_type(InstanceUpdated) if e.source == "external"]
        assert [(e.instance.id, e.changed_fields) for e in external_updates] == [
            ("local-ollama", ("default_model",))
        ]
        h.check()
