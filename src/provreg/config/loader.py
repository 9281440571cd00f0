"""Load config files into validated instances and diagnostics.

Owns: the document shape of format version 1 (`version`, `providers`,
`definitions`), per-file validation, and the checks that span files
(duplicate ids and names, derived ids, user definitions).
May import: `provreg.model`, `provreg.catalog`, the other `provreg.config` modules.

Loading happens in three steps so the sync engine can redo only what a
changed file needs: `read_file` (bytes to a ParsedFile), `validate_file`
(against a catalog extended by `definitions.collect_definitions`), then
`linking.link` (checks across files). `read_and_validate` does the first two
file by file, so only one file's node tree exists at a time (the registry's
initial load). The values they pass around live in `results`; id slugs in `ids`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from provreg.catalog import Catalog, builtin_catalog
from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
from provreg.config.codes import Code
from provreg.config.definitions import DefinitionCollector, collect_definitions
from provreg.config.discovery import ConfigFile, discover
from provreg.config.ids import slugify, unique_id
from provreg.config.linking import link
from provreg.config.results import (
    FileResult,
    Fingerprint,
    LoadResult,
    ParsedFile,
    RawEntry,
)
from provreg.config.validation import validate_fields, yaml_type_name
from provreg.config.yaml_source import (
    Document,
    Limits,
    diagnostic,
    diagnostic_at,
    file_too_large,
    gc_paused,
    locate,
    mapping_entry,
    node_position,
    parse_bytes,
)
from provreg.model import (
    ID_RE,
    NAME_MAX_LENGTH,
    Diagnostic,
    ProviderDefinition,
    ProviderInstance,
    Severity,
)

CURRENT_VERSION = 1
TOP_LEVEL_KEYS = ("version", "providers", "definitions")
LEGACY_MARKERS = frozenset({"customName", "apiKey", "baseUrl", "useAuthHeader"})
"""Keys of the old app's export layout (format version 0)."""


def detect_version(value: Any) -> int:
    """A parsed document's format version: its `version`, 0 for the legacy layout
    (entries with `customName`/`apiKey`/...), else CURRENT_VERSION."""
    if isinstance(value, dict) and isinstance(value.get("version"), int):
        return int(value["version"])
    entries = value.get("providers") if isinstance(value, dict) else value
    if isinstance(entries, list) and any(
        isinstance(entry, dict) and LEGACY_MARKERS & set(entry) for entry in entries
    ):
        return 0
    return CURRENT_VERSION


# --------------------------------------------------------------------------- reading


def read_file(path: str, display: str, limits: Limits = Limits()) -> ParsedFile:
    """Read one file and check its document shape. Never raises for bad content."""
    try:
        with open(path, "rb", opener=_open_nonblocking) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return _unreadable(path, display, "not a regular file")
            if info.st_size > limits.max_bytes:
                # Not read at all; the message gives the real size.
                diag = file_too_large(display, info.st_size, limits)
                fingerprint = Fingerprint(info.st_size, info.st_mtime_ns, "")
                document = Document(display, None, None, [diag])
                return ParsedFile(path, display, fingerprint, document, diagnostics=[diag])
            data = handle.read()
    except OSError as exc:
        return _unreadable(path, display, exc.strerror or str(exc))
    fingerprint = Fingerprint(len(data), info.st_mtime_ns, hashlib.sha256(data).hexdigest())
    return parse_file(data, path, display, fingerprint, limits)


def _open_nonblocking(path: str, flags: int) -> int:
    # A FIFO (or a device) named *.yaml must not block the load until a writer
    # appears; fstat then rejects anything that is not a regular file.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _unreadable(path: str, display: str, reason: str) -> ParsedFile:
    diag = diagnostic(codes.UNREADABLE, display, 1, 1, f"cannot read file: {reason}")
    return ParsedFile(path, display, None, None, diagnostics=[diag])


