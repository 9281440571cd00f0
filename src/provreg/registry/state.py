"""The immutable registry snapshot that readers share without locking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from provreg.catalog import Catalog
from provreg.model import Diagnostic, ProviderInstance, Severity
from provreg.registry.events import Conflict

WatchMode = Literal["watching", "polling", "stopped"]

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FileStatus:
    """One config file as the registry last saw it (Prometheus' last-reload gauges)."""

    display: str
    path: str
    ok: bool
    """The last read parsed and validated without errors."""
    stale: bool
    """Not ok, and the registry still serves the file's last good instances."""
    last_reload: float
    """When the file was last read (epoch seconds)."""
    last_error: str | None
    """First error of the last read, as `line:col: message`."""
    instance_ids: tuple[str, ...]
    sha256: str | None = None
    """Content hash of the last read."""


@dataclass(frozen=True, slots=True)
class RegistryState:
    """A whole registry at one revision. Replaced whole on each commit, never mutated.

    Commits share unchanged `ProviderInstance` objects with the previous
    state, so memory stays O(n) in instances however many revisions exist.
    """

    instances: Mapping[str, ProviderInstance]
    """Instances by id, in file order then position."""
    diagnostics: Mapping[str, tuple[Diagnostic, ...]]
    """Diagnostics per file display path (including cross-file ones)."""
    files: Mapping[str, FileStatus]
    catalog: Catalog
    conflicts: tuple[Conflict, ...] = ()
    """Refused writes not yet dismissed."""
    revision: int = 0
    watch: WatchMode = "stopped"
    stale_ids: frozenset[str] = field(default_factory=frozenset)
    """Instances served from a file's last good version."""

    def all_diagnostics(self) -> list[Diagnostic]:
        return [d for diags in self.diagnostics.values() for d in diags]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.all_diagnostics() if d.severity is severity)

    @staticmethod
    def empty(catalog: Catalog) -> RegistryState:
        return RegistryState(
            MappingProxyType({}), MappingProxyType({}), MappingProxyType({}), catalog
        )
