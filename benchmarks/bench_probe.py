"""Benchmark `provreg probe` concurrency against the target of issue 16.

Run from the repository root:

    uv run python benchmarks/bench_probe.py

50 instances, spread over 5 loopback servers (tests/helpers/fake_providers.py,
real sockets) that each answer the model list after 200 ms. Probed one after
the other that would take 50 x 200 ms = 10 s; `probe_instances` runs 8 at a
time (the default), so the target is "well under" that: about 7 waves of
200 ms. Prints the wall time of each run, the median, and its ratio to 10 s;
also a run with no bound (concurrency 50) to show what the bound costs.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers.fake_providers import FakeProvider, serving  # noqa: E402

from provreg.probe import probe_instances  # noqa: E402
from provreg.registry import ProviderRegistry  # noqa: E402

INSTANCES = 50
SERVERS = 5
LATENCY_S = 0.2
ROUNDS = 5
KEY = "sk-bench-0123456789abcdef"


def _config(directory: Path, urls: list[str]) -> Path:
    lines = ["version: 1", "providers:"]
    for n in range(INSTANCES):
        lines += [
            f"  - id: bench-{n:02d}",
            f"    name: Bench {n:02d}",
            "    provider: openai-compatible",
            f"    base_url: {urls[n % len(urls)]}/v1",
            "    api_key: {env: BENCH_PROBE_KEY}",
            "    default_model: model-a",
        ]
    path = directory / "providers.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def _run(config: Path, concurrency: int) -> float:
    registry = await ProviderRegistry.open([str(config)], audit=False)
    ids = list(registry.snapshot().instances)
    started = time.perf_counter()
    results = await probe_instances(registry, ids, timeout=10, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    bad = [r.summary() for r in results if not r.ok]
    assert not bad, bad[:3]
    return elapsed


def main() -> None:
    os.environ["BENCH_PROBE_KEY"] = KEY
    serial = INSTANCES * LATENCY_S
    fakes = [FakeProvider("openai", key=KEY, mode="slow", delay=LATENCY_S) for _ in range(SERVERS)]
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        for fake in fakes:
            stack.enter_context(serving(fake))
        config = _config(Path(tmp), [fake.url for fake in fakes])
        print(f"{INSTANCES} instances, {SERVERS} loopback servers, {LATENCY_S * 1000:.0f} ms each")
        print(f"serial would take {INSTANCES} x {LATENCY_S * 1000:.0f} ms = {serial:.1f} s")
        for concurrency in (8, INSTANCES):
            times = [anyio.run(_run, config, concurrency) for _ in range(ROUNDS)]
            median = statistics.median(times)
            shown = ", ".join(f"{t:.2f}" for t in times)
            print(
                f"concurrency {concurrency:>2}: wall {median:.2f} s median ({shown}); "
                f"ratio to serial {median / serial:.3f}"
            )


if __name__ == "__main__":
    main()
