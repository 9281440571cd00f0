"""One line of `provreg doctor`'s report: ok, warn or fail, with its fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    """config, keys, keyring, watch, editor, terminal or versions."""
    status: Status
    summary: str
    fix: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """Plain values for `--json` (paths, modes, names; never a key)."""
