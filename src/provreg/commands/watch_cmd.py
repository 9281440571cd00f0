"""`provreg watch`: headless live sync, one line per reconciled change.

Useful over SSH and in scripts, and the way the sync engine is tested end to
end without the dashboard. Runs until interrupted (Ctrl-C exits 0).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

import anyio

from provreg.commands.common import run_on_registry
from provreg.exit_codes import ExitCode
from provreg.registry import ProviderRegistry
from provreg.registry.event_text import describe, text_line
from provreg.registry.events import Event
from provreg.sync import SyncEngine, SyncSettings


def cmd_watch(
    paths: list[str], as_json: bool, poll: bool, out: TextIO, err: TextIO | None = None
) -> int:
    """Print one line per reconciled change until SIGINT/SIGTERM (exit 0).

    The "watching ..." status line is printed once the watch is established
    (a script may start editing when it sees it): on stdout in text mode, on
    stderr with `--json`, so that stdout stays JSON lines only.
    """
    status_out = (err if err is not None else sys.stderr) if as_json else out

    async def run(registry: ProviderRegistry) -> int:
        settings = SyncSettings(poll=poll) if poll else None
        engine = SyncEngine(registry, settings)

        def on_events(events: Sequence[Event]) -> None:
            # ISO 8601 with the local offset, as `provreg log` shows times; JSON to the
            # millisecond, as the audit log stores them.
            now = datetime.now().astimezone()
            stamp = now.isoformat(timespec="seconds")
            for event in events:
                if as_json:
                    time = now.isoformat(timespec="milliseconds")
                    out.write(json.dumps({"time": time, **describe(event)}) + "\n")
                else:
                    line = text_line(event)
                    if line is not None:
                        out.write(f"{stamp} {line}\n")
            out.flush()

        registry.store.subscribe_events(on_events)
        async with anyio.create_task_group() as group:
            # Install the handlers before announcing: a Ctrl-C right after the
            # status line must still be a clean exit 0.
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                await group.start(engine.run)
                state = registry.snapshot()
                mode = "polling" if engine.settings.poll else "watching"
                status_out.write(
                    f"{mode} {', '.join(engine.storage.paths)}: {len(state.instances)} "
                    f"instances in {len(state.files)} files (Ctrl-C to stop)\n"
                )
                status_out.flush()
                async for _ in signals:
                    group.cancel_scope.cancel()
                    break
        # External changes wait `OBSERVED_DELAY_S` (registry/audit.py) before the
        # audit log records them (their author may log them first): write what
        # is still waiting.
        registry.flush_audit()
        return ExitCode.OK

    return run_on_registry(paths, run)
