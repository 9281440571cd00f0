"""crush adapter: export to `providers`, read crush.json files back, merge, scrub."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.paths import REPO_ROOT

from provreg.catalog import builtin_catalog
from provreg.interop.base import (
    ExportContext,
    ExportItem,
    ImportedEntry,
    ScrubTarget,
    ToolFileError,
)
from provreg.interop.crush import ADAPTER
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderInstance, SecretRef

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "interop" / "crush"
SCHEMA = json.loads((FIXTURES / "schema.json").read_text())
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
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA)
    return document


ALL_TYPES = [
    item(
        "work",
        "openai",
        "Work",
        api_key=SecretRef(kind="env", name="WORK_OPENAI_KEY"),
        base_url="https://proxy.example.com/v1",
        models=(ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768),),
    ),
    item("claude", "anthropic", "Claude"),
    item(
        "gem",
        "google-gemini",
        "Gemini",
        api_key=SecretRef(kind="keyring", name="shared/gemini"),
        models=(ModelSpec(id="gemini-2.5-pro", context_window=1048576),),
    ),
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
    item("or", "openrouter", "OpenRouter", api_key=SecretRef(kind="file", name="~/.keys/or")),
    item(
        "local",
        "ollama",
        "Local",
        models=(ModelSpec(id="llama3.2", context_window=131072),),
    ),
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
    assert adapter("crush") is ADAPTER
    assert ADAPTER.syntax == "json"
    assert "~/.config/crush/crush.json" in ADAPTER.default_paths


def test_every_export_is_valid_for_crushs_schema() -> None:
    outcome = ADAPTER.export(ALL_TYPES, CONTEXT)
    assert not outcome.skipped
    document = valid(ADAPTER.render(outcome))
    assert set(document["providers"]) == {i.instance.id for i in ALL_TYPES}
    # Google's SDK adds the API version itself; crush talks to Ollama's /v1 API.
    assert document["providers"]["gem"]["base_url"] == "https://generativelanguage.googleapis.com"
    assert document["providers"]["local"]["base_url"] == "http://localhost:11434/v1"
    types = {key: value["type"] for key, value in document["providers"].items()}
    assert types == {
        "work": "openai",
        "claude": "anthropic",
        "gem": "google",
        "az": "azure",
        "mis": "openai-compat",
        "gq": "openai-compat",
        "ds": "openai-compat",
        "or": "openrouter",
        "local": "ollama",
        "vllm": "openai-compat",
    }


def test_secrets_are_written_as_references() -> None:
    context = ExportContext(
        provreg_command="/opt/my tools/provreg", config_args=("--config", "a b")
    )
    outcome = ADAPTER.export(ALL_TYPES, context)
    by_id = {entry.instance_id: entry for entry in outcome.entries}
    assert by_id["work"].value["api_key"] == "$WORK_OPENAI_KEY"
    assert by_id["work"].secrets[0].choice == "env"
    helper = by_id["claude"].value["api_key"]
    assert helper == "$('/opt/my tools/provreg' secret get claude --config 'a b')"
    assert shlex.split(helper[2:-1]) == [*context.secret_get_argv("claude", "api_key")]
    for instance_id in ("gem", "or", "vllm"):  # keyring, file and command references
        assert by_id[instance_id].secrets[0].choice == "command"
        assert "secret get " + instance_id in by_id[instance_id].value["api_key"]
    assert "api_key" not in by_id["local"].value  # Ollama has no key


def test_an_instance_refusing_helpers_gets_an_exec_variable() -> None:
    refusing = item("private", "groq", "Private", helpers=False)
    entry = ADAPTER.export([refusing], CONTEXT).entries[0]
    assert entry.value["api_key"] == "$GROQ_API_KEY"
    assert entry.secrets[0].choice == "exec-env"
    assert (
        entry.secrets[0].hint is not None
        and "provreg exec private -- crush" in entry.secrets[0].hint
    )


def test_what_crush_cannot_express_is_reported() -> None:
    outcome = ADAPTER.export(
        [item("org", "openai", "Org", organization="org-acme", default_model="gpt-4o")]
        + [ALL_TYPES[3]],
        CONTEXT,
    )
    lost = {entry.instance_id: entry.lost for entry in outcome.entries}
    assert "organization" in lost["org"]
    assert any(phrase.startswith("default_model") for phrase in lost["org"])
    assert "api_version" in lost["az"]
    assert "deployment" not in lost["az"]  # crush names the deployment as the model


def test_a_type_without_an_api_is_skipped_with_a_note() -> None:
    definition = CATALOG.get("openai")
    assert definition is not None
    odd = definition.model_copy(update={"id": "odd", "api": None})
    instance = ProviderInstance(id="odd1", name="Odd", provider="odd")
    outcome = ADAPTER.export([ExportItem(instance, odd)], CONTEXT)
    assert not outcome.entries
    assert outcome.skipped[0].subject == "odd1"


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
    read = ADAPTER.read(ADAPTER.render(outcome), "crush.json")
    assert not read.skipped
    (entry,) = read.entries
    instance, definition = exported.instance, exported.definition
    assert entry.label == f"providers.{instance.id}"
    assert entry.name == instance.name
    assert entry.provider == instance.provider
    assert effective(entry, "base_url") == instance.value(definition, "base_url")
    if instance.provider == "openai-compatible":
        assert entry.values["default_model"] == instance.values["default_model"]
    if instance.provider == "azure-openai":
        assert entry.values["deployment"] == instance.values["deployment"]
        assert any(phrase.startswith("api_version") for phrase in entry.lost)
    else:
        assert entry.models == instance.models
    if not definition.secret_fields:
        assert entry.secrets == {}
        return
    ref = instance.secret_ref("api_key")
    secret = entry.secrets["api_key"]
    assert secret.plaintext is None and secret.ref is not None
    if ref.kind == "env":
        assert secret.ref == ref
    else:
        # keyring, file and command references all went through `provreg secret
        # get ID`: they come back as that instance's own keyring entry, named (the
        # import matches it with the instance; crush's key is not always the id).
        assert (secret.ref.kind, secret.ref.name) == ("keyring", f"{instance.id}/api_key")


def test_reading_crushs_project_file() -> None:
    text = (FIXTURES / "crush.json").read_text()
    read = ADAPTER.read(text, "crush.json")
    by_label = {entry.label: entry for entry in read.entries}
    deepseek = by_label["providers.deepseek"]
    assert deepseek.provider == "deepseek"
    assert deepseek.secrets["api_key"].ref == SecretRef(kind="env", name="DEEPSEEK_API_KEY")
    assert deepseek.models == (
        ModelSpec(id="deepseek-chat", context_window=64000, max_output_tokens=5000),
    )
    work = by_label["providers.work"]
    assert work.name == "Work gateway" and work.provider == "openai-compatible"
    assert work.secrets["api_key"].ref == SecretRef(kind="keyring", name="work/api_key")
    assert work.values == {
        "base_url": "https://llm.example.net/v1",
        "default_model": "llama-3.3-70b",
    }
    vault = by_label["providers.vault"]
    assert vault.secrets["api_key"].ref == SecretRef(
        kind="command", name="op", argv=("op", "read", "op://Private/Anthropic/credential")
    )
    assert "extra_headers" in vault.lost
    assert [note.subject for note in read.skipped] == ["providers.bedrock"]
    assert work.line == text.splitlines().index('    "work": {') + 1


def test_another_instances_helper_maps_to_its_keyring_entry() -> None:
    text = '{"providers": {"a": {"type": "openai-compat", "base_url": "http://x/v1",'
    text += ' "api_key": "$(provreg secret get b api_key --config ~/cfg)"}}}'
    (entry,) = ADAPTER.read(text, "crush.json").entries
    assert entry.secrets["api_key"].ref == SecretRef(kind="keyring", name="b/api_key")


def test_pasted_keys_in_the_data_dir_file_never_leak() -> None:
    text = (FIXTURES / "data-crush.json").read_text()
    read = ADAPTER.read(text, "~/.local/share/crush/crush.json")
    by_label = {entry.label: entry for entry in read.entries}
    openai = by_label["providers.openai"]
    assert openai.provider == "openai"
    secret = openai.secrets["api_key"]
    assert secret.plaintext is not None and secret.plaintext.get_secret_value() == CANARY
    assert secret.line == 4
    ollama = by_label["providers.ollama"]
    assert ollama.values == {"base_url": "http://localhost:11434"}
    everything = repr(read) + str(read) + "".join(repr(e) + e.label + e.name for e in read.entries)
    everything += "".join(note.message + note.subject for note in read.skipped)
    everything += "".join(" ".join(e.lost) for e in read.entries)
    assert CANARY not in everything


def test_scrub_replaces_the_pasted_key_in_place() -> None:
    text = (FIXTURES / "data-crush.json").read_text()
    definition = CATALOG.get("openai")
    assert definition is not None
    target = ScrubTarget("personal", "api_key", SecretRef(kind="keyring"), definition)
    scrubbed = ADAPTER.scrub(text, "crush.json", {("providers.openai", "api_key"): target}, CONTEXT)
    assert CANARY not in scrubbed
    assert scrubbed == text.replace(CANARY, "$(provreg secret get personal)")
    env_target = ScrubTarget(
        "personal", "api_key", SecretRef(kind="env", name="MY_KEY"), definition
    )
    assert '"$MY_KEY"' in ADAPTER.scrub(
        text, "c", {("providers.openai", "api_key"): env_target}, CONTEXT
    )


def test_merge_replaces_owned_entries_and_keeps_the_rest() -> None:
    existing = (FIXTURES / "crush.json").read_text()
    outcome = ADAPTER.export(
        [
            item(
                "work",
                "openai-compatible",
                "Work",
                base_url="https://new.example/v1",
                default_model="m",
            )
        ],
        CONTEXT,
    )
    merged = ADAPTER.merge(existing, outcome, "crush.json")
    document = json.loads(merged)
    assert document["providers"]["work"]["base_url"] == "https://new.example/v1"
    before = json.loads(existing)
    for key in ("deepseek", "vault", "bedrock"):
        assert document["providers"][key] == before["providers"][key]
    assert document["options"] == before["options"]
    # Lines outside the replaced entry are untouched.
    head = existing[: existing.index('    "work"')]
    assert merged.startswith(head)
    assert merged.endswith(existing[existing.index('    "vault"') - 6 :])


def test_merge_into_an_empty_file_renders_one() -> None:
    outcome = ADAPTER.export(ALL_TYPES[:2], CONTEXT)
    assert ADAPTER.merge("", outcome, "crush.json") == ADAPTER.render(outcome)


@pytest.mark.parametrize(
    "text",
    [
        '{"providers": {"a": {"api_key": "' + CANARY + '"}',
        '["' + CANARY + '"]',
        '{"providers": []}',
    ],
)
def test_malformed_files_are_tool_file_errors_with_a_place(text: str, tmp_path: Path) -> None:
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "crush.json")
    assert raised.value.line >= 1 and raised.value.column >= 1
    assert CANARY not in str(raised.value)


def test_an_entry_without_a_type_is_crushs_own_provider_or_openai_compatible() -> None:
    text = '{"providers": {"groq": {"api_key": "$GROQ_API_KEY"},'
    text += ' "mine": {"base_url": "http://box:8000/v1", "models": [{"id": "m"}]}}}'
    by_label = {e.label: e for e in ADAPTER.read(text, "crush.json").entries}
    assert by_label["providers.groq"].provider == "groq"
    assert by_label["providers.mine"].provider == "openai-compatible"


def test_every_entry_carries_a_base_url_and_a_missing_model_list_is_reported() -> None:
    (entry,) = ADAPTER.export([item("claude", "anthropic", "Claude")], CONTEXT).entries
    assert entry.value["base_url"] == "https://api.anthropic.com"
    assert any(phrase.startswith("models") for phrase in entry.lost)
