"""Optimistic concurrency (docs/architecture.md, "Writes"): an external edit between the registry's
read and its write. The same instance edited outside: ConflictError and the
user's text untouched. Another instance edited outside: the app's change is
re-applied to the new text and both changes survive."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers.files import TEAM_YAML, temp_files

from provreg.registry.registry import ProviderRegistry
from provreg.storage import ConflictError

ALPHA_LINE = b"default_model: llama3.2   # alpha's model"
BETA_LINE = b"default_model: qwen3\n"


def _run(team_dir: Path, body: Callable[[ProviderRegistry], Awaitable[Any]]) -> None:
    async def main() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        await body(registry)

    anyio.run(main)


def _external(path: Path, old: bytes, new: bytes) -> bytes:
    """An editor saving the file (a rename-save, as vim and VS Code do)."""
    text = path.read_bytes()
    assert old in text
    changed = text.replace(old, new)
    staging = path.with_name("editor-staging.tmp")
    staging.write_bytes(changed)
    os.replace(staging, path)
    return changed


# --------------------------------------------------------------------- same instance


def test_same_instance_edited_outside_raises_conflict_and_keeps_the_edit(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        before = dict(registry.snapshot().instances)
        external = _external(path, ALPHA_LINE, b"default_model: gemma3   # alpha's model")

        with pytest.raises(ConflictError) as caught:
            await registry.update("alpha", {"default_model": "mistral"})

        assert str(caught.value) == (
            f"{path}: 'alpha' was changed in the file meanwhile; reload and try again"
        )
        assert (caught.value.instance_id, caught.value.file) == ("alpha", str(path))
        assert path.read_bytes() == external
        state = registry.snapshot()
        assert dict(state.instances) == before  # nothing committed
        assert [(c.instance_id, c.file) for c in state.conflicts] == [("alpha", str(path))]

        # What a user does next: reload, see the outside value, decide, write again.
        await registry.reload()
        assert registry.get("alpha").values["default_model"] == "gemma3"
        await registry.update("alpha", {"default_model": "mistral"})

    _run(team_dir, body)
    assert path.read_bytes() == TEAM_YAML.replace(
        ALPHA_LINE, b"default_model: mistral   # alpha's model"
    )
    assert temp_files(team_dir) == []


def test_same_instance_removed_outside_raises_conflict(team_dir: Path) -> None:
    path = team_dir / "team.yaml"
    alpha = TEAM_YAML[TEAM_YAML.index(b"  - id: alpha") : TEAM_YAML.index(b"  # beta")]

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, alpha, b"")
        with pytest.raises(ConflictError, match="'alpha' was removed from the file meanwhile"):
            await registry.update("alpha", {"default_model": "mistral"})
        assert path.read_bytes() == external

    _run(team_dir, body)


def test_delete_of_an_instance_edited_outside_raises_conflict(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, BETA_LINE, b"default_model: qwen3:32b\n")
        with pytest.raises(ConflictError, match="'beta' was changed in the file meanwhile"):
            await registry.delete("beta")
        assert path.read_bytes() == external
        assert "beta" in registry.snapshot().instances

    _run(team_dir, body)


def test_file_broken_outside_raises_conflict_and_is_left_alone(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, b"providers:\n", b"providers: [\n")
        with pytest.raises(ConflictError, match="no longer parses"):
            await registry.update("alpha", {"default_model": "mistral"})
        assert path.read_bytes() == external

    _run(team_dir, body)


def test_file_removed_outside_is_not_recreated(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        path.unlink()
        with pytest.raises(ConflictError, match="its file was removed"):
            await registry.update("alpha", {"default_model": "mistral"})

    _run(team_dir, body)
    assert os.listdir(team_dir) == []


# --------------------------------------------------------------------- other instance


def test_other_instance_edited_outside_is_merged(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, BETA_LINE, b"default_model: qwen3:32b  # bigger\n")
        await registry.update("alpha", {"default_model": "mistral"})
        assert path.read_bytes() == external.replace(
            ALPHA_LINE, b"default_model: mistral   # alpha's model"
        )
        # The registry now shows both: its own write and the outside one.
        assert registry.get("alpha").values["default_model"] == "mistral"
        assert registry.get("beta").values["default_model"] == "qwen3:32b"
        assert registry.snapshot().conflicts == ()

    _run(team_dir, body)
    assert temp_files(team_dir) == []


def test_comment_added_outside_on_the_same_entry_is_kept(team_dir: Path) -> None:
    """Only the instance's values count: a comment edit is not a conflict."""
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(
            path, b"    name: Alpha\n", b"    # renamed in the standup\n    name: Alpha\n"
        )
        await registry.update("alpha", {"default_model": "mistral"})
        assert path.read_bytes() == external.replace(
            ALPHA_LINE, b"default_model: mistral   # alpha's model"
        )

    _run(team_dir, body)


