"""Benchmark one-field updates: a write must cost what the edit costs.

Run from the repository root:

    uv run python benchmarks/bench_writes.py            # 10, 100, 1,000, 5,000 and the cross case
    uv run python benchmarks/bench_writes.py --quick    # fewer rounds
    uv run python benchmarks/bench_writes.py --profile  # plus cProfile of the storage thread
    uv run python benchmarks/bench_writes.py --full-way # every update verified/revalidated whole
    uv run python benchmarks/bench_writes.py --adding   # updates that add a line (those below move)
    uv run python benchmarks/bench_writes.py --first-write  # the first update after an open

For a registry of one file holding 10, 100, 1,000 and 5,000 instances
(bench_check.py's generator, so comments, secret references and several
providers), and for the 10k-100-cross-g80 set of bench_registry.py --cross (a
derived-id base shared by 80 files; the update is of an explicit-id instance of
providers-005.yaml, which is involved in the findings; and first edits of
derived-id instances, round-robin over the 80 files, each of which writes the
id into the file), it times
`await registry.update(id, {"default_model": ...})` in-process, round-robin
over the file's explicit-id instances that have that field (`--adding`: those
that do not, so each update adds a line), and prints p50 and p95 of wall and CPU time with the
target beside each. So that the numbers mean something on any machine, each
line also gives the ratio to a baseline measured in the same run: the median
time of `yaml.load(text, Loader=yaml.CSafeLoader)` of the written file (the
cheapest full parse of it there is), wall time and CPU time (on a shared
machine the CPU ratio is the steadier one; the wall time of a write also holds
its two fsyncs).

`--first-write` times instead the first update of a file after the registry
opened it (each `provreg edit` process, the dashboard's first edit of each
file): a fresh registry per round (its open not timed), one update timed, at
1,000 and 5,000 instances. Two rows per size, their rounds interleaved:
"before" drops the item indexes the open kept (as when only the registry's own
writes had one: the first write was verified, revalidated and relinked
whole), "after" is the write as the registry makes it. `--full-way` does not
apply to these rows ("before" is that path for a first write).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import shutil
import statistics
import time
from pathlib import Path

import anyio
import yaml
from _generate import (
    DATA_ROOT,
    isolate_user_dirs,
    machine,
    make_cross_set,
    make_set,
    ms,
    percentile,
    print_profile,
    profiled_worker_threads,
    verdict,
)

DATA_DIR = DATA_ROOT / "writes"

# key, instances in the one file, target p95 in seconds (None: no target)
SIZES = (
    ("w10", 10, None),
    ("w100", 100, None),
    ("w1k", 1_000, 0.020),
    ("w5k", 5_000, 0.050),
)
CROSS_TARGET = 0.050
CROSS_FILE = 5  # as bench_registry.py --cross: derived ids, a duplicate name, linked to others


def baseline(path: Path, runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU time of the cheapest full parse of the file (libyaml,
    no positions)."""
    text = path.read_text()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        yaml.load(text, Loader=yaml.CSafeLoader)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


async def time_updates(
    root: Path, target: Path, rounds: int, warmup: int, profile: bool, adding: bool = False
) -> tuple[list[float], list[float]]:
    """Wall and CPU times of `rounds` one-field updates of instances of `target`."""
    from provreg.registry import ProviderRegistry

    registry = await ProviderRegistry.open([str(root)], audit=False)
    display = next(
        status.display
        for status in registry.snapshot().files.values()
        if os.path.realpath(status.path) == os.path.realpath(target)
    )
    # Explicit ids (a first edit of a derived id pins it: a line more). By
    # default the instances that have the field (its value is replaced);
    # with `adding`, those that do not (a line is added: every instance below
    # the edit moves, so the first instances are edited: the worst case).
    ids = [
        i.id
        for i in registry.instances(file=display)
        if not i.id_derived and ("default_model" in i.values) != adding
    ]
    wall: list[float] = []
    cpu: list[float] = []
    worker = cProfile.Profile()
    with profiled_worker_threads(worker) as active:
        for index in range(warmup + rounds):
            active[0] = profile and index >= warmup
            instance_id = ids[index * 7 % len(ids)]
            if adding:  # a new instance each round: a field is added once
                instance_id = ids[index % len(ids)]
            start, start_cpu = time.perf_counter(), time.process_time()
            await registry.update(instance_id, {"default_model": f"bench-model-{index}"})
            if index >= warmup:
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
    if profile:
        print_profile(worker, f"{rounds} updates of {target.name}, storage thread")
    return wall, cpu


