"""Keep last good: a file that stops parsing or validating keeps its last good
instances (stale) and carries its diagnostics; the next good save recovers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.registry import Backend, disk_view, registry_view

from provreg.model import Severity
from provreg.registry import (
    DiagnosticsChanged,
    Event,
    InstanceRemoved,
    InstanceUpdated,
    ProviderRegistry,
    ReloadFailed,
    ReloadRecovered,
)
from provreg.registry.event_text import describe, text_line

pytestmark = pytest.mark.anyio

LOCAL_IDS = ("local-ollama", "gpu-box-vllm")


def local_text(sample_dir: Path) -> str:
    return (sample_dir / "providers" / "local.yaml").read_text()


def truncated(sample_dir: Path) -> str:
    text = local_text(sample_dir)
    return text[: text.index("keep_alive") + 5]  # cut mid-key, as a crashed editor might


BREAKAGES = {
    # id: (make the broken text, expected last_error)
    "syntax-error": (
        lambda d: local_text(d).replace(
            "    provider: ollama\n", "    provider: ollama\n   x: [\n"
        ),
        r"^9:4: .*",
    ),
    "empty-file": (lambda d: "", r"^1:1: file is empty$"),
    "half-written": (truncated, r"^\d+:\d+: .+"),
    "too-new-version": (
        lambda d: local_text(d).replace("version: 1", "version: 2"),
        r"^4:10: format version 2 is newer than this provreg knows",
    ),
    "invalid-value": (
        lambda d: local_text(d).replace("http://localhost:11434", "ftp://localhost"),
        r"^9:15: field 'base_url': URL must start with http:// or https://$",
    ),
}


@pytest.fixture
async def watched(
    yaml_backend: Backend, anyio_backend: str
) -> tuple[ProviderRegistry, list[list[Event]]]:
    registry = await yaml_backend.open()
    batches: list[list[Event]] = []
    registry.store.subscribe_events(lambda events: batches.append(list(events)))
    return registry, batches


@pytest.mark.parametrize("breakage", list(BREAKAGES))
async def test_a_broken_file_keeps_its_last_good_instances(
    watched: tuple[ProviderRegistry, list[list[Event]]],
    sample_dir: Path,
    breakage: str,
) -> None:
    registry, batches = watched
    local = sample_dir / "providers" / "local.yaml"
    good = registry.snapshot()
    make_broken, error_pattern = BREAKAGES[breakage]
    local.write_text(make_broken(sample_dir))

    await registry.reload()

    state = registry.snapshot()
    # The instances stay, the very same objects, and are marked stale.
    for instance_id in LOCAL_IDS:
        assert state.instances[instance_id] is good.instances[instance_id]
    assert list(state.instances) == list(good.instances)
    assert state.stale_ids == frozenset(LOCAL_IDS)
    status = state.files[str(local)]
    assert (status.ok, status.stale) == (False, True)
    assert status.last_error is not None
    assert re.match(error_pattern, status.last_error), status.last_error
    assert status.instance_ids == LOCAL_IDS
    assert status.last_reload >= good.files[str(local)].last_reload
    # The file's diagnostics are the new (broken) ones.
    errors = [d for d in state.diagnostics[str(local)] if d.severity is Severity.ERROR]
    assert errors
    assert f"{errors[0].line}:{errors[0].column}: {errors[0].message}" == status.last_error
    # Other files are untouched.
    for file, other in state.files.items():
        if file != str(local):
            assert (other.ok, other.stale) == (True, False)
            assert other is good.files[file]

    # One commit: diagnostics changed and the reload failed, nothing removed.
    assert len(batches) == 1
    kinds = [type(e) for e in batches[0]]
    assert kinds == [DiagnosticsChanged, ReloadFailed]
    changed, failed = batches[0]
    assert isinstance(changed, DiagnosticsChanged) and changed.files == (str(local),)
    assert isinstance(failed, ReloadFailed)
    assert (failed.file, failed.source) == (str(local), "external")
    assert failed.diagnostics and all(d.severity is Severity.ERROR for d in failed.diagnostics)
    assert failed.diagnostics == tuple(errors)

    # Reloading the same broken bytes publishes nothing new.
    await registry.reload()
    assert len(batches) == 1
    assert registry.snapshot().stale_ids == frozenset(LOCAL_IDS)


async def test_fixing_the_file_recovers_and_shows_the_changes(
    watched: tuple[ProviderRegistry, list[list[Event]]],
    sample_dir: Path,
    yaml_backend: Backend,
) -> None:
    registry, batches = watched
    local = sample_dir / "providers" / "local.yaml"
    original = local.read_text()
    local.write_text(original + "  - {name: broken\n")
    await registry.reload()
    assert registry.snapshot().stale_ids == frozenset(LOCAL_IDS)
    batches.clear()

    # The fixed file differs from the last good one: a changed model, one entry gone.
    fixed = original.replace("default_model: llama3.2", "default_model: qwen3")
    fixed = fixed[: fixed.index("  # vLLM serving")]
    local.write_text(fixed)
    await registry.reload()

    state = registry.snapshot()
    assert state.stale_ids == frozenset()
    status = state.files[str(local)]
    assert (status.ok, status.stale, status.last_error) == (True, False, None)
    assert status.instance_ids == ("local-ollama",)
    assert state.instances["local-ollama"].values["default_model"] == "qwen3"
    assert "gpu-box-vllm" not in state.instances
    assert registry_view(registry) == disk_view([str(sample_dir)])

    (batch,) = batches
    updated = [e for e in batch if isinstance(e, InstanceUpdated)]
    removed = [e for e in batch if isinstance(e, InstanceRemoved)]
    assert [(e.instance.id, e.changed_fields, e.source) for e in updated] == [
        ("local-ollama", ("default_model",), "external")
    ]
    assert [e.instance.id for e in removed] == ["gpu-box-vllm"]
    assert any(isinstance(e, DiagnosticsChanged) for e in batch)
    assert not any(isinstance(e, ReloadFailed) for e in batch)
    # The recovery is announced as the failure was (it was not, and only the header knew).
    recovered = [e for e in batch if isinstance(e, ReloadRecovered)]
    assert [(e.file, e.instances, e.source) for e in recovered] == [(str(local), 1, "external")]
    assert text_line(recovered[0]) == f"external: {local} is valid again (1 instance)"
    assert describe(recovered[0])["instances"] == 1

    # Writable again.
    await registry.update("local-ollama", {"keep_alive": "1h"})
    assert "keep_alive: 1h" in local.read_text()
    yaml_backend.check(registry)


async def test_a_file_broken_at_open_has_no_instances_until_fixed(
    yaml_backend: Backend, sample_dir: Path
) -> None:
    local = sample_dir / "providers" / "local.yaml"
    original = local.read_text()
    local.write_text(original.replace("version: 1", "version: [\n"))
    registry = await yaml_backend.open()
    state = registry.snapshot()
    status = state.files[str(local)]
    assert (status.ok, status.stale) == (False, False)  # nothing good to keep
    assert status.instance_ids == ()
    assert status.last_error is not None and re.match(r"^\d+:\d+: ", status.last_error)
    assert not set(LOCAL_IDS) & set(state.instances)
    assert state.stale_ids == frozenset()

    local.write_text(original)
    await registry.reload()
    assert set(LOCAL_IDS) <= set(registry.snapshot().instances)
    assert registry.snapshot().files[str(local)].ok
    yaml_backend.check(registry)


async def test_a_removed_file_drops_its_instances(
    watched: tuple[ProviderRegistry, list[list[Event]]], sample_dir: Path
) -> None:
    # Deleting a file is not a parse failure: its instances go (not stale).
    registry, batches = watched
    local = sample_dir / "providers" / "local.yaml"
    local.write_text("{broken")
    await registry.reload()
    local.unlink()
    await registry.reload()
    state = registry.snapshot()
    assert str(local) not in state.files
    assert not set(LOCAL_IDS) & set(state.instances)
    assert state.stale_ids == frozenset()
    removed = [e.instance.id for e in batches[-1] if isinstance(e, InstanceRemoved)]
    assert sorted(removed) == sorted(LOCAL_IDS)


async def test_reload_of_named_paths_only(
    watched: tuple[ProviderRegistry, list[list[Event]]], sample_dir: Path
) -> None:
    registry, _ = watched
    local = sample_dir / "providers" / "local.yaml"
    hosted = sample_dir / "providers" / "hosted.yaml"
    local.write_text("{broken")
    hosted.write_text(hosted.read_text().replace("gpt-4.1", "gpt-5"))
    await registry.reload([str(local)])
    state = registry.snapshot()
    assert state.stale_ids == frozenset(LOCAL_IDS)
    assert state.instances["work-openai"].values["default_model"] == "gpt-4.1"  # not re-read
    await registry.reload([str(hosted)])
    assert registry.get("work-openai").values["default_model"] == "gpt-5"
    assert registry.snapshot().stale_ids == frozenset(LOCAL_IDS)


async def test_stale_ids_and_file_ids_are_the_ids_the_registry_serves(
    config_dir: Path, anyio_backend: str
) -> None:
    # Derived ids are made unique across files ('my-groq' -> 'my-groq-2') and a
    # duplicate explicit id is dropped (first wins): the per-file ids and the
    # stale set must name the instances as the registry serves them.
    (config_dir / "a.yaml").write_text(
        "version: 1\nproviders:\n  - {name: My Groq, provider: groq}\n"
    )
    b = config_dir / "b.yaml"
    b.write_text(
        "version: 1\nproviders:\n  - {name: My Groq!, provider: groq}\n"
        "  - {id: dup, name: D1, provider: groq}\n"
    )
    (config_dir / "c.yaml").write_text(
        "version: 1\nproviders:\n  - {id: dup, name: D2, provider: groq}\n"
    )
    registry = await ProviderRegistry.open([str(config_dir)], audit=False)
    state = registry.snapshot()
    assert list(state.instances) == ["my-groq", "my-groq-2", "dup"]
    assert state.instances["dup"].name == "D1"
    ids = {Path(f).name: s.instance_ids for f, s in state.files.items()}
    assert ids == {"a.yaml": ("my-groq",), "b.yaml": ("my-groq-2", "dup"), "c.yaml": ()}

    b.write_text("{broken")
    await registry.reload()
    assert registry.snapshot().stale_ids == frozenset({"my-groq-2", "dup"})
    assert registry.snapshot().files[str(b)].instance_ids == ("my-groq-2", "dup")
