"""Zed adapter: export to `language_models`, read settings.json back, merge."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.paths import REPO_ROOT

from provreg.catalog import builtin_catalog
from provreg.interop import jsonc
from provreg.interop.base import ExportContext, ExportItem, ImportedEntry, ToolFileError
from provreg.interop.tools import adapter
from provreg.interop.zed import ADAPTER, compatible_env_name
from provreg.model import ModelSpec, ProviderInstance, SecretRef

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "interop" / "zed"
CATALOG = builtin_catalog()
CANARY = "sk-canary-4f9d2b7e1a6c0d3e"
CONTEXT = ExportContext()


def item(instance_id: str, provider: str, name: str | None = None, **values: Any) -> ExportItem:
    definition = CATALOG.get(provider)
    assert definition is not None
    instance = ProviderInstance(
        id=instance_id, name=name or instance_id.title(), provider=provider, values=values
    )
    return ExportItem(instance, definition)


def check_zed_shapes(document: dict[str, Any]) -> None:
    """What Zed's docs require of `language_models` (Zed publishes no schema file)."""
    assert set(document) == {"language_models"} or "language_models" in document
    sections = document["language_models"]
    for section, config in sections.items():
        providers = config.values() if section.endswith("_compatible") else [config]
        for provider in providers:
            assert isinstance(provider, dict)
            assert "api_key" not in provider  # keys never go in settings.json
            if section.endswith("_compatible"):
                assert isinstance(provider["api_url"], str)
            for model in provider.get("available_models", []):
                assert isinstance(model["name"], str)
                assert isinstance(model["max_tokens"], int) and model["max_tokens"] >= 1


GPT = ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768)
ALL_TYPES = [
    item("work", "openai", "Work", base_url="https://proxy.example.com/v1", models=(GPT,)),
    item(
        "claude",
        "anthropic",
        "Claude",
        api_key=SecretRef(kind="env", name="ANTHROPIC_API_KEY"),
        models=(ModelSpec(id="claude-sonnet-4-5", context_window=200000, max_output_tokens=64000),),
    ),
    item(
        "gem",
        "google-gemini",
        "Gemini",
        base_url="https://gemini-proxy.example.com/v1beta",
        models=(ModelSpec(id="gemini-2.5-pro", context_window=1048576),),
    ),
    item("or", "openrouter", "OpenRouter"),
    item("mis", "mistral", "Mistral"),
    item("ds", "deepseek", "DeepSeek"),
    item("local", "ollama", "Local", models=(ModelSpec(id="llama3.2", context_window=131072),)),
    item(
        "vllm",
        "openai-compatible",
        "vLLM box",
        base_url="http://gpu.lan:8000/v1",
        default_model="qwen3-32b",
        api_key=SecretRef(kind="command", name="pass", argv=("pass", "show", "vllm")),
        models=(ModelSpec(id="qwen3-32b", context_window=32768, max_output_tokens=8192),),
    ),
]


def test_the_tool_table_finds_the_adapter() -> None:
    assert adapter("zed") is ADAPTER
    assert ADAPTER.syntax == "jsonc"
    assert ADAPTER.default_paths == ("~/.config/zed/settings.json",)


def test_export_places_each_type_in_its_section() -> None:
    outcome = ADAPTER.export(ALL_TYPES, CONTEXT)
    assert not outcome.skipped
    document = jsonc.loads(ADAPTER.render(outcome), "settings.json")
    check_zed_shapes(document)
    sections = document["language_models"]
    assert set(sections) == {
        "openai", "anthropic", "google", "mistral", "deepseek", "open_router", "ollama",
        "openai_compatible",
    }  # fmt: skip
    assert sections["google"]["api_url"] == "https://gemini-proxy.example.com"
    assert sections["openai"] == {
        "api_url": "https://proxy.example.com/v1",
        "available_models": [
            {"name": "gpt-4.1", "max_tokens": 1047576, "max_output_tokens": 32768}
        ],
    }
    assert sections["openai_compatible"]["vLLM box"]["api_url"] == "http://gpu.lan:8000/v1"
    assert sections["ollama"]["auto_discover"] is False


