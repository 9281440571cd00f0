"""Benchmark live sync against the targets of issue 4: edit-to-store latency, idle CPU.

Run from the repository root:

    uv run python benchmarks/bench_sync.py            # the numbers in docs/performance.md
    uv run python benchmarks/bench_sync.py --quick    # 15 s idle window, fewer comparison edits
    uv run python benchmarks/bench_sync.py --profile  # only cProfile of reconcile and rescan

Data (deterministic, bench_check.py's generator) goes to benchmarks/.data/sync/
(git-ignored), not /tmp: editors and file systems behave differently in the
system temp directory, and these are meant to be the user's kind of files.

- Edit-to-store latency: a `SyncEngine` runs on the directory; the benchmark
  rewrites one file in place (open "w", write, close) with one instance's
  `name` changed, and measures from just after `close()` to the store commit
  that shows the new name (a `Store.subscribe` listener records
  `time.perf_counter()`). --edits edits after 5 warm-up ones, p50/p95, for
  10 files / 100 instances and 100 files / 1,000 instances. The wait before
  each edit is random (seeded, 30-80 ms) so edits land at every phase of the
  watcher's step loop. The time at which the engine receives the batch is
  recorded too (watchfiles' part of the latency).
- Idle CPU: the engine watching 1,000 files, nothing changing, `os.times()`
  of the whole process (all threads) over --idle seconds, and the same window
  split by thread from /proc/self/task/*/schedstat (nanoseconds): the event
  loop thread (the periodic check and full rescan) and the other threads
  (watchfiles' step loop; nothing else runs while idle). Plus the cost of one
  cheap check and one full rescan (stat of every file), the watcher alone with
  both off, and a plain scandir + stat walk of the same files for scale.
- The same latency for several debounce/step settings, with the idle CPU of
  the watcher alone for each, to justify the defaults in `SyncSettings`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import shutil
import statistics
import threading
import time
from dataclasses import dataclass, field
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
    profiled_worker_threads,
)

DATA_DIR = DATA_ROOT / "sync"
SEED = 20240604
LATENCY_SETS = (
    # key, instances, files
    ("10f-100", 100, 10),
    ("100f-1k", 1_000, 100),
)
IDLE_SET = ("1000f-1k", 1_000, 1_000)
COMPARED = (
    # debounce_ms, step_ms, label
    (1600, 50, "watchfiles defaults"),
    (100, 20, ""),
    (50, 10, "the old default"),
    (50, 7, ""),
    (50, 6, ""),
    (50, 5, ""),
    (20, 5, ""),
)


@dataclass
class Latency:
    label: str
    total: list[float] = field(default_factory=list)
    watch: list[float] = field(default_factory=list)
    """From close() to the engine receiving the batch (watchfiles' share)."""
    reconcile: list[float] = field(default_factory=list)
    """From the engine receiving the batch to the store commit (provreg's share)."""
    missed: int = 0
    batches: int = 0
    idle_cpu: float | None = None


class _Editor:
    """Rewrites files in place with one instance's name changed, and remembers
    what the store must show afterwards."""

    def __init__(self, files: list[Path], rng: random.Random) -> None:
        self.rng = rng
        self.files = files
        self.texts = {path: path.read_text() for path in files}
        self.count = 0

    def edit(self) -> tuple[str, str, float]:
        """Change one name; return (instance id, new name, perf_counter after close)."""
        path = self.rng.choice(self.files)
        lines = self.texts[path].split("\n")
        first = lines.index("providers:")  # not the `definitions:` above it
        starts = [i for i, line in enumerate(lines) if i > first and line.startswith("  - id: ")]
        index = self.rng.choice(starts)
        instance_id = lines[index].removeprefix("  - id: ").strip()
        name_line = lines[index + 1]
        assert name_line.startswith("    name: "), name_line
        base = name_line.removeprefix("    name: ").split(" edit ")[0]
        self.count += 1
        new_name = f"{base} edit {self.count}"
        lines[index + 1] = f"    name: {new_name}"
        text = "\n".join(lines)
        self.texts[path] = text
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return instance_id, new_name, time.perf_counter()


async def _open(root: Path) -> Any:
    from provreg.registry import ProviderRegistry

    return await ProviderRegistry.open([str(root)], audit=False)


def _thread_cpu_ns() -> dict[int, int]:
    """CPU time of each thread of this process in ns (schedstat), {} if unavailable."""
    times: dict[int, int] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return times
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as handle:
                times[int(tid)] = int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return times


async def _idle_cpu(seconds: float) -> dict[str, float]:
    """Share of one core the process used while sleeping `seconds`: `cpu` for all
    threads (os.times, 10 ms ticks), `loop` for the event loop thread and
    `threads` for all others (schedstat, ns; absent where unavailable)."""
    before, threads_before, wall = os.times(), _thread_cpu_ns(), time.perf_counter()
    await anyio.sleep(seconds)
    after, threads_after = os.times(), _thread_cpu_ns()
    elapsed = time.perf_counter() - wall
    used = (after.user - before.user) + (after.system - before.system)
    result = {"cpu": used / elapsed}
    if threads_after:
        loop_tid = threading.main_thread().native_id
        spent = {tid: ns - threads_before.get(tid, 0) for tid, ns in threads_after.items()}
        result["loop"] = spent.pop(loop_tid, 0) / 1e9 / elapsed
        result["threads"] = sum(spent.values()) / 1e9 / elapsed
    return result


async def measure_latency(
    root: Path,
    files: list[Path],
    debounce_ms: int,
    step_ms: int,
    edits: int,
    label: str,
) -> Latency:
    from provreg.sync import SyncEngine, SyncSettings

    registry = await _open(root)
    engine = SyncEngine(registry, SyncSettings(debounce_ms=debounce_ms, step_ms=step_ms))
    result = Latency(label)
    arrivals: list[float] = []
    apply_batch = engine.apply_batch

    async def timed_apply_batch(changes: Any) -> None:
        arrivals.append(time.perf_counter())
        await apply_batch(changes)

    engine.apply_batch = timed_apply_batch

    wanted: dict[str, Any] = {}

    def listener(instances: Any, _previous: Any) -> None:
        instance = instances.get(wanted.get("id"))
        if instance is not None and instance.name == wanted.get("name") and "at" not in wanted:
            wanted["at"] = time.perf_counter()
            wanted["event"].set()

    registry.store.subscribe(listener, lambda state: state.instances)
    rng = random.Random(f"{SEED}-{label}-{root.name}")
    editor = _Editor(files, rng)
    async with anyio.create_task_group() as group:
        await group.start(engine.run)
        await anyio.sleep(0.2)
        for index in range(5 + edits):
            await anyio.sleep(rng.uniform(0.03, 0.08))
            arrivals.clear()
            wanted.clear()
            wanted["event"] = anyio.Event()
            wanted["id"], wanted["name"], closed = editor.edit()
            with anyio.move_on_after(5):
                await wanted["event"].wait()
            if index < 5:
                continue
            if "at" not in wanted:
                result.missed += 1
                continue
            result.total.append(wanted["at"] - closed)
            if arrivals:
                result.watch.append(arrivals[0] - closed)
                result.reconcile.append(wanted["at"] - arrivals[0])
        result.batches = engine.stats.batches
        group.cancel_scope.cancel()
    return result


def stat_floor(root: Path, runs: int = 10) -> float:
    """Median time to walk `root` with scandir and stat every entry: what a stat
    rescan must cost at least, for comparison with the engine's."""

    def walk(directory: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path)
                else:
                    entry.stat()

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        walk(str(root))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure_idle(
    root: Path,
    seconds: float,
    rescans: int,
    rescan_s: float | None = None,
    debounce_ms: int | None = None,
    step_ms: int | None = None,
) -> dict[str, float]:
    from provreg.sync import SyncEngine, SyncSettings

    registry = await _open(root)
    settings = SyncSettings()
    settings = SyncSettings(
        debounce_ms=debounce_ms if debounce_ms is not None else settings.debounce_ms,
        step_ms=step_ms if step_ms is not None else settings.step_ms,
        rescan_s=rescan_s if rescan_s is not None else settings.rescan_s,
    )
    engine = SyncEngine(registry, settings)
    values: dict[str, float] = {"instances": len(registry.snapshot().instances)}
    async with anyio.create_task_group() as group:
        await group.start(engine.run)
        await anyio.sleep(1.0)
        for key, run in (("rescan", engine.rescan), ("check", engine.check)):
            times = []
            for _ in range(rescans):
                start = time.perf_counter()
                await run()
                times.append(time.perf_counter() - start)
            values[key] = statistics.median(times) if times else 0.0
        await anyio.sleep(1.0)
        before, checks_before = engine.stats.rescans, engine.stats.checks
        values.update(await _idle_cpu(seconds))
        values["rescans"] = engine.stats.rescans - before
        values["checks"] = engine.stats.checks - checks_before
        values["reloads"] = engine.stats.reloads
        values["period"] = engine.settings.rescan_s
        values["full_period"] = engine.settings.full_rescan_s
        group.cancel_scope.cancel()
    return values


async def profile_sync(root: Path, files: list[Path], edits: int, idle_root: Path) -> None:
    """cProfile of the reconcile (batches handed to the engine directly, no watcher)
    and of the periodic rescan."""
    import watchfiles

    from provreg.sync import SyncEngine, SyncSettings

    registry = await _open(root)
    engine = SyncEngine(registry, SyncSettings())
    editor = _Editor(files, random.Random(SEED))
    loop, worker = cProfile.Profile(), cProfile.Profile()
    times = []
    with profiled_worker_threads(worker) as active:
        for index in range(2 * edits):
            profiling = index >= edits  # first unprofiled, for the timing
            active[0] = profiling
            instance_id, name, _closed = editor.edit()
            path = next(p for p, text in editor.texts.items() if f"name: {name}\n" in text)
            if profiling:
                loop.enable()
            start = time.perf_counter()
            await engine.apply_batch({(watchfiles.Change.modified, str(path))})
            if profiling:
                loop.disable()
            else:
                times.append(time.perf_counter() - start)
            assert registry.get(instance_id).name == name
    title = f"{edits} reconciles of a one-file batch ({root.name})"
    print(
        f"\nreconcile alone (no watcher, no profiler), {edits} one-file batches: "
        f"median {ms(statistics.median(times))}, p95 {ms(percentile(times, 95))}"
    )
    print_profile(loop, f"{title}, event loop thread")
    print_profile(worker, f"{title}, worker threads")

    registry = await _open(idle_root)
    engine = SyncEngine(registry, SyncSettings())
    await engine.rescan()
    rescans = cProfile.Profile()
    rescans.enable()
    for _ in range(10):
        await engine.rescan()
    rescans.disable()
    print_profile(rescans, f"10 rescans of {len(registry.storage.files()):,} files")


def _row(result: Latency, label: str, target: bool) -> str:
    p50, p95 = percentile(result.total, 50), percentile(result.total, 95)
    watch = (
        f"{ms(percentile(result.watch, 50)):>9}{ms(percentile(result.watch, 95)):>9}"
        f"{ms(percentile(result.reconcile, 50)):>9}{ms(percentile(result.reconcile, 95)):>9}"
        if result.watch
        else f"{'-':>9}{'-':>9}{'-':>9}{'-':>9}"
    )
    text = (
        f"  {label:<34}{len(result.total):>5}{ms(p50):>9}{ms(p95):>9}"
        f"{ms(max(result.total)):>10}{watch}"
    )
    if result.missed:
        text += f"  {result.missed} MISSED (no commit within 5 s)"
    if target:
        good = p50 < 0.02 and p95 < 0.05 and not result.missed
        text += f"   {p50 / 0.02:.2f}x / {p95 / 0.05:.2f}x of budget [{'ok' if good else 'MISSED'}]"
    if result.idle_cpu is not None:
        text += f"   idle {result.idle_cpu:.2%} of a core (schedstat)"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--edits", type=int, default=200, help="edits per latency run")
    parser.add_argument("--idle", type=float, default=60.0, help="idle window in seconds")
    parser.add_argument(
        "--compare-edits", type=int, default=200, help="edits per debounce/step setting"
    )
    parser.add_argument(
        "--compare-idle", type=float, default=10.0, help="idle window per setting (0: skip)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="idle 15 s, 100 edits per compared setting"
    )
    parser.add_argument(
        "--profile", action="store_true", help="only cProfile the reconcile and the rescan"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.idle, args.compare_edits, args.compare_idle = 15.0, 100, 5.0

    started = time.perf_counter()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    isolate_user_dirs(DATA_DIR)
    from provreg.sync import SyncSettings

    defaults = SyncSettings()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"data: {DATA_DIR} ({filesystem(DATA_DIR)}); SyncSettings defaults: debounce "
        f"{defaults.debounce_ms} ms, step {defaults.step_ms} ms, check every "
        f"{defaults.rescan_s:g} s, full rescan every {defaults.full_rescan_s:g} s\n"
    )
    sets = {}
    for key, instances, files in (*LATENCY_SETS, IDLE_SET):
        root, paths, digest = make_set(DATA_DIR, key, instances, files)
        sets[key] = (root, paths)
        print(f"set {key}: {instances:,} instances in {files} files, sha256 {digest}")
    if args.profile:
        root, paths = sets[LATENCY_SETS[1][0]]
        anyio.run(profile_sync, root, paths, 50, sets[IDLE_SET[0]][0])
        return 0

    header = (
        f"  {'':<34}{'n':>5}{'p50':>9}{'p95':>9}{'max':>10}{'watch50':>9}{'watch95':>9}"
        f"{'recon50':>9}{'recon95':>9}"
        "   target p50 < 20 ms, p95 < 50 ms"
    )
    print(
        f"\nedit-to-store latency, debounce {defaults.debounce_ms} / step {defaults.step_ms}"
        " (watch: close() to the engine receiving the batch; recon: from there to the commit)"
    )
    print(header)
    for key, instances, files in LATENCY_SETS:
        root, paths, _ = make_set(DATA_DIR, key, instances, files)
        result = anyio.run(
            measure_latency,
            root,
            paths,
            defaults.debounce_ms,
            defaults.step_ms,
            args.edits,
            key,
        )
        print(_row(result, f"{files} files / {instances:,} instances", True), flush=True)

    print(f"\nidle, {IDLE_SET[2]:,} files watched, {args.idle:g} s window, default settings")
    idle = anyio.run(measure_idle, sets[IDLE_SET[0]][0], args.idle, 10)
    print(
        f"  CPU {idle['cpu']:.2%} of a core (target < 1%: {idle['cpu'] / 0.01:.2f}x of budget "
        f"[{'ok' if idle['cpu'] < 0.01 else 'MISSED'}]); {idle['checks']:.0f} checks, "
        f"{idle['rescans']:.0f} full rescans, {idle['reloads']:.0f} reloads in the window"
    )
    if "loop" in idle:
        total = idle["loop"] + idle["threads"]
        print(
            f"  by thread (schedstat): {total:.3%} = event loop {idle['loop']:.3%} (checks, "
            f"full rescans, GC) + other threads {idle['threads']:.3%} (the watcher's step loop)"
        )
    quiet_s = max(15.0, args.idle / 4)
    watcher = anyio.run(measure_idle, sets[IDLE_SET[0]][0], quiet_s, 0, 1e9)
    print(
        f"  the watcher alone (check and full rescan off), {quiet_s:g} s: {watcher['cpu']:.2%} "
        f"of a core"
        + (f" (schedstat {watcher['loop'] + watcher['threads']:.3%})" if "loop" in watcher else "")
    )
    print(
        f"  one cheap check: median {ms(idle['check'], 3)} (every {idle['period']:g} s = "
        f"{idle['check'] / idle['period']:.3%} of a core, warm); one full rescan of "
        f"{IDLE_SET[2]:,} files: median {ms(idle['rescan'], 2)} (every {idle['full_period']:g} s "
        f"= {idle['rescan'] / idle['full_period']:.3%}, warm); scandir + stat of the same "
        f"files: {ms(stat_floor(sets[IDLE_SET[0]][0]), 2)}"
    )

    print(
        f"\ndebounce/step settings, {LATENCY_SETS[1][2]} files / {LATENCY_SETS[1][1]:,} "
        f"instances, {args.compare_edits} edits each"
        + (
            f"; idle: the watcher alone (rescan off), {IDLE_SET[2]:,} files, "
            f"{args.compare_idle:g} s"
            if args.compare_idle
            else ""
        )
    )
    print(header.replace("   target p50 < 20 ms, p95 < 50 ms", ""))
    for debounce, step, note in COMPARED:
        root, paths, _ = make_set(DATA_DIR, *LATENCY_SETS[1])  # every run from the same bytes
        result = anyio.run(
            measure_latency, root, paths, debounce, step, args.compare_edits, f"{debounce}/{step}"
        )
        if args.compare_idle:
            idle_root = sets[IDLE_SET[0]][0]
            quiet = anyio.run(measure_idle, idle_root, args.compare_idle, 0, 1e9, debounce, step)
            result.idle_cpu = quiet["loop"] + quiet["threads"] if "loop" in quiet else quiet["cpu"]
        if (debounce, step) == (defaults.debounce_ms, defaults.step_ms):
            note = "the default"
        label = f"{debounce}/{step}" + (f" ({note})" if note else "")
        print(_row(result, label, False), flush=True)

    # Leave the generated files as generated for the next run's digest check.
    for key in sets:
        shutil.rmtree(DATA_DIR / key)
    print(f"\nload average now {os.getloadavg()[0]:.2f}")
    print(f"total benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
