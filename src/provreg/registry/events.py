"""Typed events a commit publishes, each with its source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provreg.model import Diagnostic, ProviderInstance

Source = Literal["app", "cli", "external"]


@dataclass(frozen=True, slots=True)
class InstanceAdded:
    instance: ProviderInstance
    source: Source


@dataclass(frozen=True, slots=True)
class InstanceUpdated:
    instance: ProviderInstance
    previous: ProviderInstance
    changed_fields: tuple[str, ...]
    """Names of changed fields; `name`, and `file` for a move between files, count too."""
    source: Source


@dataclass(frozen=True, slots=True)
class InstanceRemoved:
    instance: ProviderInstance
    source: Source


@dataclass(frozen=True, slots=True)
class DiagnosticsChanged:
    files: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Conflict:
    """An edit was refused because the instance changed on disk meanwhile."""

    instance_id: str
    file: str
    message: str
    source: Source


@dataclass(frozen=True, slots=True)
class ReloadFailed:
    """A file stopped parsing or validating; its last good instances stay (stale)."""

    file: str
    diagnostics: tuple[Diagnostic, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class ReloadRecovered:
    """A file that failed to load loads again: its instances are current, not stale."""

    file: str
    instances: int
    """How many instances the file now declares."""
    source: Source


Event = (
    InstanceAdded
    | InstanceUpdated
    | InstanceRemoved
    | DiagnosticsChanged
    | Conflict
    | ReloadFailed
    | ReloadRecovered
)
