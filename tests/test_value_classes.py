"""The value classes of `provreg.model` are plain slotted classes (pydantic
stays out of `provreg --check`). They must behave as the pydantic models they
replaced did where the code relies on it: keyword construction, frozen,
equality and hashing, `model_copy`, `model_dump` and `model_dump_json` (checked
against pydantic's own serializer), and the built-in catalog, built without
pydantic, must be exactly what the definition rules make of it."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Annotated, Any

import pytest
from helpers.paths import SAMPLE_CONFIGS
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError

from provreg import definition_schema
from provreg.catalog import builtin_definitions
from provreg.catalog.catalog import _definition, builtin_entries
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.interop.base import imported_model
from provreg.model import (
    BOUND_MAGNITUDE_LIMIT,
    Diagnostic,
    FieldSpec,
    FieldType,
    ModelSpec,
    ProbePagination,
    ProbeSpec,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
    Severity,
)
from provreg.value_class import FrozenInstanceError, ValueClass, field_names, field_replacer

CLASSES = (
    FieldSpec,
    ModelSpec,
    ProbePagination,
    ProbeSpec,
    ProviderDefinition,
    SecretRef,
    ProviderInstance,
    Diagnostic,
)


def exact(value: Any) -> Any:
    """`value` with the type of every part beside it: `==` says 1 == 1.0 and
    (1,) != [1] only sometimes; this says both differ."""
    if isinstance(value, ValueClass):
        names = field_names(value)
        return (type(value), tuple((name, exact(getattr(value, name))) for name in names))
    if isinstance(value, tuple | list):
        return (type(value), tuple(exact(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, exact(item)) for key, item in value.items()))
    return (type(value), value)


def sample_load() -> Any:
    paths = sorted(SAMPLE_CONFIGS.rglob("*.yaml"))
    return load_files([ConfigFile(str(path), str(path)) for path in paths])


# ---- the built-in catalog


def test_builtin_entries_meet_the_definition_rules_and_build_the_same_object() -> None:
    entries = builtin_entries()
    built = builtin_definitions()
    assert len(built) == len(entries) == 10
    for entry, fast in zip(entries, built, strict=True):
        checked = definition_schema.validate_definition({**entry, "builtin": True})
        assert fast == checked
        assert exact(fast) == exact(checked), fast.id
        assert fast.model_dump_json() == checked.model_dump_json()


def test_a_bad_catalog_entry_fails_the_rules() -> None:
    """What the test above runs each entry through refuses a bad edit (so it can fail)."""
    entry = builtin_entries()[0]
    assert entry["fields"][0]["id"] == "base_url"
    bad_edits: list[dict[str, Any]] = [
        {**entry, "fields": [*entry["fields"], {"id": "n", "type": "int", "min": 0.5}]},
        {**entry, "fields": [*entry["fields"], entry["fields"][0]]},
        {**entry, "probe": {"path": "/models", "auth": "header"}},
        {**entry, "id": "Upper"},
    ]
    for bad in bad_edits:
        with pytest.raises(ValidationError):
            definition_schema.validate_definition({**bad, "builtin": True})
        _definition(bad)  # the fast path checks nothing: the test above is the check
    with pytest.raises(ValidationError):
        definition_schema.validate_definition({**entry, "colour": "red"})
    with pytest.raises(TypeError, match="colour"):  # nor does it take unknown keys
        _definition({**entry, "colour": "red"})


def test_exact_sees_what_equality_hides() -> None:
    """Bounds are floats after pydantic (`min: 0` reads 0.0), and the fast path makes them so."""
    assert FieldSpec(id="n", min=0) == FieldSpec(id="n", min=0.0)
    assert exact(FieldSpec(id="n", min=0)) != exact(FieldSpec(id="n", min=0.0))
    fast = _definition({"id": "x", "name": "X", "fields": [{"id": "n", "type": "int", "min": 0}]})
    assert exact(fast.fields[0].min) == (float, 0.0)
    assert fast.fields[0].type is FieldType.INT


# ---- dumps, as pydantic's serializer writes them


_MIRRORS: dict[type, type] = {}


def as_dataclass(value: Any) -> Any:
    """`value` with every value object made a stdlib dataclass of the same
    fields, which pydantic's own serializer dumps as it dumped its models."""
    if isinstance(value, ValueClass):
        cls = type(value)
        if cls not in _MIRRORS:
            _MIRRORS[cls] = dataclasses.make_dataclass(
                cls.__name__, [(name, Any) for name in field_names(cls)]
            )
        return _MIRRORS[cls](*(as_dataclass(getattr(value, name)) for name in field_names(cls)))
    if isinstance(value, tuple | list):
        return type(value)(as_dataclass(item) for item in value)
    if isinstance(value, dict):
        return {key: as_dataclass(item) for key, item in value.items()}
    return value


