"""Benchmark `provreg export` and `provreg import --dry-run` for every tool.

Run from the repository root:

    uv run python benchmarks/bench_interop.py            # 1,000 instances in 10 files
    uv run python benchmarks/bench_interop.py --instances 100

It generates a deterministic registry with bench_check.py's generator under
benchmarks/.data/interop/ (git-ignored), then for each tool times, in this
process (median of --runs after one warm-up): the export of every instance
(`cmd_export` to a file), and the import of that file back with `--dry-run`
into the same registry (every entry matched, nothing written). The import's
time includes loading the registry; so does the export's. No keyring is
asked: the generated keys are env and file references or keyring defaults
(an export reads only provreg's index; the dry run compares references).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

from _generate import DATA_ROOT, isolate_user_dirs, machine, make_set, ms

from provreg.cli import main
from provreg.interop.tools import TOOL_NAMES

DATA = DATA_ROOT / "interop"


def timed(argv: list[str], runs: int) -> tuple[float, int, str]:
    """Median seconds of `provreg ARGV` in this process, its exit code and last stdout line."""
    times = []
    code = 0
    last = ""
    for _ in range(runs + 1):  # the first run warms imports and caches
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        times.append(time.perf_counter() - start)
        lines = (out.getvalue() or err.getvalue()).strip().splitlines()
        last = lines[-1] if lines else ""
    return statistics.median(times[1:]), code, last


def run(instances: int, files: int, runs: int) -> None:
    isolate_user_dirs(DATA)
    config, _, digest = make_set(DATA, f"i{instances}", instances, files)
    print(f"provreg export/import benchmark — {machine()}")
    print(f"registry: {instances:,} instances in {files} files ({digest[:12]}), median of {runs}")
    print(f"{'tool':10} {'export':>10} {'per inst.':>10} {'import -n':>10}  outcome of the import")
    for tool in TOOL_NAMES:
        # -o never replaces a file: each run exports to a new one.
        export_times = []
        for index in range(runs + 1):  # the first run warms imports and caches
            path = DATA / f"exported.{index}.{tool}"
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            argv = ["export", "--to", tool, "-o", str(path), "--config", str(config)]
            start = time.perf_counter()
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                code = main(argv)
            export_times.append(time.perf_counter() - start)
            if code not in (0, 1):
                sys.exit(f"export to {tool} failed with exit code {code}")
        exported = DATA / f"exported.0.{tool}"
        export_median = statistics.median(export_times[1:])
        if tool == "env":
            print(
                f"{tool:10} {ms(export_median):>10} {ms(export_median / instances, 3):>10} "
                f"{'—':>10}  (no import: an env file holds variables, not providers)"
            )
            continue
        seconds, _, last = timed(
            ["import", "--from", tool, str(exported), "--config", str(config), "--dry-run"], runs
        )
        print(
            f"{tool:10} {ms(export_median):>10} {ms(export_median / instances, 3):>10} "
            f"{ms(seconds):>10}  {last}"
        )


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    run(args.instances, args.files, args.runs)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main_cli()
