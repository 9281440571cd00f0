"""`provreg --check --format sarif`: SARIF 2.1.0 for code-scanning UIs.

docs/diagnostics.md, "SARIF" describes the shape.

Every log is validated against the SARIF 2.1.0 JSON Schema, vendored in
tests/fixtures/sarif (its README names the source).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.paths import FIXTURES, REPO_ROOT, SAMPLE_CONFIGS

from provreg.cli import main
from provreg.config.codes import ALL_CODES

SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())

GOOD = """\
version: 1
providers:
  - id: local
    name: Local
    provider: ollama
"""

ERROR = GOOD.replace("id: local", "id: work").replace("provider: ollama", "provider: opnai")
WARNING = GOOD.replace("local", "warned").replace("Local", "Warned") + "    colour: blue\n"
INFO = GOOD.replace("version: 1\n", "").replace("local", "as").replace("Local", "As")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def check_sarif(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """Run the check; the exit code and the SARIF log, validated against the schema."""
    code = main(["--check", "--format", "sarif", *argv])
    out, err = capsys.readouterr()
    assert err == ""
    log = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return code, log


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    (run,) = log["runs"]
    return list(run["results"])


def where(result: dict[str, Any]) -> tuple[str, int, int]:
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    region = physical["region"]
    return physical["artifactLocation"]["uri"], region["startLine"], region["startColumn"]


def test_the_schema_rejects_what_is_not_sarif() -> None:
    """The vendored schema is a real check, not a schema that accepts anything."""
    validator = jsonschema.Draft4Validator(SCHEMA)
    assert not validator.is_valid({"version": "2.1.0", "runs": [{"results": []}]})  # no tool
    assert not validator.is_valid({"version": "2.0.0", "runs": []})


def test_good_files_give_a_valid_log_with_no_results(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    code, log = check_sarif(capsys, "sample_configs")
    assert code == 0
    assert log["version"] == "2.1.0"
    assert log["$schema"] == SCHEMA["id"]  # the schema it was validated against
    assert results(log) == []
    assert SAMPLE_CONFIGS.is_dir()


def test_bad_files_give_one_result_each_with_level_and_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "llm" / "a.yaml", ERROR)
    write(tmp_path / "llm" / "b.yaml", WARNING)
    write(tmp_path / "llm" / "c.yaml", INFO)

    code, log = check_sarif(capsys, "llm")

    assert code == 1  # the same verdict as the text report
    found = {(r["ruleId"], r["level"], *where(r)) for r in results(log)}
    assert found == {
        ("E201", "error", "llm/a.yaml", 5, 15),
        ("W203", "warning", "llm/b.yaml", 6, 5),
        ("I105", "note", "llm/c.yaml", 1, 1),
    }
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    for result in results(log):
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == (
            "%SRCROOT%"
        )
        rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]


def test_quiet_leaves_notes_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "b.yaml", WARNING)
    write(tmp_path / "c.yaml", INFO)
    code, log = check_sarif(capsys, ".", "-q")
    assert code == 0
    assert [r["ruleId"] for r in results(log)] == ["W203"]


def test_the_hint_follows_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "x.yaml", GOOD.replace("  - id: local\n    name", "  - name"))
    _, log = check_sarif(capsys, "x.yaml")
    (result,) = results(log)
    assert result["ruleId"] == "I215"
    assert result["message"]["text"].splitlines()[1].startswith("hint: add `id: local`")
    assert result["properties"] == {"instanceId": "local"}


def test_rules_are_every_code_with_its_title_and_doc_anchor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "x.yaml", GOOD)
    _, log = check_sarif(capsys, "x.yaml")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "provreg"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == {code.code for code in ALL_CODES}

    doc = (REPO_ROOT / "docs" / "diagnostics.md").read_text()
    headings = re.findall(r"^### (.+)$", doc, re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for code in ALL_CODES:
        rule = rules[code.code]
        assert rule["shortDescription"]["text"] == code.title
        assert rule["defaultConfiguration"]["level"] == levels[code.severity.value]
        page, _, anchor = rule["helpUri"].partition("#")
        assert page == "docs/diagnostics.md"
        assert anchor in anchors, rule["helpUri"]


def test_a_path_with_spaces_is_percent_encoded_and_one_outside_is_absolute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = write(tmp_path / "work" / "my llm" / "a.yaml", ERROR)
    outside = write(tmp_path / "elsewhere" / "b.yaml", ERROR)
    monkeypatch.chdir(tmp_path / "work")

    _, log = check_sarif(capsys, str(inside), str(outside))

    uris = [where(r)[0] for r in results(log)]
    assert uris == ["my%20llm/a.yaml", outside.as_uri()]
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results(log)]
    assert "uriBaseId" in artifacts[0] and "uriBaseId" not in artifacts[1]


def test_control_characters_are_shown_escaped_as_in_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "x.yaml", ERROR.replace("opnai", '"op\\e[31mnai\\u2028"'))
    code, log = check_sarif(capsys, "x.yaml")
    assert code == 1
    (result,) = results(log)
    # As the text report shows it: a code-scanning UI gets no terminal escape or line break.
    assert "'op\\x1b[31mnai\\u2028'" in result["message"]["text"]
    assert "\x1b" not in result["message"]["text"]


def test_the_docs_sample_result_and_rule_are_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/diagnostics.md, "SARIF": the result for the section's example file and its rule."""
    doc = (REPO_ROOT / "docs" / "diagnostics.md").read_text()
    formats = doc.split("## Output formats", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", formats, re.DOTALL)
    section = formats.split("### SARIF (`--format sarif`)", 1)[1].split("\n### ", 1)[0]
    shown_result, shown_rule = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    assert example is not None
    write(tmp_path / "providers" / "openai.yaml", example.group(1))
    monkeypatch.chdir(tmp_path)

    _, log = check_sarif(capsys, "providers")

    (run,) = log["runs"]
    (result,) = [r for r in run["results"] if r["ruleId"] == "E206"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    for shown, actual in ((shown_result, result), (shown_rule, rule)):
        current = json.dumps(actual, indent=2) + "\n"
        assert shown == current, f"paste this instead:\n{current}"
