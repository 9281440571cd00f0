"""A long fuzz soak of the loader and `provreg --check` (issue 11).

Run from the repository root:

    uv run python benchmarks/fuzz_soak.py 5000              # 5,000 inputs, seed 1
    uv run python benchmarks/fuzz_soak.py 5000 --seed 7 --cli-every 250

The inputs and invariants are those of tests/reliability/test_fuzz_check.py
(tests/reliability/fuzz_support.py), drawn from a seeded `random.Random`
instead of hypothesis: alternately a mutated project file (sample_configs/,
tests/fixtures/) and a generated config-shaped document, each loaded from a
real file under tracemalloc, and every `--check-every`-th also through
`run_check` in-process (JSON and text), every `--cli-every`-th through a real
`python -m provreg --check` process.

It prints the inputs fuzzed, the crashes found (an exception, a broken
invariant, a traceback), the largest CPU time and tracemalloc peak per input
byte (inputs under 1 KB left out of the per-byte maxima: their cost is the
fixed floor), and the slowest and largest inputs. Crashing inputs are saved
under benchmarks/.data/fuzz-crashes/ with the seed and index in the name.
Exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from random import Random

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "reliability"))

from fuzz_support import (  # noqa: E402 - found through the path set above
    Measured,
    check_command,
    generated_document,
    load_measured,
    mutate,
    seed_files,
)

CRASH_DIR = REPO_ROOT / "benchmarks" / ".data" / "fuzz-crashes"
PER_BYTE_MIN_SIZE = 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=int, help="how many inputs to fuzz")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check-every", type=int, default=5, help="also run_check every Nth")
    parser.add_argument("--cli-every", type=int, default=500, help="also a real process every Nth")
    args = parser.parse_args(argv)

    seeds = seed_files()
    rng = Random(args.seed)
    crashes = 0
    measured: list[tuple[Measured, int]] = []
    started = time.perf_counter()
    print(f"{len(seeds)} seed files; seed {args.seed}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        # Untimed: the first load builds the catalog's models and caches, a
        # one-time cost that would otherwise count against the first input's bytes.
        load_measured(seeds[:20], Path(tmp))
    for index in range(args.inputs):
        data = mutate(rng.choice(seeds), rng, seeds) if index % 2 == 0 else generated_document(rng)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                measured.append((load_measured([data], Path(tmp)), index))
                if index % args.check_every == 0:
                    expected = check_command(Path(tmp))
                    if index % args.cli_every == 0:
                        _check_process(Path(tmp), expected)
        except Exception:  # noqa: BLE001 - a crash is what the soak counts
            crashes += 1
            CRASH_DIR.mkdir(parents=True, exist_ok=True)
            saved = CRASH_DIR / f"seed{args.seed}-input{index}.yaml"
            saved.write_bytes(data)
            print(f"crash on input {index} (saved as {saved}):")
            print(traceback.format_exc(limit=6))
        if (index + 1) % 1000 == 0:
            print(f"  {index + 1} inputs, {crashes} crashes, {time.perf_counter() - started:.0f} s")

    sized = [(m, i) for m, i in measured if m.size >= PER_BYTE_MIN_SIZE]
    print(f"\ninputs fuzzed: {args.inputs} ({len(measured)} loaded without a crash)")
    print(f"crashes found: {crashes}")
    print(f"total time: {time.perf_counter() - started:.1f} s")
    if sized:
        cpu, cpu_at = max((m.cpu_seconds / m.size, i) for m, i in sized)
        peak, peak_at = max((m.peak_bytes / m.size, i) for m, i in sized)
        print(f"inputs of {PER_BYTE_MIN_SIZE} bytes or more: {len(sized)}")
        print(f"max CPU per byte: {cpu * 1e6:.2f} us (input {cpu_at})")
        print(f"max tracemalloc peak per byte: {peak:.0f} bytes (input {peak_at})")
    slowest, slowest_at = max((m.cpu_seconds, i) for m, i in measured)
    largest = max(measured, key=lambda item: item[0].size)
    biggest_peak = max(measured, key=lambda item: item[0].peak_bytes)
    print(f"slowest input: {slowest:.3f} s CPU (input {slowest_at})")
    print(f"largest input: {largest[0].size:,} bytes, {largest[0].cpu_seconds:.3f} s CPU")
    print(
        f"largest peak: {biggest_peak[0].peak_bytes / 1e6:.1f} MB "
        f"({biggest_peak[0].size:,} bytes, input {biggest_peak[1]})"
    )
    return 1 if crashes else 0


def _check_process(directory: Path, expected: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "provreg", "--check", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr and done.stderr == "", done.stderr
    assert done.returncode == expected, (done.returncode, expected)


if __name__ == "__main__":
    raise SystemExit(main())
