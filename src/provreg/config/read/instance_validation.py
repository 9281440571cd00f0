"""Validate one parsed file's provider instances (file-local checks only).

Owns: an instance entry's required fields (`name`, `id` or the id derived from
the name, `provider` known to the catalog), and building the ProviderInstance
of a valid entry. The fields of an instance are checked
against its definition by `validation`; checks across files are `linking`'s.
May import: `provreg.catalog`, `provreg.model`, the other `provreg.config.read`
modules, the shared `provreg.config` ones (`codes`, `ids`).
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node

from provreg.catalog import Catalog
from provreg.config import codes
from provreg.config.codes import Code
from provreg.config.ids import slugify
from provreg.config.read.diagnostic_cap import DiagnosticCap
from provreg.config.read.field_problem import yaml_type_name
from provreg.config.read.results import FileResult, ParsedFile, RawEntry
from provreg.config.read.validation import clip, validate_fields
from provreg.config.read.yaml_source import diagnostic_at, internal_error, locate, node_position
from provreg.model import (
    ID_RE,
    NAME_MAX_LENGTH,
    Diagnostic,
    ProviderInstance,
    Severity,
    name_length_ok,
)


def validate_file(parsed: ParsedFile, catalog: Catalog) -> FileResult:
    """Validate a parsed file's instances against the catalog (file-local checks only)."""
    if parsed.slim:
        raise ValueError(f"{parsed.display}: slimmed; read the file again to validate it")
    diagnostics = DiagnosticCap(parsed.display, parsed.diagnostics)
    instances: list[ProviderInstance] = []
    try:
        for entry in parsed.providers:
            instance = _validate_instance(parsed.display, entry, catalog, diagnostics)
            if instance is not None:
                instances.append(instance)
        found = diagnostics.result()
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the others
        instances = []
        found = [*parsed.diagnostics, internal_error(parsed.display, exc)]
    return FileResult(
        parsed.path, parsed.display, parsed.fingerprint, tuple(instances), (), tuple(found)
    )


def validate_entry(
    display: str, entry: RawEntry, catalog: Catalog
) -> tuple[ProviderInstance | None, list[Diagnostic]]:
    """One entry of a file validated as `validate_file` validates it: its
    instance (None when invalid) and its diagnostics, capped on their own (the
    caller decides how they combine with the rest of the file's)."""
    diagnostics = DiagnosticCap(display)
    instance = _validate_instance(display, entry, catalog, diagnostics)
    return instance, diagnostics.result()


def _validate_instance(
    file: str, entry: RawEntry, catalog: Catalog, diagnostics: DiagnosticCap
) -> ProviderInstance | None:
    raw, node = entry.value, entry.node
    assert node is not None, "validate_file refuses slimmed files"
    line, column = node_position(node)
    valid = True

    def report(code: Code, where: Node | None, message: str, **kw: Any) -> None:
        nonlocal valid
        if diagnostics.room():
            diagnostics.append(diagnostic_at(code, file, where or node, message, **kw))
        else:  # past the cap: counted, not built
            diagnostics.omit_at(code, where or node)
        if code.severity is Severity.ERROR:
            valid = False

    def required_text(
        key: str, missing_hint: str, not_text: Code, not_text_hint: str | None = None, **kw: Any
    ) -> str | None:
        value = raw.get(key)
        if key not in raw or value is None:
            report(
                codes.MISSING_FIELD,
                node,
                f"missing required field '{key}'",
                hint=missing_hint,
                **kw,
            )
            return None
        if not isinstance(value, str):
            report(
                not_text,
                locate(node, (key,)),
                f"'{key}' must be text, not {yaml_type_name(value)}",
                hint=not_text_hint,
                **kw,
            )
            return None
        return value

    name = required_text(
        "name", "every provider instance needs a display name", codes.INVALID_NAME, "quote the name"
    )
    name_text = "" if name is None else name.strip()
    if name is not None and not name_length_ok(name_text):
        report(
            codes.INVALID_NAME,
            locate(node, ("name",)),
            f"'name' must be 1 to {NAME_MAX_LENGTH} characters (it has {len(name_text)})",
        )

    instance_id, id_derived = _instance_id(raw, node, name_text, file, report)

    provider = required_text(
        "provider",
        "name a catalog id, e.g. openai; `provreg catalog` lists them",
        codes.WRONG_TYPE,
        instance_id=instance_id,
    )
    definition = None
    if provider is not None:
        definition = catalog.get(provider)
        if definition is None:
            suggestion = catalog.suggest(provider)
            report(
                codes.UNKNOWN_PROVIDER,
                locate(node, ("provider",)),
                f"unknown provider '{provider}'"
                + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
                hint=None if suggestion else "known providers: " + ", ".join(catalog.ids()),
                instance_id=instance_id,
            )

    values: dict[str, Any] | None = None
    if definition is not None:
        values, field_diags = validate_fields(raw, node, definition, file, instance_id)
        diagnostics.extend(field_diags)
        if values is None:
            valid = False
    if not valid or values is None or instance_id is None or not isinstance(provider, str):
        return None
    return ProviderInstance(
        id=instance_id,
        name=name_text,
        provider=provider,
        values=values,
        file=file,
        line=line,
        column=column,
        id_derived=id_derived,
    )


def _instance_id(
    raw: dict[Any, Any], node: MappingNode, name: str, file: str, report: Any
) -> tuple[str | None, bool]:
    if "id" in raw and raw["id"] is not None:
        value = raw["id"]
        if isinstance(value, str) and ID_RE.fullmatch(value):
            return value, False  # the common case: no position lookup needed
        where = locate(node, ("id",))
        if not isinstance(value, str):
            report(
                codes.INVALID_ID,
                where,
                f"'id' must be text, not {yaml_type_name(value)}",
                hint="quote the id",
            )
            return None, False
        if not ID_RE.fullmatch(value):
            report(
                codes.INVALID_ID,
                where,
                f"invalid id '{clip(value)}': use 1-63 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit",
                hint=f"for example '{slugify(value)}'",
            )
            return None, False
        return value, False
    if not name:
        return None, True
    return slugify(name), True
