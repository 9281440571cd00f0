"""After each write, the YAML directory backend's state equals a fresh load.

A write takes the edit's verification parse as the parse of the written file
and reuses the tree of the bytes it wrote last for the next edit: the state
it computes that way must be the one a new backend reads from disk, down to
positions and diagnostics, for files with warnings, CRLF, a BOM, user
definitions, and under limits stricter than the edit's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest

from provreg.config.edit import REMOVE
from provreg.config.read.yaml_source import Limits
from provreg.model import ProviderInstance
from provreg.storage.backend import StoredState
from provreg.storage.yaml_dir import YamlDirectoryStorage

WARNED = b"""\
# no version: an info diagnostic; an unknown field: a warning
providers:
  - id: one
    name: One
    provider: ollama
    default_modle: llama3.2
  - id: two
    name: Two
    provider: ollama
"""

WITH_DEFINITION = b"""\
version: 1
definitions:
  - id: acme-gateway
    name: ACME LLM Gateway
    fields:
      - {id: base_url, type: url, required: true, default: "https://llm.acme.internal/v1"}
providers:
  - id: gw
    name: Gateway
    provider: acme-gateway
"""

ALIASED = b"""\
version: 1
providers:
  - id: one
    name: One
    provider: openai-compatible
    base_url: http://localhost:8000/v1
    default_model: qwen3
    models: &models [qwen3, llama3.2]
  - id: two
    name: Two
    provider: openai-compatible
    base_url: http://localhost:8001/v1
    default_model: qwen3
    models: *models
"""

FILES = {
    "warned.yaml": WARNED,
    "crlf.yaml": WARNED.replace(b"\n", b"\r\n"),
    "bom.yaml": b"\xef\xbb\xbf" + WARNED,
    "defs.yaml": WITH_DEFINITION,
}


def comparable(state: StoredState) -> list[tuple[object, ...]]:
    return [
        (r.display, r.fingerprint, r.instances, r.definitions, r.diagnostics) for r in state.files
    ]


async def fresh(directory: Path, limits: Limits) -> StoredState:
    return await YamlDirectoryStorage([str(directory)], limits=limits).load_all()


def instance(storage: YamlDirectoryStorage, instance_id: str) -> ProviderInstance:
    for result in storage.state().files:
        for found in result.instances:
            if found.id == instance_id:
                return found
    raise AssertionError(f"{instance_id} not loaded")


def new(instance_id: str, provider: str = "ollama") -> ProviderInstance:
    return ProviderInstance(id=instance_id, name=instance_id.title(), provider=provider)


Step = Callable[[YamlDirectoryStorage], Awaitable[object]]


def steps_on(file: str) -> list[Step]:
    """Create, update (set, add, remove a key), delete: each file's own ids."""
    prefix = file.split(".")[0]
    created = f"{prefix}-new"

    async def create(storage: YamlDirectoryStorage) -> object:
        return await storage.save(new(created), file)

    async def update_one(storage: YamlDirectoryStorage) -> object:
        first = next(r for r in storage.state().files if r.display.endswith(file)).instances[0]
        return await storage.update(first, {"name": first.name + " X"})

    async def add_key(storage: YamlDirectoryStorage) -> object:
        return await storage.update(instance(storage, created), {"keep_alive": "5m"})

    async def remove_key(storage: YamlDirectoryStorage) -> object:
        return await storage.update(instance(storage, created), {"keep_alive": REMOVE})

    async def delete(storage: YamlDirectoryStorage) -> object:
        return await storage.delete(instance(storage, created))

    return [create, update_one, add_key, update_one, remove_key, delete]


@pytest.mark.parametrize("file", list(FILES))
def test_state_after_each_write_equals_a_fresh_load(config_dir: Path, file: str) -> None:
    for name, data in FILES.items():
        (config_dir / name).write_bytes(data)

    async def main() -> None:
        storage = YamlDirectoryStorage([str(config_dir)])
        await storage.load_all()
        for step in steps_on(file):
            await step(storage)
            assert comparable(storage.state()) == comparable(await fresh(config_dir, Limits()))

    anyio.run(main)


def test_a_new_file_written_then_edited_equals_a_fresh_load(config_dir: Path) -> None:
    async def main() -> None:
        storage = YamlDirectoryStorage([str(config_dir)])
        await storage.load_all()
        await storage.save(new("first"), "fresh.yaml")
        await storage.save(new("second"), "fresh.yaml")
        await storage.update(instance(storage, "first"), {"default_model": "qwen3"})
        assert comparable(storage.state()) == comparable(await fresh(config_dir, Limits()))

    anyio.run(main)


def test_limits_stricter_than_the_edits_parse_the_written_file_again(config_dir: Path) -> None:
    """The edit verifies with the default limits; a backend with stricter ones
    must judge the written file by its own, as a load does."""
    (config_dir / "aliased.yaml").write_bytes(ALIASED)
    (config_dir / "other.yaml").write_bytes(WITH_DEFINITION)
    strict = Limits(max_alias_expansion=1)

    async def main() -> None:
        storage = YamlDirectoryStorage([str(config_dir)], limits=strict)
        loaded = await storage.load_all()
        aliased = next(r for r in loaded.files if r.display.endswith("aliased.yaml"))
        assert [d.code for d in aliased.diagnostics] == ["E006"]  # the alias expands too far
        await storage.save(new("three"), "aliased.yaml")
        state = storage.state()
        assert comparable(state) == comparable(await fresh(config_dir, strict))
        assert not next(r for r in state.files if r.display.endswith("aliased.yaml")).ok

    anyio.run(main)
