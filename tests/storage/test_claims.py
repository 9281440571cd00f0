"""What a claim re-reads: only the files that moved (storage/claims.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provreg.storage import StorageError, YamlDirectoryStorage

pytestmark = pytest.mark.anyio

ONE = "version: 1\nproviders:\n  - id: one\n    name: One\n    provider: groq\n"


async def claimed(storage: YamlDirectoryStorage) -> list[str] | None:
    """Display paths of the files the claim found moved (None: nothing moved)."""
    async with storage.claim() as view:
        if view.state is None:
            return None
        return sorted(result.display for result in view.state.files)


async def test_a_claim_rereads_only_what_moved(config_dir: Path) -> None:
    (config_dir / "a.yaml").write_text(ONE)
    (config_dir / "b.yaml").write_text(ONE.replace("one", "two").replace("One", "Two"))
    # A second name for a.yaml: storage reads it once, a claim must not see it as new.
    os.symlink(config_dir / "a.yaml", config_dir / "alias.yaml")
    storage = YamlDirectoryStorage([str(config_dir)])
    await storage.load_all()
    assert await claimed(storage) is None
    assert await claimed(storage) is None

    # The same size, just written (the mtime may not have moved): still seen.
    (config_dir / "b.yaml").write_text(ONE.replace("one", "owt").replace("One", "Owt"))
    async with storage.claim() as view:
        assert view.state is not None
        ids = [i.id for result in view.state.files for i in result.instances]
        assert sorted(ids) == ["one", "owt"]
    assert await claimed(storage) is None

    (config_dir / "c.yaml").write_text(ONE.replace("one", "three"))
    async with storage.claim() as view:
        assert view.state is not None
        assert str(config_dir / "c.yaml") in [result.display for result in view.state.files]
    (config_dir / "c.yaml").unlink()
    async with storage.claim() as view:
        assert view.state is not None
        assert str(config_dir / "c.yaml") not in [result.display for result in view.state.files]
    assert await claimed(storage) is None


async def test_claims_serialise_across_storages(config_dir: Path) -> None:
    (config_dir / "a.yaml").write_text(ONE)
    first = YamlDirectoryStorage([str(config_dir)])
    second = YamlDirectoryStorage([str(config_dir)], lock_timeout=0.2)
    await first.load_all()
    await second.load_all()
    async with first.claim():
        with pytest.raises(StorageError, match="adding or renaming an instance"):
            async with second.claim():
                pass
    async with second.claim():  # free again
        pass
