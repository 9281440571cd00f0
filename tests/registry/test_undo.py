"""The registry's undoable delete (registry/undo_ops.py) over real files:
the entry back byte for byte, audited like a create with its intent first,
the keys left alone until `forget_deleted_keys`, refusals that say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provreg.registry import DuplicateNameError, ProviderRegistry
from provreg.registry.audit import AuditLog
from provreg.storage import MemoryStorage
from provreg.storage.backend import PositionGoneError, StorageError

pytestmark = pytest.mark.anyio


async def test_restore_writes_the_file_back_and_audits_a_create(
    sample_dir: Path, tmp_path: Path
) -> None:
    hosted = sample_dir / "providers" / "hosted.yaml"
    before = hosted.read_bytes()
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    registry = await ProviderRegistry.open([str(sample_dir)], audit=audit)
    deletion = await registry.delete_for_undo("personal-anthropic")
    assert deletion.entry is not None and "personal-anthropic" not in hosted.read_text()
    restored = await registry.restore_deleted(deletion)
    assert hosted.read_bytes() == before
    assert restored.id == "personal-anthropic" and restored.line == 16
    records = [json.loads(line) for line in Path(audit.path).read_text().splitlines()]
    changes = [(r["action"], r["instance_id"]) for r in records if "record" not in r]
    assert changes == [("delete", "personal-anthropic"), ("create", "personal-anthropic")]
    intents = [r for r in records if r.get("record") == "intent"]
    assert [i["action"] for i in intents] == ["delete", "create"]


async def test_refusals_say_why(sample_dir: Path) -> None:
    hosted = sample_dir / "providers" / "hosted.yaml"
    registry = await ProviderRegistry.open([str(sample_dir)], audit=False)
    deletion = await registry.delete_for_undo("gemini")
    await registry.create("anthropic", "Gemini (free tier)", {}, str(hosted))
    with pytest.raises(DuplicateNameError, match="already used"):
        await registry.restore_deleted(deletion)
    await registry.delete("gemini-free-tier")
    await registry.delete("personal-anthropic")  # the neighbour gemini followed
    with pytest.raises(PositionGoneError, match="'personal-anthropic', the entry it followed"):
        await registry.restore_deleted(deletion)
    restored = await registry.restore_deleted(deletion, at_end=True)
    assert "# exported by my shell profile" in hosted.read_text()
    assert list(registry.instances(file=restored.file))[-1].id == "gemini"


async def test_a_memory_storage_deletes_but_cannot_undo() -> None:
    from provreg.model import ProviderInstance

    registry = await ProviderRegistry.open(
        storage=MemoryStorage([ProviderInstance(id="a", name="A", provider="openai")]),
        audit=False,
    )
    deletion = await registry.delete_for_undo("a")
    assert deletion.entry is None and registry.find("a") is None
    with pytest.raises(StorageError, match="cannot be undone"):
        await registry.restore_deleted(deletion)
