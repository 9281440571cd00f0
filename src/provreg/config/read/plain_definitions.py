"""Build a user definition that plainly keeps every rule, without pydantic.

Owns: `plainly_valid`, the fast path of `definitions._validate_definition`: a
definition mapping whose every key and value already has the exact type the
rules want, and that breaks none of them, becomes the value class here;
anything else (a wrong type pydantic might convert, a broken rule, a `probe:`
block) returns None and goes through `provreg.definition_schema`, whose
pydantic errors are the diagnostics. So the rules' messages have one source,
and a config file with a custom provider type no longer pays for importing
pydantic (a third of a cold `provreg --check`, docs/performance.md).
May import: `provreg.model`, the standard library. Never pydantic.

It may refuse what pydantic accepts (then pydantic decides); it must never
accept what pydantic refuses, nor build a different object:
`tests/config/test_plain_definitions.py` holds it to `definition_schema` on
the samples, the fixtures and generated mappings.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

from provreg.model import (
    API_KINDS,
    BOUND_MAGNITUDE_LIMIT,
    INSTANCE_SETTINGS,
    NAME_MAX_LENGTH,
    RESERVED_KEYS,
    FieldSpec,
    FieldType,
    ProviderDefinition,
)

# The id patterns of `provreg.model` as full matches: pydantic checks `^...$`
# with a regex engine whose `$` is the end of the text; Python's `$` also
# matches before a final newline, which fullmatch does not.
_DEFINITION_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_FIELD_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")

_DEFINITION_KEYS = frozenset(
    {"id", "name", "description", "docs_url", "models", "fields", "api", "tools"}
)
_FIELD_KEYS = frozenset(
    {
        "id",
        "label",
        "type",
        "required",
        "default",
        "help",
        "pattern",
        "min",
        "max",
        "choices",
        "env",
    }
)
_TYPES = {kind.value: kind for kind in FieldType}
_BOUNDED = (FieldType.INT, FieldType.FLOAT, FieldType.TEXT, FieldType.LIST)
_WHOLE_BOUNDS = (FieldType.INT, FieldType.TEXT, FieldType.LIST)
_LENGTH_BOUNDS = (FieldType.TEXT, FieldType.LIST)


def plainly_valid(value: Any) -> ProviderDefinition | None:
    """The definition, when `value` keeps every rule with values of exactly the
    right types; None when pydantic must decide (and explain)."""
    if type(value) is not dict or not _DEFINITION_KEYS.issuperset(value):
        return None
    ident, name = value.get("id"), value.get("name")
    if not (_is_text(ident) and _DEFINITION_ID.fullmatch(ident)):
        return None
    if not (_is_text(name) and 1 <= len(name) <= NAME_MAX_LENGTH):
        return None
    description, docs_url = value.get("description"), value.get("docs_url")
    if not (_text_or_none(description) and _text_or_none(docs_url)):
        return None
    models = _texts(value.get("models", []))
    api = value.get("api")
    if models is None or not (api is None or (_is_text(api) and api in API_KINDS)):
        return None
    tools = value.get("tools", {})
    if type(tools) is not dict or not all(_is_text(k) and _is_text(v) for k, v in tools.items()):
        return None
    fields = value.get("fields", [])
    if type(fields) is not list:
        return None
    specs = []
    for item in fields:
        spec = _field_spec(item)
        if spec is None:
            return None
        specs.append(spec)
    if len({spec.id for spec in specs}) != len(specs):
        return None  # a field declared twice
    return ProviderDefinition(
        id=ident,
        name=name,
        description=description,
        docs_url=docs_url,
        models=models,
        fields=tuple(specs),
        api=api,
        tools=dict(tools),
        probe=None,
        builtin=False,
    )


def _field_spec(item: Any) -> FieldSpec | None:
    if type(item) is not dict or not _FIELD_KEYS.issuperset(item):
        return None
    ident = item.get("id")
    if not (_is_text(ident) and _FIELD_ID.fullmatch(ident)):
        return None
    if ident in RESERVED_KEYS or ident in INSTANCE_SETTINGS:
        return None
    kind_text = item.get("type", FieldType.TEXT.value)
    kind = _TYPES.get(kind_text) if _is_text(kind_text) else None
    required = item.get("required", False)
    if kind is None or type(required) is not bool:
        return None
    label, help_text, pattern, env = (item.get(key) for key in ("label", "help", "pattern", "env"))
    if not all(_text_or_none(text) for text in (label, help_text, pattern, env)):
        return None
    low, high = _bound(item.get("min"), kind), _bound(item.get("max"), kind)
    if low is False or high is False:
        return None
    if (low is not None or high is not None) and kind not in _BOUNDED:
        return None
    if low is not None and high is not None and low > high:
        return None
    choices = None
    if "choices" in item and item["choices"] is not None:
        choices = _texts(item["choices"])
        if not choices or kind is not FieldType.CHOICE:
            return None
    elif kind is FieldType.CHOICE:
        return None
    if pattern is not None and (kind is not FieldType.TEXT or not _compiles(pattern)):
        return None
    default = item.get("default")
    if kind is FieldType.SECRET and default is not None:
        return None
    return FieldSpec(
        id=ident,
        label=label,
        type=kind,
        required=required,
        default=default,
        help=help_text,
        pattern=pattern,
        min=low,
        max=high,
        choices=choices,
        env=env,
    )


def _bound(value: Any, kind: FieldType) -> float | None | bool:
    """A `min`/`max` as the float pydantic makes of it, None when absent,
    False when pydantic must decide."""
    if value is None:
        return None
    if type(value) is int:
        if abs(value) > BOUND_MAGNITUDE_LIMIT:
            return False
        value = float(value)
    elif type(value) is not float or not math.isfinite(value):
        return False
    if abs(value) > BOUND_MAGNITUDE_LIMIT:
        return False
    if kind in _WHOLE_BOUNDS and not value.is_integer():
        return False
    if kind in _LENGTH_BOUNDS and value < 0:
        return False
    return float(value)


def _texts(value: Any) -> tuple[str, ...] | None:
    if type(value) is not list or not all(_is_text(item) for item in value):
        return None
    return tuple(value)


def _is_text(value: Any) -> TypeGuard[str]:
    return type(value) is str


def _text_or_none(value: Any) -> bool:
    return value is None or type(value) is str


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
