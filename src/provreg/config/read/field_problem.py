"""A problem with one field of an instance, before it is placed at a YAML node;
and how YAML names a value's type, for messages.

May import: `provreg.config.codes`, `provreg.value_class`, the standard library.
"""

from __future__ import annotations

from typing import Any

from provreg.config.codes import Code
from provreg.value_class import ValueClass


class FieldProblem(ValueClass, kw_only=False):
    """A field-level problem, before it is placed at a YAML node."""

    code: Code
    path: tuple[Any, ...]
    """Field id, then list indexes; empty for the instance itself."""
    message: str
    hint: str | None = None
    at_key: bool = False
    """Point at the key rather than the value (unknown fields)."""
    missing_field: str = ""
    """The field a "missing required field" problem is about (its `path` is empty:
    it is placed at the instance, there being no key to point at)."""

    @property
    def field_id(self) -> str:
        """The field it is about; "" for the instance as a whole."""
        return self.missing_field or (str(self.path[0]) if self.path else "")


_YAML_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (bool, "a boolean"),
    (int, "a whole number"),
    (float, "a number"),
    (str, "text"),
    (list, "a list"),
    (dict, "a mapping"),
)


def yaml_type_name(value: Any) -> str:
    """How YAML would call a value's type, for messages."""
    for kind, name in _YAML_TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__
