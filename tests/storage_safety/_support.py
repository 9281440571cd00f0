"""Helpers shared by the storage safety tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from provreg.storage.atomic import TEMP_PREFIX

HERE = Path(__file__).resolve().parent

TEAM_YAML = b"""\
# Team providers: alpha and beta are edited concurrently, gamma never.
version: 1
providers:
  - id: alpha
    name: Alpha
    provider: ollama
    default_model: llama3.2   # alpha's model

  # beta runs on the GPU box
  - id: beta
    name: Beta
    provider: ollama
    base_url: http://gpu-box.lan:11434
    default_model: qwen3

  - id: gamma
    name: Gamma
    provider: ollama
    keep_alive: 10m     # keep gamma warm
"""
"""One file, three instances; the tests edit `default_model` of alpha and beta."""


def temp_files(directory: Path) -> list[str]:
    """Names of provreg temp files left in `directory`."""
    return sorted(name for name in os.listdir(directory) if name.startswith(TEMP_PREFIX))


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    """Start one of this folder's child scripts with the test's environment."""
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
