"""User `definitions:`: validate them and extend the catalog with them.

Definitions are global to a whole config (an instance in any file may use a
definition from any other): `collect_definitions` takes every file at once;
`DefinitionCollector` takes them one at a time in load order (the file-by-file
load, which validates each file before reading the next).

A definition's shape is checked by `provreg.definition_schema` (pydantic), which
is imported only when a file has definitions; pydantic's errors become E301
diagnostics at the YAML node they name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provreg.catalog import Catalog
from provreg.config import codes
from provreg.config.read.plain_definitions import plainly_valid
from provreg.config.read.results import ParsedFile, RawEntry
from provreg.config.read.yaml_source import diagnostic_at, internal_error, locate, node_position
from provreg.model import Diagnostic, ProviderDefinition

BUILTIN_INSTANCE_KEYS = frozenset({"models"})
"""Instance keys that definitions once declared as fields and every instance now has."""


def collect_definitions(
    parsed_files: Sequence[ParsedFile], base: Catalog
) -> tuple[Catalog, dict[str, list[ProviderDefinition]], list[Diagnostic]]:
    """Validate the user `definitions:` of all files and extend the catalog with them."""
    collector = DefinitionCollector(base)
    for parsed in parsed_files:
        collector.add(parsed)
    return collector.catalog, collector.per_file, collector.diagnostics


class DefinitionCollector:
    """Collects definitions file by file, in load order.

    A file's definitions are checked only against the base catalog and the
    files added before it (the first declaration of an id wins), so adding the
    files one at a time gives what `collect_definitions` gives for all of them;
    `catalog` is, after each file, the catalog of the files added so far.
    """

    def __init__(self, base: Catalog) -> None:
        self.base = base
        self.per_file: dict[str, list[ProviderDefinition]] = {}
        self.diagnostics: list[Diagnostic] = []
        self._declared: dict[str, str] = {}
        self._catalog = base

    @property
    def catalog(self) -> Catalog:
        """The base catalog extended with every definition accepted so far."""
        return self._catalog

    @property
    def count(self) -> int:
        """How many user definitions were accepted so far."""
        return len(self._declared)

    def add(self, parsed: ParsedFile) -> list[Diagnostic]:
        """Validate one file's definitions; returns the diagnostics about them."""
        diagnostics: list[Diagnostic] = []
        mine = self.per_file.setdefault(parsed.display, [])
        added = False
        for entry in parsed.definitions:
            try:
                definition = _validate_definition(parsed.display, entry, diagnostics)
            except Exception as exc:  # noqa: BLE001 - one bad definition must not stop the load
                diagnostics.append(internal_error(parsed.display, exc))
                continue
            if definition is None:
                continue
            id_node = locate(entry.node, ("id",))
            existing = self.base.get(definition.id)
            if existing is not None and existing.builtin:
                diagnostics.append(
                    diagnostic_at(
                        codes.DEFINITION_CLASHES,
                        parsed.display,
                        id_node,
                        f"definition '{definition.id}' clashes with the built-in provider "
                        f"'{existing.name}'",
                        hint="choose another id; built-in providers cannot be redefined",
                    )
                )
                continue
            if definition.id in self._declared:
                diagnostics.append(
                    diagnostic_at(
                        codes.DUPLICATE_DEFINITION,
                        parsed.display,
                        id_node,
                        f"definition '{definition.id}' is already declared in "
                        f"{self._declared[definition.id]}",
                    )
                )
                continue
            line = node_position(entry.node)[0] if entry.node is not None else 0
            self._declared[definition.id] = f"{parsed.display}:{line}"
            mine.append(definition)
            added = True
        if added:
            # Built from the base each time, as it is built for all files at
            # once, so the final catalog is the same.
            extra = [d for defs in self.per_file.values() for d in defs]
            self._catalog = self.base.with_definitions(extra)
        self.diagnostics.extend(diagnostics)
        return diagnostics