def parse_file(
    data: bytes,
    path: str,
    display: str,
    fingerprint: Fingerprint | None = None,
    limits: Limits = Limits(),
) -> ParsedFile:
    """Parse bytes and check the version-1 document shape."""
    return parsed_from_document(parse_bytes(data, display, limits), path, display, fingerprint)


def parsed_from_document(
    document: Document, path: str, display: str, fingerprint: Fingerprint | None = None
) -> ParsedFile:
    """Check the version-1 document shape of a parse (`parse_bytes` of the file,
    or a parse known to equal it, as the one a verified write made)."""
    parsed = ParsedFile(
        path, display, fingerprint, document, diagnostics=list(document.diagnostics)
    )
    if document.failed:
        return parsed
    root = document.root
    value = document.value
    if not (isinstance(value, dict) and "version" in value) and detect_version(value) == 0:
        parsed.diagnostics.append(
            diagnostic_at(
                codes.LEGACY_LAYOUT,
                display,
                root,
                "this file uses the old app's layout (customName, apiKey, ...); "
                "it is not interpreted until upgraded",
                hint="run `provreg migrate --upgrade` (keeps comments, writes a backup, "
                "moves plaintext keys to the keyring)",
            )
        )
        parsed.document = Document(display, None, None, parsed.diagnostics)
        return parsed
    if not isinstance(value, dict):
        parsed.diagnostics.append(
            diagnostic_at(
                codes.WRONG_SHAPE,
                display,
                root,
                "a config file is a mapping with 'version' and 'providers', "
                f"not {yaml_type_name(value)}",
                hint="start the file with `version: 1` and `providers:`",
            )
        )
        parsed.document = Document(display, None, None, parsed.diagnostics)
        return parsed
    for key in value:
        if key not in TOP_LEVEL_KEYS:
            suggestion = did_you_mean(str(key), TOP_LEVEL_KEYS)
            parsed.diagnostics.append(
                diagnostic_at(
                    codes.UNKNOWN_TOP_LEVEL_KEY,
                    display,
                    locate(root, (key,), key=True),
                    f"unknown top-level key '{key}'"
                    + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
                    hint=None if suggestion else "top-level keys: version, providers, definitions",
                )
            )
    if not _read_version(parsed, value, root):
        parsed.document = Document(display, None, None, parsed.diagnostics)
        return parsed
    parsed.providers = _entries(parsed, value, root, "providers", "provider instance")
    parsed.definitions = _entries(parsed, value, root, "definitions", "provider definition")
    return parsed


def _read_version(parsed: ParsedFile, value: dict[Any, Any], root: Node | None) -> bool:
    """Record the version; False when the file must not be interpreted further."""
    if "version" not in value:
        parsed.version = CURRENT_VERSION
        parsed.diagnostics.append(
            diagnostic_at(
                codes.VERSION_MISSING,
                parsed.display,
                root,
                f"no 'version'; assuming version {CURRENT_VERSION}",
                hint=f"add `version: {CURRENT_VERSION}` at the top",
            )
        )
        return True
    version = value["version"]
    where = locate(root, ("version",))
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        parsed.diagnostics.append(
            diagnostic_at(
                codes.BAD_VERSION,
                parsed.display,
                where,
                f"'version' must be a whole number from 1, not {_brief(version)}",
                hint=f"write `version: {CURRENT_VERSION}`",
            )
        )
        return False
    if version > CURRENT_VERSION:
        parsed.diagnostics.append(
            diagnostic_at(
                codes.VERSION_TOO_NEW,
                parsed.display,
                where,
                f"format version {version} is newer than this provreg knows "
                f"(up to {CURRENT_VERSION}); the file is not interpreted",
                hint="upgrade provreg",
            )
        )
        return False
    parsed.version = version
    return True


