"""`python -m provreg ...` in a new process, as CI and users run it."""

from __future__ import annotations

import subprocess
import sys


def provreg(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provreg", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
