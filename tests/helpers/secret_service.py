"""A real Secret Service: a private D-Bus session bus with gnome-keyring-daemon on it.

`running_secret_service()` starts both (an unlocked "login" collection) and
stops them after; the `secret_service_daemon` and `secret_service` fixtures in
`helpers.fixtures` wrap it. Nothing here touches the developer's session bus.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

REQUIRED_BINARIES = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
KEYRING_PASSWORD = "provreg-test"


@dataclass(frozen=True)
class SecretServiceDaemon:
    """A running private session bus with gnome-keyring-daemon on it."""

    bus_address: str
    runtime_dir: str
    home: str
    dbus_pid: int
    keyring_pid: int

    def env(self) -> dict[str, str]:
        return {"DBUS_SESSION_BUS_ADDRESS": self.bus_address, "XDG_RUNTIME_DIR": self.runtime_dir}

    def lookup(self, user: str, service: str = "provreg") -> str | None:
        """`secret-tool lookup service SERVICE username USER`: the value in the daemon."""
        done = subprocess.run(
            ["secret-tool", "lookup", "service", service, "username", user],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=10,
        )
        if done.returncode != 0:
            return None
        return done.stdout

    def store(self, user: str, value: str, service: str = "provreg") -> None:
        subprocess.run(
            ["secret-tool", "store", "--label", f"{service} {user}", "service", service]
            + ["username", user],
            input=value,
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )


def _kill(pid: int) -> None:
    """End one process we started, by its id; wait (bounded) until it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # a daemon we forked may be our child's child; reap it if it is ours
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if _is_zombie(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _bus_owner_pid(bus_address: str, name: str) -> int:
    """PID of the process owning a bus name (how we find the daemonized keyring)."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress(
        "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
    )
    with open_dbus_connection(bus=bus_address) as connection:
        reply = connection.send_and_get_reply(
            new_method_call(bus, "GetConnectionUnixProcessID", "s", (name,)), timeout=5
        )
    return int(reply.body[0])


def missing_binaries() -> list[str]:
    return [name for name in REQUIRED_BINARIES if shutil.which(name) is None]


@contextmanager
def running_secret_service() -> Iterator[SecretServiceDaemon]:
    """Start a private D-Bus session bus and an unlocked gnome-keyring; stop both after."""
    runtime_dir = tempfile.mkdtemp(prefix="provreg-xdg-runtime-")
    os.chmod(runtime_dir, 0o700)
    home = tempfile.mkdtemp(prefix="provreg-keyring-home-")
    dbus_pid = keyring_pid = 0
    try:
        started = subprocess.run(
            [
                "dbus-daemon",
                "--session",
                "--fork",
                "--print-address=1",
                "--print-pid=1",
                f"--address=unix:path={runtime_dir}/bus",
            ],
            capture_output=True,
            text=True,
            timeout=15,
        )
        lines = started.stdout.split()
        assert started.returncode == 0 and len(lines) >= 2, (
            f"dbus-daemon did not start: rc={started.returncode} {started.stderr}"
        )
        bus_address, dbus_pid = lines[0], int(lines[1])
        env = {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": bus_address,
            "XDG_RUNTIME_DIR": runtime_dir,
            # the keyring files live here, never in the developer's home
            "HOME": home,
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        }
        # The password piped exactly as `printf PASSWORD |` does: no trailing newline.
        keyring_started = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input=KEYRING_PASSWORD.encode(),
            env=env,
            capture_output=True,
            timeout=15,
        )
        assert keyring_started.returncode == 0, (
            f"gnome-keyring-daemon did not start: {keyring_started.stderr!r}"
        )
        keyring_pid = _wait_for_keyring(bus_address)
        daemon = SecretServiceDaemon(bus_address, runtime_dir, home, dbus_pid, keyring_pid)
        _probe(daemon)
        yield daemon
    finally:
        if keyring_pid:
            _kill(keyring_pid)
        if dbus_pid:
            _kill(dbus_pid)
        shutil.rmtree(runtime_dir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_keyring(bus_address: str) -> int:
    deadline = time.monotonic() + 10
    while True:
        try:
            return _bus_owner_pid(bus_address, "org.freedesktop.secrets")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _probe(daemon: SecretServiceDaemon) -> None:
    """The default collection is "login", unlocked, and secret-tool store/lookup work."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=daemon.bus_address) as connection:
        collection = secretstorage.get_default_collection(connection)
        assert collection.get_label().lower() == "login", collection.get_label()
        assert not collection.is_locked(), "the login collection is locked"
    daemon.store("fixture-probe", "probe-value", service="provreg-fixture")
    assert daemon.lookup("fixture-probe", service="provreg-fixture") == "probe-value"
    subprocess.run(
        ["secret-tool", "clear", "service", "provreg-fixture", "username", "fixture-probe"],
        env={**os.environ, **daemon.env()},
        check=True,
        timeout=10,
    )
