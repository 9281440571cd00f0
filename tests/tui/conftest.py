"""Fixtures for the dashboard tests.

Every test gets a real keyring backend: keyrings.alt's plaintext file keyring
inside the isolated XDG data dir, opted in as a user would with
PROVREG_ALLOW_INSECURE_KEYRING=1. The config directory (`cfg`), the running
app (`run_dashboard`) and the Secret Service variant (`secret_service`) are
shared fixtures: see tests/helpers/fixtures.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.keyrings import use_plaintext_keyring
from keyrings.alt.file import PlaintextKeyring


@pytest.fixture(autouse=True)
def plaintext_keyring(isolated_environment: Path) -> Iterator[PlaintextKeyring]:
    """A real, isolated keyring for every test (never the developer's)."""
    yield from use_plaintext_keyring(isolated_environment)
