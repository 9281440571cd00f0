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
import hashlib
import io
import math
import os
import platform
import pstats
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# One instance's opening lines as bench_check.py writes them.
_ENTRY = re.compile(r"^  - id: (?P<id>\S+)\n    name: (?P<name>.+)\n", re.MULTILINE)
# Separators and endings that give names distinct for `link` (which ignores
# case and outer spaces) but one slug: "Team LLM 0307", "Team-LLM/0307!", ...
# all derive team-llm-0307. 8 x 8 x 4 variants: groups of up to 256 files.
_SEPARATORS = (" ", "-", "_", "/", ".", " - ", " + ", " | ")
_ENDINGS = ("", "!", "?", " *")


def _variant_name(variant: int, label: str) -> str:
    first = _SEPARATORS[variant % 8]
    second = _SEPARATORS[variant // 8 % 8]
    return f"Team{first}LLM{second}{label}{_ENDINGS[variant // 64 % 4]}"


@dataclass(frozen=True)
class CrossSet:
    """Where make_cross_set put its cross-file findings (indexes into the files)."""

    root: Path
    paths: list[Path]
    digest: str
    derived: int
    """Entries without `id:`, whose derived ids collide across files (I215)."""
    duplicate_names: int
    """Explicit-id entries renamed to another file's name (W214)."""
    duplicate_ids: int
    """Explicit-id entries given another file's id (E213; the second is dropped)."""
    involved: list[int]
    """Files holding some finding."""
    clean: list[int]
    """Files sharing no id or name with any other file."""


def make_cross_set(
    data_dir: Path,
    key: str,
    base_key: str,
    instances: int,
    files: int,
    *,
    involved_files: int,
    group: int,
    derived_share: float,
    duplicate_names: int,
    duplicate_ids: int,
) -> CrossSet:
    """The `base_key` set (same bytes as make_set gives for it) with cross-file
    findings added, under data_dir/key.

    The first `involved_files` files lose the `id:` of `derived_share` of all
    instances (spread evenly over them) and share their derived ids' bases in
    groups of `group` consecutive files: entry j of each file in group G is
    named "Team LLM GGjj" with other separators per file, so the names differ
    but the slugs collide and linking makes them unique (base, base-2, ...).
    Then `duplicate_names` and `duplicate_ids` explicit-id entries each take
    the name or id of an entry in another group. The other files stay clean.
    """
    base = make_set(data_dir / ".base", base_key, instances, files)
    root = data_dir / key
    if root.exists():
        shutil.rmtree(root)
    base[0].rename(root)
    paths = [root / path.name for path in base[1]]
    texts = [path.read_text() for path in paths]
    derived_total = round(instances * derived_share)
    derived = 0
    for index in range(involved_files):
        count = (
            derived_total * (index + 1) // involved_files - derived_total * index // involved_files
        )
        entries = _entries(texts[index])
        chosen = {len(entries) * j // count: j for j in range(count)} if count else {}
        pieces, last = [], 0
        for position, match in enumerate(entries):
            if position not in chosen:
                continue
            name = _variant_name(index % group, f"{index // group:02d}{chosen[position]:02d}")
            pieces += [texts[index][last : match.start()], f"  - name: {name}\n"]
            last = match.end()
            derived += 1
        texts[index] = "".join(pieces) + texts[index][last:]
    # Pairs across groups, away from the derived entries (which sit at even spacing
    # from position 0): the explicit-id entries near the middle of each file.
    groups = max(1, involved_files // group)
    for kind, count in (("name", duplicate_names), ("id", duplicate_ids)):
        for k in range(count):
            here = (k * 7 + (3 if kind == "id" else 1)) % involved_files
            there = (here + group * (1 + k % max(1, groups - 1))) % involved_files
            sources = _entries(texts[there])
            source = sources[len(sources) // 2 - 1 - k]
            entries = _entries(texts[here])
            match = entries[len(entries) // 2 + 1 + k]
            new_id = source["id"] if kind == "id" else match["id"]
            new_name = source["name"] if kind == "name" else match["name"]
            replacement = f"  - id: {new_id}\n    name: {new_name}\n"
            texts[here] = texts[here][: match.start()] + replacement + texts[here][match.end() :]
    digest = hashlib.sha256()
    for path, text in zip(paths, texts, strict=True):
        data = text.encode()
        path.write_bytes(data)
        digest.update(data)
    involved = list(range(involved_files))
    return CrossSet(
        root,
        paths,
        digest.hexdigest()[:12],
        derived,
        duplicate_names,
        duplicate_ids,
        involved,
        [index for index in range(files) if index >= involved_files],
    )


def _entries(text: str) -> list[re.Match[str]]:
    """The instances of a generated file (not the definitions before them)."""
    return list(_ENTRY.finditer(text, text.index("\nproviders:\n")))


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
