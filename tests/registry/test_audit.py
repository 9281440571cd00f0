"""The audit log: JSON lines in the XDG state dir, mode 0600, one line per
committed change, field names only (never a secret, never a reference)."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import socket
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from helpers.registry import Backend

from provreg.registry import AuditLog, DuplicateNameError, ProviderRegistry
from provreg.registry.audit import AUDIT_FILE_NAME

pytestmark = pytest.mark.anyio

ENTRY_KEYS = {
    "time",
    "user",
    "pid",
    "source",
    "action",
    "instance_id",
    "file",
    "fields",
    "sha256",
    "digest_before",
    "digest_after",
}
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

    records = [json.loads(line) for line in Path(audit.path).read_text().splitlines()]
    entries = [record for record in records if "record" not in record]
    assert len(entries) == 3
    for entry in entries:
        assert set(entry) - {"txn"} == ENTRY_KEYS
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
    # Each change names the instance's version before and after it (hashes only),
    # and the file's bytes after it.
    assert entries[0]["digest_before"] is None
    assert entries[1]["digest_before"] == entries[0]["digest_after"]
    assert entries[2]["digest_before"] == entries[1]["digest_after"]
    assert entries[2]["digest_after"] is None
    assert len({e["digest_before"] for e in entries}) == 3
    if backend.paths is not None:
        for entry in entries:
            assert re.fullmatch("[0-9a-f]{64}", entry["sha256"])
        written = hashlib.sha256(Path(made.file).read_bytes()).hexdigest()
        assert entries[2]["sha256"] == written
        # Files are written with an intent before the rename, which the line closes.
        intents = [record for record in records if record.get("record") == "intent"]
        assert [i["txn"] for i in intents] == [e["txn"] for e in entries]
        assert [i["sha256"] for i in intents] == [e["sha256"] for e in entries]


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


# ---------------------------------------------------------------------- several processes
# Each registry below stands for one provreg process: its own AuditLog object
# (own queue, own descriptors) on the same log file, as every process has.
# tests/sync/test_audit_processes.py runs the same cases with real processes.

FAST_DELAY_S = 0.05
DEADLINE_S = 5.0


async def wait_written(*logs: AuditLog) -> None:
    """Until every observed change the logs queued has been checked and written."""
    with anyio.fail_after(DEADLINE_S):
        while any(log.pending for log in logs):
            await anyio.sleep(0.01)


def lines_of(path: str) -> list[dict[str, object]]:
    """The change lines (not the intents and other bookkeeping records)."""
    records = [json.loads(line) for line in Path(path).read_text().splitlines()]
    return [record for record in records if "record" not in record]


async def test_a_change_its_author_logged_is_not_logged_again_by_watchers(
    yaml_backend: Backend, tmp_path: Path
) -> None:
    path = str(tmp_path / "audit.jsonl")
    author = await yaml_backend.open(audit=AuditLog(path))
    watchers = [await yaml_backend.open(audit=AuditLog(path, observed_delay_s=FAST_DELAY_S))]
    watchers.append(await yaml_backend.open(audit=AuditLog(path, observed_delay_s=FAST_DELAY_S)))

    await author.update("gemini", {"default_model": "gemini-2.5-pro"}, source="cli")
    await author.create("groq", "New Groq", {}, source="cli")
    await author.delete("local-ollama", source="cli")
    for watcher in watchers:
        await watcher.reload(source="external")
        assert watcher.get("gemini").values["default_model"] == "gemini-2.5-pro"
        # The author's intents explain every change at once: nothing is held back.
        assert watcher.audit is not None and watcher.audit.pending == 0
    await wait_written(*(w.audit for w in watchers if w.audit is not None))

    entries = lines_of(path)
    assert [(e["action"], e["instance_id"], e["source"]) for e in entries] == [
        ("update", "gemini", "cli"),
        ("create", "new-groq", "cli"),
        ("delete", "local-ollama", "cli"),
    ]


async def test_an_external_edit_seen_by_two_watchers_is_logged_once(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    path = str(tmp_path / "audit.jsonl")
    watchers = [
        await yaml_backend.open(audit=AuditLog(path, observed_delay_s=FAST_DELAY_S))
        for _ in range(2)
    ]
    hosted = sample_dir / "providers" / "hosted.yaml"
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    for watcher in watchers:
        await watcher.reload()
    # Held back: the author (if it is a provreg process) gets the time to log it.
    assert not Path(path).exists()
    await wait_written(*(w.audit for w in watchers if w.audit is not None))

    (entry,) = lines_of(path)
    assert (entry["action"], entry["source"], entry["instance_id"]) == (
        "update",
        "external",
        "gemini",
    )
    assert entry["sha256"] == hashlib.sha256(hosted.read_bytes()).hexdigest()


async def test_a_watcher_sees_two_quick_writes_as_one_batch(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    # Two writes of one file before the watcher reloads: the file's bytes match
    # neither author line, each instance's change still matches its own.
    path = str(tmp_path / "audit.jsonl")
    author = await yaml_backend.open(audit=AuditLog(path))
    watcher = await yaml_backend.open(audit=AuditLog(path, observed_delay_s=FAST_DELAY_S))
    await author.update("gemini", {"default_model": "gemini-2.5-pro"}, source="cli")
    await author.update("personal-anthropic", {"default_model": "claude-opus-4-5"}, source="cli")
    assert author.get("gemini").file == author.get("personal-anthropic").file
    await watcher.reload()
    assert watcher.audit is not None
    await wait_written(watcher.audit)
    assert [(e["instance_id"], e["source"]) for e in lines_of(path)] == [
        ("gemini", "cli"),
        ("personal-anthropic", "cli"),
    ]


async def test_setting_a_value_back_is_a_new_change_even_for_a_watcher_behind(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    # flash -> pro -> flash -> pro, by an editor. A prompt watcher logs each;
    # one that holds all three until the end logs none again, and yet the
    # repeated values were not taken for repeated lines.
    path = str(tmp_path / "audit.jsonl")
    clock = Clock()  # both processes read one clock: the times order the changes
    prompt_log = AuditLog(path, clock=clock, observed_delay_s=0)
    behind_log = AuditLog(path, clock=clock, observed_delay_s=3600)
    prompt = await yaml_backend.open(audit=prompt_log)
    behind = await yaml_backend.open(audit=behind_log)
    hosted = sample_dir / "providers" / "hosted.yaml"
    original = hosted.read_text()
    for model in ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-pro"):
        hosted.write_text(original.replace("gemini-2.5-flash", model))
        await behind.reload()
        await prompt.reload()
        prompt_log.flush()
    assert behind_log.pending == 3
    behind.flush_audit()
    assert behind_log.pending == 0

    entries = lines_of(path)
    assert [(e["source"], e["pid"]) for e in entries] == [("external", os.getpid())] * 3
    before = [e["digest_before"] for e in entries]
    after = [e["digest_after"] for e in entries]
    # flash -> pro, pro -> flash, flash -> pro: the third is the first again.
    assert before[1:] == after[:2]
    assert (before[2], after[2]) == (before[0], after[0])


async def test_flush_writes_held_changes_at_once(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path
) -> None:
    audit = AuditLog(str(tmp_path / "audit.jsonl"), observed_delay_s=3600)
    registry = await yaml_backend.open(audit=audit)
    hosted = sample_dir / "providers" / "hosted.yaml"
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    await registry.reload()
    assert audit.pending == 1 and not Path(audit.path).exists()
    registry.flush_audit()
    assert audit.pending == 0
    assert [e["source"] for e in lines_of(audit.path)] == ["external"]


def test_held_changes_are_written_when_the_process_exits(sample_dir: Path, tmp_path: Path) -> None:
    # No flush call, a delay longer than the process lives: the exit writes it.
    path = tmp_path / "audit.jsonl"
    script = f"""
