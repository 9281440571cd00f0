"""A file that stops parsing keeps its last good instances (stale), reports
where it broke, and the next good save recovers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_YAML, B_IDS, B_YAML

from provreg.registry.events import InstanceRemoved, InstanceUpdated, ReloadFailed

pytestmark = pytest.mark.anyio

# A second colon on line 5 (column 21): a YAML syntax error with a known position.
BROKEN_B = B_YAML.replace("    provider: ollama", "    provider: ollama: x")


async def test_syntax_error_keeps_last_good_then_recovers(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "b.yaml"
    display = str(path)
    async with watch(sync_dir) as h:
        path.write_text(BROKEN_B)
        await h.wait_for(lambda: h.of_type(ReloadFailed) != [], "a ReloadFailed event")

        failed = h.of_type(ReloadFailed)
        assert [(e.file, e.source) for e in failed] == [(display, "external")]
        first = failed[0].diagnostics[0]
        assert (first.line, first.column, first.code) == (5, 21, "E001")
        state = h.registry.snapshot()
        status = state.files[display]
        assert not status.ok and status.stale
        assert status.last_error is not None
        assert re.match(r"^\d+:\d+: ", status.last_error), status.last_error
        assert status.last_error.startswith("5:21: ")
        # The previous instances are still served, marked stale.
        assert B_IDS <= set(state.instances)
        assert state.stale_ids == frozenset(B_IDS)
        assert h.value("local-ollama", "default_model") == "llama3.2"
        assert not h.of_type(InstanceRemoved)

        # Another bad save: still stale, still nothing removed.
        path.write_text("version: 1\nproviders: [\n")
        await h.wait_for(lambda: len(h.of_type(ReloadFailed)) == 2, "a second ReloadFailed")
        assert h.registry.snapshot().stale_ids == frozenset(B_IDS)

        path.write_text(B_YAML.replace("llama3.2", "qwen3"))
        await h.wait_value("local-ollama", "default_model", "qwen3")
        state = h.registry.snapshot()
        assert state.files[display].ok and not state.files[display].stale
        assert state.files[display].last_error is None
        assert state.stale_ids == frozenset()
        updates = [e for e in h.of_type(InstanceUpdated) if e.instance.id == "local-ollama"]
        assert [e.changed_fields for e in updates] == [("default_model",)]
        h.check()


async def test_validation_error_in_one_instance_keeps_the_file(sync_dir: Path, watch: Any) -> None:
    """A half-typed instance (a required field missing) is an error in the file."""
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        path.write_text(A_YAML + "\n  - id: half-typed\n")
        await h.wait_for(lambda: h.of_type(ReloadFailed) != [], "a ReloadFailed event")
        status = h.registry.snapshot().files[str(path)]
        assert status.stale and status.last_error and re.match(r"^\d+:\d+: ", status.last_error)
        assert "half-typed" not in h.ids()
        path.write_text(A_YAML + "\n  - id: half-typed\n    name: Half\n    provider: openai\n")
        await h.wait_for(lambda: "half-typed" in h.ids(), "the completed instance")
        h.check()


async def test_new_file_with_errors_has_no_last_good(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "new.yaml"
    async with watch(sync_dir) as h:
        path.write_text("version: 1\nproviders: [\n")
        await h.wait_for(lambda: str(path) in h.registry.snapshot().files, "the new file")
        status = h.registry.snapshot().files[str(path)]
        assert not status.ok and not status.stale
        path.write_text("version: 1\nproviders:\n  - id: n\n    name: N\n    provider: openai\n")
        await h.wait_for(lambda: "n" in h.ids(), "the fixed file")
        h.check()
