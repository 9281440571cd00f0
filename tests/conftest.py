"""The root of the test tree. Every test runs with its own HOME, XDG dirs, no D-Bus
session and keyring's fail backend, and a clean provreg environment, so a
developer's real config, state and keyring never leak into a test (and a test
never touches them). Tests that need a keyring choose a real one explicitly.

The shared fixtures live in tests/helpers/fixtures.py (loaded below), the
shared helpers in the tests/helpers package; see its __init__ for a map.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["helpers.fixtures"]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point HOME and the XDG dirs at a fresh directory; drop PROVREG_* variables and
    the terminal's COLUMNS, LINES, NO_COLOR and FORCE_COLOR."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("PROVREG_"):
            del os.environ[name]
    # The developer's terminal must not change what a test's output looks like.
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR"):
        os.environ.pop(name, None)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["XDG_STATE_HOME"] = str(home / ".local" / "state")
    os.environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
    os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
    runtime = home / ".runtime"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    # No test may reach the developer's real keyring: no session bus, and the
    # fail backend unless a test (or its folder's conftest) picks a real one.
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    import keyring
    from keyring.backends import fail

    previous_backend = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield home
    finally:
        keyring.set_keyring(previous_backend)
        os.environ.clear()
        os.environ.update(saved)
