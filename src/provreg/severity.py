"""How bad a diagnostic is: its own module so the dashboard's first paint can use
it without importing pydantic and the models (`provreg.model` re-exports it).

May import: the standard library only.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How bad a diagnostic is. Only errors make `--check` fail (warnings with `--strict`)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
