"""Loading file by file (each file's node tree dropped once it is validated)
gives what reading every file first and validating them together gives.

The tricky part is user definitions: an instance may use a provider defined in
a later file, a definition file may have errors, an id may be defined twice.
Each case is loaded both ways (and through the storage backend the registry
uses, and the loader `provreg --check` uses) and the results compared whole:
instances, definitions, diagnostics and their order, catalog.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest

from provreg.catalog import Catalog, builtin_catalog
from provreg.config import codes
from provreg.config.read.discovery import discover
from provreg.config.read.load_set import (
    load_files,
    read_and_validate,
    sort_diagnostics,
    validate_all,
)
from provreg.config.read.reading import read_file
from provreg.config.read.results import FileResult, ParsedFile
from provreg.storage.yaml_dir import YamlDirectoryStorage

ACME = """
definitions:
  - id: acme
    name: ACME gateway
    fields:
      - {id: base_url, type: url, required: true}
      - {id: api_key, type: secret}
"""

ACME_OTHER = """
definitions:
  - id: acme
    name: ACME gateway, second declaration
    fields:
      - {id: region, type: text, required: true}
"""

BROKEN_DEFINITIONS = """
definitions:
  - id: acme
    name: ACME gateway
    fields:
      - {id: base_url, type: nonsense}
  - id: beta
    name: Beta
    fields:
      - {id: level, type: int, min: 1, default: 0}
  - id: openai
    name: Not the real one
    fields: []
"""

GOOD_DEFINITION = """
definitions:
  - id: gamma
    name: Gamma
    fields:
      - {id: base_url, type: url, required: true}