def test_entries_reordered_outside_the_edit_finds_its_instance(team_dir: Path) -> None:
    path = team_dir / "team.yaml"
    alpha = TEAM_YAML[TEAM_YAML.index(b"  - id: alpha") : TEAM_YAML.index(b"  # beta")]
    gamma = TEAM_YAML[TEAM_YAML.index(b"  - id: gamma") :]

    async def body(registry: ProviderRegistry) -> None:
        reordered = TEAM_YAML.replace(alpha, b"").replace(gamma, gamma + b"\n" + alpha.rstrip())
        reordered = reordered.rstrip(b"\n") + b"\n"
        _external(path, TEAM_YAML, reordered)
        await registry.update("alpha", {"default_model": "mistral"})
        assert path.read_bytes() == reordered.replace(
            ALPHA_LINE, b"default_model: mistral   # alpha's model"
        )
        assert list(registry.snapshot().instances) == ["beta", "gamma", "alpha"]

    _run(team_dir, body)


def test_instance_added_and_another_removed_outside_are_merged(team_dir: Path) -> None:
    path = team_dir / "team.yaml"
    gamma = TEAM_YAML[TEAM_YAML.index(b"  - id: gamma") :]
    delta = b"  - id: delta\n    name: Delta\n    provider: ollama\n"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, gamma, delta)
        await registry.delete("alpha")
        assert b"id: alpha" not in path.read_bytes()
        assert path.read_bytes().endswith(delta)
        assert list(registry.snapshot().instances) == ["beta", "delta"]
        assert len(path.read_bytes()) < len(external)

    _run(team_dir, body)


def test_create_after_an_outside_edit_appends_to_the_new_text(team_dir: Path) -> None:
    path = team_dir / "team.yaml"

    async def body(registry: ProviderRegistry) -> None:
        external = _external(path, BETA_LINE, b"default_model: qwen3:32b\n")
        await registry.create("ollama", "Epsilon", {"keep_alive": "1h"}, file="team.yaml")
        text = path.read_bytes()
        assert text.startswith(external.rstrip(b"\n"))
        assert registry.get("beta").values["default_model"] == "qwen3:32b"
        assert registry.get("epsilon").values == {"keep_alive": "1h"}

    _run(team_dir, body)


# --------------------------------------------------------------------- the last window


def test_edit_saved_while_the_app_writes_is_not_lost(
    team_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor does not take provreg's lock: its save can land mid-write.

    Simulated by saving from the editor when atomic_write fsyncs its temp file,
    i.e. after the storage compared fingerprints and before `os.replace`.
    """
    path = team_dir / "team.yaml"
    real_fsync = os.fsync
    saved: list[bytes] = []

    def fsync(fd: int) -> None:
        from_atomic = sys._getframe(1).f_globals.get("__name__") == "provreg.storage.atomic"
        if from_atomic and not saved and stat.S_ISREG(os.fstat(fd).st_mode):
            saved.append(_external(path, BETA_LINE, b"default_model: qwen3:32b\n"))
        real_fsync(fd)

    async def body(registry: ProviderRegistry) -> None:
        monkeypatch.setattr(os, "fsync", fsync)
        try:
            await registry.update("alpha", {"default_model": "mistral"})
        except ConflictError:
            pass  # also acceptable: the app's write refused, the editor's kept
        finally:
            monkeypatch.undo()

    _run(team_dir, body)
    assert saved, "the editor never saved"
    assert b"default_model: qwen3:32b" in path.read_bytes()
