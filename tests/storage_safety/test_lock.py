"""file_write_lock: contention between threads and processes, bounded waits with
a clear error, and lock files kept out of the watched config directory."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import anyio
import pytest
from helpers.cli import spawn
from helpers.files import TEAM_YAML

from provreg.registry.registry import ProviderRegistry
from provreg.storage import StorageError, YamlDirectoryStorage
from provreg.storage.lock import LockTimeout, file_write_lock, lock_dir, lock_path

HERE = Path(__file__).resolve().parent

DEADLINE = 5.0


def _hold_in_child(target: Path) -> subprocess.Popen[str]:
    child = spawn(HERE / "_lock_holder.py", str(target))
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line == "locked\n", child.stderr.read() if child.stderr else line
    return child


def _free(target: Path) -> bool:
    try:
        with file_write_lock(str(target), timeout=0):
            return True
    except LockTimeout:
        return False


# --------------------------------------------------------------------- where


def test_lock_file_is_in_the_runtime_dir_not_the_config_dir(
    team_dir: Path, private_runtime_dir: Path
) -> None:
    target = team_dir / "team.yaml"
    path = Path(lock_path(str(target)))
    assert path.parent == private_runtime_dir / "provreg" / "locks"
    assert team_dir not in path.parents
    with file_write_lock(str(target)):
        assert path.exists()
        assert os.listdir(team_dir) == ["team.yaml"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_without_a_runtime_dir_the_lock_goes_to_the_state_dir(
    team_dir: Path, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    state = isolated_environment / ".local" / "state"
    assert Path(lock_dir()) == state / "provreg" / "run" / "locks"
    with file_write_lock(str(team_dir / "team.yaml")):
        assert os.listdir(team_dir) == ["team.yaml"]
    assert Path(lock_path(str(team_dir / "team.yaml"))).exists()


def test_a_registry_write_leaves_no_lock_file_in_the_config_dir(
    team_dir: Path, private_runtime_dir: Path
) -> None:
    async def main() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        await registry.update("alpha", {"default_model": "qwen3"})

    anyio.run(main)
    assert os.listdir(team_dir) == ["team.yaml"]
    assert os.listdir(private_runtime_dir / "provreg" / "locks") == [
        os.path.basename(lock_path(str(team_dir / "team.yaml")))
    ]


def test_a_symlink_and_its_target_share_one_lock(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_bytes(TEAM_YAML)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert lock_path(str(link)) == lock_path(str(real))
    with file_write_lock(str(link)):
        assert not _free(real)


def test_different_files_do_not_contend(tmp_path: Path) -> None:
    with file_write_lock(str(tmp_path / "a.yaml")):
        assert _free(tmp_path / "b.yaml")


def test_an_error_inside_the_lock_releases_it(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    with pytest.raises(ValueError), file_write_lock(str(target)):
        raise ValueError("boom")
    assert _free(target)


# --------------------------------------------------------------------- threads


def test_second_thread_waits_and_proceeds_after_release(tmp_path: Path) -> None:
    target = str(tmp_path / "a.yaml")
    log: list[str] = []
    held = threading.Event()
    release = threading.Event()
    acquired = threading.Event()

    def first() -> None:
        with file_write_lock(target):
            log.append("first-acquired")
            held.set()
            release.wait(DEADLINE)
            log.append("first-releasing")

    def second() -> None:
        held.wait(DEADLINE)
        with file_write_lock(target, timeout=DEADLINE):
            log.append("second-acquired")
            acquired.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert held.wait(DEADLINE)
    # The second thread is now polling; it must not get in while the first holds.
    assert not acquired.wait(0.1)
    release.set()
    assert acquired.wait(DEADLINE)
    for thread in threads:
        thread.join(DEADLINE)
    assert log == ["first-acquired", "first-releasing", "second-acquired"]


def test_small_timeout_raises_lock_timeout_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with file_write_lock(str(target)):
            held.set()
            release.wait(DEADLINE)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(DEADLINE)
        start = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            with file_write_lock(str(target), timeout=0.2):
                pytest.fail("got a lock that is held")
        elapsed = time.monotonic() - start
    finally:
        release.set()
        thread.join(DEADLINE)
    assert 0.2 <= elapsed < 2.0
    message = str(caught.value)
    assert str(target) in message
    assert "waited 0.2 s" in message
    assert lock_path(str(target)) in message


# --------------------------------------------------------------------- processes


def test_other_process_holds_the_lock_then_releases_it(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    child = _hold_in_child(target)
    try:
        with pytest.raises(LockTimeout, match=str(target)):
            with file_write_lock(str(target), timeout=0.2):
                pytest.fail("got a lock another process holds")

        got = threading.Event()

        def wait_for_it() -> None:
            with file_write_lock(str(target), timeout=DEADLINE):
                got.set()

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        assert not got.wait(0.1)  # still held by the child
        assert child.stdin is not None
        child.stdin.write("release\n")
        child.stdin.flush()
        assert got.wait(DEADLINE)
        waiter.join(DEADLINE)
    finally:
        out, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 0, err
    assert out == "released\n"


def test_a_killed_holder_never_leaves_a_stale_lock(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    child = _hold_in_child(target)
    assert not _free(target)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=DEADLINE)
    with file_write_lock(str(target), timeout=DEADLINE):
        pass
    assert os.path.exists(lock_path(str(target)))  # the file stays; the lock died


def test_registry_write_blocked_by_another_process_is_a_clear_storage_error(
    team_dir: Path,
) -> None:
    target = team_dir / "team.yaml"
    child = _hold_in_child(target)

    async def main() -> None:
        storage = YamlDirectoryStorage([str(team_dir)], lock_timeout=0.2)
        registry = await ProviderRegistry.open(storage=storage, audit=False)
        before = registry.snapshot()
        with pytest.raises(StorageError) as caught:
            await registry.update("alpha", {"default_model": "qwen3"})
        message = str(caught.value)
        assert "another provreg process is writing" in message
        assert str(target) in message
        assert registry.snapshot() is before

    try:
        anyio.run(main)
    finally:
        child.kill()
        child.communicate(timeout=DEADLINE)
    assert target.read_bytes() == TEAM_YAML
