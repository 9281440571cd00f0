"""Validate an instance's fields against its provider definition.

Owns: one checker per provider definition (compiled from its field specs,
cached), the rules of each field type, and the problems (codes, messages,
hints) a value that breaks them gets.
May import: `provreg.model`, `provreg.catalog.catalog`, `provreg.config.codes`,
`provreg.config.read.yaml_source`, `provreg.config.read.field_problem`,
`provreg.config.read.model_list`, `provreg.secret_names`, PyYAML (the node
type), the standard library. Never pydantic: `--check` on valid files does
not import it.

`_compile` is the single place a field type's rules live. They are written by
hand, and kept equal (values and problems) to the pydantic model they replaced
by tests/config/test_field_validation_equivalence.py, which runs that model
(tests/helpers/pydantic_field_oracle.py) beside them. Messages never repeat a
secret input: a value may be a key someone pasted where a reference belongs.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from yaml.nodes import Node

from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
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


class FieldValueError(ValueError):
    """A value a field rule refuses: `kind` says which rule (`url`, `secret_plaintext`,
    `secret_ref`, `command_ref`), `message` what is wrong, never repeating a
    secret; `str()` of it is the message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def check_url(value: str) -> str:
    """Accept absolute http(s) URLs with a host; keep the text exactly as written."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FieldValueError("url", f"invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise FieldValueError("url", "URL must start with http:// or https://")
    if not parts.hostname:
        raise FieldValueError("url", "URL has no host")
    if WHITESPACE_RE.search(value):
        raise FieldValueError("url", "URL contains white space")
    return value


_valid_url = lru_cache(maxsize=1024)(check_url)
"""`check_url` for URL fields: instances repeat a few URLs (a refused one is not kept)."""


def parse_secret_ref(value: Any) -> SecretRef:
    """Turn the YAML form of a secret reference into a SecretRef.

    Raises `secret_plaintext` for any scalar (never echoing it) and
    `secret_ref` for malformed mappings.
    """
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, dict):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            raise FieldValueError("secret_plaintext", "plaintext value in a secret field")
        raise FieldValueError(
            "secret_ref", "a secret reference is a mapping like {keyring: true} or {env: VAR}"
        )
    if "command" in value:
        return parse_command_ref(value)
    if len(value) != 1:
        raise FieldValueError(
            "secret_ref", "a secret reference has exactly one key: keyring, env, file or command"
        )
    ((kind, target),) = value.items()
    if kind not in SECRET_REF_KINDS:
        # Named only when it looks like a misspelt kind: `{sk-proj-...}` is a
        # one-key mapping whose key is a pasted secret.
        if isinstance(kind, str) and SHORT_WORD_RE.fullmatch(kind):
            raise FieldValueError(
                "secret_ref",
                f"unknown secret reference kind '{kind}' (use keyring, env, file or command)",
            )
        raise FieldValueError(
            "secret_ref", "unknown secret reference kind (use keyring, env, file or command)"
        )
    if kind == "keyring":
        if target is True:
            return _secret_ref("keyring", None)
        if isinstance(target, str) and target.strip():
            return _secret_ref("keyring", target)
        raise FieldValueError(
            "secret_ref", "keyring takes true (the default entry) or an entry name"
        )
    if not isinstance(target, str) or not target.strip():
        raise FieldValueError("secret_ref", f"{kind} takes a non-empty name")
    if kind == "env" and not ENV_VAR_RE.fullmatch(target):
        # Not repeated: a key pasted where the variable name belongs lands here.
        raise FieldValueError(
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
            raise FieldValueError(
                "command_ref",
                f"unknown key{shown} in a command reference (it takes command, timeout, "
                "cache and interactive)",
            )
    raw = value["command"]
    text: str | None = None
    if isinstance(raw, str):
        text = raw
        try:
            argv = shlex.split(raw)
        except ValueError as exc:
            raise FieldValueError(
                "command_ref", f"the command string cannot be split into words ({exc})"
            ) from None
    elif isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise FieldValueError(
                "command_ref",
                "every item of a command list must be a string (quote numbers and booleans)",
            )
        argv = list(raw)
    else:
        raise FieldValueError(
            "command_ref", "command takes a list of words or a string, not a mapping or number"
        )
    if not argv or not argv[0].strip():
        raise FieldValueError("command_ref", "the command is empty: name a program to run")
    if any("\x00" in item for item in argv):
        raise FieldValueError("command_ref", "a command word holds a NUL character")
    timeout = _seconds(value, "timeout", upper=MAX_COMMAND_TIMEOUT)
    cache = _seconds(value, "cache", upper=None)
    interactive = value.get("interactive", False)
    if not isinstance(interactive, bool):
        raise FieldValueError("command_ref", "interactive takes true or false")
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
    number: float | None = None
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        try:
            number = float(seconds)
        except OverflowError:  # a whole number past a float's range
            number = None
    if (
        number is None
        or not math.isfinite(number)
        or number <= 0
        or (upper is not None and number > upper)
    ):
        limit = f" up to {upper:g}" if upper is not None else ""
        raise FieldValueError("command_ref", f"{key} takes a positive number of seconds{limit}")
    return number


@lru_cache(maxsize=1024)
def _secret_ref(kind: Literal["keyring", "env", "file"], name: str | None) -> SecretRef:
    # SecretRef is frozen: instances that name the same store share one object
    # (many instances use the same env var or keyring entry), ~300 bytes each.
    if name is None:
        return SecretRef(kind=kind)  # `name` left unset, as the model's default
    return SecretRef(kind=kind, name=name)


_INVALID: Any = object()
"""What a field check returns when the value is refused (its problems appended)."""

FieldCheck = Callable[[Any, list[FieldProblem]], Any]
"""Checks one stated value: returns it as validated, or `_INVALID` after appending
its problems."""


class _Checker:
    """A definition's fields, compiled: (id, check, required) in declaration
    order, which is the order problems are reported in; the checks by id and
    the required ids, for the common case of a valid instance."""

    __slots__ = ("checks", "fields", "required")

    def __init__(self, fields: tuple[tuple[str, FieldCheck, bool], ...]) -> None:
        self.fields = fields
        self.checks = {field_id: check for field_id, check, _ in fields}
        self.required = tuple(field_id for field_id, _, required in fields if required)


_CHECKER_CACHE: dict[int, tuple[ProviderDefinition, _Checker]] = {}
_USER_CHECKER_CACHE: dict[tuple[Any, ...], _Checker] = {}
"""User definitions are validated again (as new objects) on every recompute;
keyed by their content, an unchanged one reuses its checker."""


def _content_key(definition: ProviderDefinition) -> tuple[Any, ...]:
    """Everything about a definition's fields that its checker uses (messages
    and hints included; the definition's own id is read at each call)."""
    return tuple(
        (
            spec.id,
            spec.type,
            spec.required,
            spec.default is None,
            spec.help,
            spec.pattern,
            spec.min,
            spec.max,
            spec.choices,
        )
        for spec in definition.fields
    )


