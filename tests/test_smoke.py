"""The README's promises: the sample configs check clean, and `python -m provreg` runs."""

from __future__ import annotations

from helpers.cli import run_provreg
from helpers.paths import SAMPLE_CONFIGS


def test_sample_configs_check_clean() -> None:
    done = run_provreg("--check", str(SAMPLE_CONFIGS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("0 errors, 0 warnings, 0 info")
