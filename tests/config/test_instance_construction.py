"""Validated instances are built as any other: the loaded objects equal the
ones built from the same fields, and the field tables cached per definition
must answer as the definition itself does."""

from __future__ import annotations

from pathlib import Path

from provreg.catalog import builtin_catalog
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.config.read.validation import check_fields
from provreg.model import FieldSpec, FieldType, ProviderDefinition, ProviderInstance, SecretRef


def test_loaded_instances_equal_instances_built_from_their_fields(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "version: 1\nproviders:\n"
        "  - {id: a, name: A, provider: openai, base_url: 'https://x.example/v1', "
        "api_key: {env: K}}\n"
        "  - name: Derived Id\n    provider: ollama\n",
        encoding="utf-8",
    )
    first, second = load_files([ConfigFile(str(path), "providers.yaml")]).instances
    assert first == ProviderInstance(
        id="a",
        name="A",
        provider="openai",
        values={"base_url": "https://x.example/v1", "api_key": SecretRef(kind="env", name="K")},
        file="providers.yaml",
        line=3,
        column=5,
    )
    assert second == ProviderInstance(
        id="derived-id",
        name="Derived Id",
        provider="ollama",
        file="providers.yaml",
        line=4,
        column=5,
        id_derived=True,
    )
    assert repr(second) == (
        "ProviderInstance(id='derived-id', name='Derived Id', provider='ollama', values={}, "
        "file='providers.yaml', line=4, column=5, id_derived=True)"
    )


def test_cached_field_table_answers_as_the_definition() -> None:
    definition = ProviderDefinition(
        id="acme-gateway",
        name="ACME gateway",
        fields=(
            FieldSpec(id="base_url", type=FieldType.URL, required=True),
            FieldSpec(id="team", type=FieldType.TEXT),
        ),
    )
    raw = {"id": "x", "name": "X", "provider": "acme-gateway", "base_ur": "h", "team": None}
    first = check_fields(raw, definition)
    again = check_fields(raw, definition)  # from the cached table
    assert first == again
    assert [p.message for p in first[1]][0] == (
        "unknown field 'base_ur' for provider 'acme-gateway' (did you mean 'base_url'?)"
    )
    for other in builtin_catalog():
        values = {spec.id: None for spec in other.fields}
        assert check_fields({**values, "provider": other.id}, other) == check_fields(
            {**values, "provider": other.id}, other
        )
