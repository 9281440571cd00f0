"""Helpers shared by the commands: opening the registry, errors, tables."""

from __future__ import annotations

import os
from collections.abc import Sequence

from provreg.registry import AuditLog, ProviderRegistry


class CommandError(Exception):
    """A user mistake on the command line: printed as one line, exit 1."""


async def open_registry(
    paths: list[str], *, audit: bool = True, read_only: bool | None = None
) -> ProviderRegistry:
    """Open the registry at `paths` (default: $PROVREG_CONFIG, else the user config dir)."""
    from provreg.paths import default_config_paths

    chosen = paths or default_config_paths()
    missing = [path for path in chosen if not os.path.exists(path)]
    if missing:
        hint = "" if paths else " (pass --config PATH or set PROVREG_CONFIG)"
        raise CommandError(f"{missing[0]}: no such file or directory{hint}")
    return await ProviderRegistry.open(
        chosen, audit=AuditLog() if audit else False, read_only=read_only
    )


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces; the first row is the header."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"
