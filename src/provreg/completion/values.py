"""The dynamic values completion offers, read from the files by their lines.

Instance ids, provider types, field names and theme names come from a scan of
each file's lines, never a YAML parse: importing PyYAML alone costs more than
the whole scan (docs/performance.md, "Shell completion"). The scan reads the
block and flow forms provreg's own files and docs use (`- id: x`,
`    name: "X"`, `- {id: x, name: X}`); a file written some other way only
offers fewer candidates. Completion is a suggestion, not a check: an entry the
registry would reject may still be offered, and a derived id is the slug of
the name (the `-2` of a second identical name is left to the registry).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from provreg.config.ids import slugify

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:")
_ITEM = re.compile(r"^(\s*)-\s+(.*)$")
_KEY = re.compile(r"^(\s*)([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*))?$")
_FLOW_PAIR = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*([^,{}]*)")
_CHOICES = re.compile(r"\bchoices[ \t]*:[ \t]*\[([^\]]*)\]")
"""A field's `choices: [a, b]` (one line; a block list of choices is not read)."""
_ENTRY_KEYS = frozenset(("id", "name", "provider"))
"""The keys of an entry completion uses (the others are not even unquoted)."""
_MAX_BYTES = 1024 * 1024
"""The loader's default size limit: the registry leaves a larger file out."""


# Plain classes, not dataclasses, here and in `resolve`: importing `dataclasses`
# (and the `inspect` it pulls in) would cost a TAB more than the whole scan.


