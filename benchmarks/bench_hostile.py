"""What one hostile file costs `provreg --check`, next to a good one (issue 11).

Run from the repository root:

    uv run python benchmarks/bench_hostile.py            # 5 runs per file
    uv run python benchmarks/bench_hostile.py --runs 9

It writes these files under benchmarks/.data/hostile/ (git-ignored), each
checked alone by a fresh `python -m provreg --check FILE` process:

- `good-100.yaml`: 100 valid instances (the baseline);
- `flood-list.yaml`: 800 KB, `providers:` a list of 400,000 numbers (one
  E101 each before the cap: 7-11 s, 0.7-1.3 GB and 58-115 MB of output);
- `flood-instances.yaml`: 800 KB, a list of 266,666 empty mappings (two
  E202 each);
- `hex-50000.yaml`, `base60-20000.yaml`: one whole number of 50,000 hex
  digits / 20,000 base-60 parts (a traceback before E013).

For each it prints the median wall and CPU (user + system) seconds of the
process, its peak RSS (from wait4, so the process alone), the bytes written
to stdout, and the ratios of CPU and RSS to the good file. The targets: under
a second and 200 MB for the flood files. Wall time on a busy machine swings;
CPU time and RSS are the steadier figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "benchmarks" / ".data" / "hostile"
TARGET_SECONDS = 1.0
TARGET_RSS_MB = 200


def _instance(index: int) -> str:
    return (
        f"  - id: inst-{index}\n    name: Instance {index}\n    provider: openai\n"
        "    default_model: gpt-4.1\n    max_retries: 3\n"
    )


def write_files(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    texts = {
        "good-100": "version: 1\nproviders:\n" + "".join(_instance(i) for i in range(100)),
        "flood-list": "version: 1\nproviders: [" + ",".join(["1"] * 400_000) + "]\n",
        "flood-instances": "version: 1\nproviders: [" + ",".join(["{}"] * 266_666) + "]\n",
        "hex-50000": _one_value("0x" + "f" * 50_000),
        "base60-20000": _one_value(":".join(["1"] + [str(i % 60) for i in range(1, 20_000)])),
    }
    paths = {}
    for name, text in texts.items():
        path = directory / f"{name}.yaml"
        path.write_text(text)
        paths[name] = path
    return paths


def _one_value(value: str) -> str:
    return (
        "version: 1\nproviders:\n  - id: work\n    name: Work\n    provider: openai\n"
        f"    max_retries: {value}\n"
    )


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    output: int
    exit_code: int


def check_once(path: Path) -> Run:
    """One `python -m provreg --check PATH`, measured by wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "provreg", "--check", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = len(process.stdout.read())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,  # KiB on Linux
        output,
        process.returncode,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per file (median shown)")
    args = parser.parse_args(argv)
    paths = write_files(DATA_DIR)
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    print(f"{args.runs} runs per file; medians\n")
    header = (
        f"{'file':<17}{'bytes':>10}{'exit':>5}{'wall s':>8}{'cpu s':>8}{'rss MB':>8}"
        f"{'stdout':>9}{'cpu x':>7}{'rss x':>7}"
    )
    print(header)
    baseline: tuple[float, float] | None = None
    failed = False
    for name, path in paths.items():
        runs = [check_once(path) for _ in range(args.runs)]
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        rss = statistics.median(r.rss_mb for r in runs)
        if baseline is None:
            baseline = (cpu, rss)
        print(
            f"{name:<17}{path.stat().st_size:>10,}{runs[0].exit_code:>5}{wall:>8.2f}{cpu:>8.2f}"
            f"{rss:>8.1f}{runs[0].output:>9,}{cpu / baseline[0]:>7.2f}{rss / baseline[1]:>7.2f}"
        )
        if name.startswith("flood") and (cpu > TARGET_SECONDS or rss > TARGET_RSS_MB):
            failed = True
    print(f"\ntargets for the flood files: cpu < {TARGET_SECONDS} s, rss < {TARGET_RSS_MB} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
