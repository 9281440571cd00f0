"""Text a person typed for a field, as the field's typed value.

Owns: `parse_field_text`, the one reading of typed text shared by the command
line (`provreg add/edit --set FIELD=VALUE`) and the dashboard's form, so the
same text means the same value in both. Each caller words the error its own
way (the command line names the field, the form shows the message under it).
May import: `provreg.model` and the standard library.

Only the type is applied here; whether the value is allowed (bounds, choices,
URL shape) is the registry's validation, the same rules as `--check`.
"""

from __future__ import annotations

import json
from typing import Any

from provreg.model import FieldSpec, FieldType, ModelSpec

TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", "n"})


class FieldTextError(ValueError):
    """The text is not a value of the field's type."""

    def __init__(self, expected: str, reason: str = "") -> None:
        super().__init__(f"not {expected}" + (f": {reason}" if reason else ""))
        self.expected = expected
        """What the field takes, as a phrase: "a whole number", "a JSON list"."""
        self.reason = reason
        """Why the text was not that, when there is more to say (a JSON error)."""


def parse_field_text(spec: FieldSpec, text: str) -> Any:
    """The value `text` stands for in a field of `spec`'s type.

    bool: true/yes/on/1/y or false/no/off/0/n (any case). int, float: a
    number, spaces around it ignored. list: a JSON list (`["a", "b"]`) or
    items separated by commas (`a, b`). Every other type: the text as given.

    Raises:
        FieldTextError: the text is not a value of that type.
        ValueError: `spec` is a secret field; its value never comes from
            text that could end up in a log or a shell history.
    """
    if spec.type is FieldType.SECRET:
        raise ValueError(f"'{spec.id}' is a secret field: its value is not parsed from text")
    if spec.type is FieldType.BOOL:
        lowered = text.strip().lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise FieldTextError("true or false")
    if spec.type is FieldType.INT:
        try:
            return int(text.strip())
        except ValueError:
            raise FieldTextError("a whole number") from None
    if spec.type is FieldType.FLOAT:
        try:
            return float(text.strip())
        except ValueError:
            raise FieldTextError("a number") from None
    if spec.type is FieldType.LIST:
        return parse_list_text(text)
    return text


def parse_list_text(text: str) -> list[Any]:
    """A JSON list (`["a", {"id": "b", "context_window": 8192}]`) or items
    separated by commas (`a, b`). Raises FieldTextError."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FieldTextError("a JSON list", exc.msg) from None
        if not isinstance(parsed, list):
            raise FieldTextError("a JSON list")
        return parsed
    return [item.strip() for item in stripped.split(",") if item.strip()]


def models_as_text(models: tuple[ModelSpec, ...]) -> str:
    """An instance's models as text `parse_list_text` reads back the same:
    ids separated by commas, or a JSON list when a model carries limits."""
    if all(model.context_window is None and model.max_output_tokens is None for model in models):
        if all("," not in model.id and not model.id.startswith("[") for model in models):
            return ", ".join(model.id for model in models)
    return json.dumps([model.to_yaml() for model in models])
