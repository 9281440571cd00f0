"""What one probe found: `ProbeResult`, and the one-line text screens show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ProbeStatus = Literal[
    "ok",
    "auth-failed",
    "unreachable",
    "model-not-offered",
    "rate-limited",
    "unexpected",
    "refused",
    "no-key",
]
"""Every outcome: `ok`, or why not. `refused` and `no-key` are provreg's own
decisions (nothing was sent); the others are what the endpoint answered."""

STATUS_LABELS: dict[str, str] = {
    "ok": "ok",
    "auth-failed": "auth failed",
    "unreachable": "unreachable",
    "model-not-offered": "model not offered",
    "rate-limited": "rate limited",
    "unexpected": "unexpected response",
    "refused": "refused",
    "no-key": "no key",
}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of probing one instance. Holds no key: every text in it was
    redacted before it was built."""

    instance_id: str
    status: ProbeStatus
    detail: str = ""
    """One line saying why (empty for a plain `ok`); redacted."""
    latency_ms: float | None = None
    """Time to the first response, when there was one."""
    models: tuple[str, ...] = ()
    """Model ids the endpoint offered (every page)."""
    missing: tuple[tuple[str, str | None], ...] = ()
    """Models the instance names that the endpoint does not offer, each with the
    closest offered id (None: nothing close)."""
    checked_at: float = 0.0
    """`time.time()` when the probe finished."""
    lists_models: bool = field(default=True, compare=False)
    """False when the endpoint proves the key but lists no models (OpenRouter's `/key`)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        """One line: `ok 212 ms, 37 models`, `auth failed: HTTP 401 ...`."""
        label = STATUS_LABELS[self.status]
        if self.status == "ok":
            timing = f" {self.latency_ms:.0f} ms" if self.latency_ms is not None else ""
            count = len(self.models)
            what = (
                f"{count} model{'' if count == 1 else 's'}" if self.lists_models else "key accepted"
            )
            return f"ok{timing}, {what}" + (f" ({self.detail})" if self.detail else "")
        if self.status == "model-not-offered":
            return f"{label}: " + ", ".join(
                model + (f" (did you mean {suggestion}?)" if suggestion else "")
                for model, suggestion in self.missing
            )
        return f"{label}: {self.detail}" if self.detail else label
