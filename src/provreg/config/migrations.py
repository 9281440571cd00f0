"""Format versions: detect a file's version and upgrade it step by step.

Each step is a small function from version N to N+1 on the ruamel.yaml
round-trip document (comments, order and quoting kept). `provreg migrate
--upgrade` applies them with a backup; `--check` names files that need it.

Shipped step 0 -> 1: the unversioned legacy layout the old app's export
used — entries with `customName`, `baseUrl`, `useAuthHeader` and a plaintext
`apiKey` (possibly a top-level list instead of `providers:`). Keys, ids and
names are renamed in place; a plaintext key is handed back to the caller to
store in the keyring, and its line becomes `api_key: {keyring: true}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provreg.config.loader import CURRENT_VERSION, detect_version, slugify, unique_id

LEGACY_KEYS = {"customName": "name", "baseUrl": "base_url", "useAuthHeader": "use_auth_header"}


@dataclass
class UpgradeResult:
    document: Any
    from_version: int
    secrets: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(instance id, field, plaintext value, base URL) to store in the keyring."""
    notes: list[str] = field(default_factory=list)


Step = Callable[[Any, UpgradeResult], Any]


def _rename(mapping: Any, old: str, new: str) -> None:
    keys = list(mapping.keys())
    position = keys.index(old)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
    comments = getattr(mapping, "ca", None)
    if comments is not None and old in comments.items:
        comments.items[new] = comments.items.pop(old)


def upgrade_0_to_1(document: Any, result: UpgradeResult) -> Any:
    from ruamel.yaml.comments import CommentedMap

    if isinstance(document, list):
        wrapped = CommentedMap()
        wrapped["version"] = 1
        wrapped["providers"] = document
        document = wrapped
    else:
        document.insert(0, "version", 1)
    taken: set[str] = set()
    for entry in document.get("providers") or []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            taken.add(entry["id"])
    for entry in document.get("providers") or []:
        if not isinstance(entry, CommentedMap):
            continue
        for old, new in LEGACY_KEYS.items():
            if old in entry and new not in entry:
                _rename(entry, old, new)
        raw_name = entry.get("name")
        name = raw_name if isinstance(raw_name, str) else "instance"
        if not isinstance(entry.get("id"), str):
            instance_id = unique_id(slugify(name), taken)
            taken.add(instance_id)
            entry.insert(0, "id", instance_id)
        instance_id = entry["id"]
        if "apiKey" in entry:
            value = entry.get("apiKey")
            if isinstance(value, str) and value:
                base_url = entry.get("base_url") if isinstance(entry.get("base_url"), str) else None
                result.secrets.append((instance_id, "api_key", value, base_url))
                ref = CommentedMap()
                ref["keyring"] = True
                ref.fa.set_flow_style()
                entry["apiKey"] = ref
                result.notes.append(f"{instance_id}: api_key moved to the keyring")
            _rename(entry, "apiKey", "api_key")
    return document


STEPS: dict[int, Step] = {0: upgrade_0_to_1}


def upgrade_text(text: str) -> tuple[str, UpgradeResult]:
    """Upgrade a file's text to CURRENT_VERSION (unchanged text when already current)."""
    import io

    from ruamel.yaml import YAML

    from provreg.config.yaml_source import parse_text

    parsed = parse_text(text, "<upgrade>")
    if parsed.failed:
        raise ValueError("the file does not parse; fix it first")
    version = detect_version(parsed.value)
    result = UpgradeResult(None, version)
    if version >= CURRENT_VERSION:
        return text, result
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    newline = "\r\n" if "\r\n" in text else "\n"
    document = yaml.load(text.replace("\r\n", "\n"))
    while version < CURRENT_VERSION:
        step = STEPS.get(version)
        if step is None:
            raise ValueError(f"no upgrade from version {version}")
        document = step(document, result)
        version += 1
    result.document = document
    out = io.StringIO()
    yaml.dump(document, out)
    upgraded = out.getvalue()
    return (upgraded.replace("\n", newline) if newline != "\n" else upgraded), result
