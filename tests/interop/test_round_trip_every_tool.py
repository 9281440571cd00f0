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


@pytest.mark.parametrize("tool", [t for t in IMPORTABLE if t != "opencode"])
def test_importing_an_export_back_changes_nothing(
    tool: str, sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / f"exported.{tool}"
    export(tool, sample_dir, exported)
    report = import_report(tool, exported, sample_dir, capsys, "--dry-run")
    outcomes = {entry["label"]: entry["outcome"] for entry in report["entries"]}  # type: ignore[index]
    assert set(outcomes.values()) == {"unchanged"}, outcomes
    assert report["exit"] == 0


def test_opencode_recognises_what_it_can_reference(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # opencode has no command helper: a keyring key is exported as an
    # environment variable the user sets, which an import cannot tie back to
    # one instance. Env and file references it writes as they are.
    exported = tmp_path / "opencode.json"
    export("opencode", sample_dir, exported)
    report = import_report("opencode", exported, sample_dir, capsys, "--dry-run")
    by_instance = {
        entry["instance_id"]: entry["outcome"]
        for entry in report["entries"]  # type: ignore[union-attr]
        if entry["outcome"] == "unchanged"
    }
    assert {"gemini", "gpu-box-vllm", "local-ollama"} <= set(by_instance)


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
