"""instance -> LlmConfigData -> instance loses nothing, for every built-in provider.

Each instance states every field of its provider with a valid value that is
not the default (secret fields: a non-default reference). Going through the
old shape (`to_config_data`, then `changes_from_config_data` applied with
`registry.update`) must leave every value, and every byte of the file, as it
was; an edit made in the old shape changes only the lines the old shape
carries (name, base_url, use_auth_header).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provreg.catalog import builtin_definitions
from provreg.compat import (
    LlmConfigData,
    changes_from_config_data,
    to_config_data,
    to_metadata,
)
from provreg.config.read.load_set import load_paths
from provreg.model import FieldSpec, FieldType, ProviderDefinition, SecretRef
from provreg.registry import ProviderRegistry

pytestmark = pytest.mark.anyio

DEFINITIONS = builtin_definitions()
OLD_SHAPE_FIELDS = {"base_url", "use_auth_header"}

# Text fields with a pattern need a value that matches it.
PATTERNED = {
    ("openai", "organization"): "org-acme42",
    ("openai", "project"): "proj_acme42",
    ("anthropic", "anthropic_version"): "2024-10-22",
    ("azure-openai", "api_version"): "2025-01-01-preview",
    ("ollama", "keep_alive"): "1h30m",
}


def non_default(definition: ProviderDefinition, spec: FieldSpec) -> Any:
    """A valid value for `spec` that differs from its default."""
    key = (definition.id, spec.id)
    if key in PATTERNED:
        value: Any = PATTERNED[key]
    elif spec.type is FieldType.SECRET:
        value = {"env": f"ACME_{definition.id.upper().replace('-', '_')}_{spec.id.upper()}"}
    elif spec.type is FieldType.URL:
        value = f"https://{spec.id.replace('_', '-')}.{definition.id}.example.test/v9"
    elif spec.type is FieldType.BOOL:
        value = not bool(spec.default)
    elif spec.type is FieldType.INT:
        value = int(spec.default if spec.default is not None else spec.min or 0) + 1
    elif spec.type is FieldType.FLOAT:
        value = 42.5
    elif spec.type is FieldType.CHOICE:
        assert spec.choices
        value = next(choice for choice in spec.choices if choice != spec.default)
    elif spec.type is FieldType.LIST:
        value = ["acme-model-a", "acme-model-b"]
    else:
        assert spec.pattern is None, f"add a value for {key} to PATTERNED"
        value = f"acme-{spec.id.replace('_', '-')}"
    assert value != spec.default, key
    return value


def full_values(definition: ProviderDefinition) -> dict[str, Any]:
    return {spec.id: non_default(definition, spec) for spec in definition.fields}


def stated(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the registry reports them (secret refs as SecretRef)."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            ((kind, name),) = value.items()
            value = SecretRef(kind=kind, name=name)
        out[key] = value
    return out


@pytest.fixture(params=DEFINITIONS, ids=[d.id for d in DEFINITIONS])
def definition(request: pytest.FixtureRequest) -> ProviderDefinition:
    return request.param


def test_every_builtin_provider_is_covered() -> None:
    ids = {d.id for d in DEFINITIONS}
    assert {"openai", "anthropic", "ollama", "openai-compatible", "azure-openai"} <= ids
    for definition in DEFINITIONS:
        full_values(definition)  # a new field type or pattern fails here, by name


async def test_round_trip_loses_nothing(
    registry: ProviderRegistry, config_dir: Path, definition: ProviderDefinition
) -> None:
    values = full_values(definition)
    created = await registry.create(definition.id, "ACME everything", values)
    assert created.values == stated(values)  # every field really is stated
    path = Path(created.file)
    before = path.read_bytes()

    data = to_config_data(created)
    assert isinstance(data, LlmConfigData)
    assert data.customName == "ACME everything"
    assert data.provider == definition.id
    assert data.apiKey is None  # the adapter never fetches a key
    assert data.baseUrl == values.get("base_url")
    assert data.useAuthHeader is bool(values.get("use_auth_header", False))

    changes = changes_from_config_data(data, definition, created)
    assert set(changes) <= {"name"} | OLD_SHAPE_FIELDS
    after = await registry.update(created.id, changes)

    assert after.values == created.values
    assert (after.id, after.name, after.provider) == (created.id, created.name, created.provider)
    assert path.read_bytes() == before
    # And a new process reading the file sees the same instance.
    (reloaded,) = load_paths([str(config_dir)]).instances
    assert reloaded.values == created.values


async def test_edit_in_the_old_shape_touches_only_its_lines(
    registry: ProviderRegistry, definition: ProviderDefinition
) -> None:
    values = full_values(definition)
    created = await registry.create(definition.id, "ACME everything", values)
    path = Path(created.file)
    before = path.read_text().splitlines()

    has_auth_header = definition.field("use_auth_header") is not None
    old = to_config_data(created)
    edited = old.model_copy(
        update={
            "customName": "  ACME renamed  ",
            "baseUrl": "https://renamed.example.test/v2",
            "useAuthHeader": (not old.useAuthHeader) if has_auth_header else False,
        }
    )
    after = await registry.update(created.id, changes_from_config_data(edited, definition, created))

    assert after.name == "ACME renamed"
    assert after.values["base_url"] == "https://renamed.example.test/v2"
    untouched = {k: v for k, v in created.values.items() if k not in OLD_SHAPE_FIELDS}
    assert {k: v for k, v in after.values.items() if k not in OLD_SHAPE_FIELDS} == untouched
    lines = path.read_text().splitlines()
    assert len(lines) == len(before)
    changed = {
        old_line.split(":")[0].strip()
        for old_line, new_line in zip(before, lines, strict=True)
        if old_line != new_line
    }
    expected = {"name", "base_url"} | ({"use_auth_header"} if has_auth_header else set())
    assert changed == expected


async def test_minimal_instance_round_trip_adds_nothing(
    registry: ProviderRegistry, definition: ProviderDefinition
) -> None:
    """Fields left to their defaults stay unstated: the old shape writes no defaults."""
    required = {
        spec.id: non_default(definition, spec)
        for spec in definition.fields
        if spec.required and spec.default is None and not spec.is_secret
    }
    created = await registry.create(definition.id, "Minimal", required)
    before = Path(created.file).read_bytes()
    data = to_config_data(created)
    after = await registry.update(created.id, changes_from_config_data(data, definition, created))
    assert after.values == created.values
    assert Path(created.file).read_bytes() == before
    assert to_metadata(after, definition).baseUrl == required.get("base_url")


async def test_use_auth_header_only_where_the_provider_has_it(registry: ProviderRegistry) -> None:
    openai = registry.definition("openai")
    with pytest.raises(ValueError, match="no use_auth_header"):
        changes_from_config_data(
            LlmConfigData(customName="X", provider="openai", useAuthHeader=True), openai
        )
    anthropic = registry.definition("anthropic")
    created = await registry.create("anthropic", "Gateway", {"use_auth_header": True})
    off = LlmConfigData(customName="Gateway", provider="anthropic", useAuthHeader=False)
    after = await registry.update(created.id, changes_from_config_data(off, anthropic, created))
    assert after.values["use_auth_header"] is False  # stated before: stays stated
