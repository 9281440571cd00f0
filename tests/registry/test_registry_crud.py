"""ProviderRegistry CRUD against a real temp config dir and the in-memory backend.

After every operation the registry must report what a fresh load of the
files gives (`backend.check`), and a refused operation must change nothing:
neither the snapshot nor a byte on disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers.paths import SAMPLE_IDS
from helpers.registry import Backend, disk_view, registry_view

from provreg.model import SecretRef
from provreg.registry import (
    ConflictError,
    DuplicateIdError,
    DuplicateNameError,
    FieldsError,
    FileHasErrorsError,
    InstanceNotFoundError,
    InvalidValueError,
    MissingFieldError,
    ProviderRegistry,
    ReadOnlyError,
    RegistryError,
    UnknownFieldError,
    UnknownProviderError,
)
from provreg.storage import MemoryStorage
from provreg.storage.yaml_dir import DEFAULT_FILE_NAME

pytestmark = pytest.mark.anyio

SECRET = "sk-proj-Zq8tHUNTER2-dont-leak-me"


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under a config dir, by relative path: to prove nothing was written."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


class Unchanged:
    """Context manager asserting a refused call changed neither the state nor the disk."""

    def __init__(self, registry: ProviderRegistry, root: Path) -> None:
        self.registry = registry
        self.root = root

    def __enter__(self) -> Unchanged:
        self.state = self.registry.snapshot()
        self.files = tree_bytes(self.root)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.registry.snapshot() is self.state
        assert tree_bytes(self.root) == self.files


# --------------------------------------------------------------------------- reading


async def test_open_reads_every_sample_instance(backend: Backend) -> None:
    registry = await backend.open()
    assert list(registry.snapshot().instances) == SAMPLE_IDS
    backend.check(registry)
    work = registry.get("work-openai")
    assert (work.name, work.provider) == ("Work OpenAI", "openai")
    assert work.values["default_model"] == "gpt-4.1"
    assert registry.find("nope") is None
    assert [i.id for i in registry.instances(provider="acme-gateway")] == [
        "acme-gateway",
        "acme-gateway-research",
    ]
    assert registry.instances(provider="nope") == []
    definitions = {d.id: d for d in registry.definitions()}
    assert definitions["openai"].builtin
    assert not definitions["acme-gateway"].builtin  # the user definition from gateway.yaml


async def test_list_by_file(yaml_backend: Backend, sample_dir: Path) -> None:
    registry = await yaml_backend.open()
    local = str(sample_dir / "providers" / "local.yaml")
    assert [i.id for i in registry.instances(file=local)] == ["local-ollama", "gpu-box-vllm"]
    assert [i.id for i in registry.instances(provider="ollama", file=local)] == ["local-ollama"]


async def test_unknown_id_is_a_lookup_error_naming_the_id(registry: ProviderRegistry) -> None:
    for call in (
        lambda: registry.update("no-such-thing", {"default_model": "x"}),
        lambda: registry.delete("no-such-thing"),
    ):
        with pytest.raises(InstanceNotFoundError) as info:
            await call()
        assert str(info.value) == "no provider instance with id 'no-such-thing'"
        assert isinstance(info.value, LookupError)
        assert info.value.instance_id == "no-such-thing"
    with pytest.raises(InstanceNotFoundError):
        registry.get("no-such-thing")


# --------------------------------------------------------------------------- ids


async def test_generated_ids_are_unique_readable_slugs(backend: Backend) -> None:
    registry = await backend.open()
    created = [
        await registry.create("openai", "Work OpenAI (EU)", {}),
        await registry.create("openai", "Work  OpenAI!", {}),  # slug taken by the sample
        await registry.create("openai", "work openai?", {}),
        await registry.create("ollama", "Ünïcode Ollama", {}),
        await registry.create("ollama", "!!!", {}),  # nothing sluggable left
    ]
    assert [i.id for i in created] == [
        "work-openai-eu",
        "work-openai-2",
        "work-openai-3",
        "unicode-ollama",
        "instance",
    ]
    assert len(set(registry.snapshot().instances)) == len(SAMPLE_IDS) + 5
    backend.check(registry)


async def test_generated_ids_are_never_reused_after_a_delete(backend: Backend) -> None:
    registry = await backend.open()
    first = await registry.create("groq", "Fast Groq", {})
    assert first.id == "fast-groq"
    await registry.delete("fast-groq")
    again = await registry.create("groq", "Fast Groq", {})
    assert again.id == "fast-groq-2"
    await registry.delete("fast-groq-2")
    assert (await registry.create("groq", "Fast Groq", {})).id == "fast-groq-3"
    backend.check(registry)


async def test_ids_loaded_at_open_are_not_reused_after_a_delete(backend: Backend) -> None:
    # A secret in the keyring is filed under the id (provreg/<id>/api_key):
    # a new instance must not inherit a deleted one's id within a run.
    registry = await backend.open()
    await registry.delete("work-openai")
    recreated = await registry.create("openai", "Work OpenAI", {})
    assert recreated.id == "work-openai-2"
    backend.check(registry)


async def test_explicit_id_is_used_and_checked(backend: Backend) -> None:
    registry = await backend.open()
    made = await registry.create("groq", "Pinned", {}, instance_id="my.groq_1")
    assert made.id == "my.groq_1"
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(DuplicateIdError, match="the id 'gemini' is already used"):
            await registry.create("groq", "Other", {}, instance_id="gemini")
        with pytest.raises(InvalidValueError) as info:
            await registry.create("groq", "Other", {}, instance_id="Not An Id")
        assert list(info.value.fields) == ["id"]
    backend.check(registry)


# --------------------------------------------------------------------------- create


async def test_create_writes_the_default_file(yaml_backend: Backend, sample_dir: Path) -> None:
    registry = await yaml_backend.open()
    made = await registry.create(
        "openai",
        "Side Project",
        {"default_model": "gpt-5", "api_key": {"env": "SIDE_KEY"}, "timeout_seconds": 30},
    )
    target = sample_dir / DEFAULT_FILE_NAME
    assert made.file == str(target)
    assert made.id == "side-project"
    assert made.values == {
        "api_key": SecretRef(kind="env", name="SIDE_KEY"),
        "default_model": "gpt-5",
        "timeout_seconds": 30,
    }
    text = target.read_text()
    assert "id: side-project" in text
    assert "name: Side Project" in text
    assert "SIDE_KEY" in text
    assert made.id_derived is False
    yaml_backend.check(registry)


async def test_create_into_a_named_file(yaml_backend: Backend, sample_dir: Path) -> None:
    registry = await yaml_backend.open()
    local = sample_dir / "providers" / "local.yaml"
    before = local.read_text()
    made = await registry.create("ollama", "Laptop Ollama", {"keep_alive": "5m"}, file=str(local))
    assert made.file == str(local)
    after = local.read_text()
    assert after.startswith(before.rstrip("\n"))  # appended; the rest is untouched
    assert "name: Laptop Ollama" in after
    # A relative path names a file inside the config dir too.
    other = await registry.create("ollama", "Desk Ollama", {}, file="providers/local.yaml")
    assert other.file == str(local)
    yaml_backend.check(registry)


async def test_create_accepts_secret_ref_objects(backend: Backend) -> None:
    registry = await backend.open()
    made = await registry.create(
        "anthropic", "Ref Anthropic", {"api_key": SecretRef(kind="keyring", name="shared")}
    )
    assert made.values["api_key"] == SecretRef(kind="keyring", name="shared")
    backend.check(registry)


# --------------------------------------------------------------------------- typed errors


async def test_unknown_provider_suggests_a_near_name(backend: Backend) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(UnknownProviderError) as info:
            await registry.create("openaii", "X", {})
        assert str(info.value) == "unknown provider 'openaii' (did you mean 'openai'?)"
        assert info.value.provider == "openaii"
        with pytest.raises(UnknownProviderError, match="provreg catalog"):
            await registry.create("zzzzzzzz", "X", {})


async def test_unknown_field_suggests_a_near_name(backend: Backend) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(UnknownFieldError) as info:
            await registry.create("openai", "X", {"base_ur": "https://x.example/v1"})
        assert list(info.value.fields) == ["base_ur"]
        assert "did you mean 'base_url'" in info.value.fields["base_ur"]
        with pytest.raises(UnknownFieldError) as info:
            await registry.update("work-openai", {"temprature": 1})
        assert list(info.value.fields) == ["temprature"]


INVALID_VALUES: list[tuple[str, dict[str, Any], str, str]] = [
    ("openai", {"timeout_seconds": "fast"}, "timeout_seconds", "must be a number, not text"),
    ("openai", {"timeout_seconds": 1000}, "timeout_seconds", "out of range (1 to 600)"),
    ("openai", {"max_retries": -1}, "max_retries", "out of range (0 to 10)"),
    ("openai", {"max_retries": 2.5}, "max_retries", "must be a whole number"),
    ("openai", {"api_style": "chat"}, "api_style", "is not one of chat_completions, responses"),
    ("openai", {"organization": "acme"}, "organization", "does not match the pattern"),
    ("openai", {"base_url": "ftp://example.com"}, "base_url", "http:// or https://"),
    ("openai", {"default_model": 4}, "default_model", "must be text"),
    ("anthropic", {"use_auth_header": "yes"}, "use_auth_header", "true or false"),
    ("openai", {"api_key": {"vault": "x"}}, "api_key", "use keyring, env, file or command"),
]


@pytest.mark.parametrize(("provider", "values", "field", "fragment"), INVALID_VALUES)
async def test_invalid_values_are_refused_per_field(
    backend: Backend, provider: str, values: dict[str, Any], field: str, fragment: str
) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(InvalidValueError) as info:
            await registry.create(provider, "Bad values", values)
        assert isinstance(info.value, FieldsError)
        assert list(info.value.fields) == [field]
        assert fragment in info.value.fields[field]
        assert fragment in str(info.value)
        # The same value through update is refused the same way.
        target = "work-openai" if provider == "openai" else "personal-anthropic"
        with pytest.raises(InvalidValueError) as info:
            await registry.update(target, values)
        assert list(info.value.fields) == [field]


async def test_several_invalid_fields_are_all_reported(backend: Backend) -> None:
    registry = await backend.open()
    with pytest.raises(InvalidValueError) as info:
        await registry.create("openai", "X", {"timeout_seconds": 0, "api_style": "x"})
    assert set(info.value.fields) == {"timeout_seconds", "api_style"}


async def test_plaintext_secret_is_refused_without_repeating_it(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        for call in (
            lambda: registry.create("openai", "Leaky", {"api_key": SECRET}),
            lambda: registry.update("work-openai", {"api_key": SECRET}),
        ):
            with pytest.raises(InvalidValueError) as info:
                await call()
            error = info.value
            assert list(error.fields) == ["api_key"]
            assert "plaintext secret" in error.fields["api_key"]
            shown = [str(error), repr(error), *error.fields.values(), *map(repr, error.problems)]
            assert not [text for text in shown if SECRET in text]
    assert SECRET not in caplog.text


async def test_missing_required_fields_are_named(backend: Backend) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(MissingFieldError) as info:
            await registry.create("azure-openai", "Azure", {"api_version": "2024-10-21"})
        assert set(info.value.fields) == {"base_url", "deployment"}
        assert "missing required field 'deployment'" in info.value.fields["deployment"]
        # Unsetting a required field of an existing instance is refused too.
        with pytest.raises(MissingFieldError) as info:
            await registry.update("acme-gateway", {"team": None})
        assert list(info.value.fields) == ["team"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, 42, None])
async def test_invalid_names_are_refused(backend: Backend, name: Any) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(InvalidValueError) as info:
            await registry.create("groq", name, {})
        assert list(info.value.fields) == ["name"]
        with pytest.raises(InvalidValueError):
            await registry.update("gemini", {"name": name})


@pytest.mark.parametrize("name", ["Work OpenAI", "work openai", "  WORK OPENAI  ", "Work OpenAI\t"])
async def test_duplicate_names_ignore_case_and_surrounding_space(
    backend: Backend, name: str
) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(DuplicateNameError) as info:
            await registry.create("groq", name, {})
        assert info.value.other_id == "work-openai"
        assert "already used by 'work-openai'" in str(info.value)
        with pytest.raises(DuplicateNameError):
            await registry.update("gemini", {"name": name})


async def test_renaming_to_own_name_in_other_case_is_allowed(backend: Backend) -> None:
    registry = await backend.open()
    renamed = await registry.update("gemini", {"name": "GEMINI (free tier)"})
    assert renamed.name == "GEMINI (free tier)"
    assert renamed.id == "gemini"
    created = await registry.create("groq", "  Padded Name  ", {})
    assert created.name == "Padded Name"
    backend.check(registry)


async def test_id_and_provider_cannot_be_changed(backend: Backend) -> None:
    registry = await backend.open()
    with Unchanged(registry, backend.sample_dir):
        with pytest.raises(InvalidValueError) as info:
            await registry.update("gemini", {"id": "other"})
        assert list(info.value.fields) == ["id"]
        with pytest.raises(InvalidValueError) as info:
            await registry.update("gemini", {"provider": "openai"})
        assert list(info.value.fields) == ["provider"]


async def test_read_only_refuses_every_write(backend: Backend) -> None:
    registry = await backend.open(read_only=True)
    with Unchanged(registry, backend.sample_dir):
        for call in (
            lambda: registry.create("groq", "New", {}),
            lambda: registry.update("gemini", {"default_model": "x"}),
            lambda: registry.delete("gemini"),
        ):
            with pytest.raises(ReadOnlyError, match="read-only"):
                await call()


@pytest.mark.parametrize(("value", "read_only"), [("1", True), ("0", False), ("", False)])
async def test_read_only_from_the_environment(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, value: str, read_only: bool
) -> None:
    monkeypatch.setenv("PROVREG_READ_ONLY", value)
    registry = await backend.open()
    assert registry.read_only is read_only
    if read_only:
        with Unchanged(registry, backend.sample_dir), pytest.raises(ReadOnlyError):
            await registry.delete("gemini")
        # An explicit argument wins over the environment.
        writable = await backend.open(read_only=False)
        await writable.delete("gemini")
        backend.check(writable)


def test_all_errors_are_registry_errors() -> None:
    for error in (
        DuplicateIdError,
        DuplicateNameError,
        FieldsError,
        FileHasErrorsError,
        InstanceNotFoundError,
        ReadOnlyError,
        UnknownProviderError,
    ):
        assert issubclass(error, RegistryError)


# --------------------------------------------------------------------------- files with errors

BROKEN = "version: 1\nproviders:\n  - id: local-ollama\n    name: Local Ollama\n   bad: [\n"


async def test_writing_into_a_file_with_errors_is_refused(
    yaml_backend: Backend, sample_dir: Path
) -> None:
    registry = await yaml_backend.open()
    local = sample_dir / "providers" / "local.yaml"
    local.write_text(BROKEN)
    await registry.reload()
    with Unchanged(registry, sample_dir):
        for call in (
            lambda: registry.update("local-ollama", {"default_model": "x"}),
            lambda: registry.delete("gpu-box-vllm"),
            lambda: registry.create("groq", "New", {}, file=str(local)),
        ):
            with pytest.raises(FileHasErrorsError) as info:
                await call()
            assert info.value.file == str(local)
            assert f"{local} has errors (5:4: " in str(info.value)
    # Other files are still writable.
    await registry.update("gemini", {"default_model": "gemini-2.5-pro"})
    assert local.read_text() == BROKEN


async def test_a_file_that_never_validated_refuses_writes(
    yaml_backend: Backend, sample_dir: Path
) -> None:
    bad = sample_dir / "bad.yaml"
    bad.write_text(
        "version: 1\nproviders:\n  - name: Bad\n    provider: groq\n    base_url: ftp://x\n"
    )
    registry = await yaml_backend.open()
    status = registry.snapshot().files[str(bad)]
    assert (status.ok, status.stale) == (False, False)
    with pytest.raises(FileHasErrorsError, match="5:15: field 'base_url': URL must start"):
        await registry.create("groq", "New", {}, file=str(bad))


INVALID_GROQ = "version: 1\nproviders:\n  - name: A\n    provider: groq\n    base_url: ftp://x\n"


@pytest.mark.parametrize("broken", [BROKEN, INVALID_GROQ], ids=["syntax-error", "invalid-value"])
@pytest.mark.parametrize(
    "file",
    [None, DEFAULT_FILE_NAME, f"./{DEFAULT_FILE_NAME}"],
    ids=["default", "relative", "dot-relative"],
)
async def test_a_file_with_errors_named_any_way_is_refused_with_a_typed_error(
    yaml_backend: Backend, sample_dir: Path, broken: str, file: str | None
) -> None:
    default = sample_dir / DEFAULT_FILE_NAME
    default.write_text("version: 1\nproviders:\n  - name: A\n    provider: groq\n")
    registry = await yaml_backend.open()
    default.write_text(broken)
    await registry.reload()
    # The default file, or the file named another way than its display path:
    # refused before writing, never written into and then reported missing.
    with Unchanged(registry, sample_dir):
        with pytest.raises(FileHasErrorsError) as info:
            await registry.create("groq", "New", {}, file=file)
        assert info.value.file == str(default)


# --------------------------------------------------------------------------- update & delete


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


async def test_update_writes_only_changed_keys(yaml_backend: Backend, sample_dir: Path) -> None:
    registry = await yaml_backend.open()
    hosted = sample_dir / "providers" / "hosted.yaml"
    others = {k: v for k, v in tree_bytes(sample_dir).items() if k != "providers/hosted.yaml"}
    before = hosted.read_text()
    work = registry.get("work-openai")
    # Every current value restated, one changed: only that one line moves.
    updated = await registry.update(
        "work-openai", {**work.values, "name": work.name, "default_model": "gpt-5"}
    )
    assert updated.values == {**work.values, "default_model": "gpt-5"}
    assert changed_lines(before, hosted.read_text()) == [
        ("    default_model: gpt-4.1", "    default_model: gpt-5")
    ]
    assert {k: v for k, v in tree_bytes(sample_dir).items() if k != "providers/hosted.yaml"} == (
        others
    )
    yaml_backend.check(registry)


async def test_update_with_the_same_values_writes_nothing(backend: Backend) -> None:
    registry = await backend.open()
    events: list[object] = []
    registry.store.subscribe_events(events.extend)
    work = registry.get("work-openai")
    stat_before = os.stat(work.file).st_mtime_ns if backend.kind == "yaml" else None
    with Unchanged(registry, backend.sample_dir):
        same = await registry.update(
            "work-openai",
            {**work.values, "name": " Work OpenAI ", "timeout_seconds": 120.0, "api_style": None},
        )
    assert same is work
    assert events == []
    if stat_before is not None:
        assert os.stat(work.file).st_mtime_ns == stat_before


async def test_update_unsets_a_field(yaml_backend: Backend, sample_dir: Path) -> None:
    registry = await yaml_backend.open()
    hosted = sample_dir / "providers" / "hosted.yaml"
    updated = await registry.update("work-openai", {"project": None})
    assert "project" not in updated.values
    assert "proj_platform" not in hosted.read_text()
    assert "org-acme          # billing goes to the ACME org" in hosted.read_text()
    yaml_backend.check(registry)


async def test_rename_keeps_the_id(backend: Backend) -> None:
    registry = await backend.open()
    renamed = await registry.update("work-openai", {"name": "Work OpenAI (old)"})
    assert (renamed.id, renamed.name) == ("work-openai", "Work OpenAI (old)")
    assert registry.find("work-openai-old") is None
    backend.check(registry)


async def test_derived_id_is_pinned_on_first_edit(yaml_backend: Backend, sample_dir: Path) -> None:
    extra = sample_dir / "derived.yaml"
    extra.write_text("version: 1\nproviders:\n  - name: My Groq\n    provider: groq\n")
    registry = await yaml_backend.open()
    assert registry.get("my-groq").id_derived
    updated = await registry.update("my-groq", {"default_model": "llama-3.1-8b-instant"})
    assert updated.id == "my-groq"
    assert not updated.id_derived
    text = extra.read_text()
    assert "id: my-groq" in text
    assert text.count("my-groq") == 1
    yaml_backend.check(registry)
    # After a rename the pinned id stays: the secret stays attached.
    renamed = await registry.update("my-groq", {"name": "Renamed Groq"})
    assert renamed.id == "my-groq"
    assert "id: my-groq" in extra.read_text()
    yaml_backend.check(registry)


async def test_memory_update_clears_derived_flag() -> None:
    from provreg.model import ProviderInstance

    storage = MemoryStorage(
        [ProviderInstance(id="my-groq", name="My Groq", provider="groq", id_derived=True)]
    )
    registry = await ProviderRegistry.open(storage=storage, audit=False)
    assert registry.get("my-groq").id_derived
    updated = await registry.update("my-groq", {"default_model": "x"})
    assert not updated.id_derived
    assert (await storage.load("my-groq")) == updated


async def test_delete_removes_from_disk_and_registry(backend: Backend, sample_dir: Path) -> None:
    registry = await backend.open()
    removed = await registry.delete("personal-anthropic")
    assert removed.id == "personal-anthropic"
    assert registry.find("personal-anthropic") is None
    assert list(registry.snapshot().instances) == [
        i for i in SAMPLE_IDS if i != "personal-anthropic"
    ]
    if backend.kind == "yaml":
        text = (sample_dir / "providers" / "hosted.yaml").read_text()
        assert "Personal Anthropic" not in text
        assert "# exported by my shell profile" in text
    backend.check(registry)
    with pytest.raises(InstanceNotFoundError):
        await registry.delete("personal-anthropic")


async def test_a_sequence_of_operations_always_matches_disk(yaml_backend: Backend) -> None:
    registry = await yaml_backend.open()
    assert yaml_backend.paths is not None
    steps = [
        lambda: registry.create("groq", "Groq A", {}),
        lambda: registry.create("groq", "Groq B", {"default_model": "x"}, file="team/gateway.yaml"),
        lambda: registry.update("groq-a", {"default_model": "y"}),
        lambda: registry.update("acme-gateway", {"team": "support", "max_tokens_per_day": 5000}),
        lambda: registry.delete("gemini"),
        lambda: registry.update("groq-b", {"name": "Groq Bee", "default_model": None}),
        lambda: registry.delete("groq-a"),
        lambda: registry.create("groq", "Groq A", {}),
    ]
    for step in steps:
        await step()
        assert registry_view(registry) == disk_view(yaml_backend.paths)
    assert registry.get("groq-a-2").name == "Groq A"
    assert registry.get("acme-gateway").values["team"] == "support"


@pytest.mark.anyio
async def test_a_successful_write_clears_the_instances_conflict(sample_dir: Path) -> None:
    """A conflict mark stays until the instance is written successfully again."""
    registry = await ProviderRegistry.open([str(sample_dir)], audit=False)
    hosted = sample_dir / "providers" / "hosted.yaml"
    text = hosted.read_text(encoding="utf-8")
    hosted.write_text(text.replace("gpt-4.1", "gpt-4o"), encoding="utf-8")
    with pytest.raises(ConflictError):
        await registry.update("work-openai", {"default_model": "o3"})
    assert [c.instance_id for c in registry.snapshot().conflicts] == ["work-openai"]
    await registry.reload()
    await registry.update("work-openai", {"default_model": "o3"})
    assert registry.snapshot().conflicts == ()


@pytest.mark.anyio
async def test_delete_removes_the_keys_provreg_stored_so_a_new_namesake_starts_clean(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting an instance removes its keyring entry: a later instance that gets
    the same id (same name) must not inherit the old key."""
    from keyrings.alt.file import PlaintextKeyring
    from pydantic import SecretStr

    from provreg.secrets import SecretMissingError, SecretStore

    monkeypatch.setenv("PROVREG_ALLOW_INSECURE_KEYRING", "1")
    backend = PlaintextKeyring()
    registry = await ProviderRegistry.open(
        [str(sample_dir)], audit=False, secrets=SecretStore(backend=backend)
    )
    await registry.set_secret("work-openai", "api_key", SecretStr("sk-old-key-123"))
    assert backend.get_password("provreg", "work-openai/api_key") == "sk-old-key-123"
    await registry.delete("work-openai")
    assert backend.get_password("provreg", "work-openai/api_key") is None
    again = await ProviderRegistry.open(
        [str(sample_dir)], audit=False, secrets=SecretStore(backend=backend)
    )
    created = await again.create("openai", "Work OpenAI")
    assert created.id == "work-openai"
    with pytest.raises(SecretMissingError):
        await again.resolve_secret("work-openai", "api_key")


