"""Benchmark the registry against the targets of issue 3: open, writes, memory.

Run from the repository root:

    uv run python benchmarks/bench_registry.py             # the numbers in docs/performance.md
    uv run python benchmarks/bench_registry.py --quick     # 3 opens, 100 rounds, no 1,000 file
    uv run python benchmarks/bench_registry.py --profile   # plus cProfile of create/update/delete
    uv run python benchmarks/bench_registry.py --gc-freeze # what-if: gc.freeze() after open

Data (deterministic, bench_check.py's generator) goes to benchmarks/.data/registry/
(git-ignored; on the same disk as the repository, so fsync costs what it costs
there). It measures:

- `await ProviderRegistry.open([dir], audit=False)` in-process, median of 5
  after one warm-up, for 1,000 instances in 100 files, 10,000 in 100 files
  (100 per file) and 10,000 in 10 files (1,000 per file);
- create, update and delete latency through the registry (lock, validation,
  splice, verification, atomic write with fsync, reparse, commit), median and
  p95 over --ops rounds of create + update + delete on a file holding 100
  instances (so the file stays at 100-101 instances), in a 1,000 and a 10,000
  instance registry; and, for scale, a file holding 1,000 instances;
- the parts: the text splice alone, the atomic write alone, and a ruamel.yaml
  round-trip load + dump of the same files (what a write would cost without
  the splicer);
- CPU time (all threads) beside wall time, since a shared machine inflates
  the latter; the load average is printed at the start and the end;
- peak and resident memory after open in a fresh process for 0, 1,000, 5,000
  and 10,000 instances (100 files each), and the bytes per instance.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from _generate import (
    DATA_ROOT,
    filesystem,
    isolate_user_dirs,
    machine,
    make_set,
    ms,
    percentile,
    print_profile,
    proc_status,
    profiled_worker_threads,
    verdict,
)

DATA_DIR = DATA_ROOT / "registry"

OPEN_SETS = (
    # key, instances, files
    ("1k-100", 1_000, 100),
    ("10k-100", 10_000, 100),
    ("10k-10", 10_000, 10),
)
WRITE_SETS = (
    # key, instances, files, label
    ("1k-10", 1_000, 10, "100-instance file, 1,000 in registry"),
    ("10k-100", 10_000, 100, "100-instance file, 10,000 in registry"),
    ("10k-10", 10_000, 10, "1,000-instance file, 10,000 in registry"),
)
OPS = ("create", "update", "delete")
RSS_SETS = (
    ("empty", 0, 0),
    ("1k-100", 1_000, 100),
    ("5k-100", 5_000, 100),
    ("10k-100", 10_000, 100),
)


# --------------------------------------------------------------------------- open


async def _open(root: Path) -> Any:
    from provreg.registry import ProviderRegistry

    return await ProviderRegistry.open([str(root)], audit=False)


async def time_open(root: Path, runs: int) -> tuple[list[float], list[float], int]:
    """Wall and process CPU times (all threads) of `runs` opens, and the instance count."""
    registry = await _open(root)  # warm-up: imports, catalog, lazy pydantic schemas
    count = len(registry.snapshot().instances)
    del registry
    times, cpu = [], []
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        registry = await _open(root)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        del registry
    return times, cpu, count


# --------------------------------------------------------------------------- writes


@dataclass
class WriteResult:
    label: str
    file_instances: int
    file_bytes: int
    create: list[float] = field(default_factory=list)
    update: list[float] = field(default_factory=list)
    delete: list[float] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    """Process CPU time (all threads) per op: what the op costs without contention."""


async def _timed(times: list[float], cpu: list[float], call: Callable[[], Awaitable[Any]]) -> Any:
    start, start_cpu = time.perf_counter(), time.process_time()
    result = await call()
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
    return result


async def time_writes(
    root: Path,
    target: Path,
    label: str,
    ops: int,
    warmup: int,
    profile: bool,
    gc_freeze: bool = False,
) -> WriteResult:
    """Rounds of create (appended to `target`), update (round-robin over the file's
    original instances, one field) and delete (of the created one)."""
    registry = await _open(root)
    if gc_freeze:
        # What-if: move everything loaded to the permanent generation, so full
        # collections during the writes do not traverse it.
        gc.collect()
        gc.freeze()
    display = next(
        status.display
        for status in registry.snapshot().files.values()
        if os.path.realpath(status.path) == os.path.realpath(target)
    )
    originals = [instance.id for instance in registry.list(file=display)]
    result = WriteResult(label, len(originals), target.stat().st_size)
    profiler = cProfile.Profile() if profile else None
    worker = cProfile.Profile()
    with profiled_worker_threads(worker) if profile else contextlib.nullcontext([False]) as active:
        await _write_rounds(registry, target, originals, result, ops, warmup, profiler, active)
    if profiler is not None:
        title = f"{ops} create+update+delete rounds ({label})"
        print_profile(profiler, f"{title}, event loop thread")
        print_profile(worker, f"{title}, worker threads (storage)")
    return result


async def _write_rounds(
    registry: Any,
    target: Path,
    originals: list[str],
    result: WriteResult,
    ops: int,
    warmup: int,
    profiler: cProfile.Profile | None,
    recording: list[bool],
) -> None:
    for index in range(warmup + ops):
        record = index >= warmup
        recording[0] = record
        create: list[float] = result.create if record else []
        update: list[float] = result.update if record else []
        delete: list[float] = result.delete if record else []
        cpu = {op: result.cpu.setdefault(op, []) if record else [] for op in OPS}
        if profiler is not None and record:
            profiler.enable()
        created = await _timed(
            create,
            cpu["create"],
            partial(
                registry.create,
                "openai",
                f"Bench created {index:05d}",
                {"default_model": "gpt-4.1", "organization": "org-bench"},
                file=str(target),
            ),
        )
        victim = originals[index % len(originals)]
        await _timed(
            update,
            cpu["update"],
            partial(registry.update, victim, {"default_model": f"bench-model-{index}"}),
        )
        await _timed(delete, cpu["delete"], partial(registry.delete, created.id))
        if profiler is not None and record:
            profiler.disable()
    recording[0] = False


# --------------------------------------------------------------------------- parts


def median_time(call: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_parts(path: Path, scratch_dir: Path, runs: int, ruamel_runs: int) -> dict[str, float]:
    """Each piece of a write on one file's text, without the registry around it."""
    from ruamel.yaml import YAML

    from provreg.config.edit import InstanceKey, append_instance, delete_instance, update_instance
    from provreg.config.reading import parse_file
    from provreg.storage.atomic import atomic_write

    data = path.read_bytes()
    text = data.decode()
    parsed = parse_file(data, str(path), str(path), None)
    first = parsed.providers[len(parsed.providers) // 2].value
    key = InstanceKey(first["id"], first["name"])
    item = {"id": "bench-new", "name": "Bench new", "provider": "openai", "default_model": "x"}
    appended = append_instance(text, item)
    new_key = InstanceKey("bench-new", "Bench new")

    def ruamel_round_trip() -> None:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=2, sequence=4, offset=2)
        document = yaml.load(text)
        document["providers"][0]["default_model"] = "bench"
        yaml.dump(document, io.StringIO())

    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / "scratch.yaml"
    scratch.write_bytes(data)
    parts = {
        "splice update (parse, splice, verify)": median_time(
            lambda: update_instance(text, key, {"default_model": "bench"}), runs
        ),
        "splice append": median_time(lambda: append_instance(text, item), runs),
        "splice delete": median_time(lambda: delete_instance(appended, new_key), runs),
        "parse_file (one parse; a write reuses its verification parse)": median_time(
            lambda: parse_file(data, str(path), str(path), None), runs
        ),
        "atomic_write (temp, fsync, replace, dir fsync)": median_time(
            lambda: atomic_write(str(scratch), data), runs
        ),
        "ruamel.yaml round-trip load + edit + dump": median_time(
            ruamel_round_trip, ruamel_runs, warmup=1 if ruamel_runs > 1 else 0
        ),
    }
    return parts