def _entries(
    parsed: ParsedFile, value: dict[Any, Any], root: Node | None, key: str, what: str
) -> list[RawEntry]:
    items = value.get(key)
    if items is None:
        return []
    list_node = locate(root, (key,))
    if not isinstance(items, list) or not isinstance(list_node, SequenceNode):
        parsed.diagnostics.append(
            diagnostic_at(
                codes.WRONG_SHAPE,
                parsed.display,
                list_node,
                f"'{key}' must be a list of mappings, not {yaml_type_name(items)}",
                hint=f"write each {what} as an item starting with '- '",
            )
        )
        return []
    entries: list[RawEntry] = []
    for item, item_node in zip(items, list_node.value, strict=True):
        if isinstance(item, dict) and isinstance(item_node, MappingNode):
            entries.append(RawEntry(item, item_node))
        else:
            parsed.diagnostics.append(
                diagnostic_at(
                    codes.WRONG_SHAPE,
                    parsed.display,
                    item_node,
                    f"each item of '{key}' must be a mapping (a {what}), "
                    f"not {yaml_type_name(item)}",
                )
            )
    return entries


# --------------------------------------------------------------------------- validating


def validate_file(parsed: ParsedFile, catalog: Catalog) -> FileResult:
    """Validate a parsed file's instances against the catalog (file-local checks only)."""
    if parsed.slim:
        raise ValueError(f"{parsed.display}: slimmed; read the file again to validate it")
    diagnostics = list(parsed.diagnostics)
    instances: list[ProviderInstance] = []
    for entry in parsed.providers:
        instance = _validate_instance(parsed.display, entry, catalog, diagnostics)
        if instance is not None:
            instances.append(instance)
    return FileResult(
        parsed.path, parsed.display, parsed.fingerprint, tuple(instances), (), tuple(diagnostics)
    )


def _validate_instance(
    file: str, entry: RawEntry, catalog: Catalog, diagnostics: list[Diagnostic]
) -> ProviderInstance | None:
    raw, node = entry.value, entry.node
    assert node is not None, "validate_file refuses slimmed files"
    line, column = node_position(node)
    valid = True

    def report(code: Code, where: Node | None, message: str, **kw: Any) -> None:
        nonlocal valid
        diagnostics.append(diagnostic_at(code, file, where or node, message, **kw))
        if code.severity is Severity.ERROR:
            valid = False

    name = raw.get("name")
    if "name" not in raw or name is None:
        report(
            codes.MISSING_FIELD,
            node,
            "missing required field 'name'",
            hint="every provider instance needs a display name",
        )
        name_text = ""
    elif not isinstance(name, str):
        report(
            codes.INVALID_NAME,
            locate(node, ("name",)),
            f"'name' must be text, not {yaml_type_name(name)}",
            hint="quote the name",
        )
        name_text = ""
    else:
        name_text = name.strip()
        if not 1 <= len(name_text) <= NAME_MAX_LENGTH:
            report(
                codes.INVALID_NAME,
                locate(node, ("name",)),
                f"'name' must be 1 to {NAME_MAX_LENGTH} characters (it has {len(name_text)})",
            )

    instance_id, id_derived = _instance_id(raw, node, name_text, file, report)

    provider = raw.get("provider")
    definition = None
    if "provider" not in raw or provider is None:
        report(
            codes.MISSING_FIELD,
            node,
            "missing required field 'provider'",
            hint="name a catalog id, e.g. openai; `provreg catalog` lists them",
            instance_id=instance_id,
        )
    elif not isinstance(provider, str):
        report(
            codes.WRONG_TYPE,
            locate(node, ("provider",)),
            f"'provider' must be text, not {yaml_type_name(provider)}",
            instance_id=instance_id,
        )
    else:
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
    return construct_instance(
        {
            "id": instance_id,
            "name": name_text,
            "provider": provider,
            "values": values,
            "file": file,
            "line": line,
            "column": column,
            "id_derived": id_derived,
        }
    )


_INSTANCE_FIELDS = set(ProviderInstance.model_fields)
"""`model_fields_set` of every loaded instance (all fields are given): one set
shared by all of them instead of one each (728 bytes per instance). Sharing is
safe: the model is frozen, so pydantic never adds to it, and `model_copy`
copies it before changing it."""