@pytest.mark.anyio
async def test_value_edits_reuse_linking_and_match_a_fresh_load(tmp_path: Path) -> None:
    """A commit that changes only values reuses the previous linking; ids (derived
    ones made unique), names and cross-file diagnostics must match a fresh load."""
    from provreg.config.read.load_set import load_paths

    config = tmp_path / "config"
    config.mkdir()
    (config / "a.yaml").write_text(
        "version: 1\nproviders:\n"
        "  - name: Local\n    provider: ollama\n"
        "  - id: local-x\n    name: Other\n    provider: ollama\n",
        encoding="utf-8",
    )
    (config / "b.yaml").write_text(
        "version: 1\nproviders:\n"
        "  - name: Local!\n    provider: ollama\n"
        "  - id: dup-name\n    name: other\n    provider: ollama\n",
        encoding="utf-8",
    )
    registry = await ProviderRegistry.open([str(config)], audit=False)

    def same_as_fresh() -> None:
        fresh = load_paths([str(config)])
        state = registry.snapshot()
        assert [(i.id, i.name, i.values, i.line) for i in state.instances.values()] == [
            (i.id, i.name, i.values, i.line) for i in fresh.instances
        ]
        mine = sorted((d.file, d.line, d.code, d.message) for d in state.all_diagnostics())
        assert mine == sorted((d.file, d.line, d.code, d.message) for d in fresh.diagnostics)

    same_as_fresh()
    assert {"local", "local-2"} <= set(registry.snapshot().instances)
    for n in range(3):
        await registry.update("local-x", {"keep_alive": f"{n}m"})
        same_as_fresh()
        await registry.update("dup-name", {"default_model": f"m{n}"})
        same_as_fresh()
    await registry.update("local-2", {"keep_alive": "1h"})  # pins the derived id
    same_as_fresh()


