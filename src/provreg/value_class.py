"""The base of the frozen value classes in `provreg.model`: slotted, keyword-built,
compared and hashed by their fields, with the few pydantic-style methods the
code calls on them (`model_copy`, `model_dump`, `model_dump_json`,
`model_construct`). The loader's own records (`provreg.config.read.results`,
`discovery`, `yaml_source`, `codes`) use it too, some built positionally
(`kw_only=False`) or assignable (`frozen=False`): `dataclasses` (with the
`inspect` it imports) and its per-class code generation were a fifth of a
cold `provreg --check` of a small set (docs/performance.md).

They are not pydantic models because importing pydantic costs about a third of
a cold `provreg --check` (docs/architecture.md); pydantic validates only what
users write (`provreg.definition_schema`). Slots keep a loaded instance small.
Nor are they `@dataclass(frozen=True, slots=True)`: making the eight classes
so took about 8 ms of CPU at every start (about 1 ms a class: several code
generations and a second class each), against under 2 ms here:
`ValueClassMeta` compiles each class's `__init__`, `__eq__` and `__hash__` at
once and shares the rest. Type checkers read the classes as dataclasses
(`dataclass_transform`).

May import: the standard library; pydantic only inside
`ValueClass.__get_pydantic_core_schema__`, which only pydantic calls (when a
pydantic model has a field of a value class: it is checked as an instance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, TypeVar, dataclass_transform

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

_SET = object.__setattr__
T = TypeVar("T", bound="ValueClass")


class FrozenInstanceError(AttributeError):
    """A field of a value object was assigned or deleted: they are frozen."""


class _Factory:
    """A field's default made anew for each object (`field(default_factory=dict)`)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A field whose default is made for each object: a mutable default
    (`values: dict[str, Any] = field(default_factory=dict)`)."""
    return _Factory(default_factory)


def field_names(value: ValueClass | type[ValueClass]) -> tuple[str, ...]:
    """The fields of a value class (or object), in declaration order."""
    return value.__value_fields__


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class ValueClassMeta(type):
    """Makes a class body's annotated names its fields: slots, in order; the
    values given to them, defaults; a keyword-only `__init__` that sets them
    and then calls `__post_init__` when the class has one; `__eq__` (same
    class, equal fields) and `__hash__` (of the fields)."""

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        *,
        kw_only: bool = True,
        frozen: bool = True,
    ) -> ValueClassMeta:
        annotations: dict[str, Any] = namespace.get("__annotations__", {})
        names = tuple(key for key, kind in annotations.items() if "ClassVar" not in str(kind))
        defaults = {key: namespace.pop(key) for key in names if key in namespace}
        namespace["__slots__"] = names
        if names:
            post_init = "__post_init__" in namespace
            namespace.update(_make_methods(name, names, defaults, post_init, kw_only=kw_only))
            namespace["__value_fields__"] = names
            namespace["__value_defaults__"] = defaults
        if not frozen:
            # Assignable fields, and so unhashable, as a dataclass without frozen=True.
            namespace["__setattr__"] = object.__setattr__
            namespace["__delattr__"] = object.__delattr__
            namespace["__hash__"] = None
        return super().__new__(mcls, name, bases, namespace)

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **_: Any):
        # `kw_only` and `frozen` were read by `__new__`; `type.__init__` takes none.
        super().__init__(name, bases, namespace)


def _make_methods(
    name: str, names: tuple[str, ...], defaults: dict[str, Any], post_init: bool, *, kw_only: bool
) -> dict[str, Any]:
    """The class's `__init__`, `__eq__` and `__hash__`, from source (one
    compilation), as fast as dataclass's: generic ones, looping over the names,
    are slower (an `__eq__` comparing `attrgetter` tuples took twice as long),
    and every loaded instance is built by `__init__`, and compared by `__eq__`
    when its file is read again."""
    odd = [key for key in names if key in ("self", "other") or key.startswith("_")]
    if odd:
        raise TypeError(f"{name}: a field cannot be named {', '.join(odd)}")
    scope: dict[str, Any] = {"_set": _SET, "_missing": _MISSING}
    parameters = []
    body = []
    for key in names:
        if key not in defaults:
            parameters.append(key)
            body.append(f"    _set(self, {key!r}, {key})")
        elif isinstance(defaults[key], _Factory):
            scope[f"_make_{key}"] = defaults[key].make
            parameters.append(f"{key}=_missing")
            body.append(f"    _set(self, {key!r}, _make_{key}() if {key} is _missing else {key})")
        else:
            scope[f"_default_{key}"] = defaults[key]
            parameters.append(f"{key}=_default_{key}")
            body.append(f"    _set(self, {key!r}, {key})")
    if post_init:
        body.append("    self.__post_init__()")
    mine = "".join(f"self.{key}, " for key in names)
    theirs = "".join(f"other.{key}, " for key in names)
    source = "\n".join(
        [
            f"def __init__(self, {'*, ' if kw_only else ''}{', '.join(parameters)}):",
            *body,
            "def __eq__(self, other):",
            "    if other.__class__ is self.__class__:",
            f"        return ({mine}) == ({theirs})",
            "    return NotImplemented",
            "def __hash__(self):",
            f"    return hash(({mine}))",
        ]
    )
    exec(source, scope)  # noqa: S102 - our own field names (identifiers), nothing from outside
    methods = {key: scope[key] for key in ("__init__", "__eq__", "__hash__")}
    for key, method in methods.items():
        method.__qualname__ = f"{name}.{key}"
    return methods


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


_MISSING: Any = _Missing()


class ValueClass(metaclass=ValueClassMeta):
    """Shared methods of the value classes (see the module's docstring)."""

    __slots__ = ()
    __value_fields__: ClassVar[tuple[str, ...]] = ()
    __value_defaults__: ClassVar[dict[str, Any]] = {}

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.__value_fields__)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles are rebuilt from the fields (slots, and no __setattr__).
        return (_rebuild, (type(self), tuple(getattr(self, key) for key in self.__value_fields__)))

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """An object from trusted values, without `__post_init__`'s checks (only
        `ModelSpec` has any); left-out fields take their defaults."""
        made = cls.__new__(cls)
        for key in cls.__value_fields__:
            if key in values:
                _SET(made, key, values.pop(key))
            elif key in cls.__value_defaults__:
                default = cls.__value_defaults__[key]
                _SET(made, key, default.make() if isinstance(default, _Factory) else default)
            else:
                raise TypeError(f"{cls.__name__}.model_construct() needs '{key}'")
        if values:
            raise TypeError(f"{cls.__name__} has no field {', '.join(map(repr, values))}")
        return made

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with the fields in `update` replaced (not checked, as pydantic's)."""
        keys = tuple(update) if update else ()
        copier = _COPIERS.get((type(self), keys))
        if copier is None:
            copier = _COPIERS[(type(self), keys)] = _make_copier(type(self), keys)
        made: Self = copier(self, update)
        return made

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        exclude: Iterable[str] | None = None,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, value objects inside as dicts, as pydantic dumps
        them: `mode="json"` gives enums' values and lists for tuples;
        `exclude` drops top-level fields; `exclude_none` drops fields that are
        None at any depth (not None items of lists or dicts)."""
        skip = frozenset(exclude or ())
        return _dump_fields(self, mode == "json", exclude_none, skip)

    def model_dump_json(self) -> str:
        """`model_dump(mode="json")` as compact JSON, as pydantic writes it."""
        import json

        return json.dumps(
            self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """As a field of a pydantic model: an instance of the class, kept as is."""
        from pydantic_core import core_schema

        return core_schema.is_instance_schema(cls)


# (class, the keys of an update in their order) -> its copier (`_make_copier`).
_COPIERS: dict[tuple[type, tuple[str, ...]], Callable[[Any, Any], Any]] = {}
# (class, a field) -> a copy with that field replaced (`field_replacer`).
_REPLACERS: dict[tuple[type, str], Callable[[Any, Any], Any]] = {}


def field_replacer(cls: type[T], key: str) -> Callable[[T, Any], T]:
    """A function `(value_object, value)` giving a copy of the object with
    this field replaced: `model_copy(update={key: value})` without a mapping
    to build and read per copy, for loops (a write that adds a line moves
    every instance below it)."""
    replacer = _REPLACERS.get((cls, key))
    if replacer is None:
        replacer = _REPLACERS[(cls, key)] = _make_copier(cls, (key,), by_value=True)
    return replacer


def _make_copier(
    cls: type[ValueClass], keys: tuple[str, ...], *, by_value: bool = False
) -> Callable[[Any, Any], Any]:
    """`model_copy` for this class and these updated fields (`by_value`: the one
    field's value given as is), from source, made at its first use (none at
    start-up): a write that adds a line copies every instance below it to its
    new line, and the loop over the names with its checks took 2.7 us a copy
    against 1.0 here (docs/performance.md)."""
    names = cls.__value_fields__
    unknown = [key for key in keys if key not in names]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
    scope: dict[str, Any] = {"_set": _SET, "_new": object.__new__, "_cls": cls}
    given = "value" if by_value else "update"

    def source_of(key: str) -> str:
        if key not in keys:
            return f"self.{key}"
        return "value" if by_value else f"update[{key!r}]"

    body = "".join(f"    _set(made, {key!r}, {source_of(key)})\n" for key in names)
    source = f"def copy(self, {given}):\n    made = _new(_cls)\n{body}    return made\n"
    exec(source, scope)  # noqa: S102 - the class's own field names (identifiers)
    copier: Callable[[Any, Any], Any] = scope["copy"]
    return copier


def _rebuild(cls: type[ValueClass], values: tuple[Any, ...]) -> ValueClass:
    made = cls.__new__(cls)
    for key, value in zip(cls.__value_fields__, values, strict=True):
        _SET(made, key, value)
    return made


def _dump_fields(
    value: ValueClass, json_mode: bool, exclude_none: bool, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    for key in value.__value_fields__:
        if key in skip:
            continue
        item = getattr(value, key)
        if item is None and exclude_none:
            continue
        dumped[key] = _dump(item, json_mode, exclude_none)
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
