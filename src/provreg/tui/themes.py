"""Themes: `themes/*.yaml` files validated by a pydantic model, turned into
`textual.theme.Theme`s. Built-in themes ship with the package; user themes
come from `<user config dir>/provreg/themes/`. Bad files are collected and
reported together in one notification, never a crash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.theme import Theme

DEFAULT_THEME = "provreg-dark"


COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
)


class ThemeFile(BaseModel):
    """The schema of a theme file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    """Name shown in the theme picker and given to --theme."""
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    dark: bool = True
    variables: dict[str, str] = Field(default_factory=dict)
    """Extra CSS variables, e.g. `stale-foreground`."""

    @field_validator(*COLOUR_FIELDS)
    @classmethod
    def _a_colour(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_colour(value)
        return value

    @field_validator("variables")
    @classmethod
    def _colour_variables(cls, variables: dict[str, str]) -> dict[str, str]:
        for name, value in variables.items():
            # Variables may hold other CSS values; what looks like a colour must be one.
            if value.strip().lower().startswith(("#", "rgb", "hsl")):
                try:
                    _parse_colour(value)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return variables

    def to_theme(self) -> Theme:
        return Theme(**self.model_dump())


def _parse_colour(value: str) -> None:
    from textual.color import Color, ColorParseError

    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(
            f"{value!r} is not a colour (#rrggbb, rgb(...), hsl(...) or a name)"
        ) from None


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


def load_themes(extra_dirs: list[Path] | None = None) -> LoadedThemes:
    """Built-in themes, then user ones (a user theme may replace a built-in by name)."""
    loaded = LoadedThemes()
    dirs = [d for d in (_builtin_dir(), user_theme_dir(), *(extra_dirs or [])) if d is not None]
    by_name: dict[str, Theme] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            if path.name.startswith("."):
                continue
            try:
                theme = load_theme_file(path)
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
