"""The schema of a theme file (pydantic), for files from the user's theme
directory: imported only when there are some (see `provreg.tui.themes`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from textual.theme import Theme

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