# --------------------------------------------------------------------------- memory


def rss_child(root: str) -> None:
    """Run in a fresh process: open the registry, print memory as JSON."""
    import provreg.registry  # noqa: F401  (imports paid before the baseline)

    before = proc_status()
    if root:
        registry = anyio.run(_open, Path(root))
        count = len(registry.snapshot().instances)
    else:
        registry, count = None, 0
    gc.collect()
    after = proc_status()
    print(
        json.dumps(
            {
                "instances": count,
                "rss_before": before["VmRSS"],
                "rss": after["VmRSS"],
                "hwm": after["VmHWM"],
            }
        )
    )
    del registry


def measure_rss(root: Path | None) -> dict[str, int]:
    """Peak and resident memory of a fresh process that opened `root` (or nothing)."""
    script = Path(__file__).resolve()
    if root is None:
        # The same imports and an open of an empty directory: the fixed cost.
        root = DATA_DIR / "empty"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, str(script), "--rss-child", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="open runs per set (default 5)")
    parser.add_argument("--ops", type=int, default=120, help="write rounds on 100-instance files")
    parser.add_argument("--big-ops", type=int, default=20, help="rounds on the 1,000 file")
    parser.add_argument("--quick", action="store_true", help="fewer runs, no 1,000 file")
    parser.add_argument("--profile", action="store_true", help="cProfile the write rounds")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="what-if: gc.freeze() after open, before the write rounds",
    )
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return 0
    if args.quick:
        args.runs, args.ops, args.big_ops = 3, 100, 0

    started = time.perf_counter()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    isolate_user_dirs(DATA_DIR)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(f"data: {DATA_DIR} ({filesystem(DATA_DIR)}); gc enabled as in the app\n")

    roots: dict[str, tuple[Path, list[Path]]] = {}
    wanted = {s[0]: s[:3] for s in (*OPEN_SETS, *WRITE_SETS, *RSS_SETS[1:])}
    for key, instances, files in wanted.values():
        root, paths, digest = make_set(DATA_DIR, key, instances, files)
        roots[key] = (root, paths)
        print(f"set {key}: {instances:,} instances in {files} files, sha256 {digest}")

    # ---- open
    print(f"\nregistry open, in-process, median of {args.runs} after one warm-up")
    opened: dict[str, list[float]] = {}
    for key, instances, files in OPEN_SETS:
        root = roots[key][0]
        times, cpu, count = anyio.run(time_open, root, args.runs)
        assert count == instances, (key, count)
        opened[key] = times
        limit = 0.2 if instances <= 1_000 else 1.5
        med = statistics.median(times)
        print(
            f"  {instances:>6,} in {files:>3} files   median {ms(med, 0):>9}   "
            f"min {ms(min(times), 0):>9}   cpu median {ms(statistics.median(cpu), 0):>9}   "
            f"target < {ms(limit, 0)}: {med / limit:.2f}x of budget [{verdict(med, limit)}]"
        )

    # ---- writes
    print(
        f"\ncreate / update / delete through the registry (includes fsync), "
        f"{args.ops} rounds each after 5 warm-up rounds"
        + (" -- WHAT-IF: gc.freeze() after open" if args.gc_freeze else "")
    )
    write_results = []
    for key, _instances, _files, label in WRITE_SETS:
        big = key == "10k-10"
        ops = args.big_ops if big else args.ops
        if ops <= 0:
            continue
        root, paths = roots[key]
        # A scratch copy per run: the rounds leave the file as it was, but the
        # open and RSS sets must stay byte-identical to what was generated.
        work = DATA_DIR / f"writes-{key}"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(root, work)
        target = work / paths[len(paths) // 2].name
        result = anyio.run(
            time_writes,
            work,
            target,
            label,
            ops,
            2 if big else 5,
            args.profile and not big,
            args.gc_freeze,
        )
        if args.gc_freeze:
            gc.unfreeze()
        write_results.append(result)
        shutil.rmtree(work)
    header = (
        f"  {'file':<42}{'op':<8}{'median':>10}{'p95':>10}{'max':>10}"
        f"{'cpu med':>10}{'cpu p95':>10}   target p95 < 50 ms"
    )
    print(header)
    for result in write_results:
        for op in OPS:
            times = getattr(result, op)
            cpu = result.cpu[op]
            p95 = percentile(times, 95)
            target = (
                f"{p95 / 0.05:.2f}x of budget [{verdict(p95, 0.05)}]"
                if result.file_instances <= 100
                else "(no target: 1,000 in one file)"
            )
            print(
                f"  {result.label:<42}{op:<8}{ms(statistics.median(times)):>10}"
                f"{ms(p95):>10}{ms(max(times)):>10}{ms(statistics.median(cpu)):>10}"
                f"{ms(percentile(cpu, 95)):>10}   n={len(times)} {target}"
            )

    # ---- parts
    print("\nthe parts of a write on one file (no registry), median")
    part_files = [("100-instance file", roots["10k-100"][1][50], 15, 5)]
    if not args.quick:
        part_files.append(("1,000-instance file", roots["10k-10"][1][5], 5, 1))
    for label, path, runs, ruamel_runs in part_files:
        size = path.stat().st_size
        print(f"  {label} ({size:,} bytes):")
        for name, seconds in time_parts(path, DATA_DIR / "scratch", runs, ruamel_runs).items():
            print(f"    {name:<48}{ms(seconds):>12}")

    # ---- memory
    print("\nmemory after open, fresh process each (VmHWM peak, VmRSS after gc.collect)")
    rows = []
    for key, instances, _files in RSS_SETS:
        root = roots[key][0] if instances else None
        values = measure_rss(root)
        assert values["instances"] == instances, (key, values)
        rows.append(values)
    base = rows[0]
    print(
        f"  {'instances':>10}{'peak':>12}{'resident':>12}"
        f"{'resident - empty':>18}{'per instance':>14}"
    )
    for row in rows:
        extra = row["rss"] - base["rss"]
        per = f"{extra / row['instances']:,.0f} B" if row["instances"] else ""
        print(
            f"  {row['instances']:>10,}{row['hwm'] / 2**20:>10.1f} MB{row['rss'] / 2**20:>10.1f} MB"
            f"{extra / 2**20:>16.1f} MB{per:>14}"
        )
    # Linear fit of resident memory over the non-empty sets: slope and worst residual.
    points = [(row["instances"], row["rss"]) for row in rows[1:]]
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    intercept = mean_y - slope * mean_x
    worst = max(abs(y - (intercept + slope * x)) / y for x, y in points)
    peak_slope = (rows[-1]["hwm"] - rows[1]["hwm"]) / (rows[-1]["instances"] - rows[1]["instances"])
    print(
        f"  linear fit (1k..10k): {slope:,.0f} B per instance resident, fixed "
        f"{intercept / 2**20:.1f} MB, worst residual {worst:.1%}; peak grows "
        f"{peak_slope:,.0f} B per instance"
    )
    print(f"  target about 3 KB per instance: {slope / 3072:.2f}x")

    print(f"\nload average now {os.getloadavg()[0]:.2f}")
    print(f"total benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
