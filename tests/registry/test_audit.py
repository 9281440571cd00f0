"""The audit log: JSON lines in the XDG state dir, mode 0600, one line per
committed change, field names only (never a secret, never a reference)."""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provreg.registry import AuditLog, DuplicateNameError, ProviderRegistry
from provreg.registry.audit import AUDIT_FILE_NAME

from .conftest import Backend

pytestmark = pytest.mark.anyio

ENTRY_KEYS = {"time", "user", "pid", "source", "action", "instance_id", "file", "fields"}
SECRET_VALUE = "sk-ant-api03-TOPSECRET-value"


class Clock:
    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 60.0
        return self.now


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


async def test_default_log_is_in_the_state_dir_with_mode_0600(
    yaml_backend: Backend, sample_dir: Path, isolated_environment: Path
) -> None:
    before = sorted(p.name for p in sample_dir.rglob("*"))
    old_umask = os.umask(0)  # a permissive umask must not widen the mode
    try:
        registry = await yaml_backend.open(audit=True)
        assert registry.audit is not None
        await registry.create("groq", "Audited", {})
    finally:
        os.umask(old_umask)
    path = Path(registry.audit.path)
    state_home = Path(os.environ["XDG_STATE_HOME"])
    assert path == state_home / "provreg" / AUDIT_FILE_NAME
    assert path.is_relative_to(isolated_environment)
    assert not path.is_relative_to(sample_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Nothing but the new providers.yaml appeared in the config dir.
    after = sorted(p.name for p in sample_dir.rglob("*"))
    assert sorted([*before, "providers.yaml"]) == after


async def test_no_audit_log_when_disabled(backend: Backend) -> None:
    registry = await backend.open(audit=False)
    await registry.create("groq", "Unaudited", {})
    assert registry.audit is None
    assert not (Path(os.environ["XDG_STATE_HOME"]) / "provreg" / AUDIT_FILE_NAME).exists()


async def test_one_line_per_change_with_every_field(backend: Backend, tmp_path: Path) -> None:
    audit = AuditLog(str(tmp_path / "state" / "audit.jsonl"))
    registry = await backend.open(audit=audit)
    made = await registry.create("openai", "Audit Me", {"default_model": "gpt-5"}, source="cli")
    await registry.update("audit-me", {"default_model": "gpt-5"})  # no change: no line
    await registry.update("audit-me", {"default_model": "gpt-4.1", "name": "Audit Me 2"})
    with pytest.raises(DuplicateNameError):
        await registry.update("audit-me", {"name": "Gemini (free tier)"})  # refused: no line
    await registry.delete("audit-me")

    lines = Path(audit.path).read_text().splitlines()
    assert len(lines) == 3
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        assert set(entry) == ENTRY_KEYS
        assert entry["user"] == f"{getpass.getuser()}@{socket.gethostname()}"
        assert entry["pid"] == os.getpid()
        assert entry["instance_id"] == "audit-me"
        assert entry["file"] == made.file
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    assert [(e["action"], e["source"]) for e in entries] == [
        ("create", "cli"),
        ("update", "app"),
        ("delete", "app"),
    ]
    assert entries[0]["fields"] == ["default_model", "name", "provider"]
    assert entries[1]["fields"] == ["default_model", "name"]
    assert entries[2]["fields"] == []


async def test_secret_refs_and_values_never_reach_the_log(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_TEST_KEY", SECRET_VALUE)
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    registry = await backend.open(audit=audit)
    await registry.create("anthropic", "Keyed", {"api_key": {"env": "AUDIT_TEST_KEY"}})
    await registry.update("keyed", {"api_key": {"file": "/run/secrets/claude-token"}})
    await registry.update("keyed", {"api_key": {"keyring": "shared-claude"}})
    await registry.update("keyed", {"api_key": None})
    text = Path(audit.path).read_text()
    for leak in (SECRET_VALUE, "AUDIT_TEST_KEY", "claude-token", "/run/secrets", "shared-claude"):
        assert leak not in text
    entries = audit.read()
    assert [e["fields"] for e in entries] == [
        ["api_key", "name", "provider"],
        ["api_key"],
        ["api_key"],
        ["api_key"],
    ]


async def test_times_for_gives_created_and_last_updated(backend: Backend, tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(str(tmp_path / "audit.jsonl"), clock=clock)
    registry = await backend.open(audit=audit)
    await registry.create("groq", "Timed", {})
    created = clock.now
    await registry.create("groq", "Other", {})
    await registry.update("timed", {"default_model": "a"})
    await registry.update("timed", {"default_model": "b"})
    updated = clock.now
    await registry.update("other", {"default_model": "c"})
    assert audit.times_for("timed") == (iso(created), iso(updated))
    assert audit.times_for("gemini") == (None, None)  # loaded, never changed here


async def test_external_changes_are_logged_as_external(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    registry = await yaml_backend.open(audit=audit)
    hosted = sample_dir / "providers" / "hosted.yaml"
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    await registry.reload()
    (entry,) = audit.read()
    assert (entry["action"], entry["source"], entry["instance_id"]) == (
        "update",
        "external",
        "gemini",
    )
    assert entry["fields"] == ["default_model"]


async def test_an_unwritable_log_is_reported_but_does_not_fail_the_write(
    backend: Backend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    audit = AuditLog(str(blocker / "audit.jsonl"))
    registry = await backend.open(audit=audit)
    with caplog.at_level(logging.WARNING, logger="provreg.audit"):
        made = await registry.create("groq", "Still Written", {})
    assert registry.get(made.id) == made
    assert any("cannot write the audit log" in r.getMessage() for r in caplog.records)
    backend.check(registry)


def test_read_skips_bad_lines_and_limits(tmp_path: Path) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"), clock=Clock())
    assert audit.read() == []
    for n in range(3):
        audit.record(source="app", action="update", instance_id=f"i{n}", file="f.yaml")
    with open(audit.path, "a", encoding="utf-8") as handle:
        handle.write("{not json\n[1, 2]\n")
    assert [e["instance_id"] for e in audit.read()] == ["i0", "i1", "i2"]
    assert [e["instance_id"] for e in audit.read(limit=2)] == ["i1", "i2"]


async def test_opening_a_registry_writes_nothing(backend: Backend, tmp_path: Path) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    registry: ProviderRegistry = await backend.open(audit=audit)
    await registry.reload()
    assert not Path(audit.path).exists()
