"""The shipped samples, exported to every tool and imported back.

Into the registry they came from: every entry is recognised (unchanged), so
an import after an export never duplicates an instance. Into an empty
registry: the same instances come back (ids, types where the tool knows
them, fields, references), for the tools whose files can carry an id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provreg.cli import main
from provreg.config.read.load_set import load_paths
from provreg.interop.tools import TOOL_NAMES

IMPORTABLE = [tool for tool in TOOL_NAMES if tool != "env"]

KEEPS_IDS = ["crush", "litellm", "continue", "aichat", "llm"]
"""Tools whose file carries the instance id (a key, a name, or provreg's mark)."""


def export(tool: str, config: Path, target: Path) -> None:
    assert main(["export", "--to", tool, "-o", str(target), "--config", str(config)]) == 0


def import_report(
    tool: str, source: Path, config: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> dict[str, object]:
    capsys.readouterr()
    code = main(["import", "--from", tool, str(source), "--config", str(config), "--json", *extra])
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    report["exit"] = code
    return report


CROWDED = """\
version: 1
providers:
  # Two OpenAI accounts (keys in the keyring, one a named entry) and two keyless
  # servers behind one URL: only the id or the name a tool's file carries tells
  # them apart. An Azure deployment stands for its model.
  - {id: team-openai, name: Team OpenAI, provider: openai, organization: org-team}
  - id: lab-openai
    name: Lab OpenAI
    provider: openai
    api_key: {keyring: lab-openai-key}
    models: [gpt-5, {id: gpt-5-mini, context_window: 400000}]
  - id: box-a
    name: Box A
    provider: openai-compatible
    base_url: http://box.lan:8000/v1
    default_model: llama-a
  - id: box-b
    name: Box B
    provider: openai-compatible
    base_url: http://box.lan:8000/v1
    default_model: llama-b
    models: [llama-b, qwen-b]
  # One account under two names: the same endpoint and the same key.
  - {id: shared-a, name: Shared A, provider: openai-compatible, base_url: "http://shared.lan/v1",
     default_model: m, api_key: {env: SHARED_KEY}}
  - {id: shared-b, name: Shared B, provider: openai-compatible, base_url: "http://shared.lan/v1",
     default_model: m, models: [m, n], api_key: {env: SHARED_KEY}}
  - id: azure-eu
    name: Azure EU
    provider: azure-openai
    base_url: https://acme-eu.openai.azure.com
    api_version: "2024-10-21"
    deployment: gpt-41-eu
"""


@pytest.mark.parametrize("tool", IMPORTABLE)
def test_importing_an_export_back_changes_nothing(
    tool: str, sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_dir / "crowded.yaml").write_text(CROWDED)
    assert not [d for d in load_paths([str(sample_dir)]).diagnostics if d.severity == "error"]
    exported = tmp_path / f"exported.{tool}"
    export(tool, sample_dir, exported)
    report = import_report(tool, exported, sample_dir, capsys, "--dry-run")
    outcomes = {entry["label"]: entry["outcome"] for entry in report["entries"]}  # type: ignore[index]
    if tool == "zed":
        # Zed has one `openai` section: which of three OpenAI instances it was,
        # a keyless entry cannot say; the import says so rather than guess.
        skipped = {label for label, outcome in outcomes.items() if outcome == "skipped"}
        assert skipped == {"language_models.openai"}, outcomes
        outcomes = {k: v for k, v in outcomes.items() if k not in skipped}
    assert set(outcomes.values()) == {"unchanged"}, outcomes


@pytest.mark.parametrize("tool", KEEPS_IDS)
def test_into_an_empty_registry_the_same_instances_come_back(
    tool: str, sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / f"exported.{tool}"
    export(tool, sample_dir, exported)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    report = import_report(tool, exported, fresh, capsys)
    assert report["exit"] == 0, report
    original = {i.id: i for i in load_paths([str(sample_dir)]).instances}
    back = {i.id: i for i in load_paths([str(fresh)]).instances}
    skipped_by_tool = {"llm": {"personal-anthropic", "gemini"}}.get(tool, set())
    assert set(back) == set(original) - skipped_by_tool
    catalog = load_paths([str(sample_dir)]).catalog
    for instance_id, came_back in back.items():
        before = original[instance_id]
        definition = catalog.get(before.provider)
        assert definition is not None
        if definition.builtin:
            assert came_back.provider == before.provider, instance_id
        else:  # a custom type the tool does not know: its OpenAI-compatible form
            assert came_back.provider == "openai-compatible", instance_id
        assert came_back.value(definition, "base_url") == before.value(definition, "base_url")
        ref, ref_back = before.secret_ref("api_key"), came_back.secret_ref("api_key")
        # aichat reads <CLIENT>_API_KEY and llm its keys.json or OPENAI_API_KEY:
        # neither can name another variable, so an env reference is lost there.
        if ref.kind == "env" and tool not in ("aichat", "llm"):
            assert ref_back == ref, instance_id
        elif definition.field("api_key") is not None and ref.kind == "keyring" and not ref.name:
            assert (ref_back.kind, ref_back.name) == ("keyring", None), instance_id