@pytest.mark.anyio
async def test_adds_and_removals_reuse_linking_only_when_nothing_clashes(tmp_path: Path) -> None:
    """Creates, deletes and external additions (including a clashing id and name)
    leave the registry equal to a fresh load, whether linking was reused or not."""
    from provreg.config.read.load_set import load_paths

    config = tmp_path / "config"
    config.mkdir()
    for name in ("a", "b"):
        (config / f"{name}.yaml").write_text(
            f"version: 1\nproviders:\n  - id: {name}1\n    name: {name.upper()} one\n"
            "    provider: ollama\n",
            encoding="utf-8",
        )
    registry = await ProviderRegistry.open([str(config)], audit=False)

    def same_as_fresh() -> None:
        fresh = load_paths([str(config)])
        state = registry.snapshot()
        assert [(i.id, i.file, i.line) for i in state.instances.values()] == [
            (i.id, i.file, i.line) for i in fresh.instances
        ]
        mine = sorted((d.file, d.line, d.code) for d in state.all_diagnostics())
        assert mine == sorted((d.file, d.line, d.code) for d in fresh.diagnostics)

    created = await registry.create("ollama", "A two", file=str(config / "a.yaml"))
    same_as_fresh()
    await registry.delete(created.id)
    same_as_fresh()
    # An external edit adds an instance whose id another file already has.
    b = config / "b.yaml"
    b.write_text(
        b.read_text(encoding="utf-8") + "  - id: a1\n    name: Clash\n    provider: ollama\n",
        encoding="utf-8",
    )
    await registry.reload([str(b)])
    same_as_fresh()
    assert any(d.code == "E213" for d in registry.snapshot().all_diagnostics())
    # And one whose name (ignoring case) another instance has.
    b.write_text(
        b.read_text(encoding="utf-8").replace("id: a1\n    name: Clash", "id: b2\n    name: a ONE"),
        encoding="utf-8",
    )
    await registry.reload([str(b)])
    same_as_fresh()
    assert any(d.code == "W214" for d in registry.snapshot().all_diagnostics())
