"""Validate an instance's fields against its provider definition.

Owns: one pydantic model per provider definition (built from its field specs,
cached), and the mapping of pydantic errors back to YAML nodes and codes.
May import: pydantic, `provreg.model`, `provreg.config.codes`,
`provreg.config.read.yaml_source`, `provreg.config.read.field_problem`,
`provreg.config.read.model_list`, `provreg.secret_names`.

The model is the single place a field type's rules live; the error mapper
turns pydantic's error `type` into our stable codes and writes messages
itself, because pydantic's messages repeat the input, and an input may be a
secret someone pasted where a reference belongs.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

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
from yaml.nodes import Node

from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
from provreg.config.codes import Code
from provreg.config.read.field_problem import FieldProblem, yaml_type_name
from provreg.config.read.model_list import check_default_model, check_models
from provreg.config.read.yaml_source import diagnostic, locate, node_position
from provreg.model import (
    INSTANCE_SETTINGS,
    RESERVED_KEYS,
    Diagnostic,
    FieldSpec,
    FieldType,
    ProviderDefinition,
    SecretRef,
)
from provreg.secret_names import looks_like_secret_key

SECRET_REF_KINDS = ("keyring", "env", "file", "command")
COMMAND_OPTIONS = ("timeout", "cache", "interactive")
MAX_COMMAND_TIMEOUT = 600.0
"""Ten minutes: longer is a command that hangs, not one that is slow."""
ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WHITESPACE_RE = re.compile(r"\s")
SHORT_WORD_RE = re.compile(r"^[A-Za-z_]{1,16}$")


def check_url(value: str) -> str:
    """Accept absolute http(s) URLs with a host; keep the text exactly as written."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise PydanticCustomError("url", "invalid URL: {reason}", {"reason": str(exc)}) from None
    if parts.scheme not in ("http", "https"):
        raise PydanticCustomError("url", "URL must start with http:// or https://")
    if not parts.hostname:
        raise PydanticCustomError("url", "URL has no host")
    if WHITESPACE_RE.search(value):
        raise PydanticCustomError("url", "URL contains white space")
    return value


def parse_secret_ref(value: Any) -> SecretRef:
    """Turn the YAML form of a secret reference into a SecretRef.

    Raises `secret_plaintext` for any scalar (never echoing it) and
    `secret_ref` for malformed mappings.
    """
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, dict):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            raise PydanticCustomError("secret_plaintext", "plaintext value in a secret field")
        raise PydanticCustomError(
            "secret_ref", "a secret reference is a mapping like {keyring: true} or {env: VAR}"
        )
    if "command" in value:
        return parse_command_ref(value)
    if len(value) != 1:
        raise PydanticCustomError(
            "secret_ref", "a secret reference has exactly one key: keyring, env, file or command"
        )
    ((kind, target),) = value.items()
    if kind not in SECRET_REF_KINDS:
        # Named only when it looks like a misspelt kind: `{sk-proj-...}` is a
        # one-key mapping whose key is a pasted secret.
        if isinstance(kind, str) and SHORT_WORD_RE.fullmatch(kind):
            raise PydanticCustomError(
                "secret_ref",
                "unknown secret reference kind '{kind}' (use keyring, env, file or command)",
                {"kind": kind},
            )
        raise PydanticCustomError(
            "secret_ref", "unknown secret reference kind (use keyring, env, file or command)"
        )
    if kind == "keyring":
        if target is True:
            return _secret_ref("keyring", None)
        if isinstance(target, str) and target.strip():
            return _secret_ref("keyring", target)
        raise PydanticCustomError(
            "secret_ref", "keyring takes true (the default entry) or an entry name"
        )
    if not isinstance(target, str) or not target.strip():
        raise PydanticCustomError("secret_ref", "{kind} takes a non-empty name", {"kind": kind})
    if kind == "env" and not ENV_VAR_RE.fullmatch(target):
        # Not repeated: a key pasted where the variable name belongs lands here.
        raise PydanticCustomError(
            "secret_ref",
            "env takes a variable name: letters, digits and '_', not starting with a digit",
        )
    return _secret_ref(kind, target)