_SET_ATTRIBUTE = object.__setattr__
_CONSTRUCT_DIRECTLY = (
    ProviderInstance.model_config.get("extra") != "allow"
    and not ProviderInstance.__pydantic_root_model__
    and ProviderInstance.__pydantic_post_init__ is None
    and all(
        spec.alias is None and spec.validation_alias is None
        for spec in ProviderInstance.model_fields.values()
    )
)
"""True while `model_construct` given every field does nothing but set the four
attributes below (no aliases to map, no extra or private values, no post-init)."""


def construct_instance(fields: dict[str, Any]) -> ProviderInstance:
    """`ProviderInstance.model_construct(_INSTANCE_FIELDS, **fields)` for already
    validated `fields`, all of them, in the model's field order.

    model_construct walks the model's fields for aliases and defaults on every
    call (2.3 us, a quarter of validating an instance); with every field given
    and none aliased, it comes down to setting these attributes.
    """
    if not _CONSTRUCT_DIRECTLY:
        return ProviderInstance.model_construct(_INSTANCE_FIELDS, **fields)
    instance = ProviderInstance.__new__(ProviderInstance)
    _SET_ATTRIBUTE(instance, "__dict__", fields)
    _SET_ATTRIBUTE(instance, "__pydantic_fields_set__", _INSTANCE_FIELDS)
    _SET_ATTRIBUTE(instance, "__pydantic_extra__", None)
    _SET_ATTRIBUTE(instance, "__pydantic_private__", None)
    return instance


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
                f"invalid id '{_clip(value)}': use 1-63 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit",
                hint=f"for example '{slugify(value)}'",
            )
            return None, False
        return value, False
    if not name:
        return None, True
    return slugify(name), True


# --------------------------------------------------------------------------- whole loads


Collected = tuple[Catalog, dict[str, list[ProviderDefinition]], list[Diagnostic]]
"""What `collect_definitions` returns, when the caller already has it."""


def validate_all(
    parsed: Sequence[ParsedFile],
    base: Catalog,
    *,
    previous: Mapping[str, FileResult] | None = None,
    previous_catalog: Catalog | None = None,
    changed: set[str] | None = None,
    collected: Collected | None = None,
) -> tuple[list[FileResult], Catalog]:
    """Validate parsed files; with `previous`, reuse results of unchanged files.

    A file's result is reused only when the file did not change and the set
    of user definitions (which every file's instances depend on) is the same.
    """
    catalog, definitions, definition_diags = (
        collected if collected is not None else collect_definitions(parsed, base)
    )
    reusable = (
        previous is not None
        and previous_catalog is not None
        and _user_definitions(catalog) == _user_definitions(previous_catalog)
    )
    results = []
    for item in parsed:
        if reusable and previous is not None and changed is not None:
            earlier = previous.get(item.display)
            if earlier is not None and item.display not in changed:
                results.append(earlier)
                continue
        result = validate_file(item, catalog)
        results.append(_with_definitions(result, definitions, definition_diags))
    return results, catalog


def _with_definitions(
    result: FileResult,
    definitions: Mapping[str, Sequence[ProviderDefinition]],
    definition_diags: Sequence[Diagnostic],
) -> FileResult:
    """A file's result with its own definitions and the diagnostics about them."""
    own_defs = tuple(definitions.get(result.display, ()))
    own_diags = [d for d in definition_diags if d.file == result.display]
    if not (own_defs or own_diags):
        return result
    return FileResult(
        result.path,
        result.display,
        result.fingerprint,
        result.instances,
        own_defs,
        tuple(sorted([*result.diagnostics, *own_diags], key=Diagnostic.sort_key)),
    )


