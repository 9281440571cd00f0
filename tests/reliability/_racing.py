"""Racing writers: N processes adding, editing, renaming and removing across a
few shared files at once, and the checks of what they leave.

Used by tests/reliability/test_racing_writers.py (CI-sized) and by
benchmarks/soak_racing.py (rounds from the command line).

A worker (`python _racing.py CONFIG_DIR WORKER OPS SEED`) opens the registry
like any provreg process, prints `ready`, waits for `go` on stdin (so every
worker loads the same files before any writes), then runs a seeded script:

- adds of contested names, which every worker tries: at most one may win;
- adds of names that differ per worker but slug to the same id: all win,
  each with its own derived id;
- adds with a contested explicit `id`: at most one may win;
- adds of its own, edits of `default_model` and renames of instances it
  owns (those it added), and removals of them.

A refusal for a taken name or id is an expected outcome, not an error. A
conflict (the file moved under the write) is retried after a reload, as a
user would. The worker prints one JSON line: what it attempted, what was
acknowledged, and the final state of every instance it owns as it believes
it to be (its own acknowledged writes, in order). Workers only ever edit
and remove instances they own, so that belief is exact: anything else on
disk at the end is a lost update (or a phantom write).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

FILES = ("shared-a.yaml", "shared-b.yaml", "team/shared-c.yaml")
SEED_YAML = """\
# Shared by every racing worker: comments and layout must survive.
version: 1
providers:
  - id: seed-{n}     # never touched
    name: Seed {n}
    provider: ollama
    keep_alive: 5m
