"""Run one benchmark on two commits in one run and print their lines side by side.

    uv run python benchmarks/side_by_side.py --base HEAD~1 bench_check.py --quick
    uv run python benchmarks/side_by_side.py --base 267753b bench_tui.py --part in-process --quick

The base commit is checked out in a detached git worktree under
benchmarks/.data/side_by_side/ with its own virtual environment (`uv sync
--locked`). Each tree runs its own copy of the benchmark script (a script may
use names the other tree's code does not have), alternating base / now for
`--rounds` rounds; a machine that gets busier during the run hits both.
Lines are printed in pairs, base first, then now; lines that are the same in
both (headers) once.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS.parent
WORK = BENCHMARKS / ".data" / "side_by_side"


def checkout(base: str) -> Path:
    """A worktree of `base` with its environment synced; reused across runs."""
    rev = subprocess.run(
        ["git", "rev-parse", "--short", base],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = WORK / rev
    if not (tree / ".git").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO_ROOT, check=True
        )
    subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=tree, check=True)
    return tree


def run(tree: Path, script: str, args: list[str]) -> list[str]:
    done = subprocess.run(
        ["uv", "run", "--project", str(tree), "python", str(tree / "benchmarks" / script), *args],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} failed in {tree}:\n{done.stderr[-2000:]}")
    return done.stdout.splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=1, help="base/now pairs of runs")
    parser.add_argument("script", help="a script in benchmarks/, e.g. bench_check.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    options = parser.parse_args()
    base_tree = checkout(options.base)
    for round_number in range(1, options.rounds + 1):
        base = run(base_tree, options.script, options.args)
        now = run(REPO_ROOT, options.script, options.args)
        print(f"== round {round_number}: {options.script} {' '.join(options.args)}")
        print(f"   base = {options.base} ({base_tree.name}), now = the working tree")
        for index in range(max(len(base), len(now))):
            before = base[index] if index < len(base) else ""
            after = now[index] if index < len(now) else ""
            if before == after:
                print(f"  {after}")
            else:
                print(f"  base | {before}")
                print(f"  now  | {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
