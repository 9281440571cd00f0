"""Benchmark secret resolution against the targets of issue 5.

Run from the repository root (needs gnome-keyring, dbus and libsecret-tools
from Debian; the script starts its own private D-Bus session and keyring):

    uv run python benchmarks/bench_secrets.py

Prints, for a real Secret Service (gnome-keyring) and for `{env: VAR}` refs:
- first resolve through `ProviderRegistry.resolve_secret` (cache cold: the
  instance's cache entry is dropped before each call), median and p95;
- cached resolve, median and p95;
and shows that loading the registry does no secret work: `keyring` is not
even imported by `ProviderRegistry.open` or `provreg --check`.
Targets: cached under 1 ms; first bounded by the backend (~20 ms with
gnome-keyring here); no secret work on the load path.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 200
REPO = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _start_keyring(workdir: Path) -> list[int]:
    """A private D-Bus session with an unlocked gnome-keyring; returns pids to kill."""
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ["HOME"] = str(workdir / "home")
    (workdir / "home").mkdir()
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
    )
    address, pid = bus.stdout.split()[:2]
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
        input="bench",
        capture_output=True,
        text=True,
        check=True,
    )
    pids = [int(pid)]
    for line in daemon.stdout.splitlines():
        if line.startswith("GNOME_KEYRING_PID="):
            pids.append(int(line.split("=", 1)[1]))
    return pids


def _config(workdir: Path) -> Path:
    config = workdir / "config"
    config.mkdir()
    (config / "providers.yaml").write_text(
        "version: 1\n"
        "providers:\n"
        "  - id: kr\n    name: Keyring one\n    provider: openai\n"
        "  - id: ev\n    name: Env one\n    provider: openai\n    api_key: {env: BENCH_KEY}\n",
        encoding="utf-8",
    )
    return config


async def _measure(config: Path) -> dict[str, tuple[float, float]]:
    import keyring
    from keyring.backends.SecretService import Keyring as SecretService
    from pydantic import SecretStr

    from provreg.registry import ProviderRegistry
    from provreg.secrets import SecretStore

    keyring.set_keyring(SecretService())
    os.environ["BENCH_KEY"] = "sk-bench-env-value"
    registry = await ProviderRegistry.open([str(config)], audit=False, secrets=SecretStore())
    await registry.set_secret("kr", "api_key", SecretStr("sk-bench-keyring-value"))
    store = registry.secret_store()
    results: dict[str, tuple[float, float]] = {}
    for label, instance_id in (("Secret Service", "kr"), ("env ref", "ev")):
        first: list[float] = []
        cached: list[float] = []
        for _ in range(ROUNDS):
            store.invalidate(instance_id)
            start = time.perf_counter()
            await registry.resolve_secret(instance_id, "api_key")
            first.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await registry.resolve_secret(instance_id, "api_key")
            cached.append((time.perf_counter() - start) * 1000)
        results[f"{label} first"] = (statistics.median(first), _percentile(first, 0.95))
        results[f"{label} cached"] = (statistics.median(cached), _percentile(cached, 0.95))
    raw: list[float] = []
    backend = keyring.get_keyring()
    for _ in range(ROUNDS):
        start = time.perf_counter()
        backend.get_password("provreg", "kr/api_key")
        raw.append((time.perf_counter() - start) * 1000)
    results["raw keyring.get_password"] = (statistics.median(raw), _percentile(raw, 0.95))
    await registry.remove_secret("kr", "api_key")
    return results


def _load_path_imports(config: Path) -> dict[str, bool]:
    """Whether `keyring` is imported by opening the registry / by --check."""
    probe_open = (
        "import sys, anyio\n"
        "from provreg.registry import ProviderRegistry\n"
        f"anyio.run(lambda: ProviderRegistry.open([{str(config)!r}], audit=False))\n"
        "print('keyring' in sys.modules)\n"
    )
    probe_check = (
        "import sys\nfrom provreg.cli import main\n"
        f"main(['--check', {str(config)!r}])\n"
        "print('keyring' in sys.modules)\n"
    )
    found = {}
    for label, probe in (("registry open", probe_open), ("provreg --check", probe_check)):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        found[label] = done.stdout.strip().splitlines()[-1] == "True"
    return found


def main() -> int:
    missing = [b for b in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(b) is None]
    if missing:
        print(f"needs {', '.join(missing)} (apt-get install gnome-keyring dbus)")
        return 2
    import anyio

    workdir = Path(tempfile.mkdtemp(prefix="provreg-bench-secrets-"))
    os.environ["XDG_STATE_HOME"] = str(workdir / "state")
    os.environ["XDG_DATA_HOME"] = str(workdir / "data")
    pids = _start_keyring(workdir)
    try:
        config = _config(workdir)
        results = anyio.run(_measure, config)
        imports = _load_path_imports(config)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {ROUNDS} rounds each\n")
    print(f"{'resolve_secret':28} {'median ms':>10} {'p95 ms':>10}   target")
    for label, (median, p95) in results.items():
        target = "< 1 ms" if "cached" in label else "backend-bound (~20 ms)"
        if label.startswith("raw"):
            target = "(the backend alone, for comparison)"
        verdict = ""
        if "cached" in label:
            verdict = "ok" if p95 < 1.0 else "MISSED"
        print(f"{label:28} {median:10.3f} {p95:10.3f}   {target} {verdict}")
    print()
    for label, imported in imports.items():
        verdict = "MISSED: imports keyring" if imported else "ok: keyring not even imported"
        print(f"no secret work on the load path, {label}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
