"""Tried as a new user would: `provreg probe --all` on the sample registry, with
no keys stored and the test's `fail` keyring. Nothing leaves the machine (no
key, so no request, except to Ollama on localhost), every instance says why
it is not ok, exit 1, no traceback."""

from __future__ import annotations

import re

from helpers.cli import run_cli
from helpers.paths import SAMPLE_CONFIGS, SAMPLE_IDS


def test_sample_registry_without_keys_or_network() -> None:
    done = run_cli("probe", "--config", str(SAMPLE_CONFIGS), "--all", "--timeout", "3")
    assert done.returncode == 1, done.output
    assert "Traceback" not in done.output
    lines = done.stdout.splitlines()
    assert lines[-1].startswith(f"probed {len(SAMPLE_IDS)}: ")
    # A long reason several instances share (the keyring's advice) is printed once.
    notes = [line for line in lines[:-1] if re.match(r"^\[\d+\] ", line)]
    assert len(notes) == len(set(notes)) <= 1, notes
    reported = {"local-ollama": "(whatever this machine runs on port 11434)"}
    for line in lines[: len(lines) - 1 - len(notes)]:
        if line.startswith("local-ollama "):
            continue  # a developer's own Ollama may answer
        match = re.match(r"^(\S+)\s+(no key|refused|unreachable): \S", line)
        assert match, line
        reported[match.group(1)] = match.group(2)
    assert sorted(reported) == sorted(SAMPLE_IDS)
    # The vLLM box is plain http on the LAN: refused before its key file is read.
    assert reported["gpu-box-vllm"] == "refused"
    assert reported["gemini"] == "no key"  # GEMINI_API_KEY is not set
