"""The base of the frozen value classes in `provreg.model`: plain slotted
dataclasses with the few pydantic-style methods the code calls on them
(`model_copy`, `model_dump`, `model_dump_json`, `model_construct`).

They are not pydantic models because importing pydantic costs about a third of
a cold `provreg --check` (docs/architecture.md); pydantic validates only what
users write (`provreg.definition_schema`). Slots keep a loaded instance small.

May import: the standard library; pydantic only inside
`ValueClass.__get_pydantic_core_schema__`, which only pydantic calls (when a
pydantic model has a field of a value class: it is checked as an instance).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, Self

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

_SET = object.__setattr__


class ValueClass:
    """Shared methods of the value classes. Each subclass is declared
    `@dataclass(frozen=True, slots=True, kw_only=True)`: keyword construction,
    equality and hashing by fields, no `__dict__`; the `__slots__` that
    dataclass generates name every field, in declaration order."""

    __slots__ = ()

    @classmethod
    def _field_names(cls) -> tuple[str, ...]:
        names: tuple[str, ...] = cls.__slots__
        return names

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """An object from trusted values, without the constructor's checks (only
        `ModelSpec` has any); left-out fields take their defaults."""
        made = cls.__new__(cls)
        defaults = _defaults(cls)
        for name in cls._field_names():
            if name in values:
                _SET(made, name, values.pop(name))
            elif name in defaults:
                _SET(made, name, defaults[name]())
            else:
                raise TypeError(f"{cls.__name__}.model_construct() needs '{name}'")
        if values:
            raise TypeError(f"{cls.__name__} has no field {', '.join(map(repr, values))}")
        return made

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with the fields in `update` replaced (not checked, as pydantic's)."""
        names = self._field_names()
        if update:
            unknown = [name for name in update if name not in names]
            if unknown:
                raise TypeError(f"{type(self).__name__} has no field {', '.join(unknown)}")
        made = object.__new__(type(self))
        for name in names:
            _SET(made, name, update[name] if update and name in update else getattr(self, name))
        return made

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        exclude: Iterable[str] | None = None,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, value classes inside as dicts, as pydantic dumps
        them: `mode="json"` gives enums' values and lists for tuples;
        `exclude` drops top-level fields; `exclude_none` drops fields that are
        None at any depth (not None items of lists or dicts)."""
        skip = frozenset(exclude or ())
        return _dump_fields(self, mode == "json", exclude_none, skip)

    def model_dump_json(self) -> str:
        """`model_dump(mode="json")` as compact JSON, as pydantic writes it."""
        return json.dumps(
            self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """As a field of a pydantic model: an instance of the class, kept as is."""
        from pydantic_core import core_schema

        return core_schema.is_instance_schema(cls)


_DEFAULTS: dict[type, dict[str, Callable[[], Any]]] = {}


def _defaults(cls: type) -> dict[str, Callable[[], Any]]:
    """A class's field defaults as factories (cached)."""
    found = _DEFAULTS.get(cls)
    if found is None:
        from dataclasses import MISSING, fields

        found = {}
        for spec in fields(cls):
            if spec.default is not MISSING:
                found[spec.name] = _constant(spec.default)
            elif spec.default_factory is not MISSING:
                found[spec.name] = spec.default_factory
        _DEFAULTS[cls] = found
    return found


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _dump_fields(
    value: ValueClass, json_mode: bool, exclude_none: bool, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    for name in value._field_names():
        if name in skip:
            continue
        item = getattr(value, name)
        if item is None and exclude_none:
            continue
        dumped[name] = _dump(item, json_mode, exclude_none)
    return dumped


def _dump(value: Any, json_mode: bool, exclude_none: bool) -> Any:
    if isinstance(value, ValueClass):
        return _dump_fields(value, json_mode, exclude_none)
    if isinstance(value, str | bool | int | None):  # a StrEnum is a str: kept as is
        return value.value if json_mode and isinstance(value, Enum) else value
    if isinstance(value, float):
        return None if json_mode and not math.isfinite(value) else value
    if isinstance(value, Enum):
        return value.value if json_mode else value
    if isinstance(value, tuple | list):
        items = [_dump(item, json_mode, exclude_none) for item in value]
        return items if json_mode or isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {
            (str(key) if json_mode else key): _dump(item, json_mode, exclude_none)
            for key, item in value.items()
        }
    return value
