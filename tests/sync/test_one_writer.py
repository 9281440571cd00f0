"""`secret import` and `migrate --upgrade` write through the one write path:
each write gets its audit lines (source `cli`, its own action, closing the
intent logged before the rename), the sync engine watching the same registry
takes the file event for its own echo (no reload, nothing `external`), and a
second process watching the files logs nothing of its own. Real directories
outside /tmp, real files, a real watcher, a real (plaintext file) keyring."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from keyrings.alt.file import PlaintextKeyring

from provreg.commands.migrate_cmd import upgrade_files
from provreg.registry import AuditLog, ConflictError, ProviderRegistry
from provreg.registry.events import Conflict, Event
from provreg.registry.rewrite_ops import FileChange
from provreg.registry.secret_import import import_plaintext
from provreg.secrets import SecretStore
from provreg.sync import SyncEngine

from .conftest import DEADLINE_S, FAST

pytestmark = pytest.mark.anyio

PLAINTEXT = "sk-pasted-" + "q" * 24

IMPORT_YAML = f"""\
version: 1
providers:
  # pasted by mistake
  - name: Side project
    provider: openai
    api_key: {PLAINTEXT}
  - id: kept
    name: Kept
    provider: ollama
"""

LEGACY_YAML = f"""\
# the old app's layout
- customName: Work OpenAI
  provider: openai
  apiKey: {PLAINTEXT}
- customName: Local
  provider: ollama
  id: local
"""


def keyring_store() -> tuple[SecretStore, PlaintextKeyring]:
    """A real keyring backend: keyrings.alt's plaintext file, under this test's
    own XDG_DATA_HOME (the autouse isolation), allowed explicitly."""
    backend = PlaintextKeyring()
    return SecretStore(backend=backend, allow_insecure=True), backend


@dataclass
class Watched:
    registry: ProviderRegistry
    engine: SyncEngine
    audit: AuditLog
    events: list[Event] = field(default_factory=list)

    async def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        with anyio.fail_after(DEADLINE_S):
            while not condition():
                await anyio.sleep(0.01)
        assert condition(), what

    async def quiet_rescans(self, count: int = 2) -> None:
        """Every watcher batch and `count` full rescans have come and gone."""
        target = self.engine.stats.rescans + count
        await self.wait_for(lambda: self.engine.stats.rescans >= target, f"{count} rescans")


@asynccontextmanager
async def watched(root: Path, log_path: Path) -> AsyncIterator[Watched]:
    """A registry over `root` with an audit log and a running sync engine."""
    audit = AuditLog(str(log_path), observed_delay_s=0.01)
    registry = await ProviderRegistry.open([str(root)], audit=audit)
    engine = SyncEngine(registry, FAST)
    harness = Watched(registry, engine, audit)
    registry.store.subscribe_events(harness.events.extend)
    async with anyio.create_task_group() as group:
        await group.start(engine.run)
        try:
            yield harness
        finally:
            group.cancel_scope.cancel()


def records(log_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_path.read_text().splitlines()]


def changes(log_path: Path) -> list[dict[str, Any]]:
    return [record for record in records(log_path) if "record" not in record]


def config(base: Path, name: str, text: str) -> Path:
    root = base / "config"
    root.mkdir()
    (root / name).write_text(text)
    return root


def assert_written_once_by_cli(log_path: Path, path: Path, expected: set[tuple[str, str]]) -> None:
    """The write's intents and its change lines share one txn, name the bytes
    now in the file, and say `cli` with the write's own actions."""
    intents = [r for r in records(log_path) if r.get("record") == "intent"]
    lines = changes(log_path)
    assert {(line["source"], line["action"], line["instance_id"]) for line in lines} == {
        ("cli", action, instance_id) for action, instance_id in expected
    }
    assert len(lines) == len(expected)
    txns = {r["txn"] for r in [*intents, *lines]}
    assert len(txns) == 1, "one write, one txn"
    written = hashlib.sha256(path.read_bytes()).hexdigest()
    assert {intent["sha256"] for intent in intents} == {written}
    assert PLAINTEXT not in log_path.read_text()


async def test_a_secret_import_is_audited_and_its_echo_suppressed(sync_base: Path) -> None:
    root = config(sync_base, "team.yaml", IMPORT_YAML)
    log_path = sync_base / "audit.jsonl"
    store, keyring = keyring_store()
    async with watched(root, log_path) as w:
        moved = await import_plaintext([str(root)], store=store, registry=w.registry)
        assert [(m.instance_id, m.field) for m in moved] == [("side-project", "api_key")]
        assert w.registry.get("side-project").values["api_key"].kind == "keyring"
        await w.wait_for(lambda: w.engine.stats.suppressed >= 1, "the watcher saw the write")
        await w.quiet_rescans()
        assert w.engine.stats.reloads == 0, "the import's own write was reloaded"
        assert w.engine.stats.files_read == []
        assert [e for e in w.events if e.source == "external"] == []
        assert {e.source for e in w.events} == {"cli"}
    w.audit.flush()
    assert keyring.get_password("provreg", "side-project/api_key") == PLAINTEXT
    assert_written_once_by_cli(log_path, root / "team.yaml", {("secret-import", "side-project")})
    (line,) = changes(log_path)
    assert line["fields"] == ["api_key"]


