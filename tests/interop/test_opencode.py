"""opencode adapter: export to `provider`, read opencode.json and auth.json, merge, scrub."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from helpers.paths import REPO_ROOT

from provreg.catalog import builtin_catalog
from provreg.interop import jsonc
from provreg.interop.base import (
    ExportContext,
    ExportItem,
    ImportedEntry,
    ScrubTarget,
    ToolFileError,
)
from provreg.interop.opencode import ADAPTER
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderInstance, SecretRef

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "interop" / "opencode"
SCHEMA = json.loads((FIXTURES / "config.schema.json").read_text())
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


def valid(text: str) -> dict[str, Any]:
    document = jsonc.loads(text, "opencode.json")
    jsonschema.validate(document, SCHEMA)
    return document


ALL_TYPES = [
    item(
        "work",
        "openai",
        "Work",
        api_key=SecretRef(kind="env", name="WORK_OPENAI_KEY"),
        base_url="https://proxy.example.com/v1",
        organization="org-acme",
        timeout_seconds=30.0,
        models=(ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768),),
    ),
    item("claude", "anthropic", "Claude", api_key=SecretRef(kind="file", name="~/.keys/claude")),
    item("gem", "google-gemini", "Gemini", models=(ModelSpec(id="gemini-2.5-pro"),)),
    item(
        "az",
        "azure-openai",
        "Azure",
        base_url="https://acme.openai.azure.com",
        api_version="2024-10-21",
        deployment="gpt4o-prod",
    ),
    item("mis", "mistral", "Mistral", api_key=SecretRef(kind="env", name="MISTRAL_API_KEY")),
    item("gq", "groq", "Groq"),
    item("ds", "deepseek", "DeepSeek"),
    item("or", "openrouter", "OpenRouter"),
    item("local", "ollama", "Local", models=(ModelSpec(id="llama3.2"),)),
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
    assert adapter("opencode") is ADAPTER
    assert ADAPTER.syntax == "jsonc"
    assert ADAPTER.default_paths[:2] == ("~/.config/opencode/opencode.json", "opencode.json")


def test_every_export_is_valid_for_opencodes_schema() -> None:
    outcome = ADAPTER.export(ALL_TYPES, CONTEXT)
    assert not outcome.skipped
    document = valid(ADAPTER.render(outcome))
    providers = document["provider"]
    # opencode's own providers keep their ids; the others carry an SDK package.
    assert set(providers) == {
        "openai", "anthropic", "google", "azure", "mistral", "groq", "deepseek", "openrouter",
        "local", "vllm",
    }  # fmt: skip
    assert "npm" not in providers["openai"]
    assert providers["vllm"]["npm"] == "@ai-sdk/openai-compatible"
    assert providers["local"]["options"]["baseURL"] == "http://localhost:11434/v1"
    assert providers["openai"]["options"]["timeout"] == 30000
    assert providers["azure"]["options"] == {
        "resourceName": "acme",
        "apiVersion": "2024-10-21",
        "apiKey": "{env:AZURE_OPENAI_API_KEY}",
    }
    assert list(providers["azure"]["models"]) == ["gpt4o-prod"]  # deployments are its models
    assert providers["openai"]["models"]["gpt-4.1"] == {
        "limit": {"context": 1047576, "output": 32768}
    }


def test_a_second_instance_of_a_builtin_type_gets_its_own_id_and_package() -> None:
    second = item("personal", "openai", "Personal")
    outcome = ADAPTER.export([ALL_TYPES[0], second], CONTEXT)
    keys = [entry.key for entry in outcome.entries]
    assert keys == ["openai", "personal"]
    assert outcome.entries[1].value["npm"] == "@ai-sdk/openai"
    valid(ADAPTER.render(outcome))


def test_secrets_are_written_as_references() -> None:
    by_id = {entry.instance_id: entry for entry in ADAPTER.export(ALL_TYPES, CONTEXT).entries}
    assert by_id["work"].value["options"]["apiKey"] == "{env:WORK_OPENAI_KEY}"
    assert by_id["claude"].value["options"]["apiKey"] == "{file:~/.keys/claude}"
    assert by_id["claude"].secrets[0].choice == "file"
    keyring = by_id["gq"]
    assert keyring.value["options"]["apiKey"] == "{env:GROQ_API_KEY}"
    assert keyring.secrets[0].choice == "exec-env"
    assert keyring.secrets[0].hint == "run opencode as `provreg exec gq -- opencode`"
    command = by_id["vllm"]
    assert command.value["options"]["apiKey"] == "{env:VLLM_API_KEY}"
    assert command.secrets[0].hint is not None
    assert 'VLLM_API_KEY="$(provreg secret get vllm)"' in command.secrets[0].hint


def test_limits_opencode_cannot_hold_are_reported() -> None:
    half = item("half", "groq", "Half", models=(ModelSpec(id="m", context_window=8192),))
    (entry,) = ADAPTER.export([half], CONTEXT).entries
    assert entry.value["models"] == {"m": {}}
    assert any("models[m]" in phrase for phrase in entry.lost)


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
    (written,) = outcome.entries
    read = ADAPTER.read(ADAPTER.render(outcome), "opencode.json")
    assert not read.skipped
    (entry,) = read.entries
    instance, definition = exported.instance, exported.definition
    assert entry.label == f"provider.{written.key}"
    assert entry.name == instance.name
    assert entry.provider == instance.provider
    for field_id in ("base_url", "organization", "timeout_seconds", "api_version", "default_model"):
        if definition.field(field_id) is not None and field_id in instance.values:
            assert effective(entry, field_id) == instance.value(definition, field_id), field_id
    assert effective(entry, "base_url") == instance.value(definition, "base_url")
    if instance.provider == "azure-openai":
        assert entry.values["deployment"] == instance.values["deployment"]
    else:
        assert entry.models == instance.models
    if not definition.secret_fields:
        assert entry.secrets == {}
        return
    ref = instance.secret_ref("api_key")
    secret = entry.secrets["api_key"]
    assert secret.ref is not None
    if ref.kind in ("env", "file"):
        assert secret.ref == ref
    else:
        # opencode has no command syntax: the reference became an exec variable.
        assert secret.ref.kind == "env"
        assert outcome.entries[0].secrets[0].choice == "exec-env"


def test_reading_opencode_json() -> None:
    text = (FIXTURES / "opencode.jsonc").read_text()
    read = ADAPTER.read(text, "opencode.json")
    by_label = {entry.label: entry for entry in read.entries}
    gateway = by_label["provider.gateway"]
    assert gateway.provider == "openai-compatible"
    assert gateway.name == "Team gateway"
    assert gateway.values == {
        "base_url": "https://llm.example.net/v1",
        "default_model": "llama-3.3-70b",
    }
    assert gateway.models == (
        ModelSpec(id="llama-3.3-70b", context_window=131072, max_output_tokens=8192),
        ModelSpec(id="qwen3-32b"),
    )
    pasted = gateway.secrets["api_key"]
    assert pasted.plaintext is not None and pasted.plaintext.get_secret_value() == CANARY
    assert (
        pasted.line
        == text.splitlines().index(next(line for line in text.splitlines() if CANARY in line)) + 1
    )
    anthropic = by_label["provider.anthropic"]
    assert anthropic.provider == "anthropic"
    assert anthropic.secrets["api_key"].ref == SecretRef(kind="env", name="ANTHROPIC_API_KEY")
    ollama = by_label["provider.ollama"]
    assert ollama.provider == "ollama"
    assert ollama.values == {"base_url": "http://localhost:11434"}
    assert [note.subject for note in read.skipped] == ["provider.bedrock"]
    assert CANARY not in repr(read) + "".join(n.message for n in read.skipped)
    assert all(CANARY not in " ".join((e.label, e.name, *e.lost)) for e in read.entries)


def test_reading_auth_json_pairs_keys_with_provider_ids() -> None:
    text = (FIXTURES / "auth.json").read_text()
    read = ADAPTER.read(text, "~/.local/share/opencode/auth.json")
    (openai,) = read.entries
    assert (openai.label, openai.name, openai.provider) == ("auth.openai", "openai", "openai")
    secret = openai.secrets["api_key"]
    assert secret.plaintext is not None and secret.plaintext.get_secret_value() == CANARY
    assert secret.line == 4
    assert [note.subject for note in read.skipped] == ["auth.github-copilot"]
    assert CANARY not in repr(read) + str(read.skipped)


def test_scrub_replaces_the_pasted_key_with_a_reference() -> None:
    text = (FIXTURES / "opencode.jsonc").read_text()
    definition = CATALOG.get("openai-compatible")
    assert definition is not None
    target = ScrubTarget("gateway", "api_key", SecretRef(kind="keyring"), definition)
    scrubbed = ADAPTER.scrub(
        text, "opencode.json", {("provider.gateway", "api_key"): target}, CONTEXT
    )
    assert CANARY not in scrubbed
    assert scrubbed == text.replace(CANARY, "{env:GATEWAY_API_KEY}")


def test_scrub_removes_a_key_from_auth_json() -> None:
    text = (FIXTURES / "auth.json").read_text()
    definition = CATALOG.get("openai")
    assert definition is not None
    target = ScrubTarget("openai", "api_key", SecretRef(kind="keyring"), definition)
    scrubbed = ADAPTER.scrub(text, "auth.json", {("auth.openai", "api_key"): target}, CONTEXT)
    assert CANARY not in scrubbed
    assert json.loads(scrubbed) == {"github-copilot": json.loads(text)["github-copilot"]}


def test_merge_replaces_owned_entries_and_keeps_comments() -> None:
    existing = (FIXTURES / "opencode.jsonc").read_text()
    outcome = ADAPTER.export([ALL_TYPES[1], ALL_TYPES[-1]], CONTEXT)  # anthropic, vllm
    merged = ADAPTER.merge(existing, outcome, "opencode.json")
    document = valid(merged)
    assert document["provider"]["anthropic"]["options"]["apiKey"] == "{file:~/.keys/claude}"
    assert document["provider"]["vllm"]["npm"] == "@ai-sdk/openai-compatible"
    before = jsonc.loads(existing, "opencode.json")
    for key in ("gateway", "ollama", "bedrock"):
        assert document["provider"][key] == before["provider"][key]
    assert document["theme"] == "opencode" and document["model"] == before["model"]
    for comment in ("// The team's gateway, and a local Ollama.", "// pasted: to be scrubbed"):
        assert comment in merged


def test_malformed_files_are_tool_file_errors_with_a_place() -> None:
    text = '{\n  "provider": {\n    "x": { "options": { "apiKey": "' + CANARY + '" }\n'
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "opencode.json")
    assert (raised.value.line, raised.value.column) == (3, 10)
    assert CANARY not in str(raised.value)


def test_the_v2_format_is_reported_not_misread() -> None:
    text = '{"providers": {"acme": {"package": "x", "settings": {"baseURL": "http://a/v1"}}}}'
    read = ADAPTER.read(text, "opencode.jsonc")
    assert read.entries == ()
    assert [note.subject for note in read.skipped] == ["providers"]
