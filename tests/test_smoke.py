"""The README's promises: the sample configs check clean, and `python -m provreg` runs."""

from __future__ import annotations

import subprocess
import sys

from helpers.paths import SAMPLE_CONFIGS


def test_sample_configs_check_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provreg", "--check", str(SAMPLE_CONFIGS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("0 errors, 0 warnings, 0 info")