def parse_command_ref(value: dict[Any, Any]) -> SecretRef:
    """`{command: [PROGRAM, ARG, ...] | "PROGRAM ARG ...", timeout?, cache?, interactive?}`.

    Raises `command_ref` (code E217) for anything malformed; messages never
    repeat an argument (one may be pasted where it does not belong).
    """
    for key in value:
        if key != "command" and key not in COMMAND_OPTIONS:
            shown = f" '{key}'" if isinstance(key, str) and SHORT_WORD_RE.fullmatch(key) else ""
            raise PydanticCustomError(
                "command_ref",
                "unknown key{shown} in a command reference (it takes command, timeout, "
                "cache and interactive)",
                {"shown": shown},
            )
    raw = value["command"]
    text: str | None = None
    if isinstance(raw, str):
        text = raw
        try:
            argv = shlex.split(raw)
        except ValueError as exc:
            raise PydanticCustomError(
                "command_ref",
                "the command string cannot be split into words ({reason})",
                {"reason": str(exc)},
            ) from None
    elif isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise PydanticCustomError(
                "command_ref",
                "every item of a command list must be a string (quote numbers and booleans)",
            )
        argv = list(raw)
    else:
        raise PydanticCustomError(
            "command_ref", "command takes a list of words or a string, not a mapping or number"
        )
    if not argv or not argv[0].strip():
        raise PydanticCustomError("command_ref", "the command is empty: name a program to run")
    if any("\x00" in item for item in argv):
        raise PydanticCustomError("command_ref", "a command word holds a NUL character")
    timeout = _seconds(value, "timeout", upper=MAX_COMMAND_TIMEOUT)
    cache = _seconds(value, "cache", upper=None)
    interactive = value.get("interactive", False)
    if not isinstance(interactive, bool):
        raise PydanticCustomError("command_ref", "interactive takes true or false")
    return SecretRef(
        kind="command",
        name=argv[0],
        argv=tuple(argv),
        command_text=text,
        timeout=timeout,
        cache=cache,
        interactive=interactive,
    )


def _seconds(value: dict[Any, Any], key: str, *, upper: float | None) -> float | None:
    if key not in value:
        return None
    seconds = value[key]
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or seconds <= 0
        or (upper is not None and seconds > upper)
    ):
        limit = f" up to {upper:g}" if upper is not None else ""
        raise PydanticCustomError(
            "command_ref",
            "{key} takes a positive number of seconds{limit}",
            {"key": key, "limit": limit},
        )
    return float(seconds)


@lru_cache(maxsize=1024)
def _secret_ref(kind: Literal["keyring", "env", "file"], name: str | None) -> SecretRef:
    # SecretRef is frozen: instances that name the same store share one object
    # (many instances use the same env var or keyring entry), ~300 bytes each.
    if name is None:
        return SecretRef(kind=kind)  # `name` left unset, as the model's default
    return SecretRef(kind=kind, name=name)


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
        # An int field's bounds are whole numbers (FieldSpec checks it); its
        # validator takes them only as integers.
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
            # NaN passes no comparison and infinity no sane setting: neither is a value.
            return Annotated[float, Field(allow_inf_nan=False, **bounds)]
        case FieldType.CHOICE:
            return Literal[tuple(spec.choices or ())]
        case FieldType.LIST:
            return Annotated[list[Annotated[str, Strict()]], Field(**bounds)]
    raise AssertionError(spec.type)  # pragma: no cover - FieldType is closed


_MODEL_CACHE: dict[int, tuple[ProviderDefinition, type[BaseModel]]] = {}
_USER_MODEL_CACHE: dict[str, type[BaseModel]] = {}
"""User definitions are validated again (as new objects) on every recompute;
keyed by their content, an unchanged one reuses its model (building one is slow)."""