def checker_for(definition: ProviderDefinition) -> _Checker:
    """The compiled checks of a definition's fields (cached)."""
    cached = _CHECKER_CACHE.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    content_key = None
    if not definition.builtin:
        content_key = _content_key(definition)
        reused = _USER_CHECKER_CACHE.get(content_key)
        if reused is not None:
            return reused
    compiled: dict[str, tuple[str, FieldCheck, bool]] = {}
    for spec in definition.fields:
        # Defaults are not filled in: `values` holds only what the file says.
        # An absent secret field means the keyring default, so it is never missing.
        required = spec.required and spec.default is None and not spec.is_secret
        if spec.id not in compiled:  # ids are unique; the first wins, as `definition.field`
            compiled[spec.id] = (spec.id, _compile(spec), required)
    checker = _Checker(tuple(compiled.values()))
    if content_key is not None:
        if len(_USER_CHECKER_CACHE) > 256:
            _USER_CHECKER_CACHE.clear()
        _USER_CHECKER_CACHE[content_key] = checker
    else:
        if len(_CHECKER_CACHE) > 256:
            _CHECKER_CACHE.clear()
        _CHECKER_CACHE[id(definition)] = (definition, checker)
    return checker


def _compile(spec: FieldSpec) -> FieldCheck:  # noqa: C901 - one branch per field type
    """The check of one field: its type, then its bounds, pattern or choices.

    Strict as the model was: no value is converted from another YAML type
    (a number is never text, a boolean never a number), except that a float
    field takes a whole number, as a float; a str, int or list subclass is
    accepted as its base type."""
    field_id = spec.id
    kind = spec.type
    low = spec.min
    high = spec.max

    def wrong_type(value: Any, problems: list[FieldProblem], item: int | None = None) -> Any:
        problems.append(_wrong_type(spec, value, item))
        return _INVALID

    if kind is FieldType.TEXT or kind is FieldType.LIST:
        unit = "characters" if kind is FieldType.TEXT else "items"
        length_problem = FieldProblem(
            codes.OUT_OF_RANGE,
            (field_id,),
            f"field '{field_id}': length must be {_range(spec)} {unit}",
        )
        min_length = None if low is None else int(low)
        max_length = None if high is None else int(high)

    if kind is FieldType.TEXT:
        search = re.compile(spec.pattern).search if spec.pattern else None
        bounded = low is not None or high is not None

        def check_text(value: Any, problems: list[FieldProblem]) -> Any:
            if type(value) is not str:
                if not isinstance(value, str):
                    return wrong_type(value, problems)
                value = str.__str__(value)
            if bounded:
                if not value.isascii() and not _is_unicode(value):
                    # A lone surrogate (YAML's "\ud800"): the length is not counted.
                    return wrong_type(value, problems)
                size = len(value)
                if (min_length is not None and size < min_length) or (
                    max_length is not None and size > max_length
                ):
                    problems.append(length_problem)
                    return _INVALID
            if search is not None and search(value) is None:
                problems.append(
                    FieldProblem(
                        codes.PATTERN_MISMATCH,
                        (field_id,),
                        f"field '{field_id}': {_show(value)} does not match the pattern "
                        f"{spec.pattern}",
                        spec.help,
                    )
                )
                return _INVALID
            return value

        return check_text

    if kind is FieldType.URL:

        def check_url_field(value: Any, problems: list[FieldProblem]) -> Any:
            if type(value) is not str:
                if not isinstance(value, str):
                    return wrong_type(value, problems)
                value = str.__str__(value)
            try:
                return _valid_url(value)
            except FieldValueError as exc:
                problems.append(
                    FieldProblem(
                        codes.INVALID_URL, (field_id,), f"field '{field_id}': {exc.message}"
                    )
                )
                return _INVALID

        return check_url_field

    if kind is FieldType.SECRET:

        def check_secret(value: Any, problems: list[FieldProblem]) -> Any:
            try:
                return parse_secret_ref(value)
            except FieldValueError as exc:
                problems.append(_secret_problem(field_id, exc))
                return _INVALID
            except ValueError:
                return wrong_type(value, problems)

        return check_secret

    if kind is FieldType.BOOL:

        def check_bool(value: Any, problems: list[FieldProblem]) -> Any:
            if value is True or value is False:
                return value
            return wrong_type(value, problems)

        return check_bool

    if kind is FieldType.INT or kind is FieldType.FLOAT:
        is_int = kind is FieldType.INT
        # An int field's bounds are whole numbers (FieldSpec checks it), compared as ints.
        as_bound: Callable[[float], float] = int if is_int else float
        ge = None if low is None else as_bound(low)
        le = None if high is None else as_bound(high)
        out_of_range = (
            f"is out of range ({_range(spec)})" if ge is not None or le is not None else ""
        )

        def check_number(value: Any, problems: list[FieldProblem]) -> Any:
            if not isinstance(value, int) or isinstance(value, bool):
                if is_int or not isinstance(value, float):
                    return wrong_type(value, problems)
                number: Any = value if type(value) is float else float.__float__(value)
                if number != number or number in (math.inf, -math.inf):
                    problems.append(
                        FieldProblem(
                            codes.NOT_FINITE,
                            (field_id,),
                            f"field '{field_id}': {_yaml_number(value)} is not a finite number",
                            "write a number such as 60 or 1.5",
                        )
                    )
                    return _INVALID
            elif is_int:
                number = value if type(value) is int else int.__int__(value)
            else:
                try:
                    number = float(value)
                except OverflowError:  # past a float's range
                    return wrong_type(value, problems)
            if (ge is not None and number < ge) or (le is not None and number > le):
                problems.append(
                    FieldProblem(
                        codes.OUT_OF_RANGE,
                        (field_id,),
                        f"field '{field_id}': {_show(value)} {out_of_range}",
                    )
                )
                return _INVALID
            return number

        return check_number

    if kind is FieldType.CHOICE:
        choices = spec.choices or ()
        allowed = {choice: choice for choice in choices}

        def check_choice(value: Any, problems: list[FieldProblem]) -> Any:
            if isinstance(value, str):
                found = allowed.get(value)
                if found is not None:
                    return found
                if not value.isascii() and not _is_unicode(value):
                    return wrong_type(value, problems)  # a lone surrogate, as for text
            problems.append(_not_a_choice(field_id, choices, value))
            return _INVALID

        return check_choice

    if kind is FieldType.LIST:

        def check_list(value: Any, problems: list[FieldProblem]) -> Any:
            if not isinstance(value, list):
                return wrong_type(value, problems)
            size = len(value)
            if max_length is not None and size > max_length:
                # Too long: reported alone, its items unread.
                problems.append(length_problem)
                return _INVALID
            items = []
            bad = False
            for index, item in enumerate(value):
                if type(item) is str:
                    items.append(item)
                elif isinstance(item, str):
                    items.append(str.__str__(item))
                else:
                    wrong_type(item, problems, index)
                    bad = True
            if bad:
                return _INVALID
            if min_length is not None and size < min_length:
                problems.append(length_problem)
                return _INVALID
            return items

        return check_list

    raise AssertionError(spec.type)  # pragma: no cover - FieldType is closed


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    stated, settings = stated_fields(raw, definition, problems)
    validated = _validate(stated, definition, problems)
    if validated is None or settings is None:
        return None, problems
    check_default_model(settings.get("models", ()), stated, definition, problems)
    return {**validated, **settings}, problems