import anyio
from pathlib import Path
from provreg.registry import AuditLog, ProviderRegistry

async def main():
    audit = AuditLog({str(path)!r}, observed_delay_s=3600)
    registry = await ProviderRegistry.open([{str(sample_dir)!r}], audit=audit)
    hosted = Path({str(sample_dir / "providers" / "hosted.yaml")!r})
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    await registry.reload()
    assert audit.pending == 1 and not Path(audit.path).exists()

anyio.run(main)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    (entry,) = lines_of(str(path))
    assert (entry["source"], entry["instance_id"]) == ("external", "gemini")
    assert entry["pid"] != os.getpid()


async def test_an_unwritable_log_only_warns_for_held_changes(
    yaml_backend: Backend, sample_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    audit = AuditLog(str(blocker / "audit.jsonl"), observed_delay_s=FAST_DELAY_S)
    registry = await yaml_backend.open(audit=audit)
    hosted = sample_dir / "providers" / "hosted.yaml"
    hosted.write_text(hosted.read_text().replace("gemini-2.5-flash", "gemini-2.5-pro"))
    with caplog.at_level(logging.WARNING, logger="provreg.audit"):
        await registry.reload()
        await wait_written(audit)  # the timer thread tried, and lived
        registry.flush_audit()
    assert registry.get("gemini").values["default_model"] == "gemini-2.5-pro"
    assert any("cannot write the audit log" in r.getMessage() for r in caplog.records)


def test_a_log_locked_too_long_is_appended_to_anyway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import fcntl

    import provreg.registry.audit_lines

    monkeypatch.setattr(provreg.registry.audit_lines, "LOCK_WAIT_S", 0.05)
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    audit.record(source="app", action="update", instance_id="first", file="f.yaml")
    holder = os.open(audit.path, os.O_RDONLY)  # a stuck process holding the lock
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with caplog.at_level(logging.WARNING, logger="provreg.audit"):
            audit.record(source="app", action="update", instance_id="second", file="f.yaml")
    finally:
        os.close(holder)
    assert [e["instance_id"] for e in audit.read()] == ["first", "second"]
    assert any("stayed locked" in r.getMessage() for r in caplog.records)