def model_for(definition: ProviderDefinition) -> type[BaseModel]:
    """The pydantic model validating a definition's fields (cached)."""
    cached = _MODEL_CACHE.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    content_key = None
    if not definition.builtin:
        content_key = definition.model_dump_json()
        reused = _USER_MODEL_CACHE.get(content_key)
        if reused is not None:
            return reused
    fields: dict[str, Any] = {}
    for spec in definition.fields:
        # Defaults are not filled in: `values` holds only what the file says.
        # An absent secret field means the keyring default, so it is never missing.
        required = spec.required and spec.default is None and not spec.is_secret
        fields[spec.id] = (_annotation(spec), ... if required else None)
    model = create_model(
        f"Fields_{definition.id}",
        __config__=ConfigDict(extra="ignore", strict=True, frozen=True),
        **fields,
    )
    if content_key is not None:
        if len(_USER_MODEL_CACHE) > 256:
            _USER_MODEL_CACHE.clear()
        _USER_MODEL_CACHE[content_key] = model
    else:
        _MODEL_CACHE[id(definition)] = (definition, model)
    return model


_FIELD_TABLES: dict[int, tuple[ProviderDefinition, frozenset[str], dict[str, FieldSpec]]] = {}


def _field_table(definition: ProviderDefinition) -> tuple[frozenset[str], dict[str, FieldSpec]]:
    """A definition's field ids, and its specs by id (the first of an id, as
    `definition.field` finds it): built once per definition object rather than
    once per instance. The definition is kept with them, so its id is not reused."""
    cached = _FIELD_TABLES.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1], cached[2]
    specs: dict[str, FieldSpec] = {}
    for spec in definition.fields:
        specs.setdefault(spec.id, spec)
    known = frozenset(spec.id for spec in definition.fields)
    if len(_FIELD_TABLES) > 256:  # user definitions are new objects on every recompute
        _FIELD_TABLES.clear()
    _FIELD_TABLES[id(definition)] = (definition, known, specs)
    return known, specs


def check_fields(
    raw: Mapping[Any, Any], definition: ProviderDefinition
) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
    """Validate the provider fields of one instance mapping (no positions).

    Returns the stated values (None when any field is invalid) and problems.
    Used by `validate_fields` (which maps problems to nodes) and by the registry for
    values coming from the dashboard or the command line.
    """
    problems: list[FieldProblem] = []
    known, specs = _field_table(definition)
    stated: dict[str, Any] = {}
    settings: dict[str, Any] | None = {}
    for key, value in raw.items():
        if key in RESERVED_KEYS:
            continue
        if key == "models":
            listed = check_models(value, problems)
            if listed is None or settings is None:
                settings = None
            elif listed:
                settings = {**settings, "models": listed}
            continue
        if key in INSTANCE_SETTINGS:
            settings = _check_setting(key, value, settings, problems)
            continue
        if key in known:
            spec = specs[key]
            if value is None and spec is not None and (not spec.required or spec.is_secret):
                # `field:` left empty means "not set" (for a secret: the keyring default).
                continue
            stated[key] = value
            continue
        if _looks_like_plaintext_secret(key, value):
            # A key pasted under a name the provider does not have is still a key in
            # the file: an error, not an unknown-field warning, and never echoed.
            problems.append(
                FieldProblem(
                    codes.PLAINTEXT_SECRET,
                    (key,),
                    f"'{key}' holds what looks like a plaintext secret, and provider "
                    f"'{definition.id}' has no such field; config files hold only references",
                    hint="remove the line; keys live in the keyring (`provreg secret set`)",
                    at_key=True,
                )
            )
            continue
        suggestion = did_you_mean(str(key), known)
        problems.append(
            FieldProblem(
                codes.UNKNOWN_FIELD,
                (key,),
                f"unknown field '{key}' for provider '{definition.id}'"
                + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
                hint=None if suggestion else _fields_hint(definition),
                at_key=True,
            )
        )
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


