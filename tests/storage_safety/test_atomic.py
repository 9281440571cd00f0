"""atomic_write (docs/architecture.md, "Writes"): the steps, the file modes, symlinks, hard links,
and crash safety at every step (injected failures and a real SIGKILL).

Failures are injected only at the system edge (`os.write`, `os.fchmod`,
`os.fsync`, `os.replace`), and only for calls made from `provreg.storage.atomic`,
so nothing else in the process (pytest, anyio) sees them.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers.cli import spawn
from helpers.files import TEAM_YAML, temp_files

import provreg.storage.atomic as atomic
from provreg.config.read.discovery import discover, is_config_name
from provreg.registry.audit import default_audit_path
from provreg.registry.registry import ProviderRegistry
from provreg.storage import StorageError
from provreg.storage.atomic import NEW_FILE_MODE, TEMP_PREFIX, HardLinkError, atomic_write

HERE = Path(__file__).resolve().parent

ORIGINAL = b"version: 1\nproviders: []\n# the original content, byte for byte\r\n"
NEW = b"version: 1\nproviders: []\n# new content\n" * 1000


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _from_atomic() -> bool:
    """True when the patched function was called by provreg.storage.atomic itself."""
    return bool(sys._getframe(2).f_globals.get("__name__") == atomic.__name__)


def _failing(
    name: str,
    exc: BaseException,
    *,
    after: int = 0,
    partial: bool = False,
    chunk: int | None = None,
) -> Callable[..., Any]:
    """A stand-in for `os.<name>` that raises `exc` on call number `after + 1` from atomic.

    With `chunk`, the calls that go through write at most that many bytes (short
    writes, as on a nearly full disk). With `partial`, the failing call first
    really writes half its buffer, then raises.
    """
    real = getattr(os, name)
    calls = [0]

    def fake(*args: Any) -> Any:
        if not _from_atomic():
            return real(*args)
        calls[0] += 1
        if calls[0] <= after:
            if chunk is not None:
                fd, data = args
                return real(fd, bytes(data[:chunk]))
            return real(*args)
        if partial:
            fd, data = args
            real(fd, bytes(data[: len(data) // 2]))
        raise exc

    return fake


# --------------------------------------------------------------------- success


def test_new_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    old_umask = os.umask(0o002)
    try:
        written = atomic_write(str(target), NEW)
    finally:
        os.umask(old_umask)
    assert written == str(target)
    assert target.read_bytes() == NEW
    assert _mode(target) == NEW_FILE_MODE == 0o600
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o600, 0o444], ids=oct)
def test_existing_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "keep.yaml"
    target.write_bytes(ORIGINAL)
    os.chmod(target, mode)
    atomic_write(str(target), NEW)
    assert target.read_bytes() == NEW
    assert _mode(target) == mode
    assert temp_files(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_keeps_the_owner_of_a_users_file(tmp_path: Path) -> None:
    """`sudo provreg ...` must not hand the user's config to root."""
    target = tmp_path / "owned.yaml"
    target.write_bytes(ORIGINAL)
    os.chown(target, 4321, 4322)
    atomic_write(str(target), NEW)
    info = os.stat(target)
    assert (info.st_uid, info.st_gid) == (4321, 4322)


