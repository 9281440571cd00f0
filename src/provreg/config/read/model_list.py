"""Validate an instance's `models:` list: the models it serves, with their limits.

Owns: reading `models:` into `ModelSpec`s and the problems of that list
(wrong shapes, bad limits, a model listed twice, a default model that is not
listed).
May import: pydantic, `provreg.model`, `provreg.config.codes`,
`provreg.catalog`, `provreg.config.read.field_problem`.

Each item is a model id (`- gpt-4.1`) or a mapping (`- {id: llama-3.3-70b,
context_window: 131072, max_output_tokens: 8192}`). Left empty, `models:` is
not set. A wrong item makes the instance invalid (so it is never read as
something it is not); a model listed twice and a default model missing from
the list are warnings, since every tool still gets a usable list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provreg.catalog.catalog import did_you_mean
from provreg.config import codes
from provreg.config.read.field_problem import FieldProblem, yaml_type_name
from provreg.model import (
    BOUND_MAGNITUDE_LIMIT,
    MODEL_ID_MAX_LENGTH,
    ModelSpec,
    ProviderDefinition,
)

MODEL_KEYS = ("id", "context_window", "max_output_tokens")
LIMIT_KEYS = ("context_window", "max_output_tokens")
_SHAPE_HINT = "each item is a model id, or {id: ..., context_window: N, max_output_tokens: N}"


def check_models(value: Any, problems: list[FieldProblem]) -> tuple[ModelSpec, ...] | None:
    """The models of a `models:` value, or None (with problems) when an item is wrong.

    An empty value (`models:` or `models: []`) gives an empty tuple."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        problems.append(
            FieldProblem(
                codes.WRONG_TYPE,
                ("models",),
                f"'models' must be a list, not {yaml_type_name(value)}",
                hint=_SHAPE_HINT,
            )
        )
        return None
    specs: list[ModelSpec] = []
    valid = True
    first_index: dict[str, int] = {}
    for index, item in enumerate(value):
        spec = _check_item(index, item, problems)
        if spec is None:
            valid = False
            continue
        if spec.id in first_index:
            problems.append(
                FieldProblem(
                    codes.DUPLICATE_MODEL,
                    ("models", index),
                    f"model '{spec.id}' is listed twice in 'models' "
                    f"(items {first_index[spec.id] + 1} and {index + 1})",
                    hint="remove one; the first one is used",
                )
            )
            continue
        first_index[spec.id] = index
        specs.append(spec)
    return tuple(specs) if valid else None


def check_default_model(
    models: tuple[ModelSpec, ...],
    stated: Mapping[str, Any],
    definition: ProviderDefinition,
    problems: list[FieldProblem],
) -> None:
    """Warn when the instance lists models and its default model is not one of them."""
    if not models or definition.field("default_model") is None:
        return
    default = stated.get("default_model")
    path: tuple[Any, ...] = ("default_model",)
    whose = ""
    if default is None:
        spec = definition.field("default_model")
        default = spec.default if spec is not None else None
        path, whose = ("models",), " (the provider's default)"
    if not isinstance(default, str) or not default:
        return
    ids = [spec.id for spec in models]
    if default in ids:
        return
    suggestion = did_you_mean(default, ids)
    problems.append(
        FieldProblem(
            codes.DEFAULT_MODEL_NOT_LISTED,
            path,
            f"default model '{default}'{whose} is not in 'models'"
            + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
            hint="add it to 'models', or pick the default from the list",
        )
    )


def _check_item(index: int, item: Any, problems: list[FieldProblem]) -> ModelSpec | None:
    where = ("models", index)
    if isinstance(item, str):
        return _spec(where, {"id": item}, problems)
    if not isinstance(item, Mapping):
        problems.append(
            FieldProblem(
                codes.WRONG_TYPE,
                where,
                f"model {index + 1} must be a model id or a mapping, not {yaml_type_name(item)}",
                hint=_SHAPE_HINT,
            )
        )
        return None
    unknown = [key for key in item if key not in MODEL_KEYS]
    for key in unknown:
        suggestion = did_you_mean(str(key), MODEL_KEYS)
        problems.append(
            FieldProblem(
                codes.UNKNOWN_FIELD,
                (*where, key),
                f"unknown key '{key}' in model {index + 1}"
                + (f" (did you mean '{suggestion}'?)" if suggestion else ""),
                hint=None if suggestion else "a model takes: " + ", ".join(MODEL_KEYS),
                at_key=True,
            )
        )
    if "id" not in item or item["id"] is None:
        problems.append(
            FieldProblem(
                codes.MISSING_FIELD,
                where,
                f"model {index + 1} has no 'id'",
                hint=_SHAPE_HINT,
            )
        )
        return None
    return _spec(where, {key: item[key] for key in MODEL_KEYS if key in item}, problems)


def _spec(
    where: tuple[Any, ...], item: Mapping[str, Any], problems: list[FieldProblem]
) -> ModelSpec | None:
    ok = True
    model_id = item["id"]
    id_path = where if len(item) == 1 else (*where, "id")
    if not isinstance(model_id, str):
        problems.append(
            FieldProblem(
                codes.WRONG_TYPE,
                id_path,
                f"a model id must be text, not {yaml_type_name(model_id)}",
                hint='quote it: "..."',
            )
        )
        ok = False
    elif not model_id.strip() or len(model_id) > MODEL_ID_MAX_LENGTH:
        problems.append(
            FieldProblem(
                codes.OUT_OF_RANGE,
                id_path,
                f"a model id must be 1 to {MODEL_ID_MAX_LENGTH} characters",
            )
        )
        ok = False
    elif model_id != model_id.strip() or any(ch.isspace() and ch != " " for ch in model_id):
        problems.append(
            FieldProblem(
                codes.PATTERN_MISMATCH,
                id_path,
                "a model id has no surrounding spaces, tabs or line breaks",
            )
        )
        ok = False
    for key in LIMIT_KEYS:
        limit = item.get(key)
        if limit is None:
            continue
        if isinstance(limit, bool) or not isinstance(limit, int):
            problems.append(
                FieldProblem(
                    codes.WRONG_TYPE,
                    (*where, key),
                    f"'{key}' must be a whole number of tokens, not {yaml_type_name(limit)}",
                )
            )
            ok = False
        elif not 1 <= limit <= BOUND_MAGNITUDE_LIMIT:
            problems.append(
                FieldProblem(
                    codes.OUT_OF_RANGE,
                    (*where, key),
                    f"'{key}' must be between 1 and {BOUND_MAGNITUDE_LIMIT} tokens",
                )
            )
            ok = False
    if not ok:
        return None
    return ModelSpec(
        id=model_id,
        context_window=item.get("context_window"),
        max_output_tokens=item.get("max_output_tokens"),
    )
