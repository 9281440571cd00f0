"""Scale: what each size costs, every figure beside a baseline from the same run.

Prints, on one machine in one run:

- the machine and its speed: a yardstick (libyaml's CSafeLoader parsing the
  1,000-instance set, in-process), so figures from two machines can be compared;
- start-up: `provreg --version` against `python -c pass`, and a cold
  `provreg --check` of 100 instances against the floor (a Python script that
  loads the same files with CSafeLoader), each as a ratio with its target
  (within 2x);
- a growth table from 100 to 100,000 instances (1,000 per file, as teams
  generate them): cold `--check` time and peak memory (KB per instance; target
  <= 2.5 KB at 100,000), registry open time and peak memory, and the p50/p95 of
  a one-field update through the registry (in a 1,000-instance file once the
  set has one).

Each size runs in fresh processes (`provreg --check` as users run it; the
registry in a child that prints JSON), so one size's memory never shows in
another's. The data comes from bench_check.py's generator under
benchmarks/.data/scale/ (git-ignored). About 3 minutes on an idle 2-core
machine; `--sizes 100,1000,10000` for a quick look.

    uv run python benchmarks/bench_scale.py [--sizes 100,1000,10000,100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _generate import machine, percentile  # noqa: E402
from bench_check import (  # noqa: E402
    DataSet,
    Timing,
    cached_bytecode_env,
    generate,
    time_call,
    time_process,
)

DATA_DIR = Path(__file__).resolve().parent / ".data" / "scale"
PER_FILE = 1_000
SIZES = (100, 1_000, 10_000, 100_000)
STARTUP_TARGET = 2.0
MEMORY_TARGET_KB = 2.5

FLOOR_SCRIPT = textwrap.dedent(
    """
    import os, sys, yaml
    for root in sys.argv[1:]:
        for name in sorted(os.listdir(root)):
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(root, name), "rb") as stream:
                    yaml.load(stream, Loader=yaml.CSafeLoader)
    """
)
"""The floor of a cold check: Python, PyYAML and libyaml reading the same files."""

REGISTRY_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    import anyio
    from provreg.registry import ProviderRegistry

    def status():
        values = {}
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith("Vm") and line.endswith(" kB\\n"):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0])
        return values

    async def main(root, target, updates):
        before = status()["VmRSS"]
        start = time.perf_counter()
        registry = await ProviderRegistry.open([root], audit=False)
        opened = time.perf_counter() - start
        after = status()
        ids = [i.id for i in registry.instances() if os.path.realpath(i.file) == target]
        times = []
        for index in range(updates):
            victim = ids[(index * 37) % len(ids)]
            start = time.perf_counter()
            await registry.update(victim, {"default_model": f"scale-model-{index}"})
            times.append(time.perf_counter() - start)
        print(json.dumps({"open": opened, "rss_before": before, "rss": after["VmRSS"],
                          "hwm": after["VmHWM"], "instances": len(registry.snapshot().instances),
                          "updates": times[3:]}))

    anyio.run(main, sys.argv[1], os.path.realpath(sys.argv[2]), int(sys.argv[3]))
    """
)
"""Opens the registry (timed, with its memory), then updates one field of
instances of one file, round robin; the first three updates warm up."""


def data_set(instances: int) -> DataSet:
    files = max(1, instances // PER_FILE)
    return DataSet(f"{instances}", f"{instances:,} in {files} files", instances, files)


def yardstick(files: list[Path], runs: int) -> Timing:
    import yaml

    texts = [path.read_bytes() for path in files]

    def parse() -> None:
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)

    return time_call(parse, runs)