def test_dumps_are_pydantics() -> None:
    loaded = sample_load()
    objects: list[ValueClass] = [
        *builtin_definitions(),
        *loaded.catalog,
        *loaded.instances,
        _example(Diagnostic),
        _example(Diagnostic).model_copy(update={"hint": "fix it", "instance_id": "work"}),
        *(model for instance in loaded.instances for model in instance.models),
    ]
    assert any(instance.models for instance in loaded.instances)
    assert any(isinstance(v, SecretRef) for i in loaded.instances for v in i.values.values())
    reference = TypeAdapter(Any)
    for value in objects:
        mirror = as_dataclass(value)
        for mode in ("python", "json"):
            ours = value.model_dump(mode=mode)
            theirs = reference.dump_python(mirror, mode=mode)
            assert exact(ours) == exact(theirs)
        assert value.model_dump_json() == reference.dump_json(mirror).decode()


def test_definition_dumps_match_the_pydantic_shapes() -> None:
    for entry in builtin_entries():
        data = {**entry, "builtin": True}
        shape = definition_schema.ProviderDefinition.model_validate(data)
        value = shape.to_value()
        for options in (
            {},
            {"mode": "json"},
            {"mode": "json", "exclude": {"builtin"}, "exclude_none": True},
            {"exclude_none": True},
        ):
            assert exact(value.model_dump(**options)) == exact(shape.model_dump(**options))
        assert value.model_dump_json() == shape.model_dump_json()


def test_json_dump_of_odd_values() -> None:
    spec = FieldSpec(id="x", type=FieldType.FLOAT, default=float("inf"), choices=("é",))
    assert spec.model_dump(mode="json")["default"] is None  # as pydantic: not JSON's Infinity
    assert '"choices":["é"]' in spec.model_dump_json()
    assert spec.model_dump()["type"] is FieldType.FLOAT
    assert spec.model_dump(mode="json")["type"] == "float"


# ---- the behaviour the code relies on


@pytest.mark.parametrize("cls", CLASSES)
def test_slotted_frozen_and_keyword_only(cls: type[ValueClass]) -> None:
    value = _example(cls)
    assert not hasattr(value, "__dict__")
    first = field_names(cls)[0]
    assert cls.__slots__ == field_names(value)
    with pytest.raises(FrozenInstanceError):
        setattr(value, first, getattr(value, first))
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as dataclasses' is
        delattr(value, first)
    with pytest.raises(TypeError):
        cls(getattr(value, first))  # type: ignore[call-arg]
    assert copy.deepcopy(value) == value
    assert pickle.loads(pickle.dumps(value)) == value
    assert value.model_copy() == value and value.model_copy() is not value


def test_equality_and_hashing() -> None:
    assert ModelSpec(id="a", context_window=8) == ModelSpec(id="a", context_window=8)
    assert ModelSpec(id="a") != ModelSpec(id="a", context_window=8)
    assert len({ModelSpec(id="a"), ModelSpec(id="a"), ModelSpec(id="b")}) == 2
    assert hash(SecretRef(kind="env", name="K")) == hash(SecretRef(kind="env", name="K"))
    assert SecretRef(kind="env", name="K") != SecretRef(kind="file", name="K")
    diagnostic = _example(Diagnostic)
    assert diagnostic in {diagnostic.model_copy()}
    # A dict field makes an object unhashable, as the pydantic models were.
    with pytest.raises(TypeError):
        hash(_example(ProviderInstance))
    assert ModelSpec(id="a") != SecretRef(kind="env", name="a")  # type: ignore[comparison-overlap]


def test_model_copy_updates_a_copy_only() -> None:
    instance = _example(ProviderInstance)
    renamed = instance.model_copy(update={"name": "Renamed", "line": 9})
    assert (renamed.name, renamed.line, renamed.id) == ("Renamed", 9, instance.id)
    assert (instance.name, instance.line) == ("Work", 4)
    assert renamed.values is instance.values  # a shallow copy, as pydantic's
    with pytest.raises(TypeError, match="naem"):
        instance.model_copy(update={"naem": "typo"})
    # Copiers are made per class and keys, in the keys' order: each gives its own fields.
    assert instance.model_copy(update={"line": 9, "name": "Renamed"}) == renamed
    diagnostic = _example(Diagnostic).model_copy(update={"line": 9})
    assert (type(diagnostic), diagnostic.line) == (Diagnostic, 9)
    assert diagnostic.message == _example(Diagnostic).message


@pytest.mark.parametrize("cls", [ProviderInstance, Diagnostic, ModelSpec])
def test_a_field_replacer_copies_as_model_copy_does(cls: type[ValueClass]) -> None:
    value = _example(cls)
    for key in field_names(cls):
        replace = field_replacer(cls, key)
        copied = replace(value, "changed")
        assert copied is not value and type(copied) is cls
        assert copied == value.model_copy(update={key: "changed"})
        assert getattr(copied, key) == "changed" and getattr(value, key) != "changed"
    with pytest.raises(TypeError, match="naem"):
        field_replacer(cls, "naem")


