"""`provreg doctor`, run as users run it (a subprocess), on real machines' parts:
keyring's fail backend (every test's default), a real Secret Service (the
`secret_service` fixture), real file modes. Each check's fix is asserted, and
no key (from the keyring or a key file) ever appears in the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import cli_env, run_provreg
from helpers.files import openai_config, write_files
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import (
    SecretServiceDaemon,
    missing_binaries,
    running_secret_service,
)

from provreg.commands.doctor_machine import colour_depth
from provreg.sync.filesystems import NETWORK_FILESYSTEMS, directories_under, filesystem_type

CANARY = "sk-doctor-canary-6f1d2c9a0b7e4d3f8a5c"


def doctor_json(config: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = run_provreg("doctor", "--config", str(config), "--json", env=env)
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


def checks(report: dict[str, Any], area: str) -> list[dict[str, Any]]:
    return [check for check in report["checks"] if check["area"] == area]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    directory = tmp_path / "cfg"
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o700)  # whatever the umask
    openai_config(directory, "work")  # no api_key: the keyring default
    os.chmod(directory / "providers.yaml", 0o600)
    return directory


def test_without_a_keyring_the_keyring_line_fails_with_the_commands_to_start_one(
    config: Path,
) -> None:
    done = run_provreg("doctor", "--config", str(config))
    assert done.returncode == 1, done.stdout
    keyring_line = next(line for line in done.stdout.splitlines() if " keyring " in line)
    assert keyring_line.startswith("fail")
    assert "no usable keyring backend (keyring chose keyring.backends.fail.Keyring)" in keyring_line
    assert "1 keyring reference" in keyring_line
    fix = done.stdout.splitlines()[done.stdout.splitlines().index(keyring_line) + 1]
    assert "fix:" in fix
    assert "`dbus-run-session -- bash`" in fix
    assert "gnome-keyring-daemon --unlock --components=secrets" in fix
    assert done.stdout.rstrip().endswith("1 failed")


def test_without_a_keyring_and_no_keyring_reference_it_only_warns(tmp_path: Path) -> None:
    directory = tmp_path / "cfg"
    openai_config(directory, "work", api_key="{env: OPENAI_API_KEY}")
    os.chmod(directory, 0o700)
    code, report = doctor_json(directory)
    [keyring_check] = checks(report, "keyring")
    assert keyring_check["status"] == "warn"
    assert keyring_check["facts"]["keyring_references"] == 0
    assert code == 0, report


def test_a_secret_service_is_ok_and_its_canary_key_never_appears(
    config: Path, secret_service: SecretServiceDaemon
) -> None:
    secret_service.store("work/api_key", CANARY)
    assert secret_service.lookup("work/api_key") == CANARY  # the canary is really there
    code, report = doctor_json(config)
    [keyring_check] = checks(report, "keyring")
    assert keyring_check["status"] == "ok", keyring_check
    assert keyring_check["facts"]["backend"] == "keyring.backends.SecretService.Keyring"
    assert keyring_check["facts"]["collection"] == "unlocked"
    assert keyring_check["facts"]["chosen_by"] == "PYTHON_KEYRING_BACKEND"
    assert code == 0, report
    text = run_provreg("doctor", "--config", str(config))
    assert text.returncode == 0, text.stdout
    for output in (json.dumps(report), text.stdout, text.stderr):
        assert CANARY not in output
        assert CANARY[:12] not in output


def lock_default_collection(env: dict[str, str]) -> str:
    """Lock the Secret Service's default collection from a process of its own (as
    a screen lock does); its lock state after, as `True` or `False`."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import secretstorage; c = secretstorage.dbus_init(); "
            "k = secretstorage.get_default_collection(c); k.lock(); print(k.is_locked())",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_locked_collection_fails_with_how_to_unlock(config: Path) -> None:
    # A daemon of its own: unlocking one needs its password typed into a prompt
    # (no display here), so the session's shared daemon must never be locked.
    if missing_binaries():
        pytest.skip("no Secret Service can run here")
    with running_secret_service() as daemon:
        env = cli_env(SECRET_SERVICE_BACKEND, **daemon.env())
        assert lock_default_collection(env) == "True"
        code, report = doctor_json(config, env=env)
    [keyring_check] = checks(report, "keyring")
    assert keyring_check["facts"]["collection"] == "locked"
    assert keyring_check["status"] == "fail"
    assert "the default collection is locked" in keyring_check["summary"]
    assert "gnome-keyring-daemon --unlock" in keyring_check["fix"]
    assert code == 1


