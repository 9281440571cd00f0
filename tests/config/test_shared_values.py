"""Loaded instances share what is the same between them (secret references,
mapping keys) to keep memory per instance low; sharing must never let one
instance's change reach another."""

from __future__ import annotations

from pathlib import Path

from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.config.read.reading import parse_file
from provreg.model import ProviderInstance, SecretRef

TEXT = """\
version: 1
providers:
  - id: one
    name: One
    provider: openai
    api_key: {env: OPENAI_API_KEY}
  - id: two
    name: Two
    provider: openai
    api_key: {env: OPENAI_API_KEY}
  - id: three
    name: Three
    provider: anthropic
    api_key: {keyring: true}
  - id: four
    name: Four
    provider: anthropic
    api_key: {keyring: shared-entry}
"""


def load(text: str, tmp_path: Path) -> tuple[ProviderInstance, ...]:
    path = tmp_path / "providers.yaml"
    path.write_text(text, encoding="utf-8")
    return load_files([ConfigFile(str(path), str(path))]).instances


def test_copies_do_not_leak(tmp_path: Path) -> None:
    one, two, *_ = load(TEXT, tmp_path)
    renamed = one.model_copy(update={"name": "Renamed"})
    assert renamed.name == "Renamed" and one.name == "One" and two.name == "Two"
    assert renamed.values is one.values  # a shallow copy, as pydantic's was


def test_equal_secret_references_are_equal_values(tmp_path: Path) -> None:
    one, two, three, four = load(TEXT, tmp_path)
    assert (
        one.values["api_key"]
        == two.values["api_key"]
        == SecretRef(kind="env", name="OPENAI_API_KEY")
    )
    assert three.values["api_key"] == SecretRef(kind="keyring")
    # References that name the same store are one object.
    assert one.values["api_key"] is two.values["api_key"]
    assert four.values["api_key"] == SecretRef(kind="keyring", name="shared-entry")


def test_mapping_keys_read_back_unchanged() -> None:
    parsed = parse_file(TEXT.encode(), "p.yaml", "p.yaml")
    first = parsed.providers[0].value
    assert list(first) == ["id", "name", "provider", "api_key"]
    assert first["api_key"] == {"env": "OPENAI_API_KEY"}
    # Keys are the same string object in every entry (interned).
    second = parsed.providers[1].value
    assert [id(k) for k in first] == [id(k) for k in second]