def test_replaces_the_inode_and_leaves_only_the_file(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(ORIGINAL)
    before = os.stat(target).st_ino
    atomic_write(str(target), NEW)
    assert os.stat(target).st_ino != before  # a rename, not an in-place rewrite
    assert os.listdir(tmp_path) == ["a.yaml"]


def test_steps_happen_in_the_crash_safe_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write → fchmod → fsync(temp) → replace → fsync(directory), temp in the same dir."""
    target = tmp_path / "order.yaml"
    target.write_bytes(ORIGINAL)
    os.chmod(target, 0o640)
    log: list[tuple[str, str]] = []

    def spy(name: str) -> Callable[..., Any]:
        real = getattr(os, name)

        def wrapper(*args: Any) -> Any:
            if _from_atomic():
                if name == "replace":
                    log.append((name, os.path.dirname(args[0])))
                    assert os.path.basename(args[0]).startswith(TEMP_PREFIX)
                else:
                    kind = "dir" if stat.S_ISDIR(os.fstat(args[0]).st_mode) else "file"
                    log.append((name, kind))
            return real(*args)

        return wrapper

    for name in ("write", "fchmod", "fsync", "replace"):
        monkeypatch.setattr(os, name, spy(name))
    atomic_write(str(target), NEW)
    monkeypatch.undo()
    steps = [entry for i, entry in enumerate(log) if i == 0 or entry != log[i - 1]]
    assert steps == [
        ("write", "file"),
        ("fchmod", "file"),
        ("fsync", "file"),
        ("replace", str(tmp_path)),
        ("fsync", "dir"),
    ]


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.yaml"
    monkeypatch.setattr(os, "write", _failing("write", AssertionError(), after=10**6, chunk=1000))
    atomic_write(str(target), NEW)
    monkeypatch.undo()
    assert target.read_bytes() == NEW


def test_directory_fsync_refused_does_not_fail_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems refuse fsync on a directory: only durability is weaker."""
    target = tmp_path / "a.yaml"
    target.write_bytes(ORIGINAL)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(str(target), NEW)
    monkeypatch.undo()
    assert target.read_bytes() == NEW


# --------------------------------------------------------------------- symlinks


def test_symlinked_file_stays_a_symlink_and_its_target_is_written(tmp_path: Path) -> None:
    real_dir = tmp_path / "dotfiles"
    config = tmp_path / "config"
    real_dir.mkdir()
    config.mkdir()
    real = real_dir / "providers.yaml"
    real.write_bytes(ORIGINAL)
    os.chmod(real, 0o640)
    link = config / "providers.yaml"
    link.symlink_to(os.path.join("..", "dotfiles", "providers.yaml"))  # relative, as users do

    written = atomic_write(str(link), NEW)

    assert written == str(real)
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("..", "dotfiles", "providers.yaml")
    assert real.read_bytes() == NEW == link.read_bytes()
    assert _mode(real) == 0o640
    assert temp_files(config) == [] and temp_files(real_dir) == []


def test_symlink_chain_is_followed_to_the_end(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_bytes(ORIGINAL)
    (tmp_path / "middle.yaml").symlink_to(real)
    (tmp_path / "link.yaml").symlink_to(tmp_path / "middle.yaml")
    assert atomic_write(str(tmp_path / "link.yaml"), NEW) == str(real)
    assert (tmp_path / "link.yaml").is_symlink() and (tmp_path / "middle.yaml").is_symlink()
    assert real.read_bytes() == NEW


def test_registry_update_through_a_symlinked_config_keeps_the_symlink(
    team_dir: Path, tmp_path: Path
) -> None:
    real = tmp_path / "elsewhere.yaml"
    os.replace(team_dir / "team.yaml", real)
    (team_dir / "team.yaml").symlink_to(real)

    async def main() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        await registry.update("alpha", {"default_model": "qwen3"})

    anyio.run(main)
    assert (team_dir / "team.yaml").is_symlink()
    assert real.read_bytes() == TEAM_YAML.replace(
        b"default_model: llama3.2   #", b"default_model: qwen3   #"
    )
    assert temp_files(team_dir) == [] and temp_files(tmp_path) == []


# --------------------------------------------------------------------- hard links


def test_hard_linked_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(ORIGINAL)
    other = tmp_path / "backup.yaml"
    os.link(target, other)

    with pytest.raises(HardLinkError) as caught:
        atomic_write(str(target), NEW)

    message = str(caught.value)
    assert str(target) in message
    assert "2 hard links" in message
    assert "allow_hardlink_in_place" in message  # says how to go on anyway
    assert "--allow-hardlinks" in message  # the command-line option
    assert target.read_bytes() == ORIGINAL == other.read_bytes()
    assert os.stat(target).st_nlink == 2
    assert temp_files(tmp_path) == []


def test_hard_linked_file_written_in_place_when_allowed(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(ORIGINAL)
    os.chmod(target, 0o640)
    other = tmp_path / "backup.yaml"
    os.link(target, other)
    inode = os.stat(target).st_ino

    atomic_write(str(target), NEW, allow_hardlink_in_place=True)

    assert target.read_bytes() == NEW == other.read_bytes()
    assert os.stat(target).st_ino == inode == os.stat(other).st_ino
    assert os.stat(target).st_nlink == 2
    assert _mode(target) == 0o640
    assert temp_files(tmp_path) == []


def test_registry_refuses_a_hard_linked_config_unless_told(team_dir: Path, tmp_path: Path) -> None:
    os.link(team_dir / "team.yaml", tmp_path / "team-backup.yaml")

    async def refused() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        before = registry.snapshot()
        with pytest.raises(StorageError, match="2 hard links"):
            await registry.update("alpha", {"default_model": "qwen3"})
        assert registry.snapshot() is before

    async def allowed() -> None:
        registry = await ProviderRegistry.open(
            [str(team_dir)], audit=False, allow_hardlink_in_place=True
        )
        await registry.update("alpha", {"default_model": "qwen3"})

    anyio.run(refused)
    assert (team_dir / "team.yaml").read_bytes() == TEAM_YAML
    anyio.run(allowed)
    expected = TEAM_YAML.replace(b"default_model: llama3.2   #", b"default_model: qwen3   #")
    assert (team_dir / "team.yaml").read_bytes() == expected
    assert (tmp_path / "team-backup.yaml").read_bytes() == expected


# --------------------------------------------------------------------- crash safety

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

STEPS = {
    "write": lambda: _failing("write", OSError(errno.EIO, os.strerror(errno.EIO))),
    "write-enospc-partial": lambda: _failing("write", ENOSPC, partial=True),
    "write-enospc-later-chunk": lambda: _failing("write", ENOSPC, after=3, chunk=4096),
    "write-interrupted": lambda: _failing("write", KeyboardInterrupt()),
    "fchmod": lambda: _failing("fchmod", PermissionError(errno.EPERM, "injected")),
    "fsync": lambda: _failing("fsync", OSError(errno.EIO, os.strerror(errno.EIO))),
    "replace": lambda: _failing("replace", OSError(errno.EXDEV, "injected")),
}
"""Where a write can die, and how (`write-enospc-later-chunk`: 12 KiB went through)."""


@pytest.mark.parametrize("step", list(STEPS))
def test_failure_at_each_step_keeps_the_original_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    target = tmp_path / "providers.yaml"
    target.write_bytes(ORIGINAL)
    os.chmod(target, 0o640)
    before = os.stat(target)
    monkeypatch.setattr(os, step.split("-")[0], STEPS[step]())

    with pytest.raises((OSError, KeyboardInterrupt)):
        atomic_write(str(target), NEW)
    monkeypatch.undo()

    assert target.read_bytes() == ORIGINAL
    after = os.stat(target)
    assert (after.st_ino, after.st_mode, after.st_mtime_ns) == (
        before.st_ino,
        before.st_mode,
        before.st_mtime_ns,
    )
    assert os.listdir(tmp_path) == ["providers.yaml"]


@pytest.mark.parametrize("step", list(STEPS))
def test_failure_creating_a_new_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    monkeypatch.setattr(os, step.split("-")[0], STEPS[step]())
    with pytest.raises((OSError, KeyboardInterrupt)):
        atomic_write(str(tmp_path / "new.yaml"), NEW)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_the_error_raised_is_the_original_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.yaml"
    target.write_bytes(ORIGINAL)
    monkeypatch.setattr(os, "write", _failing("write", ENOSPC, partial=True))
    with pytest.raises(OSError) as caught:
        atomic_write(str(target), NEW)
    assert caught.value is ENOSPC
    assert caught.value.errno == errno.ENOSPC


@pytest.mark.parametrize("step", ["write-enospc-partial", "fsync", "replace"])
def test_registry_update_failing_mid_write_changes_nothing(
    team_dir: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """StorageError with a clear message; file, registry state and a fresh load unchanged."""
    path = team_dir / "team.yaml"

    async def main() -> None:
        registry = await ProviderRegistry.open([str(team_dir)])
        before = registry.snapshot()
        with monkeypatch.context() as patch:
            patch.setattr(os, step.split("-")[0], STEPS[step]())
            with pytest.raises(StorageError) as caught:
                await registry.update("alpha", {"default_model": "qwen3"})
        message = str(caught.value)
        assert message.startswith(f"{path}: cannot write: ")
        if step.startswith("write"):
            assert message.endswith("No space left on device")
        assert registry.snapshot() is before
        assert registry.get("alpha").values["default_model"] == "llama3.2"
        fresh = await ProviderRegistry.open([str(team_dir)], audit=False)
        assert dict(fresh.snapshot().instances) == dict(before.instances)
        # The failure did not wedge the storage: the same update now goes through.
        await registry.update("alpha", {"default_model": "qwen3"})

    anyio.run(main)
    assert path.read_bytes() == TEAM_YAML.replace(
        b"default_model: llama3.2   #", b"default_model: qwen3   #"
    )
    assert temp_files(team_dir) == []
    # The audit log holds the successful update only, not the failed attempt
    # (whose intent, when it got that far, is closed as not applied).
    with open(default_audit_path(), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    entries = [record for record in records if "record" not in record]
    assert [(e["action"], e["instance_id"]) for e in entries] == [("update", "alpha")]
    results = [record["result"] for record in records if record.get("record") == "resolution"]
    assert results == (["not-applied"] if step == "replace" else [])


# --------------------------------------------------------------------- SIGKILL

KILLS = 20
SIZE = 1 << 20


def _contents(letter: str) -> bytes:
    """A valid config file of about 1 MiB; A and B differ at every padding byte."""
    header = f"version: 1\nproviders: []\n# contents {letter}\n".encode()
    line = b"# " + letter.encode() * 76 + b"\n"
    return header + line * (SIZE // len(line))


def test_sigkill_mid_write_leaves_old_or_new_content(tmp_path: Path) -> None:
    """A child loops writing A and B with atomic_write; we SIGKILL it at random moments.

    The file is always exactly A or exactly B, never empty or a mix. A SIGKILL
    can leave a hidden temp file (no code runs to remove it): it is named
    `.provreg-tmp-*`, which the config discovery never reads, so it is harmless
    and is removed by hand or by a later `provreg --check` clean-up.
    """
    a, b = _contents("A"), _contents("B")
    target = tmp_path / "big.yaml"
    target.write_bytes(a)
    rng = random.Random(20240611)
    seen: set[bytes] = set()
    strays: set[str] = set()
    for _ in range(KILLS):
        child = spawn(HERE / "_kill_writer.py", str(target), str(SIZE))
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
        # ~1.5 ms a write here: the kill lands anywhere in the loop, mid-write included.
        time.sleep(rng.uniform(0.0, 0.03))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
        data = target.read_bytes()
        assert data in (a, b), f"torn file: {len(data)} bytes"
        seen.add(data)
        strays.update(temp_files(tmp_path))
        assert set(os.listdir(tmp_path)) <= {"big.yaml", *strays}
    assert len(seen) >= 1
    for name in strays:
        assert name.startswith(".") and not is_config_name(name)
    assert [f.path for f in discover([str(tmp_path)])] == [str(target)]
