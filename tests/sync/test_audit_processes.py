"""One audit line per change however many provreg processes see it, with real
processes: `provreg watch` watchers beside `provreg edit`, a plain write and a
vim save. A watcher holds an external change back (~1 s), then logs it only if
no process has; stopping a watcher writes what it still holds."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import run_provreg
from helpers.sync_data import A_YAML

from provreg.registry.audit import default_audit_path

from .test_real_editors import vim
from .test_watch_command import DEADLINE_S, Lines, spawn_watch, stop


class Watcher:
    """A running `provreg watch --json` and its stdout lines."""

    def __init__(self, directory: Path) -> None:
        self.process = spawn_watch(str(directory), "--json")
        assert self.process.stdout is not None and self.process.stderr is not None
        self.stdout = Lines(self.process.stdout)
        status = Lines(self.process.stderr).next("the 'watching' status line")
        assert status.startswith("watching "), status

    def next_change(self) -> dict[str, Any]:
        record: dict[str, Any] = json.loads(self.stdout.next("a line for the change"))
        return record

    def stop(self) -> None:
        code = stop(self.process)
        _, err = self.process.communicate()
        assert code == 0, (code, err)
        assert "Traceback" not in err and "cannot write the audit log" not in err, err


@contextmanager
def watchers(directory: Path, count: int) -> Iterator[list[Watcher]]:
    started: list[Watcher] = []
    try:
        for _ in range(count):
            started.append(Watcher(directory))
        yield started
    finally:
        for watcher in started:
            if watcher.process.poll() is None:
                watcher.stop()


def audit_entries() -> list[dict[str, Any]]:
    path = Path(default_audit_path())
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [record for record in records if "record" not in record]  # no intents


def wait_for_entries(count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + DEADLINE_S
    while len(entries := audit_entries()) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {count} audit lines within {DEADLINE_S}s: {entries}")
        time.sleep(0.02)
    return entries


def provreg(*args: str) -> None:
    done = run_provreg(*args, input="", timeout=60)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)


def test_a_cli_edit_seen_by_two_watchers_is_logged_once(sync_dir: Path) -> None:
    with watchers(sync_dir, 2) as running:
        provreg("edit", "work-openai", "--set", "default_model=gpt-5", "--config", str(sync_dir))
        provreg("rm", "-y", "gemini", "--config", str(sync_dir))
        for watcher in running:
            seen = [watcher.next_change(), watcher.next_change()]
            assert {(r["event"], r["id"], r["source"]) for r in seen} == {
                ("InstanceUpdated", "work-openai", "external"),
                ("InstanceRemoved", "gemini", "external"),
            }
    # Stopped (each wrote what it still held back): only the CLI's lines.
    entries = audit_entries()
    assert [(e["source"], e["action"], e["instance_id"]) for e in entries] == [
        ("cli", "update", "work-openai"),
        ("cli", "delete", "gemini"),
    ]


def test_a_plain_write_seen_by_two_watchers_is_logged_once(sync_dir: Path) -> None:
    path = sync_dir / "a.yaml"
    with watchers(sync_dir, 2) as running:
        path.write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        for watcher in running:
            assert watcher.next_change()["id"] == "work-openai"
        # Both watchers still run: the line comes from one of them, after the delay.
        (entry,) = wait_for_entries(1)
        assert entry["pid"] in {w.process.pid for w in running}
    entries = audit_entries()
    assert len(entries) == 1
    assert (entry["source"], entry["action"], entry["instance_id"], entry["fields"]) == (
        "external",
        "update",
        "work-openai",
        ["default_model"],
    )
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_a_vim_save_seen_by_one_watcher_is_logged_once_and_written_at_stop(
    sync_dir: Path,
) -> None:
    path = sync_dir / "a.yaml"
    with watchers(sync_dir, 1) as (watcher,):
        inode = path.stat().st_ino
        vim(path, "set nocp backupcopy=no", "%s/gpt-4.1/gpt-5/")
        assert path.stat().st_ino != inode  # the rename-save path
        record = watcher.next_change()
        assert (record["event"], record["id"]) == ("InstanceUpdated", "work-openai")
        watcher.stop()  # at once: within the hold-back delay
    entries = audit_entries()
    assert [(e["source"], e["action"], e["instance_id"], e["pid"]) for e in entries] == [
        ("external", "update", "work-openai", watcher.process.pid)
    ]
    assert sorted(os.listdir(sync_dir)) == ["a.yaml", "b.yaml", "team"]
