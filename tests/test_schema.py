"""The exported JSON Schema: current, valid draft 2020-12, and in agreement with the checker.

A third-party validator (`jsonschema`) stands in for an editor's YAML language
server: it must accept every sample file and reject each schema-level invalid
fixture, and `provreg --check` must flag each of those fixtures too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers.paths import REPO_ROOT, SAMPLE_CONFIGS

from provreg.cli import main
from provreg.config.read.schema import SCHEMA_DIALECT, schema_json

SCHEMA_FILE = SAMPLE_CONFIGS / "provreg.schema.json"
REGENERATE = "uv run provreg schema -o sample_configs/provreg.schema.json"
INVALID_DIR = REPO_ROOT / "tests" / "fixtures" / "schema_invalid"
SAMPLE_FILES = sorted(SAMPLE_CONFIGS.rglob("*.yaml"))

# Fixture -> (the code `provreg --check` reports, where the schema objects, and what it says).
# The schema's complaint is checked too, so a fixture cannot pass by failing for another reason.
P0: tuple[str | int, ...] = ("providers", 0)
INVALID_FIXTURES: dict[str, tuple[str, tuple[str | int, ...], str]] = {
    "unknown_top_level_key.yaml": ("E102", (), "'provider' was unexpected"),
    "missing_name.yaml": ("E202", P0, "'name' is a required property"),
    "unknown_field.yaml": ("W203", P0, "'base_ur' was unexpected"),
    "wrong_type.yaml": ("E204", (*P0, "use_auth_header"), "is not of type 'boolean'"),
    "plaintext_secret.yaml": ("E209", (*P0, "api_key"), "is not of type 'object'"),
    "bad_secret_ref.yaml": ("E210", (*P0, "api_key"), "'vault' was unexpected"),
    "bad_id.yaml": ("E211", (*P0, "id"), "does not match"),
    "not_a_choice.yaml": ("E207", (*P0, "api_style"), "is not one of"),
    "version_2.yaml": ("E103", ("version",), "greater than the maximum of 1"),
    "int_out_of_range.yaml": ("E206", (*P0, "max_retries"), "greater than the maximum of 10"),
}


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(schema: dict[str, Any], document: Any) -> list[str]:
    return [error.message for error in _validator(schema).iter_errors(document)]


def _all_errors(schema: dict[str, Any], document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Every error with its instance path, including those inside oneOf/anyOf branches."""
    found: list[tuple[tuple[Any, ...], str]] = []
    pending = list(_validator(schema).iter_errors(document))
    while pending:
        error = pending.pop()
        found.append((tuple(error.absolute_path), error.message))
        pending.extend(error.context or ())
    return found


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _check_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    main(["--check", str(path), "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_committed_schema_is_current() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    assert committed == schema_json(), (
        f"{SCHEMA_FILE.relative_to(REPO_ROOT)} is out of date with the catalog; "
        f"regenerate it with `{REGENERATE}`"
    )


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == SCHEMA_DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)


def test_invalid_fixture_table_is_complete() -> None:
    assert sorted(p.name for p in INVALID_DIR.glob("*.yaml")) == sorted(INVALID_FIXTURES)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: str(p.relative_to(SAMPLE_CONFIGS)))
def test_schema_accepts_sample_file(schema: dict[str, Any], path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../provreg.schema.json\n")
    assert (path.parent / "../provreg.schema.json").resolve() == SCHEMA_FILE.resolve()
    assert _errors(schema, yaml.safe_load(text)) == []


@pytest.mark.parametrize("name", sorted(INVALID_FIXTURES))
def test_schema_and_checker_reject_invalid_fixture(
    schema: dict[str, Any], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, where, says = INVALID_FIXTURES[name]
    path = INVALID_DIR / name
    errors = _all_errors(schema, yaml.safe_load(path.read_text(encoding="utf-8")))
    assert errors, f"the schema accepts {name}"
    assert any(at == where and says in message for at, message in errors), errors
    report = _check_json(path, capsys)
    assert report["errors"] + report["warnings"] >= 1
    assert code in {d["code"] for d in report["diagnostics"]}


def test_schema_accepts_empty_optional_fields(
    schema: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`field:` left empty is "not set" for the checker; the schema must not flag it."""
    text = """\
version: 1
providers:
  - id:
    name: Work OpenAI
    provider: openai
    organization:
    default_model:
    max_retries:
  - id: vllm
    name: vLLM
    provider: openai-compatible
    base_url: http://localhost:8000/v1
    default_model: llama
    api_key:
"""
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    assert _check_json(path, capsys)["errors"] == 0
    assert _errors(schema, yaml.safe_load(text)) == []


def test_schema_rejects_empty_required_fields(schema: dict[str, Any]) -> None:
    document = yaml.safe_load(
        "version: 1\nproviders:\n"
        "  - {name: Azure, provider: azure-openai, base_url: 'https://x.openai.azure.com',"
        " deployment: d, api_version: null}\n"
    )
    assert _errors(schema, document)


def test_schema_with_config_includes_custom_definition(
    schema: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["schema", "--config", str(SAMPLE_CONFIGS)]) == 0
    extended: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(extended)

    gateway = extended["$defs"]["provider_acme-gateway"]
    assert gateway["properties"]["provider"] == {
        "const": "acme-gateway",
        "description": "The company's internal gateway in front of every hosted model.",
    }
    assert gateway["properties"]["team"]["enum"] == ["platform", "research", "support"]
    assert gateway["properties"]["api_key"]["$ref"] == "#/$defs/secretRef"
    assert "team" in gateway["required"]
    assert {"$ref": "#/$defs/provider_acme-gateway"} in extended["$defs"]["instance"]["oneOf"]
    assert "provider_acme-gateway" not in schema["$defs"]

    for path in SAMPLE_FILES:
        assert _errors(extended, yaml.safe_load(path.read_text(encoding="utf-8"))) == []
    # A wrong team: only the schema that knows the definition can tell.
    wrong_team = yaml.safe_load(
        "version: 1\nproviders:\n  - {name: GW, provider: acme-gateway, team: sales}\n"
    )
    assert _errors(extended, wrong_team)
    assert _errors(schema, wrong_team) == []