def stated_fields(
    raw: Mapping[Any, Any], definition: ProviderDefinition, problems: list[FieldProblem]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The keys of one instance mapping sorted out, before any value is checked:
    the provider fields it states (a field left empty is not stated), and its
    instance settings (`models`, `helpers`, `allow_http`; None when one is
    invalid). Unknown keys and plaintext secrets add to `problems`."""
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
    return stated, settings


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


def _validate(
    stated: dict[str, Any], definition: ProviderDefinition, problems: list[FieldProblem]
) -> dict[str, Any] | None:
    """The stated values, each checked by its field's rules (None when any is
    refused); problems in field-declaration order, a required field missing
    in its place."""
    checker = checker_for(definition)
    # First in the order the file states them, which is the order of the result;
    # on any problem, again in declaration order to report them in that order.
    checks = checker.checks
    found: list[FieldProblem] = []
    checked: dict[str, Any] = {}
    for field_id, value in stated.items():
        value = checks[field_id](value, found)
        if value is _INVALID:
            break
        checked[field_id] = value
    else:
        for field_id in checker.required:
            if field_id not in stated:
                break
        else:
            return checked
    for field_id, check, required in checker.fields:
        if field_id in stated:
            check(stated[field_id], problems)
        elif required:
            spec = definition.field(field_id)
            problems.append(
                FieldProblem(
                    codes.MISSING_FIELD,
                    (),
                    f"missing required field '{field_id}' for provider '{definition.id}'",
                    hint=spec.help if spec is not None else None,
                    missing_field=field_id,
                )
            )
    return None


def _secret_problem(field_id: str, error: FieldValueError) -> FieldProblem:
    if error.kind == "secret_plaintext":
        return FieldProblem(
            codes.PLAINTEXT_SECRET,
            (field_id,),
            f"field '{field_id}' holds a plaintext secret; config files hold only references",
            f"remove the value, then run `provreg secret set <id> {field_id}` "
            "(or use {env: VAR} / {file: PATH})",
        )
    if error.kind == "command_ref":
        return FieldProblem(
            codes.BAD_COMMAND_REF,
            (field_id,),
            f"field '{field_id}': {error.message}",
            'write {command: [PROGRAM, ARG, ...]} or {command: "PROGRAM ARG ..."}, '
            "with optional timeout: SECONDS, cache: SECONDS, interactive: true",
        )
    return FieldProblem(
        codes.BAD_SECRET_REF,
        (field_id,),
        f"field '{field_id}': {error.message}",
        "write {keyring: true}, {keyring: NAME}, {env: VAR}, {file: PATH} "
        "or {command: [PROGRAM, ARG, ...]}",
    )


def _not_a_choice(field_id: str, choices: tuple[str, ...], value: Any) -> FieldProblem:
    suggestion = did_you_mean(str(value), choices) if isinstance(value, str) else None
    hint = None
    if isinstance(value, bool):
        # YAML 1.1 reads yes/no/on/off as booleans.
        hint = "quote the value (YAML reads yes, no, on and off as true/false)"
    shown = ("true" if value else "false") if isinstance(value, bool) else _show(value)
    return FieldProblem(
        codes.NOT_A_CHOICE,
        (field_id,),
        f"field '{field_id}': {shown} is not one of {', '.join(choices)}"
        + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
        hint,
    )


def expected_value(spec: FieldSpec) -> str:
    """What a value of this field must be, as a wrong-type message says it."""
    if spec.type is FieldType.CHOICE:
        return "one of " + ", ".join(spec.choices or ())
    return _EXPECTED[spec.type]


_EXPECTED = {
    FieldType.TEXT: "text",
    FieldType.URL: "a URL (text)",
    FieldType.BOOL: "true or false",
    FieldType.INT: "a whole number",
    FieldType.FLOAT: "a number",
    FieldType.LIST: "a list of text values",
    FieldType.SECRET: "a secret reference",
}


def _wrong_type(spec: FieldSpec, value: Any, item: int | None) -> FieldProblem:
    expected = expected_value(spec)
    path = (spec.id,) if item is None else (spec.id, item)
    where = "" if item is None else f" item {item + 1}"
    return FieldProblem(
        codes.WRONG_TYPE,
        path,
        f"field '{spec.id}'{where} must be {expected}, not {yaml_type_name(value)}",
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
