"""The llm (simonw/llm) adapter: exports that llm's own loader registers, imports
of its documented extra-openai-models.yaml and keys.json, `--merge`, `--scrub`.

Vendored: tests/fixtures/interop/llm/extra-openai-models.yaml (from simonw/llm
docs/other-models.md) and keys.json (the shape `llm keys set` writes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.paths import FIXTURES

from provreg.catalog import builtin_catalog
from provreg.definition_schema import validate_definition
from provreg.interop.base import ExportContext, ExportItem, ScrubTarget, ToolFileError
from provreg.interop.litellm import instance_key
from provreg.interop.llm_cli import ADAPTER
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderInstance, SecretRef

CANARIES = ("sk-canary-77c1f0a9d3e4b5a6", "sk-canary-openai-5b1e", "sk-canary-unused-0d2f")
HERE = FIXTURES / "interop" / "llm"
CATALOG = builtin_catalog()


def item(instance_id: str, provider: str, **values: Any) -> ExportItem:
    definition = CATALOG.get(provider)
    assert definition is not None
    instance = ProviderInstance(id=instance_id, name=instance_id, provider=provider, values=values)
    return ExportItem(instance, definition)


def env(name: str) -> SecretRef:
    return SecretRef(kind="env", name=name)


OPENAI_KEY = env("OPENAI_API_KEY")

EVERY_TYPE = [
    item(
        "work",
        "openai",
        api_key=OPENAI_KEY,
        organization="org-acme",
        api_style="responses",
        models=(ModelSpec(id="gpt-4.1"), ModelSpec(id="o4-mini")),
    ),
    item("mis", "mistral", api_key=OPENAI_KEY),
    item("gq", "groq", api_key=OPENAI_KEY),
    item("ds", "deepseek", api_key=OPENAI_KEY),
    item("or", "openrouter", api_key=OPENAI_KEY, app_title="Acme"),
    item("local", "ollama", models=(ModelSpec(id="llama3.2"),)),
    item(
        "gateway",
        "openai-compatible",
        base_url="https://llm.acme.internal/v1",
        default_model="llama-3.3-70b",
        api_key=OPENAI_KEY,
    ),
]


@pytest.fixture
def llm_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "llm"
    directory.mkdir()
    monkeypatch.setenv("LLM_USER_PATH", str(directory))
    return directory


def test_the_adapter_is_found_by_its_tool_name() -> None:
    assert adapter("llm") is ADAPTER
    assert ADAPTER.default_paths[0] == "~/.config/io.datasette.llm/extra-openai-models.yaml"


def test_llm_registers_every_exported_model(llm_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    assert outcome.skipped == ()
    (llm_dir / "extra-openai-models.yaml").write_text(ADAPTER.render(outcome))
    import llm

    models = {model.model_id: model for model in llm.get_models()}
    work = models["work/gpt-4.1"]
    assert (work.model_name, work.api_base) == ("gpt-4.1", "https://api.openai.com/v1")
    assert work.headers == {"OpenAI-Organization": "org-acme"}
    assert type(work).__name__ == "Responses"
    assert models["work/o4-mini"].model_name == "o4-mini"
    assert models["mis/mistral-large-latest"].api_base == "https://api.mistral.ai/v1"
    assert models["local/llama3.2"].api_base == "http://localhost:11434/v1"
    assert models["local/llama3.2"].needs_key is None
    gateway = models["gateway/llama-3.3-70b"]
    assert gateway.api_base == "https://llm.acme.internal/v1"
    # The key reaches llm through OPENAI_API_KEY, the handoff's variable.
    monkeypatch.setenv("OPENAI_API_KEY", "value-from-the-environment")
    assert gateway.get_key() == "value-from-the-environment"


def test_every_type_round_trips_through_an_export(tmp_path: Path) -> None:
    path = tmp_path / "extra-openai-models.yaml"
    text = ADAPTER.render(ADAPTER.export(EVERY_TYPE, ExportContext()))
    read = ADAPTER.read(text, str(path))
    by_name = {entry.name: entry for entry in read.entries}
    assert set(by_name) == {export.instance.id for export in EVERY_TYPE}
    for export in EVERY_TYPE:
        entry = by_name[export.instance.id]
        instance, definition = export.instance, export.definition
        assert entry.provider == instance.provider
        expected = instance.models or (ModelSpec(id=instance.value(definition, "default_model")),)
        assert entry.models == expected
        for field_id, value in instance.values.items():
            if field_id not in ("api_key", "models", "default_model"):
                assert entry.values[field_id] == value, (instance.id, field_id)
        if definition.field("api_key") is None:
            assert entry.secrets == {}
        else:
            assert entry.secrets["api_key"].ref == OPENAI_KEY  # every ref above is that one


def test_secret_handoffs_never_write_keys_json() -> None:
    items = [
        item("a", "openai"),
        item("b", "mistral", api_key=env("MISTRAL_API_KEY")),
        item(
            "c", "openai-compatible", base_url="http://x/v1", default_model="m", api_key=OPENAI_KEY
        ),
    ]
    outcome = ADAPTER.export(items, ExportContext())
    handoffs = {entry.instance_id: entry.secrets[0] for entry in outcome.entries}
    assert handoffs["a"].choice == "exec-env"
    assert handoffs["a"].hint is not None
    assert handoffs["a"].hint.startswith(
        "llm reads OPENAI_API_KEY: run it as `provreg exec a -- llm -m a/gpt-4.1`"
    )
    assert handoffs["b"].hint is not None
    assert handoffs["b"].hint.startswith(
        'run it as `OPENAI_API_KEY="$MISTRAL_API_KEY" llm -m b/mistral-large-latest`'
    )
    assert (handoffs["c"].choice, handoffs["c"].written) == ("env", "api_key_name: c")
    assert "keys.json" not in ADAPTER.render(outcome)
    # A key provreg fills is marked, and read back as the instance's own.
    rendered = ADAPTER.render(outcome)
    marks = [model.get("provreg_key") for model in yaml.safe_load(rendered)]
    assert marks == ["a", "b", None]
    read = {
        entry.name: entry for entry in ADAPTER.read(rendered, "x/extra-openai-models.yaml").entries
    }
    assert read["a"].secrets["api_key"].ref == instance_key("a")
    assert read["c"].secrets["api_key"].ref == OPENAI_KEY
    local = item("lm", "openai-compatible", base_url="http://localhost:1234/v1", default_model="q")
    entry = ADAPTER.export([local], ExportContext()).entries[0]
    assert "api_key_name" not in entry.value  # llm then sends no key
    assert [(h.choice, h.written) for h in entry.secrets] == [("none", "")]


def test_what_llm_cannot_speak_is_skipped_or_lost() -> None:
    items = [
        item("claude", "anthropic"),
        item("gem", "google-gemini"),
        item("az", "azure-openai", base_url="https://a.openai.azure.com", deployment="d"),
        item(
            "w",
            "openai",
            project="proj_1",
            max_retries=3,
            models=(ModelSpec(id="gpt-5", context_window=400000),),
        ),
    ]
    outcome = ADAPTER.export(items, ExportContext())
    assert [note.subject for note in outcome.skipped] == ["claude", "gem", "az"]
    assert outcome.entries[0].lost == ("max_retries", "gpt-5: context_window/max_output_tokens")
    assert outcome.entries[0].value["headers"] == {"OpenAI-Project": "proj_1"}


def test_a_custom_definition_with_api_openai_exports() -> None:
    custom = validate_definition(
        {
            "id": "acme",
            "name": "ACME",
            "api": "openai",
            "fields": [
                {"id": "base_url", "type": "url", "default": "https://llm.acme/v1"},
                {"id": "default_model", "default": "qwen3"},
            ],
        }
    )
    export = ExportItem(ProviderInstance(id="acme1", name="ACME", provider="acme"), custom)
    entry = ADAPTER.export([export], ExportContext()).entries[0]
    assert entry.value == {
        "model_id": "acme1/qwen3",
        "model_name": "qwen3",
        "api_base": "https://llm.acme/v1",
        "provreg_instance": "acme1",
    }


def test_merge_keeps_other_models_and_comments() -> None:
    existing = (HERE / "extra-openai-models.yaml").read_text()
    outcome = ADAPTER.export(EVERY_TYPE[:1], ExportContext())
    merged = ADAPTER.merge(existing, outcome, "extra-openai-models.yaml")
    assert ADAPTER.merge(merged, outcome, "extra-openai-models.yaml") == merged
    assert "# OpenRouter, its key stored with `llm keys set openrouter`" in merged
    ids = [model["model_id"] for model in yaml.safe_load(merged)]
    assert ids == [
        "orca-openai-compat",
        "claude",
        "or-gpt",
        "llama-local",
        "gateway-qwen",
        "work/gpt-4.1",
        "work/o4-mini",
    ]
    fewer = item("work", "openai", api_key=OPENAI_KEY, default_model="gpt-5")
    merged = ADAPTER.merge(merged, ADAPTER.export([fewer], ExportContext()), "x.yaml")
    assert [model["model_id"] for model in yaml.safe_load(merged)][5:] == ["work/gpt-5"]


def test_import_reads_the_models_and_the_keys_beside_them(tmp_path: Path) -> None:
    for name in ("extra-openai-models.yaml", "keys.json"):
        shutil.copy(HERE / name, tmp_path / name)
    models_path = tmp_path / "extra-openai-models.yaml"
    read = ADAPTER.read(models_path.read_text(), str(models_path))
    from_keys = ADAPTER.read((tmp_path / "keys.json").read_text(), str(tmp_path / "keys.json"))
    assert from_keys == read  # either file names the pair
    by_label = {entry.label: entry for entry in read.entries}
    local = by_label["extra-openai-models.yaml[0]"]
    assert (local.provider, local.secrets) == ("openai-compatible", {})
    router = by_label["extra-openai-models.yaml[1]"]
    assert router.provider == "openrouter"
    assert [model.id for model in router.models] == ["anthropic/claude-2", "openai/gpt-4.1"]
    assert router.values["app_title"] == "LLM"
    pasted = router.secrets["api_key"].plaintext
    assert pasted is not None and pasted.get_secret_value() == CANARIES[0]
    assert router.secrets["api_key"].line == 4
    ollama = by_label["extra-openai-models.yaml[3]"]
    assert (ollama.provider, ollama.values["base_url"]) == ("ollama", "http://localhost:11434")
    assert ollama.lost == ("llama-local: supports_tools",)
    gateway = by_label["extra-openai-models.yaml[4]"]
    assert gateway.secrets["api_key"].ref == OPENAI_KEY  # no acme-gateway entry in keys.json
    openai = by_label["keys.json[openai]"]
    assert openai.provider == "openai"
    openai_key = openai.secrets["api_key"].plaintext
    assert openai_key is not None and openai_key.get_secret_value() == CANARIES[1]
    assert [note.subject for note in read.skipped] == ["keys.json[unused]"]
    for canary in CANARIES:
        assert canary not in repr(read)


def test_scrub_drops_the_moved_keys_from_keys_json(tmp_path: Path) -> None:
    for name in ("extra-openai-models.yaml", "keys.json"):
        shutil.copy(HERE / name, tmp_path / name)
    keys_path = tmp_path / "keys.json"
    openrouter = CATALOG.get("openrouter")
    openai = CATALOG.get("openai")
    assert openrouter is not None and openai is not None
    stored = {
        ("extra-openai-models.yaml[1]", "api_key"): ScrubTarget(
            "team-or", "api_key", SecretRef(kind="keyring"), openrouter
        ),
        ("keys.json[openai]", "api_key"): ScrubTarget(
            "openai", "api_key", SecretRef(kind="keyring"), openai
        ),
    }
    scrubbed = ADAPTER.scrub(keys_path.read_text(), str(keys_path), stored, ExportContext())
    assert json.loads(scrubbed) == {
        "// Note": "This file stores secret API credentials. Do not share!",
        "unused": CANARIES[2],
    }
    models_path = tmp_path / "extra-openai-models.yaml"
    models_text = models_path.read_text()
    assert ADAPTER.scrub(models_text, str(models_path), {}, ExportContext()) == models_text
    with pytest.raises(ToolFileError, match="llm keeps its keys in keys.json beside this file"):
        ADAPTER.scrub(models_text, str(models_path), stored, ExportContext())


@pytest.mark.parametrize(
    ("name", "text", "line", "column"),
    [
        ("extra-openai-models.yaml", f"- model_id: x\n  api_base: [{CANARIES[0]}\n", 3, 1),
        ("extra-openai-models.yaml", f"model_id: {CANARIES[0]}\n", 1, 1),
        ("extra-openai-models.yaml", "- a string\n", 1, 3),
        ("keys.json", f'{{"openai": "{CANARIES[0]}",\n "x": }}\n', 2, 7),
    ],
)
def test_unreadable_files_point_at_the_place(
    tmp_path: Path, name: str, text: str, line: int, column: int
) -> None:
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, str(tmp_path / name))
    assert (raised.value.line, raised.value.column) == (line, column)
    assert CANARIES[0] not in str(raised.value)
