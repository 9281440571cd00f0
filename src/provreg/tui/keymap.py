"""The user's keymap: `keymap.yaml` in the config directory rebinds the
dashboard's keys by binding id, as Textual's `App.set_keymap` takes them.

    # ~/.config/provreg/keymap.yaml
    add: n
    delete: x,ctrl+d

A file that is not a mapping of known ids to key strings is reported (file,
id, value) and the keys it would have changed keep their defaults.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from provreg.one_line import printable


@dataclass
class LoadedKeymap:
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def keymap_path() -> Path:
    from provreg.paths import user_config_dir

    return Path(user_config_dir()) / "keymap.yaml"


def load_keymap(binding_ids: Collection[str], path: Path | None = None) -> LoadedKeymap:
    """The keymap at `path` (default: keymap.yaml in the config directory)."""
    path = path or keymap_path()
    loaded = LoadedKeymap()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return loaded
    except (OSError, UnicodeDecodeError) as exc:
        loaded.problems.append(f"{path}: cannot read it ({printable(str(exc))}); default keys")
        return loaded
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        loaded.problems.append(f"{where}: not valid YAML; default keys")
        return loaded
    if data is None:
        return loaded
    if not isinstance(data, dict):
        loaded.problems.append(f"{path}: expected 'binding id: keys' lines; default keys")
        return loaded
    known = ", ".join(sorted(binding_ids))
    for binding_id, keys in data.items():
        name = printable(str(binding_id))
        if binding_id not in binding_ids:
            loaded.problems.append(f"{path}: unknown binding id '{name}' (known: {known})")
        elif not isinstance(keys, str) or not keys.strip():
            loaded.problems.append(
                f"{path}: '{name}' needs keys as text, e.g. {name}: ctrl+n (comma-separated)"
            )
        else:
            loaded.keymap[binding_id] = keys.strip()
    return loaded


__all__ = ["LoadedKeymap", "keymap_path", "load_keymap"]
