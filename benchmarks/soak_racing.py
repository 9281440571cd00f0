"""Soak the racing writers: many rounds of N provreg processes writing the same
files at once (tests/reliability/_racing.py), with the totals.

Run from the repository root:

    uv run python benchmarks/soak_racing.py                      # 20 rounds, 8 workers, 40 ops
    uv run python benchmarks/soak_racing.py --rounds 100 --workers 10 --ops 50

Each round seeds three shared files in a fresh directory under
benchmarks/.data/racing/ (git-ignored), starts the workers, releases them
together, and checks the files: duplicate ids, duplicate names (ignoring
case), lost updates (an acknowledged write missing at the end, a removed
instance still there, an instance nobody acknowledged) and files that do not
parse. Each round uses its own seed (round number + --seed), so a failing
round can be run again alone with --first. Exit 1 when any round found any.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from _generate import DATA_ROOT, isolate_user_dirs  # noqa: E402

from tests.reliability._racing import RoundReport, run_round  # noqa: E402

DATA_DIR = DATA_ROOT / "racing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20, help="rounds (default 20)")
    parser.add_argument("--workers", type=int, default=8, help="processes per round (default 8)")
    parser.add_argument("--ops", type=int, default=40, help="operations per worker (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="added to each round's number")
    parser.add_argument("--first", type=int, default=0, help="number of the first round")
    args = parser.parse_args(argv)

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    isolate_user_dirs(DATA_DIR)
    print(
        f"{args.rounds} rounds x {args.workers} workers x {args.ops} operations; "
        f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}"
    )
    totals: Counter[str] = Counter()
    failing: list[tuple[int, RoundReport]] = []
    slowest = 0.0
    started = time.monotonic()
    for number in range(args.first, args.first + args.rounds):
        directory = DATA_DIR / f"round-{number}"
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        report = run_round(
            directory, workers=args.workers, ops=args.ops, seed_value=number + args.seed
        )
        slowest = max(slowest, report.seconds)
        totals.update(report.counts)
        totals["attempted"] += report.attempted
        totals["acknowledged"] += report.acknowledged
        totals["duplicate ids"] += len(report.duplicate_ids)
        totals["duplicate names"] += len(report.duplicate_names)
        totals["lost updates"] += len(report.lost_updates)
        totals["unparsable files"] += len(report.unparsable)
        totals["worker errors"] += len(report.worker_errors)
        if report.clean:
            shutil.rmtree(directory)
        else:
            failing.append((number, report))
            print(f"round {number}: FOUND PROBLEMS (files kept in {directory})")
            for line in (
                report.duplicate_ids
                + report.duplicate_names
                + report.lost_updates
                + report.unparsable
                + report.worker_errors
            )[:20]:
                print(f"    {line}")

    elapsed = time.monotonic() - started
    print(f"\nwrites attempted     {totals['attempted']:>7,}")
    print(f"writes acknowledged  {totals['acknowledged']:>7,}")
    for kind in ("add", "edit", "rename", "rm"):
        print(
            f"  {kind:<7} attempted {totals[f'attempted {kind}']:>6,}  "
            f"acknowledged {totals[f'acknowledged {kind}']:>6,}  "
            f"refused (name or id taken) {totals[f'refused {kind}']:>5,}  "
            f"gave up {totals[f'gave up {kind}']:>3,}"
        )
    print(f"conflicts retried    {totals['conflicts']:>7,}")
    print(f"duplicate ids        {totals['duplicate ids']:>7,}")
    print(f"duplicate names      {totals['duplicate names']:>7,}")
    print(f"lost updates         {totals['lost updates']:>7,}")
    print(f"unparsable files     {totals['unparsable files']:>7,}")
    print(f"worker errors        {totals['worker errors']:>7,}")
    print(
        f"rounds with problems {len(failing):>7,} of {args.rounds}; "
        f"{elapsed:.0f} s, slowest round {slowest:.1f} s; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
