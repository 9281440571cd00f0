"""A hostile value saved into one file while the registry is live: the reload
fails for that file alone (a `ReloadFailed` event, the file stale with its
last good instances), never a traceback, and the other files keep working."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_IDS, B_IDS, B_YAML

import provreg.config.read.reading
import provreg.storage.yaml_dir
from provreg.registry.events import ReloadFailed

pytestmark = pytest.mark.anyio

HOSTILE = {
    # `keep_alive` (a text field of ollama) takes the number: its value is at 7:17.
    "hex": B_YAML.replace("    default_model: llama3.2", "    keep_alive: 0x" + "f" * 50_000),
    "base-60": B_YAML.replace(
        "    default_model: llama3.2",
        "    keep_alive: " + ":".join(["1"] + [str(i % 60) for i in range(1, 20_000)]),
    ),
    "nan-bound": B_YAML
    + (
        "definitions:\n"
        "  - id: acme\n"
        "    name: ACME\n"
        "    fields:\n"
        "      - {id: budget, type: int, min: .nan}\n"
    ),
}
EXPECTED = {"hex": ("E013", 7, 17), "base-60": ("E013", 7, 17), "nan-bound": ("E301", 17, 38)}


@pytest.mark.parametrize("case", HOSTILE, ids=HOSTILE.keys())
async def test_hostile_value_is_a_failed_reload_of_that_file(
    case: str, sync_dir: Path, watch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = sync_dir / "b.yaml"
    async with watch(sync_dir) as h:
        path.write_text(HOSTILE[case])
        await h.wait_for(lambda: h.of_type(ReloadFailed) != [], "a ReloadFailed event")
        (failed,) = h.of_type(ReloadFailed)
        assert failed.file == str(path)
        assert EXPECTED[case] in [(d.code, d.line, d.column) for d in failed.diagnostics]
        state = h.registry.snapshot()
        status = state.files[str(path)]
        assert not status.ok and status.stale
        assert state.stale_ids == frozenset(B_IDS)
        assert A_IDS | B_IDS <= set(state.instances)
        # Another file still reloads.
        a_yaml = sync_dir / "a.yaml"
        a_yaml.write_text(a_yaml.read_text().replace("gpt-4.1", "gpt-5"))
        await h.wait_value("work-openai", "default_model", "gpt-5")
        # The bad file was not touched, and the good version recovers.
        assert path.read_text() == HOSTILE[case]
        path.write_text(B_YAML)
        await h.wait_for(lambda: h.registry.snapshot().files[str(path)].ok, "recovery")
    assert h.engine.stats.failures == 0
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_unexpected_failure_in_one_file_is_a_diagnostic(
    sync_dir: Path, watch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong while loading one file (here the allocator gives up
    on it: a MemoryError from the parse, the one system edge we fake) is E014 for
    that file; the registry keeps serving the rest."""
    path = sync_dir / "b.yaml"
    original = provreg.config.read.reading.parse_file

    def failing_parse(data: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"qwen3" in data:
            raise MemoryError
        return original(data, *args, **kwargs)

    monkeypatch.setattr(provreg.config.read.reading, "parse_file", failing_parse)
    async with watch(sync_dir) as h:
        path.write_text(B_YAML.replace("llama3.2", "qwen3"))
        await h.wait_for(lambda: h.of_type(ReloadFailed) != [], "a ReloadFailed event")
        (failed,) = h.of_type(ReloadFailed)
        assert [(d.code, d.line, d.column) for d in failed.diagnostics] == [("E014", 1, 1)]
        assert "MemoryError" in failed.diagnostics[0].message
        state = h.registry.snapshot()
        assert state.files[str(path)].stale
        assert h.value("local-ollama", "default_model") == "llama3.2"


async def test_storage_failure_is_reported_as_a_failed_reload(
    sync_dir: Path, watch: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An I/O error out of the storage layer itself (EIO from the disk) is a
    ReloadFailed for the files of the batch, logged in one line, and the engine
    goes on: the next save of another file reloads."""
    path = sync_dir / "b.yaml"
    original = provreg.storage.yaml_dir.read_file

    def eio_read(file_path: str, *args: Any, **kwargs: Any) -> Any:
        if file_path.endswith("b.yaml"):
            raise OSError(errno.EIO, "Input/output error")
        return original(file_path, *args, **kwargs)

    async with watch(sync_dir) as h:
        monkeypatch.setattr(provreg.storage.yaml_dir, "read_file", eio_read)
        with caplog.at_level(logging.WARNING, logger="provreg.sync"):
            path.write_text(B_YAML.replace("llama3.2", "qwen3"))
            await h.wait_for(lambda: h.of_type(ReloadFailed) != [], "a ReloadFailed event")
        failed = h.of_type(ReloadFailed)[0]
        assert failed.file == str(path)
        assert [d.code for d in failed.diagnostics] == ["E014"]
        assert "OSError" in failed.diagnostics[0].message
        assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
        a_yaml = sync_dir / "a.yaml"
        a_yaml.write_text(a_yaml.read_text().replace("gpt-4.1", "gpt-5"))
        await h.wait_value("work-openai", "default_model", "gpt-5")
