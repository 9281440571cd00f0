"""Helpers for kill -9 tests: run a provreg command that dies at a named point,
and check what a crash may and may not leave behind.

Reusable by every kill-point suite (`add`/`edit`/`rm` here, `secret set`
elsewhere): the point names are `provreg.faults` constants, and
`run_killed` fails the test unless the process really died by SIGKILL, so a
point that is never reached (renamed, moved off the path) cannot pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import cli

from provreg.faults import KILL_AT_ENV
from provreg.storage.atomic import TEMP_PREFIX

COMMAND_TIMEOUT_S = 60.0
STALE_AGE_S = 120.0
"""Older than the one minute after which provreg sweeps its temp files."""


def provreg_env(**extra: str) -> dict[str, str]:
    """The test's environment (HOME and XDG dirs isolated by tests/conftest.py)."""
    env = {k: v for k, v in cli.cli_env().items() if k != KILL_AT_ENV}
    env.update(extra)
    return env


def run_provreg(
    args: Sequence[str], *, kill_at: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m provreg ARGS` in a real subprocess; with `kill_at`, it dies there."""
    env = provreg_env(**({KILL_AT_ENV: kill_at} if kill_at else {}))
    return cli.run_provreg(*args, input=stdin, env=env, timeout=COMMAND_TIMEOUT_S)


def run_killed(
    args: Sequence[str], point: str, *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command that must die by SIGKILL at `point`; fail if it got past it."""
    done = run_provreg(args, kill_at=point, stdin=stdin)
    assert done.returncode == -signal.SIGKILL, (
        f"`provreg {' '.join(args)}` with {KILL_AT_ENV}={point} exited {done.returncode} "
        f"instead of dying at the point (never reached?)\nstdout: {done.stdout}\n"
        f"stderr: {done.stderr}"
    )
    return done


def run_ok(args: Sequence[str], *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = run_provreg(args, stdin=stdin)
    assert done.returncode == 0, f"`provreg {' '.join(args)}`: {done.stdout}{done.stderr}"
    return done


def temp_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob(f"{TEMP_PREFIX}*"))


def age_temp_files(root: Path, seconds: float = STALE_AGE_S) -> list[Path]:
    """Make the temp files a crash left look `seconds` old (the sweep spares
    fresh ones, which may belong to a write in progress). Returns them."""
    left = temp_files(root)
    then = time.time() - seconds
    for path in left:
        os.utime(path, (then, then))
    return left


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit_lines(path: str) -> list[dict[str, Any]]:
    """Every JSON line of the audit log (records of every kind), oldest first."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def change_entries(path: str) -> list[dict[str, Any]]:
    """The log's change lines: what `provreg log` shows (no intents or markers)."""
    return [line for line in audit_lines(path) if "record" not in line]


@dataclass(frozen=True, slots=True)
class Expected:
    """The change a command makes, as the audit log must record it."""

    action: str
    instance_id: str
    file: str
    """Relative path of the config file it changes."""
