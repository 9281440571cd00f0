"""The aichat adapter: exports shaped as aichat's client structs take them,
imports of its documented config, `--merge` and `--scrub` keeping the rest.

aichat is a Rust program with no Python loader, so exports are checked against
the fields its config structs declare (sigoden/aichat `src/client/*.rs`, listed
in CLIENT_FIELDS below); the vendored config (tests/fixtures/interop/aichat/
config.yaml) is written from its `config.example.yaml`.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers.paths import FIXTURES

from provreg.catalog import builtin_catalog
from provreg.interop.aichat import ADAPTER, key_variable
from provreg.interop.base import ExportContext, ExportItem, ScrubTarget, ToolFileError
from provreg.interop.litellm import instance_key
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderDefinition, ProviderInstance, SecretRef

CANARY = "sk-canary-77c1f0a9d3e4b5a6"
FIXTURE = FIXTURES / "interop" / "aichat" / "config.yaml"
CATALOG = builtin_catalog()

COMMON = {"type", "name", "api_key", "api_base", "models", "patch", "extra"}
MARKS = {"provreg_key", "provreg_no_key"}  # provreg's; serde ignores unknown keys
CLIENT_FIELDS = {
    # src/client/openai.rs OpenAIConfig, openai_compatible.rs, claude.rs, gemini.rs,
    # azure_openai.rs: the serde fields of each client type.
    "openai": COMMON | {"organization_id"},
    "openai-compatible": COMMON,
    "claude": COMMON,
    "gemini": COMMON,
    "azure-openai": COMMON,
}
MODEL_FIELDS = {"name", "real_name", "max_input_tokens", "max_output_tokens", "type"}


def item(instance_id: str, provider: str, **values: Any) -> ExportItem:
    definition = CATALOG.get(provider)
    assert definition is not None
    instance = ProviderInstance(id=instance_id, name=instance_id, provider=provider, values=values)
    return ExportItem(instance, definition)


def env(name: str) -> SecretRef:
    return SecretRef(kind="env", name=name)


EVERY_TYPE = [
    item(
        "work",
        "openai",
        api_key=env("WORK_API_KEY"),
        organization="org-acme",
        models=(ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768),),
    ),
    item(
        "claude", "anthropic", base_url="https://gw.acme/anthropic", api_key=env("CLAUDE_API_KEY")
    ),
    item("gem", "google-gemini", api_key=env("GEM_API_KEY")),
    item(
        "azure",
        "azure-openai",
        base_url="https://acme.openai.azure.com",
        deployment="prod-gpt4o",
        default_model="gpt-4o",
        api_key=env("AZURE_API_KEY"),
    ),
    item("mistral", "mistral", api_key=env("MISTRAL_API_KEY")),
    item("groq", "groq", api_key=env("GROQ_API_KEY")),
    item("deepseek", "deepseek", api_key=env("DEEPSEEK_API_KEY")),
    item("openrouter", "openrouter", api_key=env("OPENROUTER_API_KEY")),
    item("local", "ollama", models=(ModelSpec(id="llama3.2"), ModelSpec(id="qwen3"))),
    item(
        "gateway",
        "openai-compatible",
        base_url="https://llm.acme.internal/v1",
        default_model="llama-3.3-70b",
        api_key=env("GATEWAY_API_KEY"),
    ),
]


def test_the_adapter_is_found_by_its_tool_name() -> None:
    assert adapter("aichat") is ADAPTER
    assert ADAPTER.default_paths == ("~/.config/aichat/config.yaml",)


def test_exports_use_only_the_fields_aichat_declares() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    assert outcome.skipped == ()
    clients = yaml.safe_load(ADAPTER.render(outcome))["clients"]
    assert [client["name"] for client in clients] == [e.instance.id for e in EVERY_TYPE]
    for client in clients:
        assert set(client) <= CLIENT_FIELDS[client["type"]] | MARKS, client["name"]
        assert "api_key" not in client  # keys never go into the file
        for model in client["models"]:
            assert set(model) <= MODEL_FIELDS
    by_name = {client["name"]: client for client in clients}
    assert by_name["claude"]["api_base"] == "https://gw.acme/anthropic/v1"
    assert by_name["local"]["api_base"] == "http://localhost:11434/v1"
    assert by_name["groq"]["api_base"] == "https://api.groq.com/openai/v1"
    assert by_name["azure"]["models"] == [{"name": "gpt-4o", "real_name": "prod-gpt4o"}]
    assert by_name["work"]["organization_id"] == "org-acme"
    assert by_name["work"]["models"] == [
        {"name": "gpt-4.1", "max_input_tokens": 1047576, "max_output_tokens": 32768}
    ]


def test_every_type_round_trips_through_an_export() -> None:
    read = ADAPTER.read(ADAPTER.render(ADAPTER.export(EVERY_TYPE, ExportContext())), "c.yaml")
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
            # aichat's only place for a key is NAME_API_KEY: the references chosen
            # above are those names, so they come back the same.
            assert entry.secrets["api_key"].ref == instance.secret_ref("api_key")


def test_keys_are_handed_over_through_aichats_variable() -> None:
    items = [
        item("work", "openai", api_key=env("WORK_API_KEY")),
        item("team-or", "openrouter", api_key=env("OR_KEY")),
        item("openai", "openai"),
        item("vault", "anthropic", api_key=SecretRef(kind="command", argv=("pass", "x"))),
    ]
    outcome = ADAPTER.export(items, ExportContext())
    handoffs = {entry.instance_id: entry.secrets[0] for entry in outcome.entries}
    assert (handoffs["work"].choice, handoffs["work"].written) == ("env", "WORK_API_KEY")
    team = handoffs["team-or"]
    assert (team.choice, team.written) == ("exec-env", "TEAM-OR_API_KEY")
    assert (
        team.hint
        == 'aichat reads TEAM-OR_API_KEY: run it as `env "TEAM-OR_API_KEY=$OR_KEY" aichat`'
    )
    # The conventional variable is the one aichat reads: provreg exec sets it.
    assert handoffs["openai"].hint == (
        "aichat reads OPENAI_API_KEY: run it as `provreg exec openai -- aichat`"
    )
    assert handoffs["vault"].hint == (
        'aichat reads VAULT_API_KEY: run it as `VAULT_API_KEY="$(provreg secret get vault)" aichat`'
    )
    assert key_variable("work-openai") == "WORK-OPENAI_API_KEY"


def test_lost_fields_and_untyped_definitions() -> None:
    lossy = item(
        "w",
        "openai",
        project="proj_1",
        max_retries=4,
        api_style="chat_completions",
        api_key=env("W_API_KEY"),
    )
    bare = ProviderDefinition(id="bare", name="Bare")
    skipped = ExportItem(ProviderInstance(id="b", name="B", provider="bare"), bare)
    outcome = ADAPTER.export([lossy, skipped], ExportContext())
    assert outcome.entries[0].lost == ("project", "max_retries")
    assert [note.subject for note in outcome.skipped] == ["b"]


def test_merge_replaces_the_client_of_the_same_name_and_keeps_the_rest() -> None:
    existing = FIXTURE.read_text()
    groq = item(
        "groq", "groq", api_key=env("GROQ_API_KEY"), models=(ModelSpec(id="qwen/qwen3-32b"),)
    )
    merged = ADAPTER.merge(existing, ADAPTER.export([groq, EVERY_TYPE[0]], ExportContext()), "c")
    assert (
        ADAPTER.merge(merged, ADAPTER.export([groq, EVERY_TYPE[0]], ExportContext()), "c") == merged
    )
    assert "# For any platform compatible with OpenAI's API" in merged
    assert "model: openai:gpt-4o" in merged
    clients = yaml.safe_load(merged)["clients"]
    names = [client.get("name", client["type"]) for client in clients]
    assert names == ["openai", "ollama", "claude", "groq", "azure-prod", "bedrock", "work"]
    assert clients[3]["models"] == [{"name": "qwen/qwen3-32b"}]
    # An instance with the id `openai` is the client aichat names `openai`.
    openai = item("openai", "openai", api_key=env("OPENAI_API_KEY"))
    merged = ADAPTER.merge(existing, ADAPTER.export([openai], ExportContext()), "c")
    clients = yaml.safe_load(merged)["clients"]
    assert [client.get("name", client["type"]) for client in clients][0] == "openai"
    assert len(clients) == 6 and CANARY not in merged


def test_import_of_a_documented_config() -> None:
    read = ADAPTER.read(FIXTURE.read_text(), str(FIXTURE))
    by_label = {entry.label: entry for entry in read.entries}
    openai = by_label["clients[0]"]
    assert (openai.provider, openai.name) == ("openai", "openai")
    assert openai.values["organization"] == "org-acme"
    pasted = openai.secrets["api_key"].plaintext
    assert pasted is not None and pasted.get_secret_value() == CANARY
    assert openai.secrets["api_key"].line == 10
    ollama = by_label["clients[1]"]
    assert (ollama.provider, ollama.values["base_url"]) == ("ollama", "http://localhost:11434")
    assert ollama.models == (
        ModelSpec(id="deepseek-r1", context_window=131072),
        ModelSpec(id="llama3.1", context_window=128000),
    )
    assert "clients[1].models[2] (embedding model)" in ollama.lost
    claude = by_label["clients[2]"]
    assert claude.values["base_url"] == "https://api.anthropic.com"
    assert claude.secrets["api_key"].ref == env("CLAUDE_API_KEY")
    assert by_label["clients[3]"].provider == "groq"
    azure = by_label["clients[4]"]
    assert azure.values["deployment"] == "prod-gpt4o"
    assert azure.lost[-1].startswith("clients[4]: its key comes from AZURE-PROD_API_KEY")
    assert [note.subject for note in read.skipped] == ["clients[5]"]
    assert CANARY not in repr(read)


def test_scrub_removes_the_pasted_key_and_keeps_the_rest() -> None:
    text = FIXTURE.read_text()
    openai = CATALOG.get("openai")
    assert openai is not None
    target = ScrubTarget("openai", "api_key", SecretRef(kind="keyring"), openai)
    scrubbed = ADAPTER.scrub(text, "c", {("clients[0]", "api_key"): target}, ExportContext())
    assert CANARY not in scrubbed
    assert [line for line in text.splitlines() if CANARY not in line] == [
        line for line in scrubbed.splitlines() if "provreg_key" not in line
    ]
    assert yaml.safe_load(scrubbed)["clients"][0]["provreg_key"] == "openai"
    again = ADAPTER.read(scrubbed, "c").entries[0]
    assert again.secrets["api_key"].ref == instance_key("openai")


def test_keys_provreg_fills_are_marked_and_read_back_as_the_instances() -> None:
    items = [
        item("vault", "anthropic"),
        item("lm", "openai-compatible", base_url="http://localhost:1234/v1", default_model="q"),
    ]
    text = ADAPTER.render(ADAPTER.export(items, ExportContext()))
    vault, lm = yaml.safe_load(text)["clients"]
    assert vault["provreg_key"] == "vault" and "api_key" not in vault
    assert lm["provreg_no_key"] is True
    entries = {entry.name: entry for entry in ADAPTER.read(text, "c").entries}
    assert entries["vault"].secrets["api_key"].ref == instance_key("vault")
    assert entries["lm"].secrets == {}
    assert entries["vault"].lost == () and entries["lm"].lost == ()


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (f"clients:\n  - type: openai\n    api_key: [{CANARY}\n", 4, 1),
        (f"clients: {CANARY}\n", 1, 10),
        ("clients:\n  - a string\n", 2, 5),
    ],
)
def test_unreadable_files_point_at_the_place(text: str, line: int, column: int) -> None:
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "config.yaml")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert CANARY not in str(raised.value)
