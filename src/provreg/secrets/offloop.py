"""Run one blocking secret call off the event loop, bounded by a timeout.

Not `anyio.to_thread.run_sync(..., abandon_on_cancel=True)`: anyio's worker
threads are not daemon threads, so a keyring call that never returns (a
locked collection waiting on an unlock prompt) kept the process alive after
the timeout had been reported — `provreg exec` printed the timeout and then
hung until the prompt was answered. Here each call gets its own daemon
thread, which is simply left behind when it times out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

T = TypeVar("T")


def call_blocking_with_timeout(call: Callable[..., T], *args: Any, timeout: float) -> T:
    """The same for synchronous callers (`--check --secrets`, the compat `apiKey`).

    Raises:
        TimeoutError: no answer within `timeout` seconds (the thread is abandoned).
    """
    outcome: list[tuple[bool, Any]] = []

    def runner() -> None:
        try:
            outcome.append((True, call(*args)))
        except BaseException as exc:  # handed to the caller as is
            outcome.append((False, exc))

    worker = threading.Thread(target=runner, name="provreg-secret", daemon=True)
    worker.start()
    worker.join(timeout)
    return _result(outcome)  # type: ignore[no-any-return]


async def call_with_timeout(call: Callable[..., T], *args: Any, timeout: float) -> T:
    """`call(*args)` in a daemon thread; its result or exception.

    Raises:
        TimeoutError: no answer within `timeout` seconds (the thread is abandoned).
    """
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: list[tuple[bool, Any]] = []

    def runner() -> None:
        try:
            outcome.append((True, call(*args)))
        except BaseException as exc:  # handed to the waiting task as is
            outcome.append((False, exc))
        try:
            anyio.from_thread.run_sync(done.set, token=token)
        except RuntimeError:
            pass  # the event loop is gone; nobody is waiting any more

    threading.Thread(target=runner, name="provreg-secret", daemon=True).start()
    with anyio.move_on_after(timeout):
        await done.wait()
    return _result(outcome)  # type: ignore[no-any-return]


def _result(outcome: list[tuple[bool, Any]]) -> Any:
    """The call's value, or its exception raised; TimeoutError when it has none yet."""
    if not outcome:
        raise TimeoutError
    ok, value = outcome[0]
    if ok:
        return value
    raise value