def alternating(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[Timing]:
    """Each command's timing, the commands run in turn, one run each per round:
    a figure and its baseline see the same moments of a shared machine."""
    timings = [Timing() for _ in commands]
    for _ in range(runs):
        for command, timing in zip(commands, timings, strict=True):
            one = time_process(command, 1, env)
            timing.wall.extend(one.wall)
            timing.cpu.extend(one.cpu)
    return timings


def ratio_line(label: str, figure: Timing, baseline: Timing, target: float) -> str:
    ratio = figure.median / baseline.median
    verdict = "ok" if ratio <= target else "MISSED"
    return (
        f"  {label:<44} {figure.median * 1000:8.1f} ms (CPU {figure.cpu_median * 1000:6.1f})"
        f"  baseline {baseline.median * 1000:7.1f} ms  ratio {ratio:4.2f}  "
        f"target <= {target:g}x: {verdict}"
    )


def peak_rss_kb(command: list[str], env: dict[str, str]) -> int:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, _, usage = os.wait4(process.pid, 0)
    return int(usage.ru_maxrss)


def registry_child(root: Path, target: Path, updates: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", REGISTRY_CHILD, str(root), str(target), str(updates)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in SIZES),
        help="instance counts of the growth table (default 100,1000,10000,100000)",
    )
    parser.add_argument("--runs", type=int, default=7, help="cold process runs (default 7)")
    parser.add_argument("--updates", type=int, default=43, help="timed updates + 3 warm-ups")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = cached_bytecode_env(DATA_DIR)
    for name in ("XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        path = DATA_DIR / "xdg" / name.lower()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[name] = str(path)
    provreg = str(Path(sys.executable).parent / "provreg")
    python = sys.executable

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    one_k, one_k_files, _ = generate(DATA_DIR, DataSet("yardstick", "1,000 in 10", 1_000, 10))
    stick = yardstick(one_k_files, max(args.runs, 9))
    print(
        f"yardstick: libyaml (CSafeLoader) parses the 1,000-instance set in "
        f"{stick.median * 1000:.1f} ms (median of {len(stick.wall)})"
    )

    print(
        "\nstart-up (cold processes, alternating run by run, medians; .pyc files cached as "
        "after a first run)"
    )
    hundred, _, _ = generate(DATA_DIR, DataSet("startup-100", "100 in 10 files", 100, 10))
    for command in (
        [python, "-c", "pass"],
        [provreg, "--version"],
        [provreg, "--check", str(hundred)],
    ):
        time_process(command, 2, env)  # warm the .pyc cache and the page cache
    nothing, version, floor, check = alternating(
        [
            [python, "-c", "pass"],
            [provreg, "--version"],
            [python, "-c", FLOOR_SCRIPT, str(hundred)],
            [provreg, "--check", str(hundred)],
        ],
        args.runs * 3,
        env,
    )
    print(ratio_line("provreg --version vs python -c pass", version, nothing, STARTUP_TARGET))
    print(ratio_line("provreg --check (100 in 10 files) vs floor", check, floor, STARTUP_TARGET))

    print(
        "\ngrowth (1,000 instances per file; check: cold process; open and updates: "
        "in a fresh process)"
    )
    header = (
        f"  {'instances':>9}  {'check':>9}  {'check CPU':>9}  {'check peak':>10}  {'KB/inst':>7}"
        f"  {'open':>9}  {'open peak':>9}  {'update p50':>10}  {'update p95':>10}"
    )
    print(header)
    for size in sizes:
        root, files, _ = generate(DATA_DIR, data_set(size))
        runs = args.runs if size <= 10_000 else 3
        command = [provreg, "--check", str(root)]
        time_process(command, 1, env)
        timing = time_process(command, runs, env)
        peak = statistics.median(peak_rss_kb(command, env) for _ in range(min(runs, 3)))
        target = files[len(files) // 2]
        child = registry_child(root, target, args.updates + 3, env)
        updates = child["updates"]
        per_instance = peak / size
        memory_note = ""
        if size >= 100_000:
            memory_note = f"  (target <= {MEMORY_TARGET_KB} KB: " + (
                "ok)" if per_instance <= MEMORY_TARGET_KB else "MISSED)"
            )
        print(
            f"  {size:>9,}  {timing.median * 1000:7.0f} ms  {timing.cpu_median * 1000:7.0f} ms"
            f"  {peak / 1024:7.0f} MB  {per_instance:7.2f}"
            f"  {child['open'] * 1000:7.0f} ms  {child['hwm'] / 1024:6.0f} MB"
            f"  {percentile(updates, 50) * 1000:7.1f} ms  {percentile(updates, 95) * 1000:7.1f} ms"
            f"{memory_note}"
        )
        time.sleep(0.5)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
