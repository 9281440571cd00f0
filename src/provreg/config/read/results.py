"""What loading produces: parsed files, per-file results, whole loads.

Plain values shared by the load steps (reading, instance validation,
definitions, linking, load_set), the storage backends and the registry.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode

from provreg.catalog import Catalog
from provreg.config.read.yaml_source import Document
from provreg.model import Diagnostic, ProviderDefinition, ProviderInstance, Severity
from provreg.value_class import ValueClass, field


class Fingerprint(ValueClass, kw_only=False):
    """What a file looked like when read: compared before the app writes it."""

    size: int
    mtime_ns: int
    sha256: str


class RawEntry(ValueClass, kw_only=False, frozen=False):
    """One mapping from `providers:` or `definitions:` with its node, before validation."""

    value: dict[Any, Any]
    node: MappingNode | None
    """None in a slimmed ParsedFile."""


class ParsedFile(ValueClass, kw_only=False, frozen=False):
    """A file read and shape-checked, not yet validated against the catalog."""

    path: str
    display: str
    fingerprint: Fingerprint | None
    document: Document | None
    version: int | None = None
    providers: list[RawEntry] = field(default_factory=list)
    definitions: list[RawEntry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    text: str | None = None
    """The decoded text, when the reader asked for it (`read_file(keep_text=True)`:
    the storage indexes the items' places while the node tree is there); never
    kept by a slimmed file."""

    slim: bool = False
    """Node trees dropped (kept in memory between writes): validating it again
    needs the file re-read. Values of entries are kept for conflict checks."""

    @property
    def interpretable(self) -> bool:
        """False when the file could not be read as a version-1 document at all."""
        return self.document is not None and not self.document.failed

    def slimmed(self) -> ParsedFile:
        """A copy without the YAML node trees of its instances (most of a parsed
        file's memory: a node and two position marks per scalar). Definition
        entries keep theirs: every recompute validates definitions again."""
        if self.slim:
            return self
        return ParsedFile(
            self.path,
            self.display,
            self.fingerprint,
            None,
            self.version,
            [RawEntry(entry.value, None) for entry in self.providers],
            self.definitions,
            self.diagnostics,
            slim=True,
        )


class FileResult(ValueClass, kw_only=False):
    """The outcome for one file: its valid instances and all its diagnostics."""

    path: str
    display: str
    fingerprint: Fingerprint | None
    instances: tuple[ProviderInstance, ...]
    definitions: tuple[ProviderDefinition, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when the file has no errors (it may have warnings)."""
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


class LoadResult(ValueClass, kw_only=False):
    """Everything one load produced."""

    files: tuple[FileResult, ...]
    instances: tuple[ProviderInstance, ...]
    diagnostics: tuple[Diagnostic, ...]
    catalog: Catalog

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)
