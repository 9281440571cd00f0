"""Child of test_two_processes: N updates of one instance through a ProviderRegistry.

Usage: _registry_writer.py CONFIG_DIR INSTANCE_ID N. Opens the registry, prints
"ready", waits for a line on stdin (so both processes load before either
writes), then sets `default_model` to INSTANCE_ID-0 .. INSTANCE_ID-(N-1),
retrying as a user would on ConflictError (reload, then again). Before each
update it checks on disk that its previous value is still there: a write of
the other process that reverted it would be a lost update. Prints one JSON
line: counts of updates, conflicts, re-applied writes (the other process had
written meanwhile), lost values, and the slowest update (lock wait included).
"""

from __future__ import annotations

import json
import sys
import time

import anyio
import yaml

from provreg.registry.registry import ProviderRegistry
from provreg.storage import ConflictError

RETRIES = 10


def on_disk(path: str, instance_id: str) -> object:
    with open(path, "rb") as handle:
        document = yaml.safe_load(handle)
    for entry in document["providers"]:
        if entry["id"] == instance_id:
            return entry.get("default_model")
    return None


async def main(config_dir: str, instance_id: str, n: int) -> dict[str, object]:
    registry = await ProviderRegistry.open([config_dir], audit=False)
    path = registry.get(instance_id).file
    print("ready", flush=True)
    sys.stdin.readline()
    conflicts = reapplied = 0
    slowest = 0.0
    lost: list[str] = []
    for i in range(n):
        if i:
            seen = on_disk(path, instance_id)
            if seen != f"{instance_id}-{i - 1}":
                lost.append(f"before update {i}: {seen!r}")
        for _ in range(RETRIES):
            others = {k: v for k, v in registry.snapshot().instances.items() if k != instance_id}
            started = time.monotonic()
            try:
                await registry.update(instance_id, {"default_model": f"{instance_id}-{i}"})
            except ConflictError:
                conflicts += 1
                await registry.reload()
                continue
            slowest = max(slowest, time.monotonic() - started)
            after = {k: v for k, v in registry.snapshot().instances.items() if k != instance_id}
            # Our write was spliced into a text holding the other process's changes.
            reapplied += after != others
            break
        else:
            raise SystemExit(f"{instance_id}: update {i} failed {RETRIES} times")
    return {
        "id": instance_id,
        "updates": n,
        "conflicts": conflicts,
        "reapplied": reapplied,
        "lost": lost,
        "slowest_update_s": round(slowest, 3),
    }


if __name__ == "__main__":
    result = anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
    print(json.dumps(result), flush=True)
