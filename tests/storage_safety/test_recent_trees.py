"""The node trees kept for the files the app wrote last (storage/recent_trees.py).

A kept tree stands for the parse of the exact bytes the app wrote; it must
never be used once the file holds other bytes, even when an editor's save
keeps the file's size and modification time.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest
from helpers.files import TEAM_YAML

from provreg.config.read.yaml_source import Document, parse_text
from provreg.registry.registry import ProviderRegistry
from provreg.storage import ConflictError
from provreg.storage.recent_trees import RecentTrees

ALPHA_LINE = b"default_model: llama3.2   # alpha's model"
BETA_LINE = b"default_model: qwen3\n"


async def opened_and_alpha_written(team_dir: Path) -> ProviderRegistry:
    """The registry on team_dir (no audit) after one app write: alpha's model set to mistral."""
    registry = await ProviderRegistry.open([str(team_dir)], audit=False)
    await registry.update("alpha", {"default_model": "mistral"})
    return registry


def _same_size_and_time(path: Path, old: bytes, new: bytes) -> None:
    """An outside edit that keeps the file's size and mtime (only its bytes tell)."""
    assert len(old) == len(new)
    info = path.stat()
    path.write_bytes(path.read_bytes().replace(old, new))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    assert path.stat().st_mtime_ns == info.st_mtime_ns


def test_consecutive_writes_to_a_file_parse_it_once_each(
    team_dir: Path, edit_parses: list[str]
) -> None:
    async def main() -> None:
        registry = await opened_and_alpha_written(team_dir)
        # The load kept where each item starts (no tree): a first write is local.
        assert edit_parses == ["<item>", "<item>"]
        edit_parses.clear()
        await registry.update("beta", {"default_model": "qwen3:32b"})
        # An update after a write parses only the item's lines, before and after;
        # no tree of the whole text is kept then, so the next write parses it.
        assert edit_parses == ["<item>", "<item>"]
        await registry.create("ollama", "Delta", {}, file="team.yaml")
        await registry.delete("delta")
        await registry.update("gamma", {"keep_alive": "1h"})
        item_only = ["<item>", "<item>"]
        assert edit_parses == [*item_only, "<edit>", "<verify>", "<verify>", *item_only]

    anyio.run(main)


def test_an_outside_edit_between_two_app_writes_is_seen(
    team_dir: Path, edit_parses: list[str]
) -> None:
    path = team_dir / "team.yaml"

    async def main() -> None:
        registry = await opened_and_alpha_written(team_dir)
        _same_size_and_time(path, BETA_LINE, b"default_model: qwen4\n")
        edit_parses.clear()

        await registry.update("gamma", {"keep_alive": "1h"})

        assert edit_parses == ["<edit>", "<verify>"]  # the kept tree was not used
        text = path.read_bytes()
        assert b"default_model: qwen4\n" in text
        assert b"default_model: mistral   # alpha's model" in text
        assert b"keep_alive: 1h     # keep gamma warm" in text
        assert registry.get("beta").values["default_model"] == "qwen4"

    anyio.run(main)
    expected = (
        TEAM_YAML.replace(BETA_LINE, b"default_model: qwen4\n")
        .replace(ALPHA_LINE, b"default_model: mistral   # alpha's model")
        .replace(b"keep_alive: 10m", b"keep_alive: 1h")
    )
    assert path.read_bytes() == expected


def test_an_outside_edit_of_the_same_instance_between_app_writes_conflicts(
    team_dir: Path,
) -> None:
    path = team_dir / "team.yaml"

    async def main() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        await registry.update("beta", {"default_model": "qwen3:32b"})
        _same_size_and_time(path, b"qwen3:32b", b"qwen3:14b")
        outside = path.read_bytes()

        with pytest.raises(ConflictError, match="'beta' was changed in the file meanwhile"):
            await registry.update("beta", {"default_model": "mistral"})
        assert path.read_bytes() == outside

    anyio.run(main)


def test_a_file_restored_to_the_bytes_the_app_wrote_uses_the_kept_tree(
    team_dir: Path, edit_parses: list[str]
) -> None:
    """Same bytes, same tree: what the key (the content hash) promises."""
    path = team_dir / "team.yaml"

    async def main() -> None:
        registry = await opened_and_alpha_written(team_dir)
        written = path.read_bytes()
        path.write_bytes(b"version: 1\nproviders: []\n")
        await registry.reload()
        path.write_bytes(written)
        await registry.reload()
        edit_parses.clear()

        await registry.update("beta", {"default_model": "qwen3:32b"})

        # The item index of those bytes too: only the item's lines are parsed.
        assert edit_parses == ["<item>", "<item>"]
        assert path.read_bytes() == written.replace(BETA_LINE, b"default_model: qwen3:32b\n")

    anyio.run(main)


# --------------------------------------------------------------------- the cache itself


def _doc(text: str = "version: 1\n") -> Document:
    return parse_text(text, "<verify>")


def test_a_tree_is_returned_only_for_the_hash_it_was_parsed_from() -> None:
    trees = RecentTrees()
    doc = _doc()
    trees.put("a.yaml", "hash-1", doc, 11)

    assert trees.get("a.yaml", "hash-1") is doc
    assert trees.get("a.yaml", "hash-2") is None
    assert trees.get("a.yaml", None) is None
    assert trees.get("b.yaml", "hash-1") is None


def test_the_least_recently_used_file_goes_first() -> None:
    trees = RecentTrees(max_files=2)
    trees.put("a.yaml", "a", _doc(), 11)
    trees.put("b.yaml", "b", _doc(), 11)
    assert trees.get("a.yaml", "a") is not None  # a is now the most recent
    trees.put("c.yaml", "c", _doc(), 11)

    assert "b.yaml" not in trees
    assert "a.yaml" in trees and "c.yaml" in trees
    assert len(trees) == 2


def test_the_kept_text_is_bounded() -> None:
    trees = RecentTrees(max_files=4, max_chars=100)
    trees.put("a.yaml", "a", _doc(), 60)
    trees.put("b.yaml", "b", _doc(), 30)
    trees.put("c.yaml", "c", _doc(), 30)  # 120 chars: a goes
    assert [name in trees for name in ("a.yaml", "b.yaml", "c.yaml")] == [False, True, True]

    trees.put("huge.yaml", "h", _doc(), 101)  # larger than the whole cache: not kept
    assert "huge.yaml" not in trees
    assert len(trees) == 2


def test_a_new_write_replaces_the_files_tree_and_none_forgets_it() -> None:
    trees = RecentTrees()
    first, second = _doc(), _doc("version: 1\nproviders: []\n")
    trees.put("a.yaml", "1", first, 11)
    trees.put("a.yaml", "2", second, 25)
    assert trees.get("a.yaml", "1") is None
    assert trees.get("a.yaml", "2") is second

    trees.put("a.yaml", "3", None, 0)
    assert "a.yaml" not in trees
    assert len(trees) == 0
