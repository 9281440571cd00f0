"""The shape of a provider definition as a user writes it, checked by pydantic.

Owns: the rules of a definition's shape (ids, field specs and their bounds,
probes), as pydantic models named as the value classes they produce (pydantic's
messages name the class: "a valid dictionary or instance of FieldSpec"), and
`validate_definition`, which checks a mapping and returns the plain
`provreg.model.ProviderDefinition`.
May import: pydantic, `provreg.model`, the standard library.

Imported only when a definition must be checked: a config file's
`definitions:` (`provreg.config.read.definitions`) and the tests that hold the
built-in catalog to the same rules. The catalog itself is read without it, and
so is every config file without `definitions:`: pydantic is a third of a cold
`provreg --check` (docs/architecture.md).
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from provreg import model
from provreg.model import (
    BOUND_MAGNITUDE_LIMIT,
    FIELD_ID_PATTERN,
    ID_PATTERN,
    INSTANCE_SETTINGS,
    NAME_MAX_LENGTH,
    RESERVED_KEYS,
    ApiKind,
    FieldType,
    ProbeAuth,
)


def validate_definition(data: Any) -> model.ProviderDefinition:
    """A definition mapping checked against the rules of its shape, as the
    value class; raises pydantic's `ValidationError` (every problem, with its
    location) when it breaks one."""
    return ProviderDefinition.model_validate(data).to_value()


class FieldSpec(BaseModel):
    """One field of a provider definition (`provreg.model.FieldSpec`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=FIELD_ID_PATTERN)
    label: str | None = None
    type: FieldType = FieldType.TEXT
    required: bool = False
    default: Any = None
    help: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    env: str | None = None

    @field_validator("min", "max")
    @classmethod
    def _check_bound(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A bound is compared with every value: NaN compares false with all of
        # them and would build a validator no value passes (or none at all).
        if value is None:
            return value
        if not math.isfinite(value):
            raise ValueError("must be a finite number, not NaN or infinity")
        if abs(value) > BOUND_MAGNITUDE_LIMIT:
            raise ValueError(
                f"must be between -{BOUND_MAGNITUDE_LIMIT} and {BOUND_MAGNITUDE_LIMIT}"
            )
        kind = info.data.get("type")
        if kind in (FieldType.INT, FieldType.TEXT, FieldType.LIST) and not value.is_integer():
            raise ValueError(f"must be a whole number for a {kind.value} field")
        if kind in (FieldType.TEXT, FieldType.LIST) and value < 0:
            raise ValueError(f"must not be negative for a {kind.value} field (it bounds a length)")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> FieldSpec:
        if self.id in RESERVED_KEYS or self.id in INSTANCE_SETTINGS:
            raise ValueError(f"field id '{self.id}' is reserved")
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError("a choice field needs a non-empty 'choices' list")
        if self.choices is not None and self.type is not FieldType.CHOICE:
            raise ValueError("'choices' is only allowed on choice fields")
        if self.pattern is not None:
            if self.type is not FieldType.TEXT:
                raise ValueError("'pattern' is only allowed on text fields")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
        if (self.min is not None or self.max is not None) and self.type not in (
            FieldType.INT,
            FieldType.FLOAT,
            FieldType.TEXT,
            FieldType.LIST,
        ):
            raise ValueError("'min'/'max' are only allowed on int, float, text and list fields")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        if self.type is FieldType.SECRET and self.default is not None:
            raise ValueError("a secret field cannot have a default value")
        return self

    def to_value(self) -> model.FieldSpec:
        return model.FieldSpec(**_fields_of(self))


class ProbePagination(BaseModel):
    """How a model list continues on the next page (`provreg.model.ProbePagination`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cursor_at: str
    param: str
    more_at: str | None = None

    def to_value(self) -> model.ProbePagination:
        return model.ProbePagination(**_fields_of(self))


class ProbeSpec(BaseModel):
    """The request `provreg probe` sends for a provider type (`provreg.model.ProbeSpec`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["GET"] = "GET"
    path: str = Field(pattern=r"^/")
    strip_suffix: str | None = None
    auth: ProbeAuth = "bearer"
    auth_header: str | None = None
    bearer_if: str | None = None
    key_field: str = "api_key"
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    models_at: str | None = None
    model_id: str = "id"
    id_prefix: str | None = None
    implicit_suffix: str | None = None
    check_models: bool = True
    pagination: ProbePagination | None = None

    @model_validator(mode="after")
    def _check_auth(self) -> ProbeSpec:
        if self.auth == "header" and not self.auth_header:
            raise ValueError("'auth: header' needs 'auth_header' (the header that carries the key)")
        if any(name.lower() == "authorization" for name in self.headers):
            raise ValueError("the key's header is set by 'auth', not under 'headers'")
        return self

    def to_value(self) -> model.ProbeSpec:
        return model.ProbeSpec(**_fields_of(self))


class ProviderDefinition(BaseModel):
    """A provider type (`provreg.model.ProviderDefinition`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    description: str | None = None
    docs_url: str | None = None
    models: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    api: ApiKind | None = None
    tools: dict[str, str] = Field(default_factory=dict)
    probe: ProbeSpec | None = None
    builtin: bool = False

    @model_validator(mode="after")
    def _unique_fields(self) -> ProviderDefinition:
        seen: set[str] = set()
        for spec in self.fields:
            if spec.id in seen:
                raise ValueError(f"field '{spec.id}' is declared twice")
            seen.add(spec.id)
        return self

    def to_value(self) -> model.ProviderDefinition:
        return model.ProviderDefinition(**_fields_of(self))


_SHAPES = (FieldSpec, ProbePagination, ProbeSpec, ProviderDefinition)


def _fields_of(shape: BaseModel) -> dict[str, Any]:
    """A shape's fields, nested shapes made values (the value classes take the
    same field names, in the same order)."""
    return {name: _as_value(getattr(shape, name)) for name in type(shape).model_fields}


def _as_value(item: Any) -> Any:
    if isinstance(item, _SHAPES):
        return item.to_value()
    if isinstance(item, tuple):
        return tuple(_as_value(element) for element in item)
    return item
