"""Ids and names are claimed against the registry as it is on disk, not as this
process last read it: two registries (two processes, in effect: each opens its
own lock descriptors) loaded before either writes must not both add the same
id or name, in the same file or in different ones; an id declared in a file
that does not parse, or whose entry has errors, is taken too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from helpers.cli import run_provreg
from helpers.files import ConfigFiles

from provreg.registry import DuplicateIdError, DuplicateNameError, ProviderRegistry

pytestmark = pytest.mark.anyio

EMPTY = "version: 1\nproviders: []\n"


@pytest.fixture
def two_files(config_files: ConfigFiles) -> Path:
    return config_files({"a.yaml": EMPTY, "b.yaml": EMPTY})


def declared_ids(config_dir: Path) -> list[str]:
    ids: list[str] = []
    for path in sorted(config_dir.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        ids += [entry["id"] for entry in document.get("providers") or []]
    return ids


async def open_two(config_dir: Path) -> tuple[ProviderRegistry, ProviderRegistry]:
    first = await ProviderRegistry.open([str(config_dir)], audit=False)
    second = await ProviderRegistry.open([str(config_dir)], audit=False)
    return first, second


async def test_a_name_added_elsewhere_meanwhile_is_taken(two_files: Path) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "Same Name", {}, str(two_files / "a.yaml"))
    with pytest.raises(DuplicateNameError, match="'same name' is already used by 'same-name'"):
        await second.create("groq", "same name", {}, str(two_files / "b.yaml"))
    assert declared_ids(two_files) == ["same-name"]
    # The refusal published what it found on disk.
    assert "same-name" in second.snapshot().instances


async def test_a_derived_id_is_unique_against_the_files_as_they_are(two_files: Path) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "Same Name", {}, str(two_files / "a.yaml"))
    # Another name, the same slug: the id is made unique against the new file.
    made = await second.create("groq", "Same Name!", {}, str(two_files / "b.yaml"))
    assert made.id == "same-name-2"
    assert declared_ids(two_files) == ["same-name", "same-name-2"]


@pytest.mark.parametrize("second_file", ["a.yaml", "b.yaml"])
async def test_an_explicit_id_added_meanwhile_is_refused(two_files: Path, second_file: str) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "One", {}, str(two_files / "a.yaml"), instance_id="pinned")
    with pytest.raises(DuplicateIdError, match="the id 'pinned' is already used"):
        await second.create("groq", "Two", {}, str(two_files / second_file), instance_id="pinned")
    assert declared_ids(two_files) == ["pinned"]


async def test_a_new_file_added_meanwhile_is_seen(two_files: Path) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "Fresh", {}, str(two_files / "c.yaml"), instance_id="fresh")
    with pytest.raises(DuplicateIdError):
        await second.create("groq", "Other", {}, str(two_files / "a.yaml"), instance_id="fresh")
    assert declared_ids(two_files) == ["fresh"]


async def test_a_name_change_meanwhile_is_seen(two_files: Path) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "Alpha", {}, str(two_files / "a.yaml"), instance_id="alpha")
    await first.create("groq", "Beta", {}, str(two_files / "b.yaml"), instance_id="beta")
    await second.reload()
    await first.update("alpha", {"name": "Gamma"})
    with pytest.raises(DuplicateNameError, match="'gamma' is already used by 'alpha'"):
        await second.update("beta", {"name": "gamma"})
    assert yaml.safe_load((two_files / "b.yaml").read_text())["providers"][0]["name"] == "Beta"


BROKEN = """\
version: 1
providers:
  - id: taken-id
    name: Broken
    provider: groq
    default_model: [unclosed
"""


def provreg(*args: str) -> subprocess.CompletedProcess[str]:
    return run_provreg(*args, timeout=60)


def test_add_refuses_an_id_declared_in_a_file_that_does_not_parse(two_files: Path) -> None:
    (two_files / "b.yaml").write_text(BROKEN)
    before = (two_files / "a.yaml").read_bytes()
    done = provreg(
        "add", "groq", "--name", "New", "--id", "taken-id", "--config", str(two_files),
        "--file", str(two_files / "a.yaml"),
    )  # fmt: skip
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert "'taken-id'" in done.stderr and "b.yaml:3" in done.stderr, done.stderr
    assert (two_files / "a.yaml").read_bytes() == before
    # A derived id steers clear of it too.
    done = provreg(
        "add", "groq", "--name", "Taken Id", "--config", str(two_files),
        "--file", str(two_files / "a.yaml"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((two_files / "a.yaml").read_text())["providers"][0]["id"] == "taken-id-2"


async def test_an_id_whose_entry_has_errors_is_taken(two_files: Path) -> None:
    (two_files / "b.yaml").write_text(
        "version: 1\nproviders:\n  - id: bad-entry\n    name: Bad\n    provider: groq\n"
        "    base_url: not a url\n"
    )
    registry = await ProviderRegistry.open([str(two_files)], audit=False)
    assert "bad-entry" not in registry.snapshot().instances  # left out: it has an error
    with pytest.raises(DuplicateIdError, match="'bad-entry'.*b.yaml:3"):
        await registry.create(
            "groq", "Good", {}, str(two_files / "a.yaml"), instance_id="bad-entry"
        )


async def test_an_id_in_a_file_broken_after_loading_is_taken(two_files: Path) -> None:
    first, second = await open_two(two_files)
    await first.create("groq", "Kept", {}, str(two_files / "b.yaml"), instance_id="kept")
    (two_files / "b.yaml").write_text(BROKEN.replace("taken-id", "kept"))
    with pytest.raises(DuplicateIdError, match="'kept'"):
        await second.create("groq", "Other", {}, str(two_files / "a.yaml"), instance_id="kept")


def test_edit_never_renames_an_id_so_it_cannot_duplicate_one(two_files: Path) -> None:
    (two_files / "a.yaml").write_text(
        "version: 1\nproviders:\n  - id: one\n    name: One\n    provider: groq\n"
        "  - id: two\n    name: Two\n    provider: groq\n"
    )
    before = (two_files / "a.yaml").read_bytes()
    for new_id in ("two", "three"):
        done = provreg("edit", "one", "--set", f"id={new_id}", "--config", str(two_files))
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr
        assert "an instance's id cannot be changed" in done.stderr, done.stderr
    assert (two_files / "a.yaml").read_bytes() == before