"""


def uses(provider: str, index: int, extra: str = "") -> str:
    return textwrap.indent(
        f"- id: use-{provider}-{index}\n"
        f"  name: Uses {provider} {index}\n"
        f"  provider: {provider}\n"
        "  base_url: https://llm.example.com/v1\n" + extra,
        "  ",
    )


def config(*instances: str, tail: str = "") -> str:
    body = "version: 1\nproviders:\n" + "".join(instances) if instances else "version: 1\n"
    return body + tail


CASES: dict[str, dict[str, str]] = {
    "definition in a later file than its use": {
        "a.yaml": config(uses("acme", 1), uses("openai", 2)),
        "b.yaml": config(uses("openai", 3)),
        "z.yaml": config(uses("acme", 4), tail=ACME),
    },
    "use before the definitions section of the same file": {
        "a.yaml": config(uses("acme", 1), tail=ACME),
    },
    "unknown provider, definitions added later": {
        # The message lists the known providers (no close suggestion): it must
        # name the ones defined after the file, as a load of all files does.
        "a.yaml": config(uses("zzzzzzzzzzzz", 1), uses("acmee", 2)),
        "b.yaml": config(uses("openai", 3)),
        "c.yaml": config(tail=ACME),
        "d.yaml": config(tail=GOOD_DEFINITION),
    },
    "definition file with errors": {
        "a.yaml": config(uses("acme", 1), uses("beta", 2), uses("gamma", 3)),
        "b.yaml": config(uses("openai", 4), tail=BROKEN_DEFINITIONS),
        "c.yaml": config(uses("gamma", 5), tail=GOOD_DEFINITION),
    },
    "duplicate definitions across files": {
        # The first declaration (b.yaml) wins, also for a.yaml read before it;
        # c.yaml's is an error, and its instance is checked against b.yaml's.
        "a.yaml": config(uses("acme", 1), uses("acme", 2, "  region: eu\n")),
        "b.yaml": config(uses("acme", 3), tail=ACME),
        "c.yaml": config(uses("acme", 4, "  region: eu\n"), tail=ACME_OTHER),
        "d.yaml": config(uses("acme", 5)),
    },
    "files that do not parse or have the wrong shape": {
        "a.yaml": config(uses("acme", 1)),
        "b.yaml": "version: 1\nproviders: [\n",
        "c.yaml": "- just a list\n",
        "d.yaml": "version: 7\n" + ACME,
        "e.yaml": "",
        "f.yaml": config(uses("acme", 2), tail=ACME),
    },
    "cross-file checks after the load": {
        "a.yaml": config(uses("acme", 1), uses("openai", 2)),
        "b.yaml": config(uses("acme", 1), tail=ACME),  # duplicate id across files
        "c.yaml": "version: 1\nproviders:\n  - {name: Derived, provider: acme,"
        " base_url: 'https://x.example.com'}\n",
    },
}


def write_case(root: Path, files: dict[str, str]) -> Path:
    directory = root / "config"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def all_at_once(directory: Path, base: Catalog) -> tuple[list[FileResult], Catalog]:
    """The reference: read every file, then validate them together."""
    parsed = [read_file(f.path, f.display) for f in discover([str(directory)])]
    return validate_all(parsed, base)


def user_definitions(catalog: Catalog) -> list[object]:
    return [d for d in catalog if not d.builtin]


@pytest.fixture(params=sorted(CASES))
def case_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return write_case(tmp_path, CASES[request.param])


def test_file_by_file_equals_all_at_once(case_dir: Path) -> None:
    base = builtin_catalog()
    expected, expected_catalog = all_at_once(case_dir, base)
    slimmed, results, catalog = read_and_validate(discover([str(case_dir)]), base)
    assert results == expected
    assert sort_diagnostics(results) == sort_diagnostics(expected)
    assert catalog.ids() == expected_catalog.ids()
    assert user_definitions(catalog) == user_definitions(expected_catalog)
    assert [item.display for item in slimmed] == [r.display for r in expected]


def unhashed(results: Sequence[FileResult]) -> list[FileResult]:
    """`results` as a check reads them: fingerprints without a sha256 (a check
    writes nothing, so it hashes nothing: `read_file(hashed=False)`)."""
    return [
        result.model_copy(
            update={"fingerprint": result.fingerprint.model_copy(update={"sha256": ""})}
        )
        if result.fingerprint is not None
        else result
        for result in results
    ]


def test_storage_load_equals_check_load(case_dir: Path) -> None:
    """What the registry opens with is what `provreg --check` reports."""
    checked = load_files(discover([str(case_dir)]))
    storage = YamlDirectoryStorage([str(case_dir)])
    stored = anyio.run(storage.load_all)
    assert unhashed(stored.files) == list(checked.files)
    assert any(r.fingerprint is not None and r.fingerprint.sha256 for r in stored.files)
    assert stored.catalog.ids() == checked.catalog.ids()
    assert user_definitions(stored.catalog) == user_definitions(checked.catalog)


def test_storage_keeps_only_slim_files_after_load(case_dir: Path) -> None:
    storage = YamlDirectoryStorage([str(case_dir)])
    anyio.run(storage.load_all)
    kept: list[ParsedFile] = list(storage._parsed.values())
    assert kept and all(item.slim for item in kept)
    assert all(entry.node is None for item in kept for entry in item.providers)


def test_reload_after_file_by_file_load_matches_a_fresh_load(tmp_path: Path) -> None:
    """The state the load leaves (results, catalog) is what later recomputes build on."""
    directory = write_case(tmp_path, CASES["duplicate definitions across files"])
    storage = YamlDirectoryStorage([str(directory)])
    anyio.run(storage.load_all)
    # b.yaml loses its definition: c.yaml's becomes the first one.
    (directory / "b.yaml").write_text(config(uses("acme", 3)), encoding="utf-8")
    reloaded = anyio.run(storage.reload, [str(directory / "b.yaml")])
    fresh = load_files(discover([str(directory)]))
    assert unhashed(reloaded.files) == list(fresh.files)
    assert user_definitions(reloaded.catalog) == user_definitions(fresh.catalog)


def test_later_definition_is_used_not_reported_unknown(tmp_path: Path) -> None:
    directory = write_case(tmp_path, CASES["definition in a later file than its use"])
    _, results, _ = read_and_validate(discover([str(directory)]), builtin_catalog())
    first = results[0]
    assert [i.id for i in first.instances] == ["use-acme-1", "use-openai-2"]
    assert not any(d.code == codes.UNKNOWN_PROVIDER.code for r in results for d in r.diagnostics)


def test_unknown_provider_hint_names_definitions_from_later_files(tmp_path: Path) -> None:
    directory = write_case(tmp_path, CASES["unknown provider, definitions added later"])
    _, results, _ = read_and_validate(discover([str(directory)]), builtin_catalog())
    unknown = [d for d in results[0].diagnostics if d.code == codes.UNKNOWN_PROVIDER.code]
    assert len(unknown) == 2
    listed = next(d for d in unknown if "zzzzzzzzzzzz" in d.message)
    assert listed.hint is not None and "acme" in listed.hint and "gamma" in listed.hint
    suggested = next(d for d in unknown if "acmee" in d.message)
    assert "did you mean 'acme'" in suggested.message


def test_first_declaration_wins_for_files_read_before_it(tmp_path: Path) -> None:
    directory = write_case(tmp_path, CASES["duplicate definitions across files"])
    _, results, catalog = read_and_validate(discover([str(directory)]), builtin_catalog())
    by_file = {Path(r.display).name: r for r in results}
    definition = catalog.get("acme")
    assert definition is not None and definition.name == "ACME gateway"
    # `region` is no field of the winning definition: a warning, the instance stays.
    assert [i.id for i in by_file["a.yaml"].instances] == ["use-acme-1", "use-acme-2"]
    assert any(d.code == codes.UNKNOWN_FIELD.code for d in by_file["a.yaml"].diagnostics)
    assert [d.code for d in by_file["c.yaml"].diagnostics].count(
        codes.DUPLICATE_DEFINITION.code
    ) == 1
    assert by_file["b.yaml"].definitions and not by_file["c.yaml"].definitions
