"""The metadata view never touches secrets; `LlmConfig.apiKey` resolves only when read;
createdAt/updatedAt come from the audit log, else the file's mtime.

The keyring here is real (keyrings.alt's plaintext file under the test's
XDG_DATA_HOME) with call counters around it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.keyrings import CountingPlaintextKeyring
from pydantic import SecretStr

from provreg.compat import LlmConfigRepository, SettingsRepository, to_metadata
from provreg.registry import AuditLog, ProviderRegistry
from provreg.secrets import SecretMissingError, SecretStore

pytestmark = pytest.mark.anyio

KEY = "sk-proj-LazyKey-0123456789abcdef"


async def test_list_and_metadata_make_no_keyring_call(
    registry: ProviderRegistry, counting_keyring: CountingPlaintextKeyring
) -> None:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "Work", "provider": "openai", "apiKey": KEY})
    await repo.create({"customName": "Claude", "provider": "anthropic", "apiKey": "sk-ant-x1"})
    await repo.create({"customName": "Local", "provider": "ollama"})
    counting_keyring.calls.clear()

    listed = await repo.list()
    assert [m.customName for m in listed] == ["Work", "Claude", "Local"]
    for instance in registry.instances():
        to_metadata(instance, registry.definition(instance.provider), registry.audit)
    settings = await SettingsRepository(registry).load_settings()
    assert len(settings.llmConfigs) == 3
    assert not any(hasattr(m, "apiKey") for m in listed)
    assert counting_keyring.total == 0


async def test_api_key_resolves_on_access_only(
    registry: ProviderRegistry, counting_keyring: CountingPlaintextKeyring
) -> None:
    repo = LlmConfigRepository(registry)
    created = await repo.create({"customName": "Work", "provider": "openai", "apiKey": KEY})
    registry.secret_store().invalidate()
    counting_keyring.calls.clear()

    config = await repo.read(created.id)
    assert config is not None
    assert counting_keyring.total == 0, "reading the config must not read the key"
    for text in (repr(config), str(config), repr(config.metadata()), config.model_dump_json()):
        assert KEY not in text
    assert counting_keyring.total == 0

    assert config.apiKey == KEY
    assert counting_keyring.calls == {"get": 1}
    assert config.apiKey == KEY  # cached for the process
    assert counting_keyring.calls == {"get": 1}
    assert KEY not in repr(config) and KEY not in str(config)
    assert KEY not in str(config.model_dump())


async def test_create_returns_a_lazy_config_too(
    registry: ProviderRegistry, counting_keyring: CountingPlaintextKeyring
) -> None:
    repo = LlmConfigRepository(registry)
    config = await repo.create({"customName": "Work", "provider": "openai", "apiKey": KEY})
    assert counting_keyring.calls == {"set": 1}  # stored, never read back
    assert KEY not in repr(config)


async def test_api_key_follows_env_references_lazily(
    registry: ProviderRegistry, counting_keyring: CountingPlaintextKeyring
) -> None:
    await registry.create("openai", "From env", {"api_key": {"env": "ACME_COMPAT_KEY"}})
    config = await LlmConfigRepository(registry).read("from-env")
    assert config is not None
    os.environ["ACME_COMPAT_KEY"] = "sk-from-env-1"  # set after reading the config
    assert config.apiKey == "sk-from-env-1"
    assert counting_keyring.total == 0


async def test_missing_key_raises_on_access_not_on_read(registry: ProviderRegistry) -> None:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "No key", "provider": "openai"})
    config = await repo.read("no-key")
    assert config is not None
    with pytest.raises(SecretMissingError):
        _ = config.apiKey
    local = await repo.create({"customName": "Local", "provider": "ollama"})
    with pytest.raises(SecretMissingError, match="no key|takes no key"):
        _ = local.apiKey


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_times_come_from_the_audit_log(config_dir: Path) -> None:
    clock = Clock()
    store = SecretStore(backend=CountingPlaintextKeyring(), allow_insecure=True)
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=store, audit=AuditLog(clock=clock)
    )
    repo = LlmConfigRepository(registry)
    created = await repo.create({"customName": "Work", "provider": "openai"})
    assert (created.createdAt, created.updatedAt) == (iso(clock.now), iso(clock.now))
    first = clock.now
    clock.now += 3600
    updated = await repo.update(created.id, {"customName": "Work (renamed)"})
    assert (updated.createdAt, updated.updatedAt) == (iso(first), iso(clock.now))
    clock.now += 60
    await registry.set_secret(created.id, "api_key", SecretStr("sk-later"))
    (meta,) = await repo.list()
    assert (meta.createdAt, meta.updatedAt) == (iso(first), iso(clock.now))


async def test_times_fall_back_to_the_file_mtime(config_dir: Path) -> None:
    path = config_dir / "hand.yaml"
    path.write_text(
        "version: 1\nproviders:\n  - id: hand\n    name: Hand made\n    provider: openai\n"
    )
    os.utime(path, (1_650_000_000.5, 1_650_000_000.5))
    registry = await ProviderRegistry.open(
        [str(config_dir)],
        secrets=SecretStore(backend=CountingPlaintextKeyring(), allow_insecure=True),
    )
    (meta,) = await LlmConfigRepository(registry).list()
    assert meta.createdAt == meta.updatedAt == "2022-04-15T05:20:00.500+00:00"


async def test_imported_times_come_from_the_legacy_entries(config_dir: Path) -> None:
    """A migration records the old createdAt/updatedAt in the audit log; they win."""
    clock = Clock()
    audit = AuditLog(clock=clock)
    registry = await ProviderRegistry.open(
        [str(config_dir)],
        secrets=SecretStore(backend=CountingPlaintextKeyring(), allow_insecure=True),
        audit=audit,
    )
    instance = await registry.create("openai", "Imported", {})
    audit.record(
        source="cli",
        action="import",
        instance_id=instance.id,
        file=instance.file,
        fields=("legacy_id",),
        legacy_times=("2024-03-01T09:15:00.000Z", "2024-05-20T17:42:10.123Z"),
    )
    config = await LlmConfigRepository(registry).read(instance.id)
    assert config is not None
    assert (config.createdAt, config.updatedAt) == (
        "2024-03-01T09:15:00.000Z",
        "2024-05-20T17:42:10.123Z",
    )
    clock.now += 10
    later = await LlmConfigRepository(registry).update(instance.id, {"customName": "Imported 2"})
    assert later.createdAt == "2024-03-01T09:15:00.000Z"
    assert later.updatedAt == iso(clock.now)