def read_and_validate(
    files: Iterable[ConfigFile], base: Catalog, limits: Limits = Limits()
) -> tuple[list[ParsedFile], list[FileResult], Catalog]:
    """Read and validate files one at a time: the files slimmed, their results, the catalog.

    The same results as reading every file and then `validate_all`, but each
    file's YAML node tree (most of a parsed file's memory) is dropped once the
    file is validated, so the load's peak memory -- which the process keeps as
    resident memory afterwards -- no longer holds the trees of all files at once.

    Definitions may be used before the file that declares them: each file is
    validated against the definitions of the files read so far, and a file
    that named a provider missing from that catalog keeps its tree and is
    validated again at the end if definitions were added after it (an unknown
    provider's message lists the known ones, so it too depends on them).
    Known providers cannot change meaning later: the first declaration of an
    id wins.
    """
    collector = DefinitionCollector(base)
    slimmed: list[ParsedFile] = []
    results: list[FileResult] = []
    # Index in `results` -> the file, still with its nodes, and how many
    # definitions were known when it was validated.
    revisit: dict[int, tuple[ParsedFile, int]] = {}
    for config_file in files:
        parsed = read_file(config_file.path, config_file.display, limits)
        collector.add(parsed)
        catalog = collector.catalog
        results.append(validate_file(parsed, catalog))
        if _names_missing_provider(parsed, catalog):
            revisit[len(results) - 1] = (parsed, collector.count)
        slimmed.append(parsed.slimmed())
        del parsed  # frees the node tree now (unless kept to revisit)
    catalog = collector.catalog
    for index, (parsed, known) in revisit.items():
        if collector.count > known:
            results[index] = validate_file(parsed, catalog)
    revisit.clear()
    results = [
        _with_definitions(result, collector.per_file, collector.diagnostics) for result in results
    ]
    return slimmed, results, catalog


def _names_missing_provider(parsed: ParsedFile, catalog: Catalog) -> bool:
    for entry in parsed.providers:
        provider = entry.value.get("provider")
        if isinstance(provider, str) and catalog.get(provider) is None:
            return True
    return False


def _user_definitions(catalog: Catalog) -> list[ProviderDefinition]:
    return [definition for definition in catalog if not definition.builtin]


def sort_diagnostics(
    results: Sequence[FileResult], extra: Iterable[Diagnostic] = ()
) -> tuple[Diagnostic, ...]:
    """All diagnostics of `results` plus `extra`, in file order, then position."""
    order = {result.display: index for index, result in enumerate(results)}
    return tuple(
        sorted(
            [*(d for r in results for d in r.diagnostics), *extra],
            key=lambda d: (order.get(d.file, len(order)), d.line, d.column, d.code),
        )
    )


def load_files(
    files: Iterable[ConfigFile], limits: Limits = Limits(), base: Catalog | None = None
) -> LoadResult:
    """Read, validate and link a set of files."""
    base_catalog = base if base is not None else builtin_catalog()
    with gc_paused():
        # All files first, then validation: a check's memory is gone when it
        # exits, and this order is faster than `read_and_validate` on large
        # files (a file parsed into blocks freed by the previous file's tree
        # allocates from cold free lists: +15% on 1,000-instance files).
        parsed = [read_file(f.path, f.display, limits) for f in files]
        results, catalog = validate_all(parsed, base_catalog)
        # Free the node trees by reference counting while the collector is still
        # paused; otherwise its first run afterwards walks all of them (~0.3 s
        # of a 10,000-instance load, measured in docs/performance.md).
        del parsed
        instances, cross = link(results)
    return LoadResult(tuple(results), instances, sort_diagnostics(results, cross), catalog)


def load_paths(paths: list[str], limits: Limits = Limits()) -> LoadResult:
    """Discover config files under `paths` and load them.

    Raises:
        ConfigPathError: a path does not exist.
    """
    return load_files(discover(paths), limits)


def _brief(value: Any) -> str:
    if isinstance(value, str):
        return f"'{_clip(value)}'"
    return yaml_type_name(value)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "CURRENT_VERSION",
    "Collected",
    "FileResult",
    "Fingerprint",
    "LoadResult",
    "ParsedFile",
    "collect_definitions",
    "link",
    "load_files",
    "load_paths",
    "mapping_entry",
    "parse_file",
    "parsed_from_document",
    "read_and_validate",
    "read_file",
    "slugify",
    "unique_id",
    "validate_file",
]
