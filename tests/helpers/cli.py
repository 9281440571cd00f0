"""`python -m provreg ...` in a new process, as users and CI run it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


def cli_env(backend: str | None = None, **extra: str) -> dict[str, str]:
    """This test's environment for a CLI subprocess, with keyring's backend chosen."""
    env = dict(os.environ)
    if backend is not None:
        env["PYTHON_KEYRING_BACKEND"] = backend
    # Each CLI run would otherwise compile provreg and pydantic from source (about
    # 0.7 s a run when PYTHONDONTWRITEBYTECODE is set); cache bytecode outside the tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(
        tempfile.gettempdir(), f"provreg-test-pycache-{os.getuid()}"
    )
    env.update(extra)
    return env


def run_provreg(
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m provreg ARGS` (default environment: this test's, see `cli_env`)."""
    return subprocess.run(
        [sys.executable, "-m", "provreg", *args],
        input=input,
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30,
    cwd: Path | None = None,
) -> CliResult:
    """`run_provreg` with an empty stdin unless given, as a `CliResult`."""
    done = run_provreg(
        *args, input=input if input is not None else "", env=env, timeout=timeout, cwd=cwd
    )
    return CliResult(tuple(args), done.returncode, done.stdout, done.stderr)


def canary_value() -> str:
    """A key-like value no file, log or screen may ever show."""
    return f"sk-canary-{secrets.token_hex(16)}"


def spawn(script: Path, *args: str) -> subprocess.Popen[str]:
    """Start a Python child script (pipes on stdin, stdout and stderr) with this
    test's environment; the caller waits for it or ends it."""
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