"""
CONTESTED_NAMES = 4
CONTESTED_IDS = 4
RETRIES = 20
HERE = Path(__file__).resolve().parent


def seed(config_dir: Path) -> None:
    """Write the shared files, each with one instance no worker touches."""
    for n, name in enumerate(FILES):
        path = config_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SEED_YAML.format(n=n))


# --------------------------------------------------------------------------- worker


async def _work(config_dir: str, worker: int, ops: int, seed_value: int) -> dict[str, Any]:
    from provreg.registry import (
        ConflictError,
        DuplicateIdError,
        DuplicateNameError,
        ProviderRegistry,
    )

    registry = await ProviderRegistry.open([config_dir], audit=False)
    print("ready", flush=True)
    sys.stdin.readline()
    rng = random.Random(seed_value * 1000 + worker)
    files = [os.path.join(config_dir, name) for name in FILES]
    owned: dict[str, dict[str, Any] | None] = {}  # id -> believed entry, None once removed
    counts: Counter[str] = Counter()
    serial = 0

    async def attempt(kind: str, call: Any) -> Any:
        counts[f"attempted {kind}"] += 1
        for _ in range(RETRIES):
            try:
                result = await call()
            except (DuplicateNameError, DuplicateIdError):
                counts[f"refused {kind}"] += 1
                return None
            except ConflictError:
                counts["conflicts"] += 1
                await registry.reload()
                continue
            counts[f"acknowledged {kind}"] += 1
            return result
        counts[f"gave up {kind}"] += 1
        return None

    for _ in range(ops):
        serial += 1
        alive = [i for i, entry in owned.items() if entry is not None]
        roll = rng.random()
        file = rng.choice(files)
        if roll < 0.15:
            name = f"Contested {rng.randrange(CONTESTED_NAMES)}"
            made = await attempt("add", partial(registry.create, "ollama", name, {}, file))
        elif roll < 0.25:
            # Differs from every other worker's name, but slugs to the same id.
            name = f"Slug Clash {serial}" + "!" * (worker + 1)
            made = await attempt("add", partial(registry.create, "ollama", name, {}, file))
        elif roll < 0.35:
            wanted = f"contested-id-{rng.randrange(CONTESTED_IDS)}"
            name = f"W{worker} pinned {serial}"
            made = await attempt(
                "add",
                partial(registry.create, "ollama", name, {}, file, instance_id=wanted),
            )
        elif roll < 0.5 or not alive:
            name = f"W{worker} own {serial}"
            made = await attempt("add", partial(registry.create, "ollama", name, {}, file))
        else:
            made = None
            target = rng.choice(alive)
            if roll < 0.75:
                model = f"w{worker}-m{serial}"
                done = await attempt(
                    "edit", partial(registry.update, target, {"default_model": model})
                )
                if done is not None:
                    believed = owned[target]
                    assert believed is not None
                    believed["default_model"] = model
            elif roll < 0.88:
                name = f"W{worker} renamed {serial}"
                done = await attempt("rename", partial(registry.update, target, {"name": name}))
                if done is not None:
                    believed = owned[target]
                    assert believed is not None
                    believed["name"] = name
            else:
                done = await attempt("rm", partial(registry.delete, target))
                if done is not None:
                    owned[target] = None
        if made is not None:
            owned[made.id] = {
                "name": made.name,
                "default_model": None,
                "file": os.path.relpath(made.file, config_dir),
            }
    return {"worker": worker, "counts": dict(counts), "owned": owned}


def _worker_main(argv: list[str]) -> None:
    import anyio

    config_dir, worker, ops, seed_value = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    result = anyio.run(_work, config_dir, worker, ops, seed_value)
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- running a round


@dataclass
class RoundReport:
    """What one round of racing workers did and left behind."""

    workers: int
    seconds: float
    counts: Counter[str] = field(default_factory=Counter)
    duplicate_ids: list[str] = field(default_factory=list)
    duplicate_names: list[str] = field(default_factory=list)
    lost_updates: list[str] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)
    worker_errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return sum(n for key, n in self.counts.items() if key.startswith("attempted"))

    @property
    def acknowledged(self) -> int:
        return sum(n for key, n in self.counts.items() if key.startswith("acknowledged"))

    @property
    def clean(self) -> bool:
        return not (
            self.duplicate_ids
            or self.duplicate_names
            or self.lost_updates
            or self.unparsable
            or self.worker_errors
        )


def run_round(
    config_dir: Path, *, workers: int, ops: int, seed_value: int, timeout: float = 120
) -> RoundReport:
    """Seed `config_dir`, race `workers` processes of `ops` operations, check the files."""
    seed(config_dir)
    started = time.monotonic()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "_racing.py"),
                str(config_dir),
                str(n),
                str(ops),
                str(seed_value),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for n in range(workers)
    ]
    report = RoundReport(workers, 0.0)
    results: list[dict[str, Any]] = []
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            if line != "ready\n":
                report.worker_errors.append(f"not ready: {line!r}")
        for child in children:  # every worker has loaded the files: go
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        deadline = time.monotonic() + timeout
        for child in children:
            out, err = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
            if child.returncode != 0 or not out.strip():
                report.worker_errors.append(f"exit {child.returncode}: {err.strip()[-2000:]}")
                continue
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    report.seconds = time.monotonic() - started
    for result in results:
        report.counts.update(result["counts"])
    check_files(config_dir, results, report)
    return report


def check_files(config_dir: Path, results: list[dict[str, Any]], report: RoundReport) -> None:
    """Every file parses; ids and names are unique; every acknowledged write is there."""
    import yaml

    on_disk: dict[str, tuple[str, dict[str, Any]]] = {}
    ids: list[str] = []
    names: list[str] = []
    for path in sorted(config_dir.rglob("*.yaml")):
        relative = str(path.relative_to(config_dir))
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            report.unparsable.append(f"{relative}: {exc}")
            continue
        for entry in document.get("providers") or []:
            ids.append(entry.get("id"))
            names.append(str(entry.get("name")).strip().casefold())
            on_disk[entry.get("id")] = (relative, entry)
    report.duplicate_ids = sorted(i for i, n in Counter(ids).items() if n > 1)
    report.duplicate_names = sorted(i for i, n in Counter(names).items() if n > 1)
    believed: dict[str, dict[str, Any] | None] = {}
    for result in results:
        for instance_id, entry in result["owned"].items():
            # An id one worker removed may since have been added by another
            # (explicit ids are contested): the one alive is the last word.
            if entry is not None or instance_id not in believed:
                believed[instance_id] = entry
    for instance_id, entry in believed.items():
        found = on_disk.get(instance_id)
        if entry is None:
            if found is not None:
                report.lost_updates.append(f"{instance_id}: removed, but still in {found[0]}")
            continue
        if found is None:
            report.lost_updates.append(f"{instance_id}: acknowledged, but gone")
            continue
        relative, value = found
        seen = (relative, value.get("name"), value.get("default_model"))
        wanted = (entry["file"], entry["name"], entry["default_model"])
        if seen != wanted:
            report.lost_updates.append(f"{instance_id}: expected {wanted}, found {seen}")
    seeds = {f"seed-{n}" for n in range(len(FILES))}
    for instance_id in on_disk.keys() - believed.keys() - seeds:
        report.lost_updates.append(f"{instance_id}: on disk, but no worker acknowledged it")
    for instance_id in seeds - on_disk.keys():
        report.lost_updates.append(f"{instance_id}: an untouched instance disappeared")


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
