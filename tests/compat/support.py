"""Helpers for the compat tests (imported, never fixtures)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from keyrings.alt.file import PlaintextKeyring

PLAINTEXT_BACKEND = "keyrings.alt.file.PlaintextKeyring"
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "compat"


class CountingKeyring(PlaintextKeyring):
    """The plaintext file backend, counting every call made to it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def get_password(self, service: str, username: str) -> str | None:
        self.calls["get"] += 1
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls["set"] += 1
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.calls["delete"] += 1
        super().delete_password(service, username)


def keyring_get(user: str, service: str = "provreg") -> str | None:
    """Read an entry back from the plaintext keyring of this test's XDG_DATA_HOME."""
    return PlaintextKeyring().get_password(service, user)


def cli_env(**extra: str) -> dict[str, str]:
    """The test's environment (isolated HOME/XDG) with the plaintext keyring opted in."""
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["PYTHON_KEYRING_BACKEND"] = PLAINTEXT_BACKEND
    env["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    env.update(extra)
    return env


def run_provreg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`provreg ARGS...` in a subprocess (the installed entry point's module)."""
    return subprocess.run(
        [sys.executable, "-m", "provreg", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else cli_env(),
        timeout=60,
        check=False,
    )


def tree(*roots: Path | str) -> dict[str, bytes]:
    """Every regular file under `roots`, path -> content (for "nothing changed")."""
    files: dict[str, bytes] = {}
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    files[path] = Path(path).read_bytes()
    return files


def files_containing(needle: str, *roots: Path | str) -> list[str]:
    """Files under `roots` holding `needle`, as is or base64-encoded (the way the
    plaintext keyring stores it)."""
    forms = [needle.encode(), base64.b64encode(needle.encode())]
    return sorted(
        path for path, data in tree(*roots).items() if any(form in data for form in forms)
    )
