"""Fixtures for the storage safety tests: real temp dirs, a private runtime dir
and a config dir holding one file with three instances (helpers.files.TEAM_YAML)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.files import TEAM_YAML, ConfigFiles


@pytest.fixture(autouse=True)
def private_runtime_dir(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Lock files go to `$XDG_RUNTIME_DIR`; the shared conftest does not isolate it.

    Without this a developer's real `/run/user/<uid>` would receive the lock files
    of the tests (and a second pytest run could contend with the first).
    """
    runtime = isolated_environment / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    yield runtime


@pytest.fixture
def team_dir(config_files: ConfigFiles) -> Path:
    """A config dir holding `team.yaml` (alpha, beta, gamma)."""
    return config_files({"team.yaml": TEAM_YAML})
