"""`builtin.json` (what provreg reads at start) holds exactly `builtin.yaml`'s
data (what maintainers edit): reading the YAML cost ~5 ms of every start."""

from __future__ import annotations

import json

import yaml

from provreg.catalog.catalog import BUILTIN_JSON, BUILTIN_YAML, builtin_entries

REWRITE = (
    "uv run python -c 'import json, yaml; from provreg.catalog.catalog import BUILTIN_JSON, "
    'BUILTIN_YAML; data = yaml.safe_load(open(BUILTIN_YAML, encoding="utf-8")); '
    'open(BUILTIN_JSON, "w", encoding="utf-8").write(json.dumps(data, indent=1, '
    'ensure_ascii=False) + "\\n")\''
)


def test_builtin_json_is_builtin_yaml() -> None:
    with open(BUILTIN_YAML, encoding="utf-8") as stream:
        edited = yaml.safe_load(stream)
    with open(BUILTIN_JSON, encoding="utf-8") as stream:
        read = json.load(stream)
    assert read == edited, f"builtin.json is out of date; write it again with:\n{REWRITE}"


def test_the_catalog_is_read_from_the_json() -> None:
    with open(BUILTIN_YAML, encoding="utf-8") as stream:
        edited = yaml.safe_load(stream)["definitions"]
    assert builtin_entries() == edited
    assert [entry["id"] for entry in builtin_entries()][:2] == ["openai", "anthropic"]
