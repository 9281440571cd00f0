"""Format versions: detect a file's version and upgrade it step by step.

Each step is a small function from version N to N+1 on the ruamel.yaml
round-trip document (comments, order and quoting kept). `provreg migrate
--upgrade` applies them with a backup; `--check` names files that need it.

Shipped step 0 -> 1: the unversioned legacy layout the old app's export
used — entries with `customName`, `baseUrl`, `useAuthHeader` and a plaintext
`apiKey` (possibly a top-level list instead of `providers:`). Keys, ids and
names are renamed in place; a plaintext key is handed back to the caller to
store in the keyring, and its line becomes `api_key: {keyring: true}`. The
old app wrote `useAuthHeader: false` for every entry: for a built-in provider
that has no such field it is dropped (its comments kept), as `provreg migrate
--from-json` never writes it either. Generated ids avoid `taken_ids` (the ids
of the other files being upgraded), so two files never get the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from provreg.config.ids import slugify, unique_id
from provreg.config.read.reading import CURRENT_VERSION, detect_version

LEGACY_KEYS = {"customName": "name", "baseUrl": "base_url", "useAuthHeader": "use_auth_header"}


@dataclass
class UpgradeResult:
    document: Any
    from_version: int
    secrets: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)
    """Keys moved out of the text: (instance id, field, value, base_url, provider)."""
    """(instance id, field, plaintext value, base URL) to store in the keyring."""
    notes: list[str] = field(default_factory=list)
    taken_ids: set[str] = field(default_factory=set)
    """Ids used elsewhere (other files); generated ids avoid them and are added."""


Step = Callable[[Any, UpgradeResult], Any]


def _rename(mapping: Any, old: str, new: str) -> None:
    keys = list(mapping.keys())
    position = keys.index(old)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
    comments = getattr(mapping, "ca", None)
    if comments is not None and old in comments.items:
        comments.items[new] = comments.items.pop(old)
        _move_eol_comment(mapping, new, len(new) - len(old))


def _move_eol_comment(mapping: Any, key: str, by: int) -> None:
    """Move the end-of-line comment of `key`'s line `by` columns, so the gap between
    the value and its comment stays what the author wrote when the text before it
    grows or shrinks."""
    from ruamel.yaml.error import CommentMark

    slot = mapping.ca.items.get(key)
    token = slot[2] if slot is not None and len(slot) > 2 else None
    if token is None or not str(token.value).startswith("#") or token.start_mark is None:
        return
    token.start_mark = CommentMark(max(0, token.start_mark.column + by))


def _text_width(value: Any) -> int:
    """Width of a scalar as written (quotes included; escapes not counted)."""
    style = getattr(value, "style", None)
    return len(str(value)) + (2 if style in ('"', "'") else 0)


ENTRY_KEY_COLUMN = 4
"""Column of an entry's keys in upgraded output (`providers:` list, indent 2, offset 2)."""


def _drop_key(mapping: Any, key: str, column: int = ENTRY_KEY_COLUMN) -> bool:
    """Remove `key` from a round-trip mapping, keeping the comments on and after its line.

    Its end-of-line comment becomes a full-line comment (at `column`) where the line was, and
    the comment lines that followed it stay. Returns False (nothing removed) for
    the first key or one after a collection value (no place to keep comments).
    """
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    keys = list(mapping.keys())
    index = keys.index(key)
    comments = mapping.ca
    slot = comments.items.get(key)
    token = slot[2] if slot is not None and len(slot) > 2 else None
    if token is None:
        del mapping[key]
        comments.items.pop(key, None)
        return True
    previous = keys[index - 1] if index > 0 else None
    if previous is None or isinstance(mapping[previous], dict | list):
        return False
    eol, _, rest = str(token.value).partition("\n")
    moved = (" " * column + eol.strip() + "\n" if eol.strip() else "") + rest
    del mapping[key]
    comments.items.pop(key, None)
    if not moved:
        return True
    prev_slot = comments.items.get(previous)
    if prev_slot is not None and len(prev_slot) > 2 and prev_slot[2] is not None:
        prev_slot[2].value = str(prev_slot[2].value) + moved
    else:
        comments.items[previous] = [None, None, CommentToken("\n" + moved, CommentMark(0)), None]
    return True


