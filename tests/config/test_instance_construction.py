"""Validated instances are built without `model_construct`'s per-call work;
they must be the very objects `model_construct` would build, and the field
tables cached per definition must answer as the definition itself does."""

from __future__ import annotations

from pathlib import Path

import pytest

from provreg.catalog import builtin_catalog
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.instance_validation import _INSTANCE_FIELDS, construct_instance
from provreg.config.read.load_set import load_files
from provreg.config.read.validation import check_fields
from provreg.model import FieldSpec, FieldType, ProviderDefinition, ProviderInstance, SecretRef

FIELDS = {
    "id": "work-openai",
    "name": "Work OpenAI",
    "provider": "openai",
    "values": {"base_url": "https://api.openai.com/v1", "api_key": SecretRef(kind="env", name="K")},
    "file": "providers.yaml",
    "line": 4,
    "column": 5,
    "id_derived": False,
}


def _state(instance: ProviderInstance) -> tuple[object, ...]:
    return (
        type(instance),
        list(instance.__dict__.items()),
        instance.__pydantic_fields_set__,
        instance.__pydantic_extra__,
        instance.__pydantic_private__,
    )


def test_construct_instance_is_model_construct() -> None:
    fast = construct_instance(dict(FIELDS))
    reference = ProviderInstance.model_construct(_INSTANCE_FIELDS, **FIELDS)
    assert _state(fast) == _state(reference)
    assert fast == reference
    assert fast.model_dump() == reference.model_dump()
    assert fast.model_dump_json() == reference.model_dump_json()
    assert repr(fast) == repr(reference)
    assert fast.model_fields_set is reference.model_fields_set  # the one shared set
    with pytest.raises(Exception, match="frozen"):
        fast.name = "other"  # type: ignore[misc]
    changed = fast.model_copy(update={"name": "Renamed"})
    assert changed.name == "Renamed" and fast.name == "Work OpenAI"


def test_loaded_instances_equal_validated_models(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "version: 1\nproviders:\n"
        "  - {id: a, name: A, provider: openai, base_url: 'https://x.example/v1'}\n"
        "  - name: Derived Id\n    provider: ollama\n",
        encoding="utf-8",
    )
    for instance in load_files([ConfigFile(str(path), str(path))]).instances:
        validated = ProviderInstance.model_validate(instance.model_dump())
        assert list(instance.__dict__) == list(ProviderInstance.model_fields)
        assert instance == validated
        assert instance.model_fields_set == validated.model_fields_set


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