async def test_a_format_upgrade_is_audited_and_its_echo_suppressed(sync_base: Path) -> None:
    root = config(sync_base, "old.yaml", LEGACY_YAML)
    log_path = sync_base / "audit.jsonl"
    store, keyring = keyring_store()
    async with watched(root, log_path) as w:
        assert w.registry.snapshot().instances == {}  # version 0: not interpreted
        out = io.StringIO()
        code = await upgrade_files([str(root)], False, out, registry=w.registry, store=store)
        assert code == 0, out.getvalue()
        assert set(w.registry.snapshot().instances) == {"work-openai", "local"}
        await w.wait_for(lambda: w.engine.stats.suppressed >= 1, "the watcher saw the write")
        await w.quiet_rescans()
        assert w.engine.stats.reloads == 0, "the upgrade's own write was reloaded"
        assert w.engine.stats.files_read == []
        assert [e for e in w.events if e.source == "external"] == []
        assert {e.source for e in w.events} == {"cli"}
    w.audit.flush()
    assert keyring.get_password("provreg", "work-openai/api_key") == PLAINTEXT
    assert (root / "old.yaml.v0.bak").read_text() == LEGACY_YAML
    assert_written_once_by_cli(
        log_path,
        root / "old.yaml",
        {("upgrade", "work-openai"), ("upgrade", "local"), ("secret-import", "work-openai")},
    )


async def test_another_process_watching_logs_neither_write(sync_base: Path) -> None:
    """The watching registry did not write: it reloads the files (they are
    external to it) but finds the writers' intents and logs nothing."""
    root = sync_base / "config"
    root.mkdir()
    (root / "team.yaml").write_text(IMPORT_YAML)
    (root / "old.yaml").write_text(LEGACY_YAML.replace("Work OpenAI", "Legacy OpenAI"))
    log_path = sync_base / "audit.jsonl"
    store, _ = keyring_store()
    async with watched(root, log_path) as w:
        writer = await ProviderRegistry.open([str(root)], audit=AuditLog(str(log_path)))
        await import_plaintext([str(root)], store=store, registry=writer)
        code = await upgrade_files([str(root)], False, io.StringIO(), registry=writer, store=store)
        assert code == 0
        wanted = {"side-project", "legacy-openai", "local"}
        await w.wait_for(
            lambda: wanted <= set(w.registry.snapshot().instances),
            "the watcher to load both writes",
        )
        await w.quiet_rescans()
        assert any(e.source == "external" for e in w.events), "the watcher saw the writes"
    w.audit.flush()
    lines = changes(log_path)
    assert [line for line in lines if line["source"] == "external"] == []
    assert {(line["source"], line["action"], line["instance_id"]) for line in lines} == {
        ("cli", "secret-import", "side-project"),
        ("cli", "upgrade", "legacy-openai"),
        ("cli", "upgrade", "local"),
        ("cli", "secret-import", "legacy-openai"),
    }


async def test_a_rewrite_of_a_file_that_moved_is_a_conflict(sync_base: Path) -> None:
    root = config(sync_base, "team.yaml", IMPORT_YAML)
    path = root / "team.yaml"
    log_path = sync_base / "audit.jsonl"
    registry = await ProviderRegistry.open([str(root)], audit=AuditLog(str(log_path)))
    events: list[Event] = []
    registry.store.subscribe_events(events.extend)
    planned = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(IMPORT_YAML + "# an editor's save\n")
    with pytest.raises(ConflictError):
        await registry.rewrite_file(
            str(path),
            str.upper,
            [FileChange("secret-import", "side-project", ("api_key",))],
            expect_sha256=planned,
        )
    assert path.read_text() == IMPORT_YAML + "# an editor's save\n"
    conflicts = [e for e in events if isinstance(e, Conflict)]
    assert [(c.instance_id, c.source) for c in conflicts] == [("side-project", "cli")]
    assert not log_path.exists() or changes(log_path) == []


async def test_a_rewrite_keeps_the_bom(sync_base: Path) -> None:
    root = sync_base / "config"
    root.mkdir()
    path = root / "team.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + IMPORT_YAML.encode())
    registry = await ProviderRegistry.open([str(root)], audit=False)
    seen: list[str] = []

    def transform(text: str) -> str:
        seen.append(text)
        return text.replace("# pasted by mistake", "# moved")

    await registry.rewrite_file(str(path), transform, [])
    assert seen == [IMPORT_YAML]
    assert path.read_bytes() == b"\xef\xbb\xbf" + IMPORT_YAML.replace(
        "# pasted by mistake", "# moved"
    ).encode("utf-8")
