"""The Continue adapter: exports valid under Continue's config.yaml schema, imports
of its documented format, `--merge` and `--scrub` keeping the rest.

Vendored: tests/fixtures/interop/continue/config-yaml-schema.json (translated
from continuedev/continue's zod schema, source named inside) and config.yaml
(written from continuedev/continue docs/reference.mdx).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml
from helpers.paths import FIXTURES

from provreg.catalog import builtin_catalog
from provreg.interop.base import ExportContext, ExportItem, ScrubTarget, ToolFileError
from provreg.interop.continue_dev import ADAPTER
from provreg.interop.litellm import instance_key
from provreg.interop.tools import adapter
from provreg.model import ModelSpec, ProviderDefinition, ProviderInstance, SecretRef

CANARY = "sk-canary-77c1f0a9d3e4b5a6"
HERE = FIXTURES / "interop" / "continue"
SCHEMA = json.loads((HERE / "config-yaml-schema.json").read_text())
CATALOG = builtin_catalog()


def item(instance_id: str, provider: str, **values: Any) -> ExportItem:
    definition = CATALOG.get(provider)
    assert definition is not None
    name = instance_id.title()
    instance = ProviderInstance(id=instance_id, name=name, provider=provider, values=values)
    return ExportItem(instance, definition)


def env(name: str) -> SecretRef:
    return SecretRef(kind="env", name=name)


EVERY_TYPE = [
    item(
        "work",
        "openai",
        api_key=env("WORK_KEY"),
        organization="org-acme",
        api_style="responses",
        models=(
            ModelSpec(id="gpt-4.1", context_window=1047576, max_output_tokens=32768),
            ModelSpec(id="o4-mini"),
        ),
    ),
    item("claude", "anthropic", base_url="https://gateway.acme/anthropic"),
    item("gem", "google-gemini", api_key=SecretRef(kind="file", name="~/.gemini-key")),
    item(
        "azure",
        "azure-openai",
        base_url="https://acme.openai.azure.com",
        deployment="prod-gpt4o",
        api_version="2024-10-21",
        api_key=env("AZURE_OPENAI_API_KEY"),
        default_model="gpt-4o",
    ),
    item("mis", "mistral", api_key=env("MISTRAL_API_KEY")),
    item("gq", "groq", api_key=env("GROQ_API_KEY")),
    item("ds", "deepseek", api_key=env("DEEPSEEK_API_KEY")),
    item("or", "openrouter", api_key=env("OPENROUTER_API_KEY"), app_title="Acme"),
    item("local", "ollama", models=(ModelSpec(id="llama3.2"),)),
    item(
        "gateway",
        "openai-compatible",
        base_url="https://llm.acme.internal/v1",
        default_model="llama-3.3-70b",
        api_key=env("ACME_KEY"),
    ),
]


def test_the_adapter_is_found_by_its_tool_name() -> None:
    assert adapter("continue") is ADAPTER
    assert ADAPTER.default_paths == ("~/.continue/config.yaml",)


def test_the_vendored_schema_accepts_continues_own_example() -> None:
    jsonschema.validate(yaml.safe_load((HERE / "config.yaml").read_text()), SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "version": "1", "models": [{"name": "m"}]}, SCHEMA)


def test_every_export_is_valid_under_continues_schema() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    assert outcome.skipped == ()
    rendered = yaml.safe_load(ADAPTER.render(outcome))
    jsonschema.validate(rendered, SCHEMA)
    merged = ADAPTER.merge((HERE / "config.yaml").read_text(), outcome, "config.yaml")
    jsonschema.validate(yaml.safe_load(merged), SCHEMA)


def test_every_type_round_trips_through_an_export() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    read = ADAPTER.read(ADAPTER.render(outcome), "config.yaml")
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
        ref = instance.secret_ref("api_key")
        if definition.field("api_key") is None:
            assert entry.secrets == {}
        elif ref.kind == "env":
            assert entry.secrets["api_key"].ref == ref
        else:
            # A variable provreg fills: read back as the instance's own key.
            assert entry.secrets["api_key"].ref == instance_key(instance.id)


def test_items_carry_names_limits_and_the_anthropic_v1_path() -> None:
    outcome = ADAPTER.export(EVERY_TYPE[:2], ExportContext())
    work, claude = outcome.entries
    assert work.key == "Work: gpt-4.1"
    assert work.value["defaultCompletionOptions"] == {"contextLength": 1047576, "maxTokens": 32768}
    assert work.value["requestOptions"] == {"headers": {"OpenAI-Organization": "org-acme"}}
    assert work.value["useResponsesApi"] is True
    assert work.lost == ()
    assert [extra["model"] for extra in work.extra] == ["o4-mini"]
    assert claude.value["apiBase"] == "https://gateway.acme/anthropic/v1/"


def test_secret_handoffs() -> None:
    outcome = ADAPTER.export(EVERY_TYPE, ExportContext())
    handoffs = {entry.instance_id: entry.secrets for entry in outcome.entries}
    work = handoffs["work"][0]
    assert (work.choice, work.written) == ("env", "${{ secrets.WORK_KEY }}")
    assert work.hint is not None and "~/.continue/.env" in work.hint
    gem = handoffs["gem"][0]
    assert (gem.choice, gem.written) == ("exec-env", "${{ secrets.GEMINI_API_KEY }}")
    assert gem.hint is not None and "provreg exec gem -- code" in gem.hint
    assert handoffs["local"] == ()


def test_lost_fields_and_untyped_definitions() -> None:
    lossy = item("a", "anthropic", use_auth_header=True)
    bare = ProviderDefinition(id="bare", name="Bare")
    skipped = ExportItem(ProviderInstance(id="b", name="B", provider="bare"), bare)
    outcome = ADAPTER.export([lossy, skipped], ExportContext())
    assert outcome.entries[0].lost == ("use_auth_header",)
    assert [note.subject for note in outcome.skipped] == ["b"]


def test_merge_replaces_only_provreg_items_and_keeps_comments() -> None:
    existing = (HERE / "config.yaml").read_text()
    first = ADAPTER.merge(existing, ADAPTER.export(EVERY_TYPE[:1], ExportContext()), "c.yaml")
    assert ADAPTER.merge(first, ADAPTER.export(EVERY_TYPE[:1], ExportContext()), "c.yaml") == first
    assert "# Claude, key pasted straight into the file" in first
    assert "context:\n  - provider: code" in first
    names = [model.get("name", "uses") for model in yaml.safe_load(first)["models"]]
    assert names[-2:] == ["Work: gpt-4.1", "Work: o4-mini"]
    assert names[0] == "GPT-4o" and len(names) == 11
    one_model = item("work", "openai", api_key=env("WORK_KEY"), default_model="gpt-5")
    second = ADAPTER.merge(first, ADAPTER.export([one_model], ExportContext()), "c.yaml")
    names = [model.get("name", "uses") for model in yaml.safe_load(second)["models"]]
    assert names[-1:] == ["Work: gpt-5"] and len(names) == 10


def test_import_of_a_documented_config() -> None:
    read = ADAPTER.read((HERE / "config.yaml").read_text(), "config.yaml")
    by_label = {entry.label: entry for entry in read.entries}
    openai = by_label["models[0]"]
    assert (openai.provider, openai.secrets["api_key"].ref) == ("openai", env("OPENAI_API_KEY"))
    assert [model.id for model in openai.models] == ["gpt-4o", "gpt-4o-mini"]
    assert openai.models[0].max_output_tokens == 1500
    claude = by_label["models[2]"]
    pasted = claude.secrets["api_key"].plaintext
    assert pasted is not None and pasted.get_secret_value() == CANARY
    assert claude.secrets["api_key"].line == 26
    assert claude.models == (ModelSpec(id="claude-sonnet-4-5", context_window=200000),)
    assert by_label["models[4]"].provider == "openai-compatible"
    azure = by_label["models[5]"]
    assert azure.values["deployment"] == "my-deployment"
    assert azure.values["api_version"] == "2024-02-15-preview"
    assert by_label["models[6]"].provider == "ollama"
    assert [note.subject for note in read.skipped] == ["models[7]", "models[8]"]
    assert CANARY not in repr(read)


def test_scrub_writes_the_export_reference() -> None:
    text = (HERE / "config.yaml").read_text()
    anthropic = CATALOG.get("anthropic")
    assert anthropic is not None
    target = ScrubTarget("claude", "api_key", SecretRef(kind="keyring"), anthropic)
    scrubbed = ADAPTER.scrub(text, "c.yaml", {("models[2]", "api_key"): target}, ExportContext())
    assert CANARY not in scrubbed
    model = yaml.safe_load(scrubbed)["models"][2]
    assert model["apiKey"] == "${{ secrets.ANTHROPIC_API_KEY }}"
    assert model["env"] == {"provreg_instance": "claude", "provreg_key": "claude"}
    assert "# Claude, key pasted straight into the file" in scrubbed
    jsonschema.validate(yaml.safe_load(scrubbed), SCHEMA)
    again = {entry.label: entry for entry in ADAPTER.read(scrubbed, "c.yaml").entries}
    assert again["models[2]"].secrets["api_key"].ref == instance_key("claude")
    assert again["models[2]"].name == "claude"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (f"name: x\nmodels:\n  - {{apiKey: {CANARY}\n", 4, 1),
        (f"models: {CANARY}\n", 1, 9),
        ("models:\n  - a string\n", 2, 5),
    ],
)
def test_unreadable_files_point_at_the_place(text: str, line: int, column: int) -> None:
    with pytest.raises(ToolFileError) as raised:
        ADAPTER.read(text, "config.yaml")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert CANARY not in str(raised.value)


def test_odd_shapes_where_mappings_belong_are_read_past() -> None:
    text = (
        "name: x\nversion: 1\nmodels:\n"
        "  - {name: a, provider: openai, model: m, env: 5, requestOptions: x,"
        " defaultCompletionOptions: [1]}\n"
    )
    entry = ADAPTER.read(text, "config.yaml").entries[0]
    assert (entry.provider, entry.models) == ("openai", (ModelSpec(id="m"),))