_SETTING_HINTS = {
    "helpers": "`helpers: false` keeps `provreg secret get` from printing this instance's keys",
    "allow_http": "`allow_http: true` lets `provreg probe` send the key over plain http",
}


def _check_setting(
    key: str, value: Any, settings: dict[str, Any] | None, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    """An instance setting (`helpers`, `allow_http`): true or false; left empty, not set. A wrong
    value makes the instance invalid (None), so it is never read as the default."""
    if value is None:
        return settings
    if isinstance(value, bool):
        return None if settings is None else {**settings, key: value}
    problems.append(
        FieldProblem(
            codes.WRONG_TYPE,
            (key,),
            f"'{key}' must be true or false, not {yaml_type_name(value)}",
            hint=_SETTING_HINTS.get(key),
        )
    )
    return None


def validate_fields(
    raw: dict[Any, Any],
    node: Node,
    definition: ProviderDefinition,
    file: str,
    instance_id: str | None,
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """Validate the provider fields of one instance mapping, as diagnostics at nodes."""
    values, problems = check_fields(raw, definition)
    diagnostics = []
    for problem in problems:
        where = (locate(node, problem.path, key=problem.at_key) or node) if problem.path else node
        line, column = node_position(where)
        diagnostics.append(
            diagnostic(
                problem.code,
                file,
                line,
                column,
                problem.message,
                hint=problem.hint,
                instance_id=instance_id,
            )
        )
    return values, diagnostics


def _fields_hint(definition: ProviderDefinition) -> str:
    return "fields of this provider: " + ", ".join(spec.id for spec in definition.fields)


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
            # YAML 1.1 reads yes/no/on/off as booleans.
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
    expected = {
        FieldType.TEXT: "text",
        FieldType.URL: "a URL (text)",
        FieldType.BOOL: "true or false",
        FieldType.INT: "a whole number",
        FieldType.FLOAT: "a number",
        FieldType.LIST: "a list of text values",
        FieldType.CHOICE: "one of " + ", ".join(spec.choices or ()),
        FieldType.SECRET: "a secret reference",
    }[spec.type]
    where = "" if len(error["loc"]) == 1 else f" item {error['loc'][1] + 1}"
    return (
        codes.WRONG_TYPE,
        f"field '{field_id}'{where} must be {expected}, not {yaml_type_name(value)}",
        _type_hint(spec, value),
    )


_NUMBER_LIKE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def _type_hint(spec: FieldSpec, value: Any) -> str | None:
    if spec.type in (FieldType.TEXT, FieldType.URL) and isinstance(value, bool | int | float):
        return "quote the value to make it text"
    if spec.type is FieldType.BOOL and isinstance(value, str):
        return "write true or false without quotes"
    if spec.type in (FieldType.INT, FieldType.FLOAT) and isinstance(value, str):
        if _NUMBER_LIKE.match(value.strip()) and "e" in value.lower():
            return "YAML reads this exponent form as text; write it with a dot, like 1.0e3"
        if _NUMBER_LIKE.match(value.strip()):
            return "write the number without quotes"
        return "write a number"
    return None


def _looks_like_plaintext_secret(key: Any, value: Any) -> bool:
    return looks_like_secret_key(key) and isinstance(value, str) and len(value.strip()) >= 8


def _range(spec: FieldSpec) -> str:
    low = "" if spec.min is None else _num(spec.min)
    high = "" if spec.max is None else _num(spec.max)
    if low and high:
        return f"{low} to {high}"
    return f"at least {low}" if low else f"at most {high}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _yaml_number(value: Any) -> str:
    """NaN and the infinities as YAML spells them (`.nan`, `-.inf`)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    return _show(value)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "...'"


def clip(text: str, limit: int = 60) -> str:
    """`text`, cut to `limit` characters with "..." when longer, for messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
