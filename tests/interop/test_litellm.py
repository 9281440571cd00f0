"""The LiteLLM proxy adapter: exports that LiteLLM's own Router loads, imports of
its documented config.yaml, `--merge` and `--scrub` keeping what is not provreg's.

The vendored config (tests/fixtures/interop/litellm/proxy_config.yaml) follows
BerriAI/litellm docs/my-website/docs/proxy/configs.md.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from helpers.paths import FIXTURES

from provreg.catalog import builtin_catalog
from provreg.definition_schema import validate_definition
from provreg.interop.base import ExportContext, ExportItem, ToolFileError
from provreg.interop.litellm import ADAPTER, instance_key
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderDefinition, ProviderInstance, SecretRef

CANARY = "sk-canary-77c1f0a9d3e4b5a6"
FIXTURE = FIXTURES / "interop" / "litellm" / "proxy_config.yaml"
CATALOG = builtin_catalog()


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
        api_key=env("WORK_KEY"),
        organization="org-acme",
        models=(ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768),),
    ),
    item("claude", "anthropic"),  # keyring default
    item("gem", "google-gemini", api_key=SecretRef(kind="command", argv=("pass", "gemini"))),
    item(
        "azure",
        "azure-openai",
        base_url="https://acme.openai.azure.com",
        deployment="prod-gpt4o",
        api_key=env("AZURE_KEY"),
        models=(ModelSpec(id="gpt-4o"),),
    ),
    item("mis", "mistral", api_key=env("MISTRAL_API_KEY")),
    item("gq", "groq", api_key=env("GROQ_API_KEY")),
    item("ds", "deepseek", api_key=env("DEEPSEEK_API_KEY")),
    item("or", "openrouter", api_key=env("OPENROUTER_API_KEY")),
    item("local", "ollama", models=(ModelSpec(id="llama3.2"), ModelSpec(id="qwen3"))),
    item(
        "gateway",
        "openai-compatible",
        base_url="https://llm.acme.internal/v1",
        default_model="llama-3.3-70b",
        api_key=env("ACME_KEY"),
    ),
]


def test_the_adapter_is_found_by_its_tool_name() -> None:
    assert adapter("litellm") is ADAPTER
    assert ADAPTER.syntax == "yaml" and ADAPTER.default_paths == ("config.yaml",)


def test_every_type_round_trips_through_an_export() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    assert outcome.skipped == ()
    read = ADAPTER.read(ADAPTER.render(outcome), "config.yaml")
    by_name = {entry.name: entry for entry in read.entries}
    assert set(by_name) == {export.instance.id for export in EVERY_TYPE}
    for export in EVERY_TYPE:
        entry = by_name[export.instance.id]
        instance, definition = export.instance, export.definition
        assert entry.provider == instance.provider
        expected_models = instance.models or (
            ModelSpec(id=instance.value(definition, "default_model")),
        )
        assert entry.models == expected_models
        for field_id in ("base_url", "deployment", "organization"):
            if field_id in instance.values:
                assert entry.values[field_id] == instance.values[field_id]
        ref = instance.secret_ref("api_key")
        if definition.field("api_key") is None:
            assert entry.secrets == {}
        elif ref.kind == "env":
            assert entry.secrets["api_key"].ref == ref
        else:
            # Keyring and command keys reach LiteLLM through a variable provreg
            # fills; the item says so, and an import reads the instance's key back.
            assert entry.secrets["api_key"].ref == instance_key(instance.id)


def test_litellm_router_loads_the_export_and_resolves_the_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for name in ("WORK_KEY", "AZURE_KEY", "MISTRAL_API_KEY", "ACME_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(name, f"value-of-{name}")
    import litellm

    rendered = ADAPTER.render(ADAPTER.export(EVERY_TYPE, ExportContext()))
    model_list = yaml.safe_load(rendered)["model_list"]
    router = litellm.Router(model_list=model_list)
    deployments = {d["model_name"]: d for d in router.registry().deployments()}
    assert deployments["gpt-4.1"]["litellm_params"]["api_key"] == "value-of-WORK_KEY"
    assert deployments["gpt-4.1"]["model_info"]["provreg_instance"] == "work"
    assert deployments["claude-sonnet-4-5"]["litellm_params"]["api_key"] == (
        "value-of-ANTHROPIC_API_KEY"
    )
    azure = deployments["gpt-4o"]["litellm_params"]
    assert (azure["model"], azure["api_version"]) == ("azure/prod-gpt4o", "2024-10-21")
    gateway = deployments["llama-3.3-70b"]["litellm_params"]
    assert gateway["api_base"] == "https://llm.acme.internal/v1"
    expected_providers = {
        "gpt-4.1": "openai",
        "claude-sonnet-4-5": "anthropic",
        "gemini-2.5-flash": "gemini",
        "mistral-large-latest": "mistral",
        "llama-3.3-70b-versatile": "groq",
        "deepseek-chat": "deepseek",
        "openrouter/auto": "openrouter",
        "llama3.2": "ollama_chat",
        "llama-3.3-70b": "openai",
    }
    for model_name, provider in expected_providers.items():
        params = deployments[model_name]["litellm_params"]
        assert litellm.get_llm_provider(params["model"])[1] == provider, model_name


def test_secret_handoffs_name_references_and_how_to_run_the_proxy() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    handoffs = {entry.instance_id: entry.secrets for entry in outcome.entries}
    assert handoffs["work"][0].choice == "env"
    assert handoffs["work"][0].written == "os.environ/WORK_KEY"
    claude = handoffs["claude"][0]
    assert (claude.choice, claude.written) == ("exec-env", "os.environ/ANTHROPIC_API_KEY")
    assert claude.hint is not None and "provreg exec claude -- litellm" in claude.hint
    assert handoffs["local"] == ()
    elsewhere = ExportContext(provreg_command="/opt/provreg", config_args=("--config", "/c"))
    claude = ADAPTER.export([EVERY_TYPE[1]], elsewhere).entries[0].secrets[0]
    assert claude.hint == (
        "run it as `/opt/provreg exec claude --config /c -- litellm --config config.yaml`"
    )


def test_two_instances_needing_one_variable_get_their_own() -> None:
    items = [item("a", "openai"), item("b", "openai", models=(ModelSpec(id="gpt-5"),))]
    outcome = ADAPTER.export(items, ExportContext(config_args=("--config", "/cfg")))
    written = {entry.instance_id: entry.secrets[0] for entry in outcome.entries}
    assert written["a"].written == "os.environ/A_API_KEY"
    assert written["b"].written == "os.environ/B_API_KEY"
    assert written["a"].hint == (
        'run it as `A_API_KEY="$(provreg secret get a --config /cfg)" litellm --config config.yaml`'
    )


def test_a_model_two_instances_serve_is_named_after_each_instance() -> None:
    items = [item("eu", "openai", api_key=env("EU")), item("us", "openai", api_key=env("US"))]
    names = [entry.key for entry in ADAPTER.export(items, ExportContext()).entries]
    assert names == ["eu/gpt-4.1", "us/gpt-4.1"]


def test_what_litellm_cannot_say_is_reported_lost_and_untyped_definitions_skipped() -> None:
    lossy = item("work", "openai", project="proj_1", api_style="responses", api_key=env("K"))
    bare = ProviderDefinition(id="bare", name="Bare", fields=())
    skipped = ExportItem(ProviderInstance(id="bare1", name="Bare", provider="bare"), bare)
    plain = item("plain", "openai", api_style="chat_completions", api_key=env("K"))
    outcome = ADAPTER.export([lossy, skipped, plain], ExportContext())
    assert outcome.entries[0].lost == ("project", "api_style: responses")
    assert outcome.entries[1].lost == ()
    assert [note.subject for note in outcome.skipped] == ["bare1"]


def test_a_custom_definition_exports_by_its_api_or_its_litellm_name() -> None:
    custom = validate_definition(
        {
            "id": "acme",
            "name": "ACME",
            "api": "openai",
            "tools": {"litellm": "hosted_vllm"},
            "fields": [
                {"id": "base_url", "type": "url", "default": "http://gpu:8000/v1"},
                {"id": "api_key", "type": "secret", "env": "ACME_LLM_KEY"},
                {"id": "default_model", "default": "qwen3"},
            ],
        }
    )
    export = ExportItem(ProviderInstance(id="acme1", name="ACME", provider="acme"), custom)
    entry = ADAPTER.export([export], ExportContext()).entries[0]
    assert entry.value["litellm_params"]["model"] == "hosted_vllm/qwen3"
    # An optional key neither stated nor stored is not handed over.
    assert "api_key" not in entry.value["litellm_params"]
    assert [(h.choice, h.written) for h in entry.secrets] == [("none", "")]
    stored = ExportContext(stored_keys=frozenset({("acme1", "api_key")}))
    entry = ADAPTER.export([export], stored).entries[0]
    assert entry.secrets[0].written == "os.environ/ACME_LLM_KEY"


def test_a_gateway_key_gets_a_variable_named_after_the_instance() -> None:
    gateway = item(
        "team-gw",
        "openai-compatible",
        base_url="http://gw/v1",
        default_model="m",
        api_key=SecretRef(kind="keyring"),
    )
    handoff = ADAPTER.export([gateway], ExportContext()).entries[0].secrets[0]
    assert (handoff.choice, handoff.written) == ("exec-env", "os.environ/TEAM_GW_API_KEY")
    assert handoff.hint == (
        'run it as `TEAM_GW_API_KEY="$(provreg secret get team-gw)" litellm --config config.yaml`'
    )


def test_merge_replaces_only_provreg_items_and_keeps_comments() -> None:
    existing = FIXTURE.read_text()
    first = ADAPTER.merge(existing, ADAPTER.export(EVERY_TYPE[:2], ExportContext()), "c.yaml")
    again = ADAPTER.merge(first, ADAPTER.export(EVERY_TYPE[:2], ExportContext()), "c.yaml")
    assert again == first  # a second merge of the same export changes nothing
    for kept in ("# the public name clients ask for", "master_key: os.environ/LITELLM_MASTER_KEY"):
        assert kept in first
    data = yaml.safe_load(first)
    names = [entry["model_name"] for entry in data["model_list"]]
    assert names[:7] == [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-sonnet",
        "azure-gpt",
        "local-llama",
        "vllm-qwen",
        "bedrock-claude",
    ]
    assert names[7:] == ["gpt-4.1", "claude-sonnet-4-5"]
    # The instance now serves other models: its old items go, the others stay.
    changed = item("work", "openai", api_key=env("WORK_KEY"), models=(ModelSpec(id="o4-mini"),))
    third = ADAPTER.merge(again, ADAPTER.export([changed], ExportContext()), "c.yaml")
    names = [entry["model_name"] for entry in yaml.safe_load(third)["model_list"]]
    assert names[7:] == ["o4-mini", "claude-sonnet-4-5"]


def test_import_of_a_documented_config() -> None:
    read = ADAPTER.read(FIXTURE.read_text(), str(FIXTURE))
    by_label = {entry.label: entry for entry in read.entries}
    openai = by_label["model_list[0]"]
    assert openai.provider == "openai"
    assert [model.id for model in openai.models] == ["gpt-4o", "gpt-4o-mini"]
    assert openai.values["organization"] == "org-acme"
    assert openai.secrets["api_key"].ref == env("OPENAI_API_KEY")
    claude = by_label["model_list[2]"]
    assert claude.provider == "anthropic"
    pasted = claude.secrets["api_key"].plaintext
    assert pasted is not None and pasted.get_secret_value() == CANARY
    assert claude.secrets["api_key"].line == 19
    assert claude.models == (ModelSpec(id="claude-sonnet-4-5", context_window=200000),)
    assert "model_list[2].litellm_params.rpm" in claude.lost
    azure = by_label["model_list[3]"]
    assert azure.provider == "azure-openai"
    assert (azure.values["deployment"], azure.values["api_version"]) == ("prod-gpt4o", "2024-10-21")
    assert by_label["model_list[4]"].provider == "ollama"
    assert by_label["model_list[5]"].provider == "openai-compatible"
    assert [note.subject for note in read.skipped] == ["model_list[6]"]
    assert CANARY not in repr(read)


def test_scrub_writes_the_reference_an_export_would_and_keeps_the_rest() -> None:
    from provreg.interop.base import ScrubTarget

    text = FIXTURE.read_text()
    anthropic = CATALOG.get("anthropic")
    assert anthropic is not None
    target = ScrubTarget("claude-work", "api_key", SecretRef(kind="keyring"), anthropic)
    scrubbed = ADAPTER.scrub(
        text, "c.yaml", {("model_list[2]", "api_key"): target}, ExportContext()
    )
    assert CANARY not in scrubbed
    scrubbed_item = yaml.safe_load(scrubbed)["model_list"][2]
    assert scrubbed_item["litellm_params"]["api_key"] == "os.environ/ANTHROPIC_API_KEY"
    assert scrubbed_item["model_info"] == {
        "max_input_tokens": 200000,
        "provreg_instance": "claude-work",
        "provreg_key": "claude-work",
    }
    assert "# pasted: import moves it to the keyring" in scrubbed.splitlines()[18]
    kept = [_spaced(line) for line in scrubbed.splitlines() if "provreg_" not in line]
    expected = text.replace(f'"{CANARY}"', '"os.environ/ANTHROPIC_API_KEY"')
    assert kept == [_spaced(line) for line in expected.splitlines()]
    # Imported again, the entry names the instance's own key: it matches it.
    again = ADAPTER.read(scrubbed, "c.yaml").entries
    claude = next(entry for entry in again if entry.label == "model_list[2]")
    assert claude.secrets["api_key"].ref == instance_key("claude-work")
    assert claude.name == "claude-work"


def _spaced(line: str) -> str:
    """A line with the run of spaces before a comment as one (ruamel realigns it)."""
    return re.sub(r" +#", " #", line)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (f"model_list:\n  - model_name: x\n    litellm_params: {{api_key: {CANARY}\n", 4, 1),
        (f"model_list: {CANARY}\n", 1, 13),
        ("model_list:\n  - just a string\n", 2, 5),
        (f"- {CANARY}\n", 1, 1),
    ],
)
def test_unreadable_files_point_at_the_place_without_the_value(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "config.yaml")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert CANARY not in str(raised.value)


def test_odd_shapes_where_mappings_belong_are_read_past() -> None:
    text = "model_list:\n  - {model_name: a, litellm_params: {model: openai/m}, model_info: 5}\n"
    entry = ADAPTER.read(text, "config.yaml").entries[0]
    assert (entry.provider, entry.models) == ("openai", (ModelSpec(id="m"),))
