"""`provreg watch` end to end in a subprocess, and its line formats."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest
from helpers.sync_data import A_YAML

from provreg.model import Diagnostic, Severity
from provreg.registry.event_text import describe, text_line
from provreg.registry.events import ReloadFailed

DEADLINE_S = 10.0  # includes the subprocess's interpreter start-up


class Lines:
    """Lines of a pipe, read by a thread, taken with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def next(self, what: str, timeout: float = DEADLINE_S) -> str:
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no {what} within {timeout}s; seen: {self.seen}")
        if line is None:
            pytest.fail(f"stream closed while waiting for {what}; seen: {self.seen}")
        self.seen.append(line)
        return line


def spawn_watch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "provreg", "watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("provreg watch did not exit on SIGINT")


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_watch_end_to_end(sync_dir: Path, as_json: bool) -> None:
    process = spawn_watch(str(sync_dir), *(["--json"] if as_json else []))
    try:
        assert process.stdout is not None and process.stderr is not None
        stdout, stderr = Lines(process.stdout), Lines(process.stderr)
        # The status line says the watch is established (stderr with --json).
        status = (stderr if as_json else stdout).next("the 'watching' status line")
        assert status.startswith("watching ") and "5 instances in 3 files" in status
        # Edit at once: the line is only printed once the watch exists.
        (sync_dir / "a.yaml").write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        line = stdout.next("a line for the update")
        if as_json:
            record = json.loads(line)
            assert record["event"] == "InstanceUpdated"
            assert record["source"] == "external"
            assert record["id"] == "work-openai"
            assert record["changed_fields"] == ["default_model"]
            assert record["file"] == str(sync_dir / "a.yaml")
        else:
            assert "external: " in line and "updated Work OpenAI (default_model)" in line
    finally:
        code = stop(process)
    rest_out, rest_err = process.communicate()
    assert code == 0, (code, rest_err)
    assert "Traceback" not in rest_err
    if as_json:
        for extra in rest_out.splitlines():
            json.loads(extra)  # stdout stays JSON lines only


def test_watch_missing_directory_is_an_error(sync_base: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provreg", "watch", str(sync_base / "nope")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "no such file or directory" in done.stderr


def test_reload_failed_lines_carry_line_and_column() -> None:
    """What `provreg watch` prints for a broken save points at the error."""
    diagnostic = Diagnostic(
        file="cfg/a.yaml",
        line=5,
        column=21,
        severity=Severity.ERROR,
        code="E001",
        message="mapping values are not allowed in this context",
    )
    failed = ReloadFailed("cfg/a.yaml", (diagnostic,), "external")
    line = text_line(failed)
    assert line is not None and line.startswith("external: cfg/a.yaml:5:21: mapping values")
    assert describe(failed)["diagnostics"] == [
        {
            "line": 5,
            "column": 21,
            "code": "E001",
            "message": "mapping values are not allowed in this context",
        }
    ]
