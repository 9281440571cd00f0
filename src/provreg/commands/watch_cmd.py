"""`provreg watch`: headless live sync, one line per reconciled change.

Useful over SSH and in scripts, and the way the sync engine is tested end to
end without the dashboard. Runs until interrupted (Ctrl-C exits 0).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

import anyio

from provreg.commands.common import open_registry
from provreg.exit_codes import ExitCode
from provreg.registry.events import (
    Conflict,
    DiagnosticsChanged,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ReloadFailed,
)
from provreg.sync import SyncEngine, SyncSettings


def describe(event: Event) -> dict[str, Any]:
    """An event as a JSON-able dict (no secret values exist in events)."""
    base: dict[str, Any] = {"event": type(event).__name__, "source": event.source}
    if isinstance(event, InstanceAdded | InstanceRemoved):
        base |= {"id": event.instance.id, "name": event.instance.name, "file": event.instance.file}
    elif isinstance(event, InstanceUpdated):
        base |= {
            "id": event.instance.id,
            "name": event.instance.name,
            "file": event.instance.file,
            "changed_fields": list(event.changed_fields),
        }
    elif isinstance(event, DiagnosticsChanged):
        base |= {"files": list(event.files)}
    elif isinstance(event, ReloadFailed):
        base |= {
            "file": event.file,
            "diagnostics": [
                {"line": d.line, "column": d.column, "code": d.code, "message": d.message}
                for d in event.diagnostics
            ],
        }
    elif isinstance(event, Conflict):
        base |= {"id": event.instance_id, "file": event.file, "message": event.message}
    return base


def text_line(event: Event) -> str | None:
    """`external: providers/openai.yaml — updated Work OpenAI (default_model)`."""
    if isinstance(event, InstanceAdded | InstanceRemoved | InstanceUpdated):
        instance = event.instance
        head = f"{event.source}: {instance.file} — "
        if isinstance(event, InstanceAdded):
            return f"{head}added {instance.name} ({instance.id})"
        if isinstance(event, InstanceRemoved):
            return f"{head}removed {instance.name} ({instance.id})"
        fields = ", ".join(event.changed_fields)
        moved = " (moved)" if "file" in event.changed_fields else ""
        return f"{head}updated {instance.name}{moved} ({fields})"
    if isinstance(event, ReloadFailed):
        first = event.diagnostics[0] if event.diagnostics else None
        where = f":{first.line}:{first.column}: {first.message}" if first else ""
        return f"{event.source}: {event.file}{where} — reload failed; keeping the last good version"
    if isinstance(event, Conflict):
        return f"{event.source}: conflict: {event.message}"
    return None


def cmd_watch(paths: list[str], as_json: bool, poll: bool, out: TextIO) -> int:
    async def run() -> int:
        registry = await open_registry(paths)
        settings = SyncSettings(poll=poll) if poll else None
        engine = SyncEngine(registry, settings)

        def on_events(events: Sequence[Event]) -> None:
            stamp = datetime.now().strftime("%H:%M:%S")
            for event in events:
                if as_json:
                    out.write(
                        json.dumps({"time": datetime.now().isoformat(), **describe(event)}) + "\n"
                    )
                else:
                    line = text_line(event)
                    if line is not None:
                        out.write(f"{stamp} {line}\n")
            out.flush()

        registry.store.subscribe_events(on_events)
        state = registry.snapshot()
        if not as_json:
            mode = "polling" if engine.settings.poll else "watching"
            out.write(
                f"{mode} {', '.join(engine.storage.paths)}: {len(state.instances)} instances "
                f"in {len(state.files)} files (Ctrl-C to stop)\n"
            )
            out.flush()
        async with anyio.create_task_group() as group:
            await group.start(engine.run)
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    group.cancel_scope.cancel()
                    break
        return ExitCode.OK

    return anyio.run(run)
