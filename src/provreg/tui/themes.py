"""Themes: `themes/*.yaml` files validated by a pydantic model
(`provreg.tui.theme_file`), turned into `textual.theme.Theme`s. Built-in themes
ship with the package; user themes come from `<user config dir>/provreg/themes/`.
Bad files are collected and reported together in one notification, never a crash.

The built-in files are not validated at start (a test does it): importing
pydantic for them would delay the dashboard's first rows (docs/performance.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from textual.theme import Theme

DEFAULT_THEME = "provreg-dark"


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _builtin_dir() -> Path | None:
    # Installed wheel: provreg/tui/themes; source checkout: <repo>/themes.
    packaged = resources.files("provreg.tui").joinpath("themes")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "themes"
    return checkout if checkout.is_dir() else None


def user_theme_dir() -> Path:
    from provreg.paths import user_config_dir

    return Path(user_config_dir()) / "themes"


def load_theme_file(path: Path) -> Theme:
    """Read and validate one theme file.

    Raises:
        ValueError: with a one-line reason (YAML error or the first invalid key).
    """
    from pydantic import ValidationError

    from provreg.tui.theme_file import ThemeFile

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        theme = ThemeFile.model_validate(raw).to_theme()
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: {type(exc).__name__}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"]) or "file"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{path}: {where}: {message}") from None
    except Exception as exc:  # Theme() rejects what the model let through
        raise ValueError(f"{path}: {exc}") from None
    try:
        # What applying the theme does: a value Textual cannot use fails here,
        # in the one notification, not later as a crash of the running app.
        theme.to_color_system().generate()
    except Exception as exc:
        raise ValueError(f"{path}: {type(exc).__name__}: {exc}") from None
    return theme


def builtin_theme(path: Path) -> Theme:
    """A theme file shipped with provreg: read, not validated (see the module doc).

    Raises:
        ValueError: the file could not be read (an installation problem).
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Theme(**raw)
    except Exception as exc:
        raise ValueError(f"{path}: {type(exc).__name__}: {exc}") from None


def load_themes(extra_dirs: list[Path] | None = None) -> LoadedThemes:
    """Built-in themes, then user ones (a user theme may replace a built-in by name)."""
    loaded = LoadedThemes()
    builtin = _builtin_dir()
    dirs = [d for d in (builtin, user_theme_dir(), *(extra_dirs or [])) if d is not None]
    by_name: dict[str, Theme] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            if path.name.startswith("."):
                continue
            try:
                theme = builtin_theme(path) if directory == builtin else load_theme_file(path)
            except ValueError as exc:
                loaded.problems.append(str(exc))
                continue
            by_name[theme.name] = theme
    loaded.themes = list(by_name.values())
    return loaded


def remembered_theme() -> str | None:
    from provreg.paths import user_state_dir

    try:
        with open(os.path.join(user_state_dir(), "theme"), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def remember_theme(name: str) -> None:
    from provreg.paths import make_private_dirs, user_state_dir

    directory = user_state_dir()
    try:
        make_private_dirs(directory)
        with open(os.path.join(directory, "theme"), "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
    except OSError:
        pass
