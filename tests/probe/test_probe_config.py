"""The config side of probing: `allow_http` (an instance setting like `helpers`),
a definition's `probe:` block (checked, in the schema, used), and a custom
type borrowing its `api:`'s probe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import KEY_ENV
from helpers.cli import canary_value
from helpers.fake_providers import FakeProvider, serving

from provreg.catalog import builtin_catalog
from provreg.cli import main
from provreg.config.read.schema import build_schema
from provreg.probe import probe_instance
from provreg.registry import ProviderRegistry

CUSTOM = """\
version: 1
definitions:
  - id: acme-gateway
    name: ACME gateway
    fields:
      - {{id: base_url, type: url, required: true}}
      - {{id: api_key, type: secret, required: true}}
      - {{id: team, type: text}}
      - {{id: default_model, type: text}}
    probe:
      path: /v1/models
      auth: header
      auth_header: x-api-key
      headers: {{anthropic-version: "{{team}}"}}
      models_at: data
      pagination: {{cursor_at: last_id, param: after_id, more_at: has_more}}
  - id: borrowed
    name: Borrows the openai probe
    api: openai
    fields:
      - {{id: base_url, type: url, required: true}}
      - {{id: api_key, type: secret}}
providers:
  - id: gw
    name: Gateway
    provider: acme-gateway
    base_url: {url}
    api_key: {{env: {env}}}
    team: research
    default_model: m-3
  - id: other
    name: Other
    provider: borrowed
    base_url: {openai_url}/v1
    api_key: {{env: {env}}}
"""


def test_allow_http_takes_only_true_or_false(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "p.yaml"
    base = "version: 1\nproviders:\n  - id: lan\n    name: LAN\n    provider: ollama\n"
    config.write_text(base + "    allow_http: true\n")
    assert main(["--check", str(config)]) == 0
    schema = build_schema()
    jsonschema.validate(yaml.safe_load(config.read_text()), schema)
    config.write_text(base + '    allow_http: "yes"\n')
    assert main(["--check", str(config)]) == 1
    out = capsys.readouterr().out
    assert "E204" in out and "'allow_http' must be true or false" in out
    assert "`allow_http: true` lets `provreg probe`" in out


def test_edit_sets_allow_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "p.yaml"
    config.write_text(
        "version: 1\nproviders:\n  - id: lan\n    name: LAN\n    provider: openai-compatible\n"
        "    base_url: http://gpu.lan:8000/v1\n    default_model: m\n"
    )
    assert main(["edit", "lan", "--set", "allow_http=true", "--config", str(config)]) == 0
    assert "allow_http: true" in config.read_text()


def test_every_builtin_type_has_a_probe_the_schema_accepts() -> None:
    schema = build_schema()["$defs"]["definition"]
    for definition in builtin_catalog():
        assert definition.probe is not None, definition.id
        dumped = definition.model_dump(mode="json", exclude={"builtin"}, exclude_none=True)
        jsonschema.validate(dumped, schema)


def test_a_bad_probe_block_is_a_definition_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "p.yaml"
    config.write_text(
        "version: 1\ndefinitions:\n  - id: bad\n    name: Bad\n"
        "    probe: {path: /models, auth: header}\n"
    )
    assert main(["--check", str(config)]) == 1
    out = capsys.readouterr().out
    assert "E301" in out and "auth_header" in out


@pytest.mark.anyio
async def test_custom_probe_block_and_borrowed_api_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = canary_value()
    monkeypatch.setenv(KEY_ENV, key)
    # The anthropic fake reads x-api-key and pages by last_id: what the block says.
    gateway = FakeProvider("anthropic", key=key, models=["m-1", "m-2", "m-3"], page_size=2)
    plain = FakeProvider("openai", key=key)
    with serving(gateway), serving(plain):
        config = tmp_path / "p.yaml"
        config.write_text(CUSTOM.format(url=gateway.url, openai_url=plain.url, env=KEY_ENV))
        assert main(["--check", str(config)]) == 0
        registry = await ProviderRegistry.open([str(config)], audit=False)
        custom = await probe_instance(registry, "gw", timeout=5)
        borrowed = await probe_instance(registry, "other", timeout=5)
    assert custom.status == "ok", custom.summary()
    assert custom.models == ("m-1", "m-2", "m-3")
    assert gateway.seen[0].headers["anthropic-version"] == "research"
    assert borrowed.status == "ok", borrowed.summary()
    assert plain.seen[-1].headers["Authorization"] == f"Bearer {key}"
    assert key not in json.dumps([repr(custom), repr(borrowed)])


def test_show_says_allow_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "p.yaml"
    config.write_text(
        "version: 1\nproviders:\n  - id: lan\n    name: LAN\n    provider: ollama\n"
        "    allow_http: true\n"
    )
    assert main(["show", "lan", "--config", str(config)]) == 0
    # Its key aligned with the field names (`show` keeps every key in one column).
    assert re.search(r"^  allow_http +true  \(", capsys.readouterr().out, re.MULTILINE)
    assert main(["show", "lan", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["allow_http"] is True


def test_allow_http_is_provregs_own_and_never_reported_lost_by_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from provreg.interop.tools import TOOL_NAMES

    config = tmp_path / "p.yaml"
    config.write_text(
        "version: 1\nproviders:\n  - id: lan\n    name: LAN\n    provider: openai-compatible\n"
        "    base_url: http://gpu.lan:8000/v1\n    default_model: m\n    allow_http: true\n"
    )
    for tool in TOOL_NAMES:
        main(["export", "--to", tool, "--config", str(config)])
        captured = capsys.readouterr()
        assert "allow_http" not in captured.out + captured.err, tool
