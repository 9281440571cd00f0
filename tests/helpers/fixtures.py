"""The shared fixtures, loaded for the whole suite by tests/conftest.py
(`pytest_plugins`). A folder's conftest.py adds only what is its own.

- `config_dir`: an empty config directory; `config_files({...})`: the same
  directory holding these files; `sample_dir`: a writable copy of
  sample_configs; `cfg`: that copy at `<tmp>/cfg` with the cwd at `<tmp>`, so
  the app is opened with the relative path "cfg" (the paths on screen are the
  same on every run).
- `run_dashboard`: the real Textual app over `cfg`, by default at 80x24
  (`async with run_dashboard(size) as (app, pilot, notes):`).
- `secret_service_daemon` / `secret_service`: gnome-keyring on a private D-Bus
  session bus, and this test pointed at it.
- `anyio_backend`: async tests (`pytest.mark.anyio`) run on asyncio, as Textual does.
- `edit_parses`: the parses an edit makes ("<edit>", "<verify>", "<item>").
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .files import ConfigFiles, copy_samples, write_files
from .keyrings import SECRET_SERVICE_BACKEND
from .secret_service import SecretServiceDaemon, missing_binaries, running_secret_service

if TYPE_CHECKING:
    from .dashboard import RunDashboard


@pytest.fixture
def edit_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file names of the parses `config.edit` makes: "<edit>" to find
    where to splice, "<verify>" to check the result (the full way), "<item>"
    for the item's lines alone (an update verified locally,
    `config.edit.local_edit`)."""
    import provreg.config.edit.entry_edit as entry_edit
    import provreg.config.edit.local_edit as local_edit
    from provreg.config.read.yaml_source import Document, parse_text

    made: list[str] = []

    def counting(text: str, file: str, *args: Any) -> Document:
        made.append(file)
        return parse_text(text, file, *args)

    monkeypatch.setattr(entry_edit, "parse_text", counting)
    monkeypatch.setattr(local_edit, "parse_text", counting)
    return made


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio; the async tests are `pytest.mark.anyio` coroutines."""
    return "asyncio"


# --------------------------------------------------------------------------- config dirs


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """An empty config directory."""
    path = tmp_path / "config"
    path.mkdir()
    return path


@pytest.fixture
def config_files(config_dir: Path) -> ConfigFiles:
    """`config_files({"providers.yaml": TEXT, "team/b.yaml": BYTES})` writes the files
    into `config_dir` (folders made as needed) and returns it."""

    def write(files: Mapping[str, str | bytes]) -> Path:
        return write_files(config_dir, files)

    return write


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A writable copy of sample_configs (three files in two folders)."""
    return copy_samples(tmp_path / "config")


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of sample_configs at `<tmp>/cfg`; the cwd is `<tmp>`, so "cfg" opens it."""
    target = copy_samples(tmp_path / "cfg")
    monkeypatch.chdir(tmp_path)
    return target


# --------------------------------------------------------------------------- the dashboard


@pytest.fixture
def run_dashboard(cfg: Path) -> RunDashboard:
    """`async with run_dashboard(size) as (app, pilot, notes):` runs the real app over
    `cfg` (sync engine on, the fixed clock) at `size` (default 80x24), collecting its
    notifications in `notes`, and enters once every sample row is shown and the
    first is selected. Keyword arguments go to `ProvregApp`."""
    from .dashboard import running_dashboard

    return running_dashboard


# --------------------------------------------------------------------------- Secret Service


@pytest.fixture(scope="session")
def secret_service_daemon() -> Iterator[SecretServiceDaemon]:
    """One private D-Bus session bus and unlocked gnome-keyring for the whole run.

    Skipped only when the binaries are missing; once they exist, a failure to
    start fails the tests.
    """
    missing = missing_binaries()
    if missing:
        pytest.skip(
            f"no Secret Service can run here: {', '.join(missing)} not installed "
            "(apt-get install gnome-keyring dbus libsecret-tools)"
        )
    with running_secret_service() as daemon:
        yield daemon


@pytest.fixture
def secret_service(
    secret_service_daemon: SecretServiceDaemon, isolated_environment: Path
) -> Iterator[SecretServiceDaemon]:
    """This test talks to the session's Secret Service: its environment (and so CLI
    subprocesses) and keyring's default backend. A secure backend: no opt-in."""
    import keyring
    from keyring.backends import SecretService

    os.environ.update(secret_service_daemon.env())
    os.environ["PYTHON_KEYRING_BACKEND"] = SECRET_SERVICE_BACKEND
    os.environ.pop("PROVREG_ALLOW_INSECURE_KEYRING", None)
    keyring.set_keyring(SecretService.Keyring())
    yield secret_service_daemon