async def time_pins(root: Path, rounds: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of `rounds` first edits of derived-id instances, each
    of which writes `id:` into its file (a line more), round-robin over the files."""
    from provreg.registry import ProviderRegistry

    registry = await ProviderRegistry.open([str(root)], audit=False)
    by_file: dict[str, list[str]] = {}
    for instance in registry.snapshot().instances.values():
        if instance.id_derived:
            by_file.setdefault(instance.file, []).append(instance.id)
    queues = list(by_file.values())
    order = [q[k] for k in range(max(map(len, queues))) for q in queues if k < len(q)]
    wall: list[float] = []
    cpu: list[float] = []
    for index, instance_id in enumerate(order[: warmup + rounds]):
        start, start_cpu = time.perf_counter(), time.process_time()
        await registry.update(instance_id, {"default_model": f"pinned-{index}"})
        if index >= warmup:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return wall, cpu


async def time_first_writes(
    root: Path, target: Path, rounds: int, warmup: int
) -> dict[bool, tuple[list[float], list[float]]]:
    """Wall and CPU times of the first update after an open, each round on a
    fresh registry, without (False) and with (True) the indexes the open kept;
    the two interleaved so a busy moment of the machine hits both."""
    from provreg.registry import ProviderRegistry
    from provreg.storage.yaml_dir import YamlDirectoryStorage

    times: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    for index in range(warmup + rounds):
        for kept in (False, True):
            registry = await ProviderRegistry.open([str(root)], audit=False)
            storage = registry.storage
            assert isinstance(storage, YamlDirectoryStorage)
            if not kept:
                storage._item_indexes.clear()
            ids = [
                i.id
                for i in registry.instances()
                if not i.id_derived and "default_model" in i.values
            ]
            instance_id = ids[index * 7 % len(ids)]
            gc.collect()  # the last round's registry, not this update's garbage
            start, start_cpu = time.perf_counter(), time.process_time()
            await registry.update(instance_id, {"default_model": f"first-{index}-{kept}"})
            if index >= warmup:
                times[kept][0].append(time.perf_counter() - start)
                times[kept][1].append(time.process_time() - start_cpu)
            del registry, storage
    return times


def full_way() -> None:
    """Every update the full way: what a write cost before the local paths."""
    from provreg.registry.relink import LinkCache
    from provreg.storage.yaml_dir import YamlDirectoryStorage

    YamlDirectoryStorage._local_edit = lambda *args: None  # type: ignore[method-assign]
    LinkCache._relink_in_place = lambda *args: None  # type: ignore[method-assign]


def report(
    label: str, target: Path, wall: list[float], cpu: list[float], limit: float | None
) -> None:
    base, base_cpu = baseline(target)
    p50, p95 = statistics.median(wall), percentile(wall, 95)
    cpu95 = percentile(cpu, 95)
    goal = f"p95 < {ms(limit, 0)}: {verdict(p95, limit)}" if limit else "no target"
    print(
        f"  {label:<32}{ms(p50):>10}{ms(p95):>10}{ms(statistics.median(cpu)):>10}{ms(cpu95):>10}"
        f"{ms(base, 2):>11}{ms(base_cpu, 2):>11}{p95 / base:>8.2f}x{cpu95 / base_cpu:>8.2f}x"
        f"   {goal}"
    )


def header(title: str) -> None:
    print(f"{title}; {machine()}")
    print(
        "  baseline b: yaml.load(text, Loader=yaml.CSafeLoader) of the file, wall and CPU;"
        " p95/b = p95 / b wall, cpu/b = cpu p95 / b cpu"
    )
    print(
        f"  {'file':<32}{'p50':>10}{'p95':>10}{'cpu p50':>10}{'cpu p95':>10}"
        f"{'b wall':>11}{'b cpu':>11}{'p95/b':>9}{'cpu/b':>9}"
    )


def first_writes(args: argparse.Namespace) -> None:
    """The `--first-write` rows (see the module docstring)."""
    rounds = 10 if args.quick else args.rounds or 20
    isolate_user_dirs(DATA_DIR)
    header(f"first update of a file after an open, a fresh registry per round, {rounds} rounds")
    for key, instances, _ in SIZES:
        if instances < 1_000 or (args.only and key not in args.only):
            continue
        root, paths, _ = make_set(DATA_DIR, key, instances, 1)
        times = anyio.run(time_first_writes, root, paths[0], rounds, 2)
        for kept, label in ((False, "before"), (True, "after")):
            wall, cpu = times[kept]
            report(f"first write, {instances:,}: {label}", paths[0], wall, cpu, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="default 60 (--first-write: 20)")
    parser.add_argument("--quick", action="store_true", help="20 rounds")
    parser.add_argument("--profile", action="store_true", help="cProfile the storage thread")
    parser.add_argument("--only", choices=[key for key, _, _ in SIZES] + ["cross"], nargs="*")
    parser.add_argument(
        "--full-way",
        action="store_true",
        help="switch off the local paths (item verify, item revalidation, relink in place): "
        "every update verified, revalidated and relinked whole, as before them",
    )
    parser.add_argument(
        "--adding",
        action="store_true",
        help="add the field to instances without it (a line more: the instances below move)",
    )
    parser.add_argument(
        "--first-write",
        action="store_true",
        help="only the first update after an open (a fresh registry per round, 1,000 and "
        "5,000 instances), without (before) and with (after) the item indexes the open keeps",
    )
    args = parser.parse_args()
    if args.first_write:
        first_writes(args)
        return
    rounds = 20 if args.quick else args.rounds or 60
    if args.full_way:
        full_way()
    isolate_user_dirs(DATA_DIR)
    way = "the full way (--full-way)" if args.full_way else "as the registry makes them"
    header(f"one-field updates through the registry, {way}, {rounds} rounds")
    for key, instances, limit in SIZES:
        if args.only and key not in args.only:
            continue
        root, paths, _ = make_set(DATA_DIR, key, instances, 1)
        wall, cpu = anyio.run(time_updates, root, paths[0], rounds, 3, args.profile, args.adding)
        report(f"1 file of {instances:,} instances", paths[0], wall, cpu, limit)
    if not args.only or "cross" in args.only:
        made = make_cross_set(
            DATA_DIR,
            "10k-100-cross-g80",
            "10k-100",
            10_000,
            100,
            involved_files=80,
            group=80,
            derived_share=0.1,
            duplicate_names=5,
            duplicate_ids=3,
        )
        target = made.paths[CROSS_FILE]
        wall, cpu = anyio.run(time_updates, made.root, target, rounds, 3, args.profile, args.adding)
        report("cross: base shared by 80 files", target, wall, cpu, CROSS_TARGET)
        # Warm-up: one pin per file, so each file's first write (read, not yet
        # written by the registry: the full way) is not timed.
        wall, cpu = anyio.run(time_pins, made.root, rounds, 100)
        report("cross: first edit pins a derived id", target, wall, cpu, CROSS_TARGET)
        shutil.rmtree(made.root)


if __name__ == "__main__":
    main()