def _validate_definition(
    file: str, entry: RawEntry, diagnostics: list[Diagnostic]
) -> ProviderDefinition | None:
    if "builtin" in entry.value:
        diagnostics.append(
            diagnostic_at(
                codes.BAD_DEFINITION,
                file,
                locate(entry.node, ("builtin",), key=True),
                "'builtin' cannot be set in a config file",
            )
        )
        return None
    label = entry.value.get("id") if isinstance(entry.value.get("id"), str) else "?"
    value = _without_builtin_keys(file, entry, str(label), diagnostics)
    definition = plainly_valid(value)
    if definition is None:
        definition = _validate_with_schema(file, entry, value, str(label), diagnostics)
    if definition is None:
        return None
    # A default must itself be a valid value of its field.
    from provreg.config.read.validation import check_fields

    bad = False
    for index, spec in enumerate(definition.fields):
        if spec.default is None:
            continue
        _, problems = check_fields({spec.id: spec.default}, definition)
        for problem in problems:
            if problem.path[:1] != (spec.id,):
                continue  # other fields' "missing" reports: only this default is checked
            bad = True
            diagnostics.append(
                diagnostic_at(
                    codes.BAD_DEFINITION,
                    file,
                    locate(entry.node, ("fields", index, "default")),
                    f"definition '{label}': the default of field '{spec.id}' is invalid: "
                    + problem.message.removeprefix(f"field '{spec.id}': "),
                )
            )
    return None if bad else definition


def _validate_with_schema(
    file: str, entry: RawEntry, value: dict[Any, Any], label: str, diagnostics: list[Diagnostic]
) -> ProviderDefinition | None:
    """The definition checked by pydantic (`provreg.definition_schema`), each
    broken rule a diagnostic at its node. Here only, for a definition the plain
    path left to it: pydantic stays out of other loads (docs/architecture.md)."""
    from pydantic import ValidationError

    from provreg.definition_schema import validate_definition

    try:
        return validate_definition(value)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                message = f"unknown key '{loc[-1]}'"
                node = locate(entry.node, loc, key=True)
            else:
                message = _plain_message(str(error["msg"]))
                node = locate(entry.node, loc)
            where = _loc_text(loc, entry.value)
            diagnostics.append(
                diagnostic_at(
                    codes.BAD_DEFINITION,
                    file,
                    node,
                    f"definition '{label}': " + (f"{where}: " if where else "") + message,
                )
            )
        return None


def _without_builtin_keys(
    file: str, entry: RawEntry, label: str, diagnostics: list[Diagnostic]
) -> dict[Any, Any]:
    """The definition without field specs for keys every instance has (`models`):
    definitions written before `models:` became an instance key declared it as a
    list field, and must keep loading (their instances' lists read the same)."""
    fields = entry.value.get("fields")
    if not isinstance(fields, list):
        return entry.value
    kept = []
    for index, spec in enumerate(fields):
        if isinstance(spec, dict) and spec.get("id") in BUILTIN_INSTANCE_KEYS:
            diagnostics.append(
                diagnostic_at(
                    codes.BUILTIN_KEY_DECLARED,
                    file,
                    locate(entry.node, ("fields", index)),
                    f"definition '{label}': every instance has '{spec['id']}' "
                    "(model ids, each with optional limits); this field is ignored",
                    hint="remove this field from the definition",
                )
            )
            continue
        kept.append(spec)
    return {**entry.value, "fields": kept} if len(kept) != len(fields) else entry.value


_PYDANTIC_PHRASES = (
    ("String should match pattern ", "must match "),
    ("Input should be a valid ", "must be a "),
    ("Input should be ", "must be "),
    ("String should have at least ", "must have at least "),
    ("String should have at most ", "must have at most "),
    ("Field required", "is required"),
    ("Value error, ", ""),
)


def _plain_message(message: str) -> str:
    for phrase, plain in _PYDANTIC_PHRASES:
        message = message.replace(phrase, plain)
    return message


def _loc_text(loc: tuple[Any, ...], value: dict[Any, Any]) -> str:
    """`fields item 3 (api_key): type` — 1-based, naming the field when it has an id."""
    parts: list[str] = []
    current: Any = value
    for step in loc:
        if isinstance(step, int):
            item = current[step] if isinstance(current, list) and step < len(current) else None
            name = item.get("id") if isinstance(item, dict) else None
            parts.append(f"item {step + 1}" + (f" ({name})" if isinstance(name, str) else ""))
            current = item
        else:
            parts.append(str(step))
            current = current.get(step) if isinstance(current, dict) else None
    return " ".join(parts)