def test_a_world_writable_config_dir_fails_with_its_fix(config: Path) -> None:
    os.chmod(config, 0o777)
    done = run_provreg("doctor", "--config", str(config))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    [flagged] = [i for i, line in enumerate(lines) if "is writable by others" in line]
    assert lines[flagged].startswith("fail  config")
    assert f"{config} is writable by others (mode 0777)" in lines[flagged]
    assert lines[flagged + 1].strip() == f"fix: chmod o-w {config}"


def test_a_group_writable_config_dir_warns(config: Path) -> None:
    os.chmod(config, 0o770)
    _code, report = doctor_json(config)
    [flagged] = [c for c in checks(report, "config") if "writable by its group" in c["summary"]]
    assert flagged["status"] == "warn"
    assert flagged["fix"] == f"chmod g-w {config}"
    assert flagged["facts"]["mode"] == "0770"


def test_a_group_readable_key_file_fails_with_chmod_600_and_is_never_read(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "token"
    key_file.write_text(CANARY + "\n")
    os.chmod(key_file, 0o640)
    directory = tmp_path / "cfg"
    openai_config(directory, "box", api_key=f"{{file: {key_file}}}")
    os.chmod(directory, 0o700)
    done = run_provreg("doctor", "--config", str(directory))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    [flagged] = [i for i, line in enumerate(lines) if "box.api_key: key file" in line]
    assert lines[flagged].startswith("fail  keys")
    assert "(mode 0640)" in lines[flagged]
    assert lines[flagged + 1].strip() == f"fix: chmod 600 {key_file}"
    assert CANARY not in done.stdout + done.stderr

    os.chmod(key_file, 0o600)
    _code, report = doctor_json(directory)
    [key_check] = checks(report, "keys")
    assert key_check["status"] == "ok"
    assert key_check["facts"] == {
        "instance": "box",
        "field": "api_key",
        "path": str(key_file),
        "present": True,
        "mode": "0600",
    }


def test_a_command_reference_in_a_group_writable_file_fails_as_e218_says(tmp_path: Path) -> None:
    directory = tmp_path / "cfg"
    openai_config(directory, "cmd", api_key="{command: [pass, show, openai]}")
    os.chmod(directory, 0o700)
    os.chmod(directory / "providers.yaml", 0o620)
    _code, report = doctor_json(directory)
    [refused] = [c for c in checks(report, "config") if "runs command" in c["summary"]]
    assert refused["status"] == "fail"
    assert "writable by group" in refused["summary"]
    assert "chmod go-w" in refused["summary"]


def test_a_missing_config_dir_warns_with_how_to_make_one(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    _code, report = doctor_json(missing)
    [config_check] = checks(report, "config")
    assert config_check["status"] == "warn"
    assert f"provreg init {missing}" in config_check["fix"]


def test_json_shape(config: Path) -> None:
    _code, report = doctor_json(config)
    assert report["format"] == 1
    assert set(report) == {"format", "checks", "counts"}
    for check in report["checks"]:
        assert set(check) == {"area", "status", "summary", "fix", "facts"}
        assert check["status"] in ("ok", "warn", "fail")
    areas = {check["area"] for check in report["checks"]}
    assert areas == {"config", "keyring", "watch", "editor", "terminal", "versions"}
    counts = report["counts"]
    assert sum(counts.values()) == len(report["checks"])
    [versions] = checks(report, "versions")
    assert set(versions["facts"]) == {"python", "provreg", "textual", "keyring", "watchfiles"}
    [limit] = [c for c in checks(report, "watch") if "max_user_watches" in c["facts"]]
    assert limit["facts"]["directories"] == 1  # cfg itself: no subdirectories


def test_editor_line_names_what_v_would_run(config: Path) -> None:
    code, report = doctor_json(config, env=cli_env(VISUAL="true --wait"))
    [editor] = checks(report, "editor")
    assert editor["status"] == "ok"
    assert editor["facts"] == {"argv": ["true", "--wait"], "from": "VISUAL"}

    _code, report = doctor_json(config, env=cli_env(VISUAL="no-such-editor-here"))
    [editor] = checks(report, "editor")
    assert editor["status"] == "warn"
    assert "'no-such-editor-here' is not on PATH" in editor["summary"]


def test_piped_output_is_reported_as_not_a_terminal(config: Path) -> None:
    _code, report = doctor_json(config)
    assert [c["facts"] for c in checks(report, "terminal")] == [{"tty": False}]


def test_doctor_does_not_import_textual(config: Path) -> None:
    probe = (
        "import io, sys\n"
        "from provreg.commands.doctor_cmd import cmd_doctor\n"
        f"cmd_doctor([{str(config)!r}], True, io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_directories_under_counts_what_a_recursive_watch_needs(tmp_path: Path) -> None:
    write_files(tmp_path / "cfg", {"a/x.yaml": "", "a/b/y.yaml": "", "c/z.yaml": ""})
    assert directories_under(str(tmp_path / "cfg")) == 4
    assert directories_under(str(tmp_path / "absent")) == 0


def test_filesystem_type_is_the_innermost_mount(tmp_path: Path) -> None:
    if not os.path.exists("/proc/self/mountinfo"):
        pytest.skip("no /proc/self/mountinfo (not Linux)")
    assert filesystem_type("/proc") == "proc"
    assert filesystem_type("/proc/self") == "proc"
    assert filesystem_type(str(tmp_path)) not in (None, "proc")


@pytest.mark.parametrize(
    ("environment", "depth"),
    [
        ({"NO_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"}, "none"),
        ({"COLORTERM": "truecolor", "TERM": "xterm"}, "24-bit"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "xterm"}, "16"),
        ({"TERM": "dumb"}, "none"),
        ({}, "none"),
    ],
)
def test_colour_depth_follows_what_the_terminal_advertises(
    environment: dict[str, str], depth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_COLOR", "COLORTERM", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert colour_depth()[0] == depth


def test_on_a_terminal_the_report_gives_colours_and_size(config: Path) -> None:
    """Under a real pseudo-terminal of 100x30 with 256 colours."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = cli_env(TERM="xterm-256color")
    env.pop("COLORTERM", None)
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "provreg", "doctor", "--config", str(config)],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
        )
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    text = output.decode()
    assert done.returncode == 1, text  # the fail backend, one keyring reference
    assert "ok    terminal  colours: 256 (TERM=xterm-256color)" in text
    assert "ok    terminal  size: 100x30" in text


def test_filesystem_type_reads_network_mounts_and_escaped_paths(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "40 27 0:50 / /home/me/shared\\040team rw,relatime shared:3 - nfs4 nas:/team rw\n"
        "41 40 0:51 / /home/me/shared\\040team/local rw - tmpfs tmpfs rw\n"
    )
    where = str(mountinfo)
    assert filesystem_type("/home/me/shared team/providers", where) == "nfs4"
    assert filesystem_type("/home/me/shared team/local/x", where) == "tmpfs"
    assert filesystem_type("/home/me/shared teamX", where) == "ext4"
    assert filesystem_type("/etc", where) == "ext4"
    assert "nfs4" in NETWORK_FILESYSTEMS
    assert filesystem_type("/etc", str(tmp_path / "absent")) is None


def test_a_config_file_others_can_write_warns_as_w016_and_errors_point_at_check(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "cfg"
    write_files(directory, {"broken.yaml": "version: 1\nproviders:\n  - provider: nope\n"})
    os.chmod(directory, 0o700)
    os.chmod(directory / "broken.yaml", 0o666)
    code, report = doctor_json(directory)
    config_checks = checks(report, "config")
    [overview] = [c for c in config_checks if "config file(s)" in c["summary"]]
    assert overview["status"] == "warn"
    assert overview["facts"]["errors"] >= 1
    assert overview["fix"] == f"see them with `provreg --check {directory}`"
    [writable] = [c for c in config_checks if "is writable by group and others" in c["summary"]]
    assert writable["status"] == "warn"
    assert "chmod go-w" in writable["fix"]
    assert code == 0  # warnings only: the keyring is not needed by a config without keys