def test_no_key_is_ever_written_and_each_secret_is_an_exec_variable() -> None:
    outcome = ADAPTER.export(ALL_TYPES, CONTEXT)
    by_id = {entry.instance_id: entry for entry in outcome.entries}
    assert by_id["work"].secrets[0].choice == "exec-env"
    assert by_id["work"].secrets[0].written == "OPENAI_API_KEY"
    assert by_id["work"].secrets[0].hint is not None
    assert "provreg exec work -- zed" in by_id["work"].secrets[0].hint
    assert by_id["claude"].secrets[0].choice == "env"  # Zed reads that variable itself
    compatible = by_id["vllm"].secrets[0]
    assert (compatible.choice, compatible.written) == ("exec-env", "V_LLM_BOX_API_KEY")
    assert compatible.hint is not None and "provreg secret get vllm" in compatible.hint
    assert by_id["gem"].secrets[0].written == "GEMINI_API_KEY"
    assert by_id["or"].secrets[0].written == "OPENROUTER_API_KEY"
    assert by_id["local"].secrets == ()


@pytest.mark.parametrize(
    ("name", "variable"),
    [("my-gateway", "MY_GATEWAY_API_KEY"), ("Some Provider", "SOME_PROVIDER_API_KEY"),
     ("vLLM box", "V_LLM_BOX_API_KEY"), ("acme_llm", "ACME_LLM_API_KEY")],
)  # fmt: skip
def test_compatible_variable_names_follow_zed(name: str, variable: str) -> None:
    assert compatible_env_name(name) == variable


def test_models_without_a_context_window_are_left_out_and_reported() -> None:
    bare = item("gw", "openai-compatible", "GW", base_url="http://x/v1", default_model="a",
                models=(ModelSpec(id="a"), ModelSpec(id="b", context_window=4096)))  # fmt: skip
    (entry,) = ADAPTER.export([bare], CONTEXT).entries
    assert entry.value["available_models"] == [{"name": "b", "max_tokens": 4096}]
    assert any(phrase.startswith("models[a]") for phrase in entry.lost)


def test_a_second_instance_of_a_section_goes_to_the_compatible_section() -> None:
    second = item("personal", "openai", "Personal", models=(GPT,))
    outcome = ADAPTER.export([ALL_TYPES[0], second], CONTEXT)
    assert [entry.key for entry in outcome.entries] == ["openai", "openai_compatible.Personal"]
    second_google = item("gem2", "google-gemini", "Gem 2")
    outcome = ADAPTER.export([ALL_TYPES[2], second_google], CONTEXT)
    assert [note.subject for note in outcome.skipped] == ["gem2"]


def effective(entry: ImportedEntry, field_id: str) -> Any:
    definition = CATALOG.get(entry.provider)
    assert definition is not None
    if field_id in entry.values:
        return entry.values[field_id]
    spec = definition.field(field_id)
    return None if spec is None else spec.default


@pytest.mark.parametrize("exported", ALL_TYPES, ids=lambda i: i.instance.provider)
def test_round_trip(exported: ExportItem) -> None:
    outcome = ADAPTER.export([exported], CONTEXT)
    read = ADAPTER.read(ADAPTER.render(outcome), "settings.json")
    assert not read.skipped
    (entry,) = read.entries
    instance, definition = exported.instance, exported.definition
    assert entry.provider == instance.provider
    if instance.provider == "openai-compatible":
        assert entry.name == instance.name
        assert entry.values["default_model"] == instance.values["default_model"]
    assert effective(entry, "base_url") == instance.value(definition, "base_url")
    assert entry.models == instance.models
    if definition.secret_fields:
        # Zed's key lives in its keychain: the entry says nothing of it (an import
        # matches by endpoint; a new instance gets the keyring default).
        assert entry.secrets == {}
        assert any("provreg secret set" in phrase for phrase in entry.lost)
    else:
        assert entry.secrets == {}


def test_reading_a_real_settings_file() -> None:
    text = (FIXTURES / "settings.json").read_text()
    read = ADAPTER.read(text, "settings.json")
    by_label = {entry.label: entry for entry in read.entries}
    gateway = by_label["language_models.openai_compatible.Team Gateway"]
    assert gateway.provider == "openai-compatible"
    assert gateway.name == "Team Gateway"
    assert gateway.values == {
        "base_url": "https://llm.example.net/v1",
        "default_model": "llama-3.3-70b",
    }
    assert gateway.models == (
        ModelSpec(id="llama-3.3-70b", context_window=131072, max_output_tokens=8192),
    )
    assert gateway.line == 11
    anthropic = by_label["language_models.anthropic"]
    assert anthropic.models[0].max_output_tokens == 64000
    assert by_label["language_models.ollama"].values == {"base_url": "http://localhost:11434"}
    assert [note.subject for note in read.skipped] == ["language_models.bedrock"]


