"""A `ProbeSpec` and an instance made into the request to send (without the key),
and the model ids read out of a response.

A definition without a `probe:` block borrows the built-in one of the wire
protocol it declares (`api: openai` probes like `openai-compatible`), so a
user's OpenAI-compatible gateway needs no block of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provreg.catalog import Catalog
from provreg.model import ProbeSpec, ProviderDefinition, ProviderInstance

API_PROBE_SOURCE = {
    "openai": "openai-compatible",
    "anthropic": "anthropic",
    "gemini": "google-gemini",
    "azure-openai": "azure-openai",
    "ollama": "ollama",
}
"""The built-in type whose probe a definition borrows through its `api`."""

_PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class SpecError(ValueError):
    """The spec cannot be applied to this instance (a field it names is unset)."""


def probe_spec_for(definition: ProviderDefinition, catalog: Catalog) -> ProbeSpec | None:
    """The definition's own probe, else the one its `api` borrows, else None."""
    if definition.probe is not None:
        return definition.probe
    source = API_PROBE_SOURCE.get(definition.api or "")
    borrowed = catalog.get(source) if source else None
    return borrowed.probe if borrowed is not None else None


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """The first request of a probe, key not yet attached."""

    method: str
    url: str
    headers: dict[str, str]
    query: dict[str, str]
    key_header: str | None
    """The header that will carry the key (None: no key is sent)."""
    key_prefix: str
    """Written before the key in that header (`Bearer `)."""


def _fill(template: str, instance: ProviderInstance, definition: ProviderDefinition) -> str | None:
    """`template` with `{field}` replaced by the instance's values; None when one is unset."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = instance.value(definition, match.group(1))
        spec = definition.field(match.group(1))
        if found is None or (spec is not None and spec.is_secret):
            # A secret field is never written into a header or a URL by a template.
            missing = True
            return ""
        return str(found)

    filled = _PLACEHOLDER_RE.sub(value, template)
    return None if missing else filled


def _filled(
    templates: Mapping[str, str], instance: ProviderInstance, definition: ProviderDefinition
) -> dict[str, str]:
    out = {}
    for name, template in templates.items():
        filled = _fill(template, instance, definition)
        if filled is not None and filled != "":
            out[name] = filled
    return out


def base_url_of(instance: ProviderInstance, definition: ProviderDefinition) -> str | None:
    value = instance.value(definition, "base_url")
    return value.strip() if isinstance(value, str) and value.strip() else None


def build_request(
    spec: ProbeSpec, instance: ProviderInstance, definition: ProviderDefinition
) -> ProbeRequest:
    """The request `spec` describes for `instance`.

    Raises:
        SpecError: no base URL.
    """
    base = base_url_of(instance, definition)
    if base is None:
        raise SpecError("the instance has no base URL")
    base = base.rstrip("/")
    if spec.strip_suffix and base.endswith(spec.strip_suffix.rstrip("/")):
        base = base[: -len(spec.strip_suffix.rstrip("/"))].rstrip("/")
    path = _fill(spec.path, instance, definition)
    if path is None:
        raise SpecError(f"the probe path {spec.path} names a field the instance does not set")
    key_header: str | None
    prefix = ""
    if spec.bearer_if and instance.value(definition, spec.bearer_if) is True:
        key_header, prefix = "Authorization", "Bearer "
    elif spec.auth == "bearer":
        key_header, prefix = "Authorization", "Bearer "
    elif spec.auth == "header":
        key_header = spec.auth_header
    else:
        key_header = None
    return ProbeRequest(
        method=spec.method,
        url=base + path,
        headers={"Accept": "application/json", **_filled(spec.headers, instance, definition)},
        query=_filled(spec.query, instance, definition),
        key_header=key_header,
        key_prefix=prefix,
    )


def dig(document: Any, dotted: str) -> Any:
    """The value at a dotted path (`data`, `page.next`) of parsed JSON, else None."""
    current = document
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


class NoModelList(ValueError):
    """The response does not hold a model list where the spec says."""


def model_ids(spec: ProbeSpec, document: Any) -> list[str]:
    """The model ids in one page of a response.

    Raises:
        NoModelList: nothing at `models_at`, or not a list.
    """
    if spec.models_at is None:
        return []
    listed = dig(document, spec.models_at)
    if not isinstance(listed, list):
        raise NoModelList(f"no model list at '{spec.models_at}' in the response")
    ids = []
    for item in listed:
        model = item.get(spec.model_id) if isinstance(item, Mapping) else item
        if not isinstance(model, str) or not model:
            continue
        if spec.id_prefix and model.startswith(spec.id_prefix):
            model = model[len(spec.id_prefix) :]
        ids.append(model)
    return ids


def next_cursor(spec: ProbeSpec, document: Any) -> str | None:
    """The cursor of the next page, None when this was the last."""
    paging = spec.pagination
    if paging is None:
        return None
    if paging.more_at is not None and dig(document, paging.more_at) is not True:
        return None
    cursor = dig(document, paging.cursor_at)
    return cursor if isinstance(cursor, str) and cursor else None


def is_offered(model: str, offered: set[str], spec: ProbeSpec) -> bool:
    """Whether the endpoint offers `model` (Ollama: `llama3.2` is `llama3.2:latest`)."""
    if model in offered:
        return True
    suffix = spec.implicit_suffix
    if not suffix:
        return False
    return model + suffix in offered or model.removesuffix(suffix) in offered


def wanted_models(instance: ProviderInstance, definition: ProviderDefinition) -> list[str]:
    """The models an instance names: its default model, then its `models:`."""
    wanted: list[str] = []
    default = instance.value(definition, "default_model")
    if isinstance(default, str) and default.strip():
        wanted.append(default.strip())
    wanted.extend(model.id for model in instance.models)
    return list(dict.fromkeys(wanted))
