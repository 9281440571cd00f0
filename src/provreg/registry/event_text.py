"""Events as text and JSON: the Activity tab, `provreg watch` and logs share these.

Nothing here can contain a secret value: events carry instances, whose
secret fields hold references only.
"""

from __future__ import annotations

from typing import Any

from provreg.registry.events import (
    Conflict,
    DiagnosticsChanged,
    Event,
    InstanceAdded,
    InstanceRemoved,
    InstanceUpdated,
    ReloadFailed,
    ReloadRecovered,
)
from provreg.report import plural


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
    elif isinstance(event, ReloadRecovered):
        base |= {"file": event.file, "instances": event.instances}
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
        if "file" in event.changed_fields:
            others = [f for f in event.changed_fields if f != "file"]
            detail = f" ({', '.join(others)})" if others else ""
            return f"{head}moved {instance.name} here from {event.previous.file}{detail}"
        return f"{head}updated {instance.name} ({fields})"
    if isinstance(event, ReloadFailed):
        first = event.diagnostics[0] if event.diagnostics else None
        where = f":{first.line}:{first.column}: {first.message}" if first else ""
        return f"{event.source}: {event.file}{where} — reload failed; keeping the last good version"
    if isinstance(event, ReloadRecovered):
        return (
            f"{event.source}: {event.file} is valid again ({plural(event.instances, 'instance')})"
        )
    if isinstance(event, Conflict):
        return f"{event.source}: conflict: {event.message}"
    return None
