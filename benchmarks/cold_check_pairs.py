"""Cold `provreg --check` on two trees, alternating run by run: CPU and wall medians.

    uv run python benchmarks/cold_check_pairs.py BASE_TREE NOW_TREE PATH [--pairs 20]

Each tree is a checkout with its own `.venv` (`side_by_side.py` leaves one
under benchmarks/.data/side_by_side/REV). One untimed run per tree fills a
private .pyc cache first, as on a user's second run. Alternating base / now
run by run means a machine that gets busier hits both alike; CPU time
(user + system of the child) moves less with other load than wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def timed_check(tree: Path, path: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one `provreg --check PATH` with `tree`'s environment."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(tree / ".venv" / "bin" / "provreg"), "--check", path],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: --check {path} exited {done.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("now", type=Path)
    parser.add_argument("path", help="what to check (give an absolute path)")
    parser.add_argument("--pairs", type=int, default=20)
    options = parser.parse_args()
    env = dict(os.environ, PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="cold-check-pyc-"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    trees = {"base": options.base.resolve(), "now": options.now.resolve()}
    for tree in trees.values():
        timed_check(tree, options.path, env)
    walls: dict[str, list[float]] = {name: [] for name in trees}
    cpus: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(options.pairs):
        for name, tree in trees.items():
            wall, cpu = timed_check(tree, options.path, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    for name in trees:
        print(
            f"{name}: cpu median {statistics.median(cpus[name]) * 1000:.0f} ms "
            f"(min {min(cpus[name]) * 1000:.0f}), wall median "
            f"{statistics.median(walls[name]) * 1000:.0f} ms (min {min(walls[name]) * 1000:.0f})"
        )
    print("load average (1, 5, 15 min):", ", ".join(f"{n:.2f}" for n in os.getloadavg()))


if __name__ == "__main__":
    main()