def test_merge_keeps_the_users_settings_and_comments() -> None:
    existing = (FIXTURES / "settings.json").read_text()
    outcome = ADAPTER.export([ALL_TYPES[0], ALL_TYPES[-1]], CONTEXT)
    merged = ADAPTER.merge(existing, outcome, "settings.json")
    document = jsonc.loads(merged, "settings.json")
    before = jsonc.loads(existing, "settings.json")
    assert document["language_models"]["openai"]["api_url"] == "https://proxy.example.com/v1"
    assert document["language_models"]["openai_compatible"]["vLLM box"]["api_url"] == (
        "http://gpu.lan:8000/v1"
    )
    compatible = document["language_models"]["openai_compatible"]
    assert (
        compatible["Team Gateway"] == before["language_models"]["openai_compatible"]["Team Gateway"]
    )
    for key in ("theme", "buffer_font_size", "vim_mode"):
        assert document[key] == before[key]
    for section in ("anthropic", "ollama", "bedrock"):
        assert document["language_models"][section] == before["language_models"][section]
    for comment in (
        "// Zed settings",
        "/* bigger */",
        "// The team's gateway; its key is in the keychain.",
    ):
        assert comment in merged
    assert CANARY not in merged


def test_scrub_leaves_settings_untouched() -> None:
    text = (FIXTURES / "settings.json").read_text()
    assert ADAPTER.scrub(text, "settings.json", {}, CONTEXT) == text


def test_malformed_settings_are_tool_file_errors_with_a_place() -> None:
    text = '{\n  "language_models": {\n    "openai": { "api_url": "' + CANARY + '" \n    "x": 1\n'
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "settings.json")
    assert (raised.value.line, raised.value.column) == (4, 5)
    assert CANARY not in str(raised.value)


def test_merge_keeps_zed_only_settings_inside_a_section() -> None:
    existing = (
        '{\n  "language_models": {\n    "openai": {\n'
        '      "api_url": "https://old.example/v1",\n'
        '      "custom_headers": { "X-Team": "llm" }, // for the proxy\n'
        '      "available_models": []\n    }\n  }\n}\n'
    )
    plain = item("work", "openai", "Work", models=(GPT,))  # states no base_url
    merged = ADAPTER.merge(existing, ADAPTER.export([plain], CONTEXT), "settings.json")
    section = jsonc.loads(merged, "settings.json")["language_models"]["openai"]
    assert section == {
        "custom_headers": {"X-Team": "llm"},
        "available_models": [
            {"name": "gpt-4.1", "max_tokens": 1047576, "max_output_tokens": 32768}
        ],
    }
    assert "// for the proxy" in merged


def test_hints_carry_the_registry_location() -> None:
    context = ExportContext(provreg_command="provreg", config_args=("--config", "ci/llm"))
    by_id = {e.instance_id: e for e in ADAPTER.export(ALL_TYPES, context).entries}
    assert by_id["work"].secrets[0].hint is not None
    assert "provreg exec work --config ci/llm -- zed" in by_id["work"].secrets[0].hint
    assert by_id["vllm"].secrets[0].hint is not None
    assert "provreg secret get vllm --config ci/llm" in by_id["vllm"].secrets[0].hint


def test_a_key_pasted_where_zed_takes_none_never_leaks() -> None:
    text = (
        '{"language_models": {"openai_compatible": {"GW": {"api_url": "http://x/v1",'
        ' "api_key": "' + CANARY + '", "available_models": []}},'
        ' "lmstudio": {"api_key": "' + CANARY + '"}}}'
    )
    read = ADAPTER.read(text, "settings.json")
    (entry,) = read.entries
    assert "api_key" in entry.lost  # named, never its value
    assert entry.secrets == {}
    everything = repr(read) + "".join(n.message + n.subject for n in read.skipped)
    everything += "".join(" ".join((e.label, e.name, *e.lost)) for e in read.entries)
    assert CANARY not in everything
