"""Benchmark a TAB: cold `provreg __complete`, the command the completion scripts run.

Run from the repository root:

    uv run python benchmarks/bench_completion.py [--runs N]

For the sample configs and for 1,000 instances over 100 files (bench_check.py's
generator, under benchmarks/.data/completion/, git-ignored) it times, as whole
processes through the venv's `provreg` executable (median, p95, min of N runs,
bytecode cached by one untimed run):

- `python -c pass` and `python -c 'import provreg.cli'`: the floor any
  `provreg` command pays;
- `provreg __complete` for ids (`show --config DIR `), for `--set` fields
  (`edit ID --config DIR --set `: the built-in catalog is scanned too) and
  for commands (`provreg s`: no file read);
- `provreg completion bash` (once per shell start with `eval`; builds the parser);

then `python -X importtime` of the ids case, summed by top-level package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _generate import make_set

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "benchmarks" / ".data" / "completion"
BIN = Path(sys.executable).parent
PROVREG = str(BIN / "provreg")


def timed(argv: list[str], stdin: str, runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{label:<48} median {statistics.median(times) * 1000:6.1f} ms"
        f"  p95 {p95 * 1000:6.1f} ms  min {ordered[0] * 1000:6.1f} ms"
    )


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--runs", type=int, default=30)
    runs = options.parse_args().runs
    # As on a user's second TAB: bytecode cached (here in a private prefix,
    # since the environment may forbid writing it beside the sources).
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(DATA_DIR / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PROVREG_CONFIG", None)
    script = subprocess.run(
        [PROVREG, "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    spec = script.split("_provreg_spec='", 1)[1].split("'\n", 1)[0]
    big, _files, _digest = make_set(DATA_DIR, "1k-100", 1000, 100)
    big_id = next(
        line.split(":", 1)[1].strip()
        for line in next(big.rglob("*.yaml")).read_text().splitlines()
        if line.strip().startswith("- id:") or line.strip().startswith("id:")
    )
    print(f"load average {os.getloadavg()[0]:.2f}, {runs} runs each, {sys.version.split()[0]}")
    report("python -c pass", timed([sys.executable, "-c", "pass"], "", runs, env))
    floor = [sys.executable, "-c", "import provreg.cli"]
    report("python -c 'import provreg.cli'", timed(floor, "", runs, env))
    for label, config, instance in (
        ("samples", REPO_ROOT / "sample_configs", "work-openai"),
        ("1,000 / 100 files", big, big_id),
    ):
        cases = {
            "ids": f"provreg show --config {config} ",
            "fields": f"provreg edit {instance} --config {config} --set ",
        }
        for case, line in cases.items():
            argv = [PROVREG, "__complete", "--line", line]
            report(f"__complete {case}, {label}", timed(argv, spec, runs, env))
    report(
        "__complete commands",
        timed([PROVREG, "__complete", "--line", "provreg s"], spec, runs, env),
    )
    report("provreg completion bash", timed([PROVREG, "completion", "bash"], "", runs, env))
    line = f"provreg show --config {REPO_ROOT / 'sample_configs'} "
    code = (
        "import sys; from provreg.cli import main; "
        f"sys.exit(main(['__complete', '--line', {line!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        input=spec,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    by_package: dict[str, int] = defaultdict(int)
    for row in done.stderr.splitlines():
        if not row.startswith("import time:") or row.count("|") != 2:
            continue
        _self, cumulative, name = row.split("|")
        if cumulative.strip().isdigit() and len(name) - len(name.lstrip()) == 1:
            # A top-level import: its cumulative time holds what it imported.
            by_package[name.strip().split(".")[0]] += int(cumulative.strip())
    total = sum(by_package.values())
    top = sorted(by_package.items(), key=lambda item: -item[1])[:8]
    print(f"importtime (ids, samples), top-level imports: {total / 1000:.1f} ms")
    for name, micros in top:
        print(f"  {name:<24} {micros / 1000:6.1f} ms")


if __name__ == "__main__":
    main()
