"""Helpers shared by the commands: opening the registry, errors, tables."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from provreg.gc_control import freeze_loaded_objects
from provreg.registry import AuditLog, ProviderRegistry
from provreg.report import table

__all__ = ["CommandError", "WriteOptions", "open_registry", "run_on_registry", "table"]


class CommandError(Exception):
    """A user mistake on the command line: printed as one line, exit 1."""


@dataclass(frozen=True)
class WriteOptions:
    """How a command that writes may write: `--read-only` and `--allow-hardlinks`,
    with the user's PROVREG_READ_ONLY and PROVREG_ALLOW_HARDLINKS already applied."""

    read_only: bool = False
    """Refuse every write."""
    allow_hardlinks: bool = False
    """Write a hard-linked config file in place (not crash-safe) instead of refusing."""


async def open_registry(
    paths: list[str], *, audit: bool = True, writes: WriteOptions | None = None
) -> ProviderRegistry:
    """Open the registry at `paths` (default: $PROVREG_CONFIG, else the user config dir).

    `writes` None (a command that only reads): the registry's own defaults,
    which follow PROVREG_READ_ONLY and PROVREG_ALLOW_HARDLINKS.
    """
    from provreg.paths import default_config_paths

    chosen = paths or default_config_paths()
    missing = [path for path in chosen if not os.path.exists(path)]
    if missing:
        hint = (
            ""
            if paths
            else " (create it with `provreg init`, pass --config PATH or set PROVREG_CONFIG)"
        )
        raise CommandError(f"{missing[0]}: no such file or directory{hint}")
    registry = await ProviderRegistry.open(
        chosen,
        audit=AuditLog() if audit else False,
        read_only=None if writes is None else writes.read_only,
        allow_hardlink_in_place=None if writes is None else writes.allow_hardlinks,
    )
    # The CLI, not the dashboard, may let a `{command: ..., interactive: true}`
    # program prompt on the terminal (an `op` sign-in).
    registry.terminal_for_commands = True
    if not audit:
        # Commands that log nothing still close what a crashed writer left
        # open: the next command after a crash, whatever it is, repairs the log.
        registry.resolve_interrupted_writes(AuditLog())
    freeze_loaded_objects()
    return registry


def run_on_registry(
    paths: list[str],
    body: Callable[[ProviderRegistry], Awaitable[int]],
    *,
    audit: bool = True,
    writes: WriteOptions | None = None,
) -> int:
    """Open the registry at `paths` (as `open_registry`) and run `body` on it in
    one event loop: the whole life of a command; its exit code."""

    async def run() -> int:
        return await body(await open_registry(paths, audit=audit, writes=writes))

    return anyio.run(run)
