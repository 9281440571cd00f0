"""Randomized kill -9 soak of provreg's CLI writes: N iterations of a random
`add`, `edit` or `rm`, each killed at a random named point of the write path
(`PROVREG_KILL_AT`), or by SIGKILL from outside after a random delay, or not
at all; after each, the next command runs and the invariants are checked.

    uv run python benchmarks/soak_kill.py 300 --seed 11

Everything happens in a fresh temp dir with its own HOME and XDG dirs (never
your config, state or keyring). Per iteration it checks:
- every config file holds its bytes from before the command or exactly the
  bytes an uninterrupted run writes (computed first, in a scratch copy);
- every file still loads without errors;
- no provreg temp file survives the next command (temp files are first aged
  past the one-minute sweep threshold, as an hour of waiting would);
- the audit log has exactly one change line for an applied change and none
  for one that was not applied, once the next command ran.
and prints the totals. Exit 1 when any invariant failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provreg.config.read.load_set import load_paths
from provreg.faults import KILL_AT_ENV, WRITE_PATH_POINTS
from provreg.model import Severity
from provreg.storage.atomic import TEMP_PREFIX

MODELS = ["llama3.2", "qwen3", "mistral-small", "phi4", "gemma3"]


def seed_config() -> dict[str, str]:
    """Two files of a few commented instances each: the soak changes both."""
    files: dict[str, str] = {}
    for file, names in (("providers.yaml", ["alpha", "beta"]), ("team/team.yaml", ["gamma"])):
        entries = "".join(
            f"  # {name}: keep this comment\n  - id: {name}\n    name: {name.title()}\n"
            f"    provider: ollama\n    default_model: {MODELS[n]}   # inline\n\n"
            for n, name in enumerate(names)
        )
        files[file] = f"# soak seed\nversion: 1\nproviders:\n{entries}"
    return files


@dataclass
class Totals:
    iterations: int = 0
    kills: int = 0
    """Commands that died by SIGKILL (at a point or from outside)."""
    kills_survived: int = 0
    """Kills after which every invariant held."""
    applied: int = 0
    files_corrupt: int = 0
    temp_files_left: int = 0
    audit_lines_missing: int = 0
    audit_lines_extra: int = 0
    by_mode: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVREG_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_RUNTIME_DIR=str(home / ".runtime"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update(extra)
    (home / ".runtime").mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def provreg(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "provreg", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(TEMP_PREFIX)
    }


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(f"{TEMP_PREFIX}*"))


def change_lines(log: Path, offset: int) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    with open(log, "rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [record for record in records if "record" not in record]


def ids_in(config: Path) -> list[str]:
    return [instance.id for instance in load_paths([str(config)]).instances]


def pick_command(rng: random.Random, ids: list[str], n: int) -> tuple[list[str], str, str]:
    """(args, action, instance id)."""
    roll = rng.random()
    if roll < 0.35 or len(ids) < 3:
        name = f"Soak {n}"
        file = rng.choice(["providers.yaml", "team/team.yaml"])
        args = ["add", "ollama", "--name", name, "--set", f"default_model={rng.choice(MODELS)}"]
        return [*args, "--file", file], "create", f"soak-{n}"
    target = rng.choice(ids)
    if roll < 0.75:
        model = rng.choice(MODELS) + f"-{n}"
        return ["edit", target, "--set", f"default_model={model}"], "update", target
    return ["rm", target, "-y"], "delete", target


def iterate(n: int, rng: random.Random, work: Path, totals: Totals, verbose: bool) -> None:
    config, home = work / "config", work / "home"
    env = environment(home)
    log = home / ".local" / "state" / "provreg" / "audit.jsonl"
    before = snapshot(config)
    args, action, instance_id = pick_command(rng, ids_in(config), n)

    # The bytes an uninterrupted run writes, from a scratch copy and state.
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(config, scratch / "config")
    reference_started = time.monotonic()
    reference = provreg([*args, "--config", str(scratch / "config")], environment(scratch / "home"))
    reference.wait()
    reference_s = time.monotonic() - reference_started
    after = snapshot(scratch / "config")
    if reference.returncode != 0 or after == before:
        return  # a refused command (a name taken, say): nothing to kill

    offset = log.stat().st_size if log.exists() else 0
    mode_roll = rng.random()
    if mode_roll < 0.45:
        mode = rng.choice(WRITE_PATH_POINTS)
        process = provreg([*args, "--config", str(config)], {**env, KILL_AT_ENV: mode})
        process.wait()
    elif mode_roll < 0.9:
        mode = "external"
        process = provreg([*args, "--config", str(config)], env)
        # Anywhere in the command's run, as long as the uninterrupted one took:
        # mostly start-up and loading, the write itself is its last few ms.
        time.sleep(rng.uniform(0.3, 1.1) * reference_s)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
    else:
        mode = "none"
        process = provreg([*args, "--config", str(config)], env)
        process.wait()
    killed = process.returncode == -signal.SIGKILL
    totals.iterations += 1
    totals.kills += killed
    totals.by_mode[mode] = totals.by_mode.get(mode, 0) + 1
    problems: list[str] = []
    if not killed and process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        problems.append(f"exited {process.returncode}: {stderr.strip()}")
    if process.stderr:
        process.stderr.close()

    now = snapshot(config)
    applied = now == after
    if not applied and now != before:
        totals.files_corrupt += 1
        problems.append("a file is neither before nor after")
    result = load_paths([str(config)])
    if result.count(Severity.ERROR):
        totals.files_corrupt += 1
        problems.append(f"files no longer load: {result.diagnostics[0]}")

    then = time.time() - 120  # the sweep spares temp files younger than a minute
    for path in temp_files(config):
        os.utime(path, (then, then))
    listing = provreg(["list", "--config", str(config)], env)
    listing.wait()
    if listing.stderr:
        listing.stderr.close()
    left = temp_files(config)
    totals.temp_files_left += len(left)
    if left:
        problems.append(f"temp files left: {[p.name for p in left]}")

    lines = [
        line
        for line in change_lines(log, offset)
        if (line.get("action"), line.get("instance_id")) == (action, instance_id)
    ]
    if applied:
        totals.applied += 1
        sha = hashlib.sha256((config / _changed(before, after)).read_bytes()).hexdigest()
        matching = [line for line in lines if line.get("sha256") == sha]
        if not matching:
            totals.audit_lines_missing += 1
            problems.append("an applied change has no audit line")
        elif len(lines) > 1:
            totals.audit_lines_extra += len(lines) - 1
            problems.append(f"{len(lines)} lines for one change")
    elif lines:
        totals.audit_lines_extra += len(lines)
        problems.append("a line for a change the files do not hold")

    if killed and not problems:
        totals.kills_survived += 1
    if problems:
        totals.failures.append(f"#{n} {' '.join(args)} [{mode}]: {'; '.join(problems)}")
    if verbose:
        state = "applied" if applied else "not applied"
        print(f"#{n:4} {mode:20} {' '.join(args[:2]):28} {state:12} {problems or ''}")


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> str:
    return next(name for name in after if before.get(name) != after[name])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("iterations", type=int, help="number of commands to run and kill")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per iteration")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and print it")
    options = parser.parse_args()

    rng = random.Random(options.seed)
    work = Path(tempfile.mkdtemp(prefix="provreg-soak-"))
    for name, text in seed_config().items():
        path = work / "config" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    totals = Totals()
    started = time.monotonic()
    try:
        for n in range(options.iterations):
            iterate(n, rng, work, totals, options.verbose)
    finally:
        if options.keep:
            print(f"work dir: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(
        f"provreg kill -9 soak: {options.iterations} iterations, seed {options.seed}, "
        f"{elapsed:.0f} s, load average {os.getloadavg()[0]:.2f}"
    )
    modes = ", ".join(f"{mode} {count}" for mode, count in sorted(totals.by_mode.items()))
    print(f"  commands run:         {totals.iterations} ({modes})")
    print(f"  killed by SIGKILL:    {totals.kills}")
    print(f"  kills survived:       {totals.kills_survived}")
    print(f"  changes applied:      {totals.applied}")
    print(f"  files corrupt:        {totals.files_corrupt}")
    print(f"  temp files left:      {totals.temp_files_left}")
    print(f"  audit lines missing:  {totals.audit_lines_missing}")
    print(f"  audit lines extra:    {totals.audit_lines_extra}")
    for failure in totals.failures[:20]:
        print(f"  FAILED {failure}")
    return 1 if totals.failures else 0


if __name__ == "__main__":
    sys.exit(main())