def test_model_construct_fills_defaults_and_needs_required_fields() -> None:
    stand_in = ProviderInstance.model_construct(id="a", name="", provider="openai")
    assert stand_in == ProviderInstance(id="a", name="", provider="openai")
    assert (
        stand_in.values == {}
        and stand_in.values
        is not ProviderInstance.model_construct(id="b", name="", provider="openai").values
    )
    # Without checks: the dashboard's `models` row is a field id no definition may declare.
    assert FieldSpec.model_construct(id="models", type=FieldType.LIST).id == "models"
    with pytest.raises(TypeError, match="provider"):
        ProviderInstance.model_construct(id="a", name="")
    with pytest.raises(TypeError, match="colour"):
        ModelSpec.model_construct(id="a", colour="red")


def test_secret_ref_repr_names_the_store_never_a_value() -> None:
    assert repr(SecretRef(kind="env", name="OPENAI_API_KEY")) == (
        "SecretRef(kind='env', name='OPENAI_API_KEY', explicit=True, argv=(), "
        "command_text=None, timeout=None, cache=None, interactive=False)"
    )
    ref = SecretRef(kind="command", name="pass", argv=("pass", "show", "llm/openai"))
    assert ref.describe() == "command pass"
    assert "SecretRef(kind='command', name='pass', explicit=True" in repr(ref)


SHARED_REF = SecretRef(kind="env", name="K")


class FieldsWithARef(BaseModel):
    key: Annotated[SecretRef, BeforeValidator(lambda value: SHARED_REF if value == "k" else value)]


def test_a_value_class_inside_a_pydantic_model_is_kept_as_is() -> None:
    """The field rules' pydantic oracle (tests/helpers) has SecretRef fields."""
    assert FieldsWithARef.model_validate({"key": "k"}).key is SHARED_REF
    with pytest.raises(ValidationError):
        FieldsWithARef.model_validate({"key": {"env": "K"}})


# ---- ModelSpec: tools' files reach it directly, so it still checks


@pytest.mark.parametrize("model_id", ["", "x" * 201, " gpt", "gpt ", "gpt\t4", "a\nb", 5, None])
def test_model_spec_refuses_a_bad_id(model_id: Any) -> None:
    with pytest.raises(ValueError, match="ModelSpec"):
        ModelSpec(id=model_id)
    # A tool's model that provreg cannot keep is dropped by the import, not a crash.
    assert imported_model(model_id) is None


@pytest.mark.parametrize("limit", [0, -1, BOUND_MAGNITUDE_LIMIT + 1, True, 1.5, 2.0, "8"])
def test_model_spec_refuses_a_bad_limit(limit: Any) -> None:
    with pytest.raises(ValueError, match="ModelSpec"):
        ModelSpec(id="gpt", context_window=limit)
    with pytest.raises(ValueError, match="ModelSpec"):
        ModelSpec(id="gpt", max_output_tokens=limit)
    # An import drops a limit it cannot keep, and keeps the model.
    assert imported_model("gpt", limit, limit) in (
        ModelSpec(id="gpt"),
        ModelSpec(id="gpt", context_window=2, max_output_tokens=2),  # 2.0: a whole number
    )


def test_model_spec_takes_good_models() -> None:
    spec = ModelSpec(id="llama 3.3 70b", context_window=1, max_output_tokens=BOUND_MAGNITUDE_LIMIT)
    assert spec.describe() == "llama 3.3 70b  (context 1, output 9,007,199,254,740,992 tokens)"
    assert ModelSpec(id="x" * 200).to_yaml() == "x" * 200


def test_loaded_instances_are_small(tmp_path: Path) -> None:
    """A loaded instance is a slotted object: no per-object `__dict__`."""
    path = tmp_path / "providers.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - {id: a, name: A, provider: openai, "
        "api_key: {env: K}, models: [gpt-4.1]}\n",
        encoding="utf-8",
    )
    (instance,) = load_files([ConfigFile(str(path), str(path))]).instances
    for value in (instance, instance.values["api_key"], instance.models[0]):
        assert not hasattr(value, "__dict__")
    assert json.loads(instance.model_dump_json())["values"]["models"] == [
        {"id": "gpt-4.1", "context_window": None, "max_output_tokens": None}
    ]


def _example(cls: type[Any]) -> Any:
    examples: dict[type, Any] = {
        FieldSpec: FieldSpec(id="base_url", type=FieldType.URL, required=True),
        ModelSpec: ModelSpec(id="gpt-4.1", context_window=1024),
        ProbePagination: ProbePagination(cursor_at="last_id", param="after_id"),
        ProbeSpec: ProbeSpec(path="/models", headers={"x-version": "1"}),
        ProviderDefinition: ProviderDefinition(
            id="acme", name="ACME", fields=(FieldSpec(id="base_url"),)
        ),
        SecretRef: SecretRef(kind="env", name="K"),
        ProviderInstance: ProviderInstance(
            id="work",
            name="Work",
            provider="openai",
            values={"api_key": SecretRef(kind="keyring")},
            file="p.yaml",
            line=4,
            column=5,
        ),
        Diagnostic: Diagnostic(
            file="p.yaml",
            line=1,
            column=1,
            severity=Severity.ERROR,
            code="E001",
            message="broken",
        ),
    }
    return examples[cls]
