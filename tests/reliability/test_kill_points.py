"""kill -9 at every step of a CLI write (`add`, `edit`, `rm`), with real
processes, files and state dirs.

Each case runs the command once with `$PROVREG_KILL_AT` naming one point, so
it dies there exactly as a power cut or an OOM kill would leave it (no
`finally`, no flush), then runs the next command and checks:
- the command died by SIGKILL (the point was reached);
- every config file holds exactly the bytes from before the command or those
  an uninterrupted run writes: before for the points ahead of the rename,
  after for the others;
- no temp file survives the next command (once a minute old: a fresh one may
  belong to a write in progress);
- the audit log agrees with the files: the change has exactly one line when
  the file holds it and none when it does not, and no intent is left open;
- every file still loads without errors.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.files import TEAM_YAML, snapshot_files

from provreg.config.read.load_set import load_paths
from provreg.faults import (
    AUDIT_AFTER_INTENT,
    AUDIT_AFTER_OUTCOME,
    WRITE_AFTER_RENAME,
    WRITE_AFTER_TEMP,
    WRITE_BEFORE_TEMP,
    WRITE_PATH_POINTS,
)
from provreg.model import Severity
from provreg.registry.audit import AuditLog, default_audit_path

from .kill_support import (
    Expected,
    age_temp_files,
    audit_lines,
    change_entries,
    run_killed,
    run_ok,
    sha256,
    temp_files,
)

BYSTANDER_YAML = b"""\
version: 1
providers:
  - id: delta
    name: Delta
    provider: ollama
    default_model: gemma3   # never written by these tests
"""

CONFIG = {"team.yaml": TEAM_YAML, "more/other.yaml": BYSTANDER_YAML}
"""team.yaml (alpha, beta, gamma, with comments) is the file every command
changes; the other file must come through every crash byte for byte."""

COMMANDS: dict[str, tuple[list[str], Expected]] = {
    "add": (
        ["add", "ollama", "--name", "Crash Box", "--set", "default_model=llama3.2"]
        + ["--file", "team.yaml"],
        Expected("create", "crash-box", "team.yaml"),
    ),
    "edit": (
        ["edit", "alpha", "--set", "default_model=qwen3"],
        Expected("update", "alpha", "team.yaml"),
    ),
    "rm": (["rm", "beta", "-y"], Expected("delete", "beta", "team.yaml")),
}

APPLIED_AT = {WRITE_AFTER_RENAME, AUDIT_AFTER_OUTCOME}
"""The points past the rename: the file holds the new bytes."""


def make_config(root: Path) -> Path:
    for name, data in CONFIG.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


_after_bytes: dict[str, bytes] = {}


def bytes_after(command: str, scratch: Path) -> bytes:
    """The changed file's bytes after an uninterrupted run of the command (run
    once per command, with a state dir of its own so its audit line stays out
    of the test's log)."""
    if command not in _after_bytes:
        args, expected = COMMANDS[command]
        config = make_config(scratch / "reference")
        state = scratch / "reference-state"
        saved = os.environ.get("XDG_STATE_HOME")
        os.environ["XDG_STATE_HOME"] = str(state)
        try:
            run_ok([*args, "--config", str(config)])
        finally:
            os.environ["XDG_STATE_HOME"] = saved or ""
        _after_bytes[command] = (config / expected.file).read_bytes()
    return _after_bytes[command]


def test_every_point_is_on_the_write_path_in_order() -> None:
    assert WRITE_PATH_POINTS == (
        WRITE_BEFORE_TEMP,
        WRITE_AFTER_TEMP,
        AUDIT_AFTER_INTENT,
        WRITE_AFTER_RENAME,
        AUDIT_AFTER_OUTCOME,
    )
    assert len(set(WRITE_PATH_POINTS)) == len(WRITE_PATH_POINTS)


@pytest.mark.parametrize("point", WRITE_PATH_POINTS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_kill_at_point(command: str, point: str, tmp_path: Path) -> None:
    args, expected = COMMANDS[command]
    after = bytes_after(command, tmp_path)
    config = make_config(tmp_path / "config")
    before_files = snapshot_files(config)
    before = before_files[expected.file]
    assert after != before

    run_killed([*args, "--config", str(config)], point)

    now = {
        name: data for name, data in snapshot_files(config).items() if ".provreg-tmp-" not in name
    }
    assert set(now) == set(before_files)
    for name, data in now.items():
        if name != expected.file:
            assert data == before_files[name], f"{name} changed, and it was not written"
    applied = now[expected.file] == after
    assert applied or now[expected.file] == before, f"{expected.file} is neither before nor after"
    assert applied == (point in APPLIED_AT), f"killed at {point}: applied={applied}"

    left = age_temp_files(config)
    if point == WRITE_AFTER_TEMP or point == AUDIT_AFTER_INTENT:
        assert left, "a kill between the temp file and the rename leaves the temp file"
    run_ok(["list", "--config", str(config)])  # the next command
    assert temp_files(config) == [], "a crash's temp file survived the next command"

    log_path = default_audit_path()
    changes = [
        entry
        for entry in change_entries(log_path)
        if (entry.get("action"), entry.get("instance_id"))
        == (expected.action, expected.instance_id)
    ]
    if applied:
        assert len(changes) == 1, f"killed at {point}: {changes}"
        (entry,) = changes
        assert entry["source"] == "cli"
        assert entry["sha256"] == sha256(after)
        assert entry["file"] == str(config / expected.file)
    else:
        assert changes == [], f"killed at {point}: a line for a change the file does not hold"
    records = audit_lines(log_path)
    intents = {line["txn"] for line in records if line.get("record") == "intent"}
    closed = {line["txn"] for line in records if line.get("record") != "intent" and "txn" in line}
    assert intents <= closed, f"intents left open after the next command: {intents - closed}"
    if point != WRITE_BEFORE_TEMP:
        assert intents or point == WRITE_AFTER_TEMP, "the write logged no intent"

    shown = AuditLog(log_path).read()  # what `provreg log` prints
    assert shown == change_entries(log_path), "`provreg log` would show intents or markers"

    loaded = load_paths([str(config)])
    assert loaded.count(Severity.ERROR) == 0, loaded.diagnostics
