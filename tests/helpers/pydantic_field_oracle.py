"""The pydantic model `config/read/validation.py` validated fields with until
its rules were written by hand: the reference they are compared with
(tests/config/test_field_validation_equivalence.py).

`oracle_check_fields` is the old `check_fields`: one pydantic model per
definition (`_annotation` + `model_for`, strict, `extra="ignore"`), and
pydantic's error dicts mapped to FieldProblems (`_map_error`, `_describe`),
kept as they were; the keys are sorted out by the module's own
`stated_fields` (what is compared is how values are checked). The value
parsers it calls (`check_url`,
`parse_secret_ref`) are the module's own, their `FieldValueError` turned back
into the `PydanticCustomError` they used to raise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
from provreg.config.codes import Code
from provreg.config.read import validation
from provreg.config.read.field_problem import FieldProblem, yaml_type_name
from provreg.config.read.model_list import check_default_model
from provreg.config.read.validation import (
    FieldValueError,
    _range,
    _show,
    _type_hint,
    _yaml_number,
    expected_value,
    stated_fields,
)
from provreg.model import (
    FieldSpec,
    FieldType,
    ProviderDefinition,
    SecretRef,
)


def _custom(error: FieldValueError) -> PydanticCustomError:
    return PydanticCustomError(error.kind, error.message)


def check_url(value: str) -> str:
    try:
        return validation.check_url(value)
    except FieldValueError as exc:
        raise _custom(exc) from None


def parse_secret_ref(value: Any) -> SecretRef:
    try:
        return validation.parse_secret_ref(value)
    except FieldValueError as exc:
        raise _custom(exc) from None


def _pattern_checker(pattern: str) -> Any:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.search(value) is None:
            raise PydanticCustomError(
                "pattern", "does not match the pattern {pattern}", {"pattern": pattern}
            )
        return value

    return AfterValidator(check)


def _annotation(spec: FieldSpec) -> Any:
    bounds: dict[str, Any] = {}
    if spec.type in (FieldType.INT, FieldType.FLOAT):
        as_bound = int if spec.type is FieldType.INT else float
        if spec.min is not None:
            bounds["ge"] = as_bound(spec.min)
        if spec.max is not None:
            bounds["le"] = as_bound(spec.max)
    elif spec.type in (FieldType.TEXT, FieldType.LIST):
        if spec.min is not None:
            bounds["min_length"] = int(spec.min)
        if spec.max is not None:
            bounds["max_length"] = int(spec.max)
    match spec.type:
        case FieldType.TEXT:
            extra = [_pattern_checker(spec.pattern)] if spec.pattern else []
            return Annotated[str, Strict(), Field(**bounds), *extra]
        case FieldType.URL:
            return Annotated[str, Strict(), AfterValidator(check_url)]
        case FieldType.SECRET:
            return Annotated[SecretRef, BeforeValidator(parse_secret_ref)]
        case FieldType.BOOL:
            return Annotated[bool, Strict()]
        case FieldType.INT:
            return Annotated[int, Strict(), Field(**bounds)]
        case FieldType.FLOAT:
            return Annotated[float, Field(allow_inf_nan=False, **bounds)]
        case FieldType.CHOICE:
            return Literal[tuple(spec.choices or ())]
        case FieldType.LIST:
            return Annotated[list[Annotated[str, Strict()]], Field(**bounds)]
    raise AssertionError(spec.type)


_MODELS: dict[tuple[Any, ...], type[BaseModel]] = {}


def model_for(definition: ProviderDefinition) -> type[BaseModel]:
    """The pydantic model validating a definition's fields, cached by what the
    model is built from (not `model_dump_json`, which fails on a default holding
    a lone surrogate, and which a plain-class definition would not have)."""
    content_key = tuple(
        (spec.id, spec.type, spec.required, spec.default is None)
        + (spec.pattern, spec.min, spec.max, spec.choices)
        for spec in definition.fields
    )
    cached = _MODELS.get(content_key)
    if cached is not None:
        return cached
    fields: dict[str, Any] = {}
    for spec in definition.fields:
        required = spec.required and spec.default is None and not spec.is_secret
        fields[spec.id] = (_annotation(spec), ... if required else None)
    model = create_model(
        f"Fields_{definition.id}",
        # arbitrary_types_allowed: only so SecretRef stays a valid annotation
        # should it become a plain class (a pydantic model is validated as before).
        __config__=ConfigDict(
            extra="ignore", strict=True, frozen=True, arbitrary_types_allowed=True
        ),
        **fields,
    )
    if len(_MODELS) > 1024:
        _MODELS.clear()
    _MODELS[content_key] = model
    return model


def oracle_check_fields(
    raw: Mapping[Any, Any], definition: ProviderDefinition
) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
    """`check_fields` as it was, validating through the pydantic model (the keys
    are sorted out as `check_fields` does it: `stated_fields`)."""
    problems: list[FieldProblem] = []
    stated, settings = stated_fields(raw, definition, problems)
    model = model_for(definition)
    try:
        validated = model.model_validate(stated)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=True):
            problems.append(_map_error(error, definition))
        return None, problems
    if settings is None:
        return None, problems
    check_default_model(settings.get("models", ()), stated, definition, problems)
    return {**{key: getattr(validated, key) for key in stated}, **settings}, problems


def _map_error(error: Any, definition: ProviderDefinition) -> FieldProblem:
    loc: tuple[Any, ...] = tuple(error["loc"])
    field_id = str(loc[0]) if loc else ""
    spec = definition.field(field_id)
    kind: str = error["type"]
    if kind == "missing" or spec is None:
        return FieldProblem(
            codes.MISSING_FIELD,
            (),
            f"missing required field '{field_id}' for provider '{definition.id}'",
            hint=spec.help if spec is not None else None,
            missing_field=field_id,
        )
    code, message, hint = _describe(kind, error, spec, definition)
    return FieldProblem(code, loc, message, hint)


def _describe(
    kind: str, error: Any, spec: FieldSpec, definition: ProviderDefinition
) -> tuple[Code, str, str | None]:
    field_id = spec.id
    value = error.get("input")
    if kind == "secret_plaintext":
        return (
            codes.PLAINTEXT_SECRET,
            f"field '{field_id}' holds a plaintext secret; config files hold only references",
            f"remove the value, then run `provreg secret set <id> {field_id}` "
            "(or use {env: VAR} / {file: PATH})",
        )
    if kind == "command_ref":
        return (
            codes.BAD_COMMAND_REF,
            f"field '{field_id}': {error['msg']}",
            'write {command: [PROGRAM, ARG, ...]} or {command: "PROGRAM ARG ..."}, '
            "with optional timeout: SECONDS, cache: SECONDS, interactive: true",
        )
    if kind == "secret_ref":
        return (
            codes.BAD_SECRET_REF,
            f"field '{field_id}': {error['msg']}",
            "write {keyring: true}, {keyring: NAME}, {env: VAR}, {file: PATH} "
            "or {command: [PROGRAM, ARG, ...]}",
        )
    if kind == "url":
        return codes.INVALID_URL, f"field '{field_id}': {error['msg']}", None
    if kind == "pattern":
        return (
            codes.PATTERN_MISMATCH,
            f"field '{field_id}': {_show(value)} does not match the pattern {spec.pattern}",
            spec.help,
        )
    if kind == "literal_error":
        choices = spec.choices or ()
        suggestion = did_you_mean(str(value), choices) if isinstance(value, str) else None
        hint = None
        if isinstance(value, bool):
            hint = "quote the value (YAML reads yes, no, on and off as true/false)"
        shown = ("true" if value else "false") if isinstance(value, bool) else _show(value)
        return (
            codes.NOT_A_CHOICE,
            f"field '{field_id}': {shown} is not one of {', '.join(choices)}"
            + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
            hint,
        )
    if kind == "finite_number":
        return (
            codes.NOT_FINITE,
            f"field '{field_id}': {_yaml_number(value)} is not a finite number",
            "write a number such as 60 or 1.5",
        )
    if kind in ("greater_than_equal", "less_than_equal"):
        return (
            codes.OUT_OF_RANGE,
            f"field '{field_id}': {_show(value)} is out of range ({_range(spec)})",
            None,
        )
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        unit = "characters" if spec.type is FieldType.TEXT else "items"
        return (
            codes.OUT_OF_RANGE,
            f"field '{field_id}': length must be {_range(spec)} {unit}",
            None,
        )
    expected = expected_value(spec)
    where = "" if len(error["loc"]) == 1 else f" item {error['loc'][1] + 1}"
    return (
        codes.WRONG_TYPE,
        f"field '{field_id}'{where} must be {expected}, not {yaml_type_name(value)}",
        _type_hint(spec, value),
    )
