"""An instance's `models:` list: read, checked, written back, and offered.

Real files in temp directories, the real loader, the real CLI writing them.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import jsonschema
import pytest
from helpers.files import write_config

from provreg.cli import main
from provreg.config.read.load_set import load_paths
from provreg.config.read.schema import build_schema
from provreg.model import ModelSpec

GATEWAY = """\
version: 1
providers:
  - id: gpu-box
    name: GPU box   # the rack under the desk
    provider: openai-compatible
    base_url: http://gpu-box:8000/v1
    default_model: llama-3.3-70b
    models:
      - llama-3.3-70b        # the big one
      - {id: qwen-2.5-coder, context_window: 32768, max_output_tokens: 8192}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def codes_of(path: Path) -> list[str]:
    return [d.code for d in load_paths([str(path)]).diagnostics]


def test_models_read_as_ids_with_optional_limits(tmp_path: Path) -> None:
    path = write_config(tmp_path, GATEWAY)
    result = load_paths([str(path)])
    assert [d.code for d in result.diagnostics] == []
    (instance,) = result.instances
    assert instance.models == (
        ModelSpec(id="llama-3.3-70b"),
        ModelSpec(id="qwen-2.5-coder", context_window=32768, max_output_tokens=8192),
    )


def test_every_provider_type_takes_models(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "version: 1\nproviders:\n  - id: w\n    name: W\n    provider: anthropic\n"
        "    default_model: claude-sonnet-4-5\n"
        "    models: [claude-sonnet-4-5, {id: claude-haiku-4-5, context_window: 200000}]\n",
    )
    result = load_paths([str(path)])
    assert list(result.diagnostics) == []
    assert [m.id for m in result.instances[0].models] == ["claude-sonnet-4-5", "claude-haiku-4-5"]


@pytest.mark.parametrize(
    ("models", "code", "where"),
    [
        ("models: gpt-4.1", "E204", (6, 13)),
        ("models: [gpt-4.1, 7]", "E204", (6, 23)),
        ("models: [{context_window: 5}]", "E202", (6, 14)),
        ("models: [{id: a, context_window: 0}]", "E206", (6, 38)),
        ("models: [{id: a, context_window: lots}]", "E204", (6, 38)),
        ('models: ["gpt-4.1\\t"]', "E208", (6, 14)),
    ],
)
def test_a_wrong_item_is_an_error_at_its_place_and_the_instance_does_not_load(
    tmp_path: Path, models: str, code: str, where: tuple[int, int]
) -> None:
    path = write_config(
        tmp_path,
        f"version: 1\nproviders:\n  - id: w\n    name: W\n    provider: openai\n    {models}\n",
    )
    result = load_paths([str(path)])
    found = [(d.code, (d.line, d.column)) for d in result.diagnostics]
    assert (code, where) in found, found
    assert result.instances == ()


def test_an_unknown_key_in_a_model_says_did_you_mean(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "version: 1\nproviders:\n  - id: w\n    name: W\n    provider: openai\n"
        "    default_model: a\n    models: [{id: a, contxt_window: 5}]\n",
    )
    (diag,) = load_paths([str(path)]).diagnostics
    assert diag.code == "W203"
    assert "did you mean 'context_window'" in diag.message
    assert (diag.line, diag.column) == (7, 22)


def test_default_model_from_the_provider_is_checked_against_the_list(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "version: 1\nproviders:\n  - id: w\n    name: W\n    provider: openai\n"
        "    models: [gpt-5, gpt-5-mini]\n",
    )
    (diag,) = load_paths([str(path)]).diagnostics
    assert diag.code == "W220"
    assert "'gpt-4.1' (the provider's default)" in diag.message
    assert (diag.line, diag.column) == (6, 13)


def test_no_models_means_no_model_warnings(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "version: 1\nproviders:\n  - id: w\n    name: W\n    provider: openai\n    models:\n",
    )
    result = load_paths([str(path)])
    assert list(result.diagnostics) == []
    assert result.instances[0].models == ()


def test_the_schema_accepts_what_the_checker_accepts_and_refuses_a_bad_limit(
    tmp_path: Path,
) -> None:
    from ruamel.yaml import YAML

    schema = build_schema()
    jsonschema.validate(YAML(typ="safe").load(GATEWAY), schema)
    bad = GATEWAY.replace("context_window: 32768", "context_window: -1")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(YAML(typ="safe").load(bad), schema)


def test_the_command_line_sets_models_with_limits_and_keeps_comments(tmp_path: Path) -> None:
    path = write_config(tmp_path, GATEWAY)
    code, _, err = run(
        "edit",
        "gpu-box",
        "--set",
        'models=["llama-3.3-70b", {"id": "qwen-2.5-coder", "context_window": 65536}, "mistral"]',
        "--config",
        str(tmp_path),
    )
    assert code == 0, err
    text = path.read_text()
    assert "# the rack under the desk" in text
    result = load_paths([str(path)])
    assert list(result.diagnostics) == []
    assert result.instances[0].models == (
        ModelSpec(id="llama-3.3-70b"),
        ModelSpec(id="qwen-2.5-coder", context_window=65536),
        ModelSpec(id="mistral"),
    )
    code, out, _ = run("show", "gpu-box", "--config", str(tmp_path), "--json")
    assert json.loads(out)["models"][1] == {
        "id": "qwen-2.5-coder",
        "context_window": 65536,
        "max_output_tokens": None,
    }
    code, out, _ = run("show", "gpu-box", "--config", str(tmp_path))
    assert "qwen-2.5-coder  (context 65,536 tokens)" in out


def test_a_default_model_outside_the_list_is_written_and_then_reported(tmp_path: Path) -> None:
    write_config(tmp_path, GATEWAY)
    code, _, err = run("edit", "gpu-box", "--set", "default_model=other", "--config", str(tmp_path))
    assert code == 0, err
    assert codes_of(tmp_path) == ["W220"]


def test_a_wrong_models_value_on_the_command_line_changes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path, GATEWAY)
    before = path.read_bytes()
    code, _, err = run(
        "edit",
        "gpu-box",
        "--set",
        'models=[{"id": "a", "context_window": 0}]',
        "--config",
        str(tmp_path),
    )
    assert code == 1
    assert "'context_window' must be between 1" in err
    assert path.read_bytes() == before


def test_a_definition_that_declared_models_as_a_field_still_loads(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "version: 1\ndefinitions:\n  - id: acme\n    name: Acme\n    fields:\n"
        "      - {id: base_url, type: url}\n      - {id: models, type: list}\n"
        "providers:\n  - id: a\n    name: A\n    provider: acme\n    models: [m1, m2]\n",
    )
    result = load_paths([str(path)])
    assert [d.code for d in result.diagnostics] == ["W304"]
    assert [m.id for m in result.instances[0].models] == ["m1", "m2"]
