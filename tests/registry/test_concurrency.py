"""Many callers at once: 200 interleaved create/update/delete calls from anyio
tasks and from two threads (one through `anyio.from_thread.run`, one through a
`BlockingPortal`), against a real temp config dir with several files.

Each worker owns the instances it creates, so the expected final state is
exact; workers still race on ids (their names slug to the same ids), on names,
on files (several workers write the same files) and on the registry lock.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest
from helpers.registry import disk_view, registry_view

from provreg.config.read.load_set import load_paths
from provreg.model import Severity
from provreg.registry import (
    AuditLog,
    DuplicateNameError,
    InstanceNotFoundError,
    ProviderRegistry,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TASKS = 12
OPS_PER_TASK = 15
THREAD_OPS = 10
TOTAL_CALLS = TASKS * OPS_PER_TASK + 2 * THREAD_OPS
FILES = [None, "providers/hosted.yaml", "providers/local.yaml", "team/gateway.yaml", "extra.yaml"]
PROVIDERS = ["groq", "ollama", "openai", "mistral"]
EXPECTED_FAILURES = (DuplicateNameError, InstanceNotFoundError)

Expected = dict[str, tuple[str, str, dict[str, Any]]]
Call = Callable[..., Awaitable[Any]]


@dataclass
class Ledger:
    """What succeeded, shared by all workers (threads included)."""

    expected: Expected
    changes: list[tuple[str, str]] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    calls: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Worker:
    """Runs a seeded random script of calls; `call` runs one registry method.

    The same script runs in a task (`call` awaits directly) and in a thread
    (`call` goes through a portal), so both paths see the same kinds of races.
    """

    def __init__(self, number: int, ledger: Ledger) -> None:
        self.number = number
        self.ledger = ledger
        self.random = random.Random(number)
        self.own: list[str] = []
        self.serial = 0

    def name(self) -> str:
        # Differs from every other worker's name, but slugs to the same id.
        self.serial += 1
        return f"Racer {self.serial}" + "!" * (self.number + 1)

    def next_call(self) -> tuple[str, str, tuple[Any, ...]]:
        """(kind, method, args) of the next call; kind "fail" must be refused."""
        rnd = self.random
        roll = rnd.random()
        if roll < 0.05:
            return "fail", "create", ("groq", "  GEMINI (FREE TIER) ", {})
        if roll < 0.08:
            return "fail", "update", (f"ghost-{self.number}", {"default_model": "x"})
        if not self.own or roll < 0.45:
            provider = rnd.choice(PROVIDERS)
            values = {"default_model": f"model-{self.number}-{self.serial}"}
            return "create", "create", (provider, self.name(), values, rnd.choice(FILES))
        target = rnd.choice(self.own)
        if roll < 0.8:
            changes: dict[str, Any] = {"default_model": f"m-{self.number}-{rnd.random():.6f}"}
            if rnd.random() < 0.3:
                changes["name"] = self.name()
            if rnd.random() < 0.2:
                changes["base_url"] = "http://10.0.0.1:8000/v1"
            return "update", "update", (target, changes)
        return "delete", "delete", (target,)

    async def step(self, call: Call) -> None:
        """One call from a task: `call(method, *args)` awaits the registry."""
        kind, method, args = self.next_call()
        try:
            result = await call(method, *args)
        except EXPECTED_FAILURES as exc:
            self.failed(kind, args, exc)
        else:
            self.succeeded(kind, method, args, result)

    def step_sync(self, call_sync: Callable[..., Any], registry: ProviderRegistry) -> None:
        """One call from a foreign thread: `call_sync(async_fn)` runs it in the loop."""
        kind, method, args = self.next_call()
        try:
            result = call_sync(partial(getattr(registry, method), *args))
        except EXPECTED_FAILURES as exc:
            self.failed(kind, args, exc)
        else:
            self.succeeded(kind, method, args, result)

    def failed(self, kind: str, args: tuple[Any, ...], exc: Exception) -> None:
        assert kind == "fail", f"{kind} {args}: {exc!r}"
        with self.ledger.lock:
            self.ledger.calls += 1
            self.ledger.failures[type(exc).__name__] += 1

    def succeeded(self, kind: str, method: str, args: tuple[Any, ...], result: Any) -> None:
        assert kind != "fail", f"{method}{args} should have failed"
        self.record(kind, args, result)

    def record(self, kind: str, args: tuple[Any, ...], result: Any) -> None:
        ledger = self.ledger
        with ledger.lock:
            ledger.calls += 1
            if kind == "create":
                provider, name, values, _ = args
                assert (result.name, result.provider, result.values) == (name, provider, values)
                ledger.expected[result.id] = (name, provider, dict(values))
                ledger.created_ids.append(result.id)
                ledger.changes.append(("create", result.id))
                self.own.append(result.id)
            elif kind == "update":
                instance_id, changes = args
                name, provider, values = ledger.expected[instance_id]
                values = {**values, **{k: v for k, v in changes.items() if k != "name"}}
                ledger.expected[instance_id] = (changes.get("name", name), provider, values)
                assert (result.name, result.values) == ledger.expected[instance_id][::2]
                ledger.changes.append(("update", instance_id))
            else:
                (instance_id,) = args
                del ledger.expected[instance_id]
                self.own.remove(instance_id)
                ledger.changes.append(("delete", instance_id))


def sample_expected(registry: ProviderRegistry) -> Expected:
    return {
        i.id: (i.name, i.provider, dict(i.values)) for i in registry.snapshot().instances.values()
    }


async def test_interleaved_calls_from_tasks_and_threads(sample_dir: Path, tmp_path: Path) -> None:
    (sample_dir / "extra.yaml").write_text(
        "version: 1\nproviders:\n  - id: extra-groq\n    name: Extra Groq\n    provider: groq\n"
    )
    paths = [str(sample_dir)]
    audit = AuditLog(str(tmp_path / "state" / "audit.jsonl"))
    registry = await ProviderRegistry.open(paths, audit=audit)
    ledger = Ledger(sample_expected(registry))

    async def direct(method: str, *args: Any) -> Any:
        await anyio.sleep(0)  # let the other tasks in between calls
        return await getattr(registry, method)(*args)

    async def task_worker(number: int) -> None:
        worker = Worker(number, ledger)
        for _ in range(OPS_PER_TASK):
            await worker.step(direct)

    def thread_worker(worker: Worker, call_sync: Callable[..., Any]) -> None:
        for _ in range(THREAD_OPS):
            worker.step_sync(call_sync, registry)

    errors: list[BaseException] = []

    def plain_thread(portal: anyio.from_thread.BlockingPortal) -> None:
        try:
            thread_worker(Worker(TASKS + 1, ledger), portal.call)
        except BaseException as exc:  # re-raised in the test
            errors.append(exc)

    async with anyio.from_thread.BlockingPortal() as portal:
        # Thread 1: a plain thread calling in through a BlockingPortal of this loop.
        thread = threading.Thread(target=plain_thread, args=(portal,))
        thread.start()
        async with anyio.create_task_group() as tg:
            # Thread 2: an anyio worker thread calling back with from_thread.run.
            tg.start_soon(
                partial(
                    anyio.to_thread.run_sync,
                    thread_worker,
                    Worker(TASKS, ledger),
                    anyio.from_thread.run,
                )
            )
            for number in range(TASKS):
                tg.start_soon(task_worker, number)
        await anyio.to_thread.run_sync(thread.join)
    if errors:
        raise errors[0]

    assert ledger.calls == TOTAL_CALLS
    assert sum(ledger.failures.values()) > 0  # the refusals ran under contention too
    assert Counter(kind for kind, _ in ledger.changes)["delete"] > 0

    # The snapshot equals what a fresh load of the files gives.
    assert registry_view(registry) == disk_view(paths)
    fresh = load_paths(paths)
    assert fresh.count(Severity.ERROR) == 0, [d.message for d in fresh.diagnostics]
    assert all(status.ok and not status.stale for status in registry.snapshot().files.values())

    # Ids are unique, and no generated id was ever handed out twice.
    ids = list(registry.snapshot().instances)
    assert len(ids) == len(set(ids)) == len(fresh.instances)
    assert len(ledger.created_ids) == len(set(ledger.created_ids))
    assert any(i.endswith("-2") for i in ledger.created_ids)  # slugs really collided

    # Every successful call is reflected, and nothing else.
    assert sample_expected(registry) == ledger.expected

    # One audit line per successful change.
    entries = audit.read()
    assert len(entries) == len(ledger.changes)
    assert Counter((e["action"], e["instance_id"]) for e in entries) == Counter(ledger.changes)
    assert {e["source"] for e in entries} == {"app"}