class Entry:
    """One item of a `providers:` or `definitions:` list: its plain scalar
    keys, and (for a definition) the ids and types of its `fields:` and the
    choices of those that list them."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.fields: list[tuple[str, str]] = []
        self.choices: dict[int, list[str]] = {}
        """Index in `fields` -> its choices."""


class Sections:
    def __init__(self) -> None:
        self.providers: list[Entry] = []
        self.definitions: list[Entry] = []


def _scalar(text: str) -> str:
    """A plain or quoted scalar's text, without a trailing comment."""
    text = text.split(" #", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return "" if text.startswith(("{", "[", "&", "*", "!", "|", ">")) else text


def _flow(text: str) -> dict[str, str]:
    """The pairs of a one-line flow mapping `{id: x, name: X}`."""
    inner = text.split(" #", 1)[0].strip()
    if not inner.startswith("{"):
        return {}
    return {key: _scalar(value) for key, value in _FLOW_PAIR.findall(inner[1:])}


def read_sections(text: str) -> Sections:
    """The entries of a config file's `providers:` and `definitions:` lists."""
    found = Sections()
    entries: list[Entry] | None = None
    entry: Entry | None = None
    item_column = key_column = -1
    in_fields = False
    field_column = -1
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = None if line[0] in " -" else _TOP_KEY.match(line)
        if top is not None:
            name = top.group(1)
            entries = (
                found.providers
                if name == "providers"
                else found.definitions
                if name == "definitions"
                else None
            )
            entry, item_column = None, -1
            continue
        if entries is None:
            continue
        item = _ITEM.match(line)
        column = len(line) - len(line.lstrip())
        if item is not None and (item_column < 0 or column == item_column):
            item_column = column
            entry = Entry()
            entries.append(entry)
            in_fields = False
            key_column = len(item.group(1)) + 2
            rest = item.group(2)
            entry.keys.update(_flow(rest))
            line = " " * key_column + rest
            column = key_column
        if entry is None:
            continue
        if in_fields and column > key_column:
            _read_field_line(entry, line, field_column)
            field_item = _ITEM.match(line)
            if field_item is not None:
                field_column = len(field_item.group(1)) + 2
            continue
        key = _KEY.match(line)
        if key is not None and len(key.group(1)) == key_column:
            in_fields = key.group(2) == "fields"
            field_column = -1
            if key.group(3) is not None and key.group(2) in _ENTRY_KEYS:
                entry.keys.setdefault(key.group(2), _scalar(key.group(3)))
    return found


def _read_field_line(entry: Entry, line: str, field_column: int) -> None:
    """A line inside a definition's `fields:` list: a new field (`- id: x`,
    `- {id: x, type: secret}`) or a key of the current one."""
    item = _ITEM.match(line)
    if item is not None:
        pairs = _flow(item.group(2))
        if not pairs:
            key = _KEY.match(" " * (len(item.group(1)) + 2) + item.group(2))
            pairs = {key.group(2): _scalar(key.group(3) or "")} if key else {}
        entry.fields.append((pairs.get("id", ""), pairs.get("type", "")))
        _read_choices(entry, item.group(2))
        return
    key = _KEY.match(line)
    if key is None or len(key.group(1)) != field_column or not entry.fields:
        return
    field_id, field_type = entry.fields[-1]
    if key.group(2) == "id":
        entry.fields[-1] = (_scalar(key.group(3) or ""), field_type)
    elif key.group(2) == "type":
        entry.fields[-1] = (field_id, _scalar(key.group(3) or ""))
    elif key.group(2) == "choices":
        _read_choices(entry, line)


def _read_choices(entry: Entry, text: str) -> None:
    found = _CHOICES.search(text.split(" #", 1)[0])
    if found is not None:
        choices = [_scalar(choice) for choice in found.group(1).split(",")]
        entry.choices[len(entry.fields) - 1] = [choice for choice in choices if choice]


def _read(path: str) -> Sections:
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            return Sections()
        with open(path, encoding="utf-8-sig") as handle:
            return read_sections(handle.read())
    except (OSError, UnicodeDecodeError):
        return Sections()


def _config_files(config: list[str]) -> Iterator[str]:
    """The files `provreg.config.read.discovery` would load, found its way (a
    directory recursively, sorted, hidden entries skipped, `*.yaml`/`*.yml`;
    a file named is taken as is) without importing it: its dataclasses cost
    more than the walk."""
    from provreg.paths import default_config_paths

    for path in config or default_config_paths():
        path = os.path.expanduser(path)
        if os.path.isdir(path):
            yield from _walk(path)
        elif os.path.isfile(path):
            yield path


def _walk(directory: str) -> Iterator[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return
    for name in names:
        if name.startswith((".", "#")):
            continue
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            yield from _walk(path)
        elif name.endswith((".yaml", ".yml")):
            yield path


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The `provreg` package's directory (no `importlib.resources`: a TAB is too short)."""


class Registry:
    """What completion knows of a registry: instances (id -> provider type),
    provider types (id -> fields as (id, type)), built-ins first, and the
    choices of their fields (type id -> field id -> choices)."""

    def __init__(self) -> None:
        self.instances: dict[str, str] = {}
        self.types: dict[str, list[tuple[str, str]]] = {}
        self.choices: dict[str, dict[str, list[str]]] = {}


def read_registry(config: list[str], *, with_types: bool) -> Registry:
    """The instances of the config files, and (`with_types`) every provider type."""
    registry = Registry()
    if with_types:
        _add_types(registry, _read(os.path.join(_PACKAGE, "catalog", "builtin.yaml")))
    for path in _config_files(config):
        sections = _read(path)
        for entry in sections.providers:
            given = entry.keys.get("id") or slugify(entry.keys.get("name", ""))
            if given and entry.keys.get("name"):
                registry.instances.setdefault(given, entry.keys.get("provider", ""))
        if with_types:
            _add_types(registry, sections)
    return registry


def _add_types(registry: Registry, sections: Sections) -> None:
    for definition in sections.definitions:
        type_id = definition.keys.get("id")
        if not type_id or type_id in registry.types:
            continue  # the first definition of an id wins, as in the catalog
        registry.types[type_id] = [pair for pair in definition.fields if pair[0]]
        registry.choices[type_id] = {
            definition.fields[index][0]: choices for index, choices in definition.choices.items()
        }


def theme_names() -> list[str]:
    """Built-in themes, then the user's (`<user config dir>/themes/*.yaml`), by name."""
    from provreg.paths import user_config_dir

    # Installed wheel: provreg/tui/themes; source checkout: <repo>/themes (as `tui.themes`).
    checkout = os.path.join(os.path.dirname(os.path.dirname(_PACKAGE)), "themes")
    directories = [os.path.join(_PACKAGE, "tui", "themes"), checkout]
    directories.append(os.path.join(user_config_dir(), "themes"))
    names: list[str] = []
    for directory in directories:
        try:
            files = sorted(os.listdir(directory))
        except OSError:
            continue
        for file_name in files:
            if file_name.startswith(".") or not file_name.endswith(".yaml"):
                continue
            name = _theme_name(os.path.join(directory, file_name))
            if name not in names:
                names.append(name)
    return names


def _theme_name(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key = _KEY.match(line)
                if key is not None and not key.group(1) and key.group(2) == "name":
                    return _scalar(key.group(3) or "") or _stem(path)
    except (OSError, UnicodeDecodeError):
        pass
    return _stem(path)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]
