"""What a crash leaves behind, and how the next provreg process cleans it up:
stale temp files, an audit intent without its outcome, a killed author's
change seen by a watcher, the state dir's mode. Real files, real processes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from pathlib import Path

import anyio
import pytest
from keyring.backend import KeyringBackend

from provreg.faults import AUDIT_AFTER_INTENT, WRITE_AFTER_RENAME
from provreg.paths import user_state_dir
from provreg.registry import AuditLog, ProviderRegistry
from provreg.registry.audit import default_audit_path
from provreg.storage.atomic import TEMP_PREFIX

from .kill_support import (
    age_temp_files,
    audit_lines,
    change_entries,
    provreg_env,
    run_killed,
    run_ok,
    sha256,
    temp_files,
)
from .test_kill_points import make_config

pytestmark = pytest.mark.anyio


def stale_and_fresh_temps(directory: Path) -> tuple[Path, Path]:
    stale = directory / f"{TEMP_PREFIX}crashed.tmp"
    fresh = directory / f"{TEMP_PREFIX}in-progress.tmp"
    stale.write_text("version: 1\nproviders: []\n")
    fresh.write_text("version: 1\nproviders: []\n")
    age_temp_files(directory)  # ages both...
    os.utime(fresh)  # ...then makes this one fresh again: a write in progress
    return stale, fresh


async def test_a_stale_temp_file_is_swept_when_the_registry_opens(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config")
    stale, fresh = stale_and_fresh_temps(config / "more")
    unrelated = config / "more" / ".hidden-notes.tmp"
    unrelated.write_text("not ours")
    os.utime(unrelated, (time.time() - 600, time.time() - 600))
    await ProviderRegistry.open([str(config)], audit=False)
    assert not stale.exists()
    assert fresh.exists(), "a fresh temp file may be a write in progress"
    assert unrelated.exists(), "only provreg's own temp files are swept"


async def test_a_stale_temp_file_is_swept_on_the_next_write(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config")
    registry = await ProviderRegistry.open([str(config)], audit=False)
    stale, fresh = stale_and_fresh_temps(config)
    await registry.update("alpha", {"default_model": "qwen3"})
    assert not stale.exists()
    assert fresh.exists()


def test_a_change_applied_before_a_kill_is_logged_on_the_next_open(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config")
    run_killed(
        ["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)],
        WRITE_AFTER_RENAME,
    )
    assert b"phi4" in (config / "team.yaml").read_bytes()
    assert change_entries(default_audit_path()) == [], "the kill came before the outcome"

    run_ok(["list", "--config", str(config)])
    (entry,) = change_entries(default_audit_path())
    assert (entry["source"], entry["action"], entry["instance_id"]) == ("cli", "update", "alpha")
    assert entry["fields"] == ["default_model"]
    assert entry["sha256"] == sha256((config / "team.yaml").read_bytes())
    assert entry["resolved"] == "applied"
    (intent,) = [
        line for line in audit_lines(default_audit_path()) if line.get("record") == "intent"
    ]
    assert entry["txn"] == intent["txn"]
    assert entry["digest_before"] and entry["digest_after"]

    run_ok(["list", "--config", str(config)])
    assert len(change_entries(default_audit_path())) == 1, "resolved twice"
    shown = run_ok(["log"]).stdout
    assert "update" in shown and "alpha" in shown


def test_an_intent_whose_rename_never_happened_is_resolved_as_not_applied(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config")
    before = (config / "team.yaml").read_bytes()
    run_killed(
        ["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)],
        AUDIT_AFTER_INTENT,
    )
    assert (config / "team.yaml").read_bytes() == before
    run_ok(["list", "--config", str(config)])
    assert change_entries(default_audit_path()) == []
    lines = audit_lines(default_audit_path())
    (intent,) = [line for line in lines if line.get("record") == "intent"]
    (resolution,) = [line for line in lines if line.get("record") == "resolution"]
    assert resolution["txn"] == intent["txn"]
    assert resolution["result"] == "not-applied"
    assert run_ok(["log"]).stdout.startswith("no changes recorded yet")


async def test_a_watcher_never_logs_a_killed_cli_edit_as_external(tmp_path: Path) -> None:
    """The author dies between its rename and its line: no 1-second hold can
    wait for a line that never comes. The watcher finds the author's intent by
    the file's hash and leaves the line to the author's resolution."""
    config = make_config(tmp_path / "config")
    log_path = default_audit_path()
    watcher = await ProviderRegistry.open(
        [str(config)], audit=AuditLog(log_path, observed_delay_s=0.01)
    )
    run_killed(
        ["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)],
        WRITE_AFTER_RENAME,
    )
    await watcher.reload(source="external")
    assert watcher.get("alpha").values["default_model"] == "phi4"
    await anyio.sleep(0.05)  # past the hold, so a held line would be written by now...
    watcher.flush_audit()  # ...and certainly now
    assert change_entries(log_path) == []

    run_ok(["list", "--config", str(config)])
    assert [(e["source"], e["instance_id"]) for e in change_entries(log_path)] == [("cli", "alpha")]


def test_a_real_watcher_never_logs_a_killed_cli_edit_as_external(tmp_path: Path) -> None:
    """The same with processes: `provreg watch` (real watchfiles) sees a
    `provreg edit` that was killed right after its rename."""
    from sync.test_watch_command import Lines, spawn_watch, stop

    config = make_config(tmp_path / "config")
    watcher = spawn_watch("--json", str(config))
    assert watcher.stdout is not None and watcher.stderr is not None
    try:
        status = Lines(watcher.stderr).next("the 'watching' status line")
        assert status.startswith("watching "), status
        run_killed(
            ["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)],
            WRITE_AFTER_RENAME,
        )
        seen = json.loads(Lines(watcher.stdout).next("the watcher's line for the edit"))
        assert (seen["event"], seen["id"]) == ("InstanceUpdated", "alpha")
    finally:
        assert stop(watcher) == 0  # a stopping watcher writes what it held back
    assert change_entries(default_audit_path()) == []

    run_ok(["list", "--config", str(config)])
    assert [(e["source"], e["instance_id"]) for e in change_entries(default_audit_path())] == [
        ("cli", "alpha")
    ]


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.values[(service, username)]


async def test_a_secret_import_is_not_logged_as_an_external_change(tmp_path: Path) -> None:
    from provreg.registry.secret_import import import_plaintext
    from provreg.secrets import SecretStore

    config = tmp_path / "config"
    config.mkdir()
    plaintext = "sk-pasted-" + "x" * 20
    (config / "team.yaml").write_text(
        "version: 1\nproviders:\n"
        "  - name: Side project\n    provider: openai\n"
        f"    api_key: {plaintext}\n"
        "  - id: kept\n    name: Kept\n    provider: ollama\n"
    )
    log_path = default_audit_path()
    watcher = await ProviderRegistry.open(
        [str(config)], audit=AuditLog(log_path, observed_delay_s=0.01)
    )
    moved = await import_plaintext([str(config)], store=SecretStore(backend=MemoryKeyring()))
    assert [(m.instance_id, m.field) for m in moved] == [("side-project", "api_key")]
    await watcher.reload(source="external")
    assert watcher.get("side-project").values["api_key"].kind == "keyring"
    watcher.flush_audit()
    external = [e for e in change_entries(log_path) if e["source"] == "external"]
    assert external == [], f"the import was logged as an external change: {external}"
    assert plaintext not in Path(log_path).read_text()


def test_the_state_dir_and_everything_provreg_creates_in_it_is_private(tmp_path: Path) -> None:
    # Without a runtime dir the write locks live under the state dir too.
    os.environ.pop("XDG_RUNTIME_DIR", None)
    config = make_config(tmp_path / "config")
    run_ok(["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)])
    state = Path(user_state_dir())
    assert (state / "audit.jsonl").exists()
    directories = [state, *(path for path in state.rglob("*") if path.is_dir())]
    assert len(directories) >= 3  # provreg, run, run/locks
    for directory in directories:
        mode = stat.S_IMODE(directory.stat().st_mode)
        assert mode == 0o700, f"{directory} is {oct(mode)}"
    assert "XDG_RUNTIME_DIR" not in provreg_env()


def test_no_temp_file_is_left_by_an_uninterrupted_write(tmp_path: Path) -> None:
    config = make_config(tmp_path / "config")
    run_ok(["edit", "alpha", "--set", "default_model=phi4", "--config", str(config)])
    assert temp_files(config) == []
    records = audit_lines(default_audit_path())
    assert [line.get("record", "change") for line in records] == ["intent", "change"]
    intent, change = records
    assert intent["txn"] == change["txn"]
    assert intent["sha256"] == change["sha256"]
    original = (make_config(tmp_path / "fresh") / "team.yaml").read_bytes()
    assert intent["sha256_before"] == hashlib.sha256(original).hexdigest()
    assert json.dumps(intent).find("phi4") == -1, "an intent holds no values"
