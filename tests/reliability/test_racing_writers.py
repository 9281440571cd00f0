"""Racing writers (issue 11): real processes adding, editing, renaming and
removing across three shared files at once. Ids stay unique, names stay
unique (ignoring case), every acknowledged write is on disk at the end unless
a later acknowledged write of the same owner removed it, and every file
parses. benchmarks/soak_racing.py runs the same rounds for longer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ._racing import run_round

WORKERS = 8
OPS = 25


def test_racing_workers_keep_ids_names_and_every_acknowledged_write(config_dir: Path) -> None:
    report = run_round(config_dir, workers=WORKERS, ops=OPS, seed_value=11)

    assert report.worker_errors == []
    assert report.unparsable == []
    assert report.duplicate_ids == []
    assert report.duplicate_names == []
    assert report.lost_updates == []
    # The round raced for real: contested names and ids were refused to all
    # but one worker, and every kind of write was acknowledged.
    assert report.counts["refused add"] > 0, report.counts
    for kind in ("add", "edit", "rename", "rm"):
        assert report.counts[f"acknowledged {kind}"] > 0, report.counts
    assert report.attempted == WORKERS * OPS
    # Only taken names and ids are refused, and no write gives up.
    assert not [key for key in report.counts if key.startswith("gave up")], report.counts


def provreg_processes(*argv: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once; wait for all (each with a deadline)."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "provreg", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for args in argv
    ]
    done = []
    deadline = time.monotonic() + 90
    try:
        for child, args in zip(children, argv, strict=True):
            out, err = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
            done.append(subprocess.CompletedProcess(args, child.returncode, out, err))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    return done


@pytest.mark.parametrize("how", ["same-name", "same-id"])
def test_parallel_cli_adds_of_one_instance_write_it_once(config_dir: Path, how: str) -> None:
    """The trial's reproduction: ten `provreg add` at once, all the same instance."""
    target = config_dir / "one.yaml"
    target.write_text("version: 1\nproviders: []\n")
    commands = []
    for n in range(10):
        args = ["add", "groq", "--config", str(config_dir), "--file", str(target)]
        if how == "same-name":
            args += ["--name", "Same Name"]
        else:
            args += ["--name", f"Racer {n}", "--id", "same-id"]
        commands.append(args)

    results = provreg_processes(*commands)

    for result in results:
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result
    winners = [result for result in results if result.returncode == 0]
    assert len(winners) == 1, [r.stderr for r in results]
    refusal = "the name 'Same Name' is already used" if how == "same-name" else "the id 'same-id'"
    for result in results:
        if result.returncode == 1:
            assert refusal in result.stderr, result.stderr
    entries = yaml.safe_load(target.read_text())["providers"]
    assert [entry["id"] for entry in entries] == ["same-name" if how == "same-name" else "same-id"]
    assert Counter(os.listdir(config_dir)) == Counter(["one.yaml"])