def _shift_comment_lines(node: Any, by: int) -> None:
    """Move the comments inside `node` right by `by` columns: end-of-line ones and
    the full-line ones that follow a value."""
    if isinstance(node, dict):
        comments: Any = node.ca  # type: ignore[attr-defined]  # a ruamel CommentedMap
        for key, slot in list(comments.items.items()):
            _move_eol_comment(node, key, by)
            token = slot[2] if len(slot) > 2 else None
            if token is not None:
                first, newline, rest = str(token.value).partition("\n")
                lines = [
                    " " * by + line if line.lstrip().startswith("#") else line
                    for line in rest.split("\n")
                ]
                token.value = first + newline + "\n".join(lines)
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        _shift_comment_lines(child, by)


def _as_read_back(text: str) -> str:
    """`text`, quoted if written plain it would read back as another type.

    ruamel.yaml writes YAML 1.2, where `no` and `on` are plain strings; provreg
    reads YAML 1.1 (libyaml), where they are booleans."""
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    from provreg.config.edit.render import plain_ok

    return text if plain_ok(text) else SingleQuotedScalarString(text)


def _has_field(provider: Any, field_id: str) -> bool | None:
    """Whether a built-in provider has a field; None for a provider that is not built in."""
    from provreg.catalog import builtin_catalog

    definition = builtin_catalog().get(provider) if isinstance(provider, str) else None
    return None if definition is None else definition.field(field_id) is not None


def upgrade_0_to_1(document: Any, result: UpgradeResult) -> Any:
    from ruamel.yaml.comments import CommentedMap

    if isinstance(document, list):
        wrapped = CommentedMap()
        wrapped["version"] = 1
        wrapped["providers"] = document
        # The file's leading comment lines belong above `version:`, not between
        # `providers:` and the first entry.
        lead = getattr(document, "ca", None)
        if lead is not None and lead.comment and len(lead.comment) > 1 and lead.comment[1]:
            wrapped.ca.comment = [None, lead.comment[1]]
            lead.comment = None
        # The entries move right by the sequence offset; so do the comment lines
        # between and after them, or they would sit at column 0 among the entries.
        _shift_comment_lines(document, ENTRY_KEY_COLUMN - 2)
        document = wrapped
    else:
        document.insert(0, "version", 1)
    taken: set[str] = result.taken_ids
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
            entry.insert(0, "id", _as_read_back(instance_id))
        if entry.get("use_auth_header") is False and (
            _has_field(entry.get("provider"), "use_auth_header") is False
        ):
            _drop_key(entry, "use_auth_header")
        instance_id = entry["id"]
        if "apiKey" in entry:
            value = entry.get("apiKey")
            if isinstance(value, str) and value:
                base_url = entry.get("base_url") if isinstance(entry.get("base_url"), str) else None
                provider = entry.get("provider") if isinstance(entry.get("provider"), str) else None
                result.secrets.append((instance_id, "api_key", value, base_url, provider))
                ref = CommentedMap()
                ref["keyring"] = True
                ref.fa.set_flow_style()
                entry["apiKey"] = ref
                _move_eol_comment(entry, "apiKey", len("{keyring: true}") - _text_width(value))
                result.notes.append(f"{instance_id}: api_key moved to the keyring")
            _rename(entry, "apiKey", "api_key")
    return document


STEPS: dict[int, Step] = {0: upgrade_0_to_1}


def upgrade_text(text: str, taken_ids: Iterable[str] = ()) -> tuple[str, UpgradeResult]:
    """Upgrade a file's text to CURRENT_VERSION (unchanged text when already current).

    Args:
        text: the file's text.
        taken_ids: ids used by other files; generated ids avoid them (and the
            ones generated are added to `result.taken_ids`).
    """
    import io

    from ruamel.yaml import YAML

    from provreg.config.read.yaml_source import parse_text

    parsed = parse_text(text, "<upgrade>")
    if parsed.failed:
        raise ValueError("the file does not parse; fix it first")
    version = detect_version(parsed.value)
    result = UpgradeResult(None, version, taken_ids=set(taken_ids))
    if version >= CURRENT_VERSION:
        return text, result
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # entry keys at ENTRY_KEY_COLUMN
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
