"""Read one config file into a ParsedFile and check its document shape.

Owns: the document shape of format version 1 (`version`, `providers`,
`definitions`), the format version (`CURRENT_VERSION`, `detect_version`, the
legacy layout), and reading a file's bytes safely (no FIFO blocks, the size
limit is checked before reading).
May import: `provreg.catalog`, `provreg.model`, the other `provreg.config.read`
modules, the shared `provreg.config` ones (`codes`).

Reading is the first of the three steps of a load (see `load_set`): bytes to
a ParsedFile whose entries are still raw; `instance_validation` checks them.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
from provreg.config.read.diagnostic_cap import DiagnosticCap
from provreg.config.read.field_problem import yaml_type_name
from provreg.config.read.results import Fingerprint, ParsedFile, RawEntry
from provreg.config.read.validation import clip
from provreg.config.read.yaml_source import (
    Document,
    Limits,
    diagnostic,
    diagnostic_at,
    file_too_large,
    internal_error,
    locate,
    node_position,
    parse_bytes,
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


def read_file(
    path: str,
    display: str,
    limits: Limits = Limits(),
    *,
    keep_text: bool = False,
    hashed: bool = True,
) -> ParsedFile:
    """Read one file and check its document shape. Never raises for bad content.

    With `keep_text`, a file that parsed keeps its decoded text (`ParsedFile.text`).
    Without `hashed`, its fingerprint has no sha256 (""): a one-shot check
    writes nothing, so compares no hashes, and `hashlib` (OpenSSL) was 2.5 ms
    of a cold check's start."""
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
    fingerprint = Fingerprint(len(data), info.st_mtime_ns, _sha256(data) if hashed else "")
    try:
        parsed = parse_file(data, path, display, fingerprint, limits)
        if keep_text and parsed.interpretable:
            # Decoded again rather than threaded out of the parse: a copy at
            # memory speed, and the readers that do not ask pay nothing.
            parsed.text = data.decode("utf-8-sig")
        return parsed
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the others
        diag = internal_error(display, exc)
        document = Document(display, None, None, [diag])
        return ParsedFile(path, display, fingerprint, document, diagnostics=[diag])


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


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
    wrong = DiagnosticCap(parsed.display)
    # Past the cap only a count and the first position are kept: a list of
    # 400,000 wrong items costs a loop over them, not 400,000 diagnostics.
    omitted = 0
    first_omitted: Node | None = None
    for item, item_node in zip(items, list_node.value, strict=True):
        if isinstance(item, dict) and isinstance(item_node, MappingNode):
            entries.append(RawEntry(item, item_node))
        elif first_omitted is None and wrong.room():
            wrong.append(
                diagnostic_at(
                    codes.WRONG_SHAPE,
                    parsed.display,
                    item_node,
                    f"each item of '{key}' must be a mapping (a {what}), "
                    f"not {yaml_type_name(item)}",
                )
            )
        else:
            omitted += 1
            if first_omitted is None:
                first_omitted = item_node
    if first_omitted is not None:
        wrong.omit(codes.WRONG_SHAPE, *node_position(first_omitted), count=omitted)
    parsed.diagnostics.extend(wrong.result())
    return entries


def _brief(value: Any) -> str:
    if isinstance(value, str):
        return f"'{clip(value)}'"
    return yaml_type_name(value)
