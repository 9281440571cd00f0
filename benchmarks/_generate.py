"""Shared helpers for bench_registry.py and bench_sync.py.

The data comes from bench_check.py's generator (deterministic for its SEED and
the set's key), so every benchmark measures the same kind of files: several
providers, comments, secret references and one custom definition in the first
file. Each script writes under its own folder of benchmarks/.data/
(git-ignored), so the benchmarks can run side by side without deleting each
other's data.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import math
import os
import platform
import pstats
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from bench_check import DataSet, generate

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / "benchmarks" / ".data"


def make_set(data_dir: Path, key: str, instances: int, files: int) -> tuple[Path, list[Path], str]:
    """Write `instances` over `files` files under data_dir/key; return dir, files, digest.

    The same key always gives the same bytes (bench_check.py seeds by key).
    """
    label = f"{instances:,} in {files} files"
    return generate(data_dir, DataSet(key, label, instances, files))


def isolate_user_dirs(data_dir: Path) -> None:
    """Point the XDG state/runtime dirs (write locks, audit log) at the data dir,
    so a benchmark never touches the user's own provreg state."""
    for name in ("XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        path = data_dir / "xdg" / name.lower()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ[name] = str(path)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually observed."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float, digits: int = 1) -> str:
    return f"{seconds * 1000:,.{digits}f} ms"


def verdict(value: float, limit: float) -> str:
    return "ok" if value < limit else "MISSED"


def machine() -> str:
    """One line: cores, Python, OS, and the file system the data lives on."""
    return (
        f"nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()} "
        f"({sys.implementation.name}) on {platform.system()} {platform.release()} "
        f"{platform.machine()}"
    )


def filesystem(path: Path) -> str:
    """The file system type of `path` (from /proc/mounts; fsync cost depends on it)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    real = os.path.realpath(path)
    best, kind = "", "unknown"
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (real == parts[1] or real.startswith(parts[1].rstrip("/") + "/")):
            if len(parts[1]) >= len(best):
                best, kind = parts[1], parts[2]
    return kind


def proc_status() -> dict[str, int]:
    """VmRSS, VmHWM, ... of this process in bytes (Linux /proc/self/status)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Vm") and line.endswith(" kB"):
            name, value = line.split(":", 1)
            values[name] = int(value.split()[0]) * 1024
    return values


@contextlib.contextmanager
def profiled_worker_threads(profiler: cProfile.Profile) -> Iterator[list[bool]]:
    """Profile what runs in anyio worker threads (the storage work), which a
    profiler enabled in the event loop's thread does not see.

    Yields a one-item list: set its item to False to pause the profiling.
    """
    import anyio.to_thread

    original = anyio.to_thread.run_sync
    active = [True]

    async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not active[0]:
            return await original(func, *args, **kwargs)
        return await original(partial(profiler.runcall, func), *args, **kwargs)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    try:
        yield active
    finally:
        anyio.to_thread.run_sync = original  # type: ignore[assignment]


def print_profile(profiler: cProfile.Profile, title: str, top: int = 15) -> None:
    """Top entries by cumulative and by own time."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top + 5)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of {title}:")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))
