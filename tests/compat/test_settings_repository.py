"""The old settings-repository pattern: load_settings, save_settings(partial),
get_default_settings, validate_settings — written the way old call sites use it.

    settings_repo = SettingsRepository(registry)
    settings = await settings_repo.load_settings()
    await settings_repo.save_settings({"activeLlmConfigId": settings.llmConfigs[0].id})
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.files import files_containing
from helpers.keyrings import keyring_get

from provreg.compat import (
    AppSettings,
    CompatValidationError,
    LlmConfigRepository,
    SettingsRepository,
)
from provreg.registry import ProviderRegistry

pytestmark = pytest.mark.anyio


@pytest.fixture
async def two_configs(registry: ProviderRegistry) -> ProviderRegistry:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "Work", "provider": "openai", "apiKey": "sk-work-1"})
    await repo.create(
        {
            "customName": "Claude",
            "provider": "anthropic",
            "apiKey": "sk-ant-claude-1",
            "baseUrl": "https://gw.example.com",
        }
    )
    return registry


def mentions(problems: list[str], text: str) -> bool:
    return any(text in problem for problem in problems)


async def test_default_settings(registry: ProviderRegistry) -> None:
    defaults = SettingsRepository(registry).get_default_settings()
    assert defaults == AppSettings(llmConfigs=[], activeLlmConfigId=None)


async def test_load_settings_lists_configs_without_keys(two_configs: ProviderRegistry) -> None:
    settings = await SettingsRepository(two_configs).load_settings()
    assert [(c.id, c.customName, c.baseUrl) for c in settings.llmConfigs] == [
        ("work", "Work", None),
        ("claude", "Claude", "https://gw.example.com"),
    ]
    assert settings.activeLlmConfigId is None
    assert "sk-" not in settings.model_dump_json()


async def test_active_config_persists_across_repository_instances(
    two_configs: ProviderRegistry, config_dir: Path
) -> None:
    saved = await SettingsRepository(two_configs).save_settings({"activeLlmConfigId": "claude"})
    assert saved.activeLlmConfigId == "claude"
    assert (await SettingsRepository(two_configs).load_settings()).activeLlmConfigId == "claude"
    # A new process: a new registry and a new repository read the same setting.
    reopened = await ProviderRegistry.open([str(config_dir)])
    assert (await SettingsRepository(reopened).load_settings()).activeLlmConfigId == "claude"
    # Saving something else leaves it alone; clearing it works.
    await SettingsRepository(reopened).save_settings({"llmConfigs": []})
    assert (await SettingsRepository(reopened).load_settings()).activeLlmConfigId == "claude"
    cleared = await SettingsRepository(reopened).save_settings({"activeLlmConfigId": None})
    assert cleared.activeLlmConfigId is None
    # Nothing of it is written into the watched config dir.
    assert sorted(p.name for p in config_dir.iterdir()) == ["providers.yaml"]


async def test_active_config_of_a_deleted_config_reads_as_none(
    two_configs: ProviderRegistry,
) -> None:
    settings_repo = SettingsRepository(two_configs)
    await settings_repo.save_settings({"activeLlmConfigId": "work"})
    await LlmConfigRepository(two_configs).delete("work")
    assert (await settings_repo.load_settings()).activeLlmConfigId is None


async def test_save_settings_updates_with_id_creates_without_and_deletes_nothing(
    two_configs: ProviderRegistry, config_dir: Path
) -> None:
    settings_repo = SettingsRepository(two_configs)
    result = await settings_repo.save_settings(
        {
            "llmConfigs": [
                {"id": "work", "customName": "Work (EU)", "baseUrl": "https://eu.example.com/v1"},
                {"customName": "Groq", "provider": "groq", "apiKey": "gsk_new_1"},
            ],
            "activeLlmConfigId": "claude",
        }
    )
    assert [(c.id, c.customName, c.provider) for c in result.llmConfigs] == [
        ("work", "Work (EU)", "openai"),
        ("claude", "Claude", "anthropic"),  # not mentioned: left alone
        ("groq", "Groq", "groq"),
    ]
    assert result.llmConfigs[0].baseUrl == "https://eu.example.com/v1"
    assert result.activeLlmConfigId == "claude"
    assert keyring_get("groq/api_key") == "gsk_new_1"
    assert keyring_get("work/api_key") == "sk-work-1"  # untouched: no apiKey given
    assert files_containing("gsk_new_1", config_dir) == []


async def test_loaded_settings_save_back_unchanged(
    two_configs: ProviderRegistry, config_dir: Path
) -> None:
    settings_repo = SettingsRepository(two_configs)
    before = (config_dir / "providers.yaml").read_bytes()
    loaded = await settings_repo.load_settings()
    again = await settings_repo.save_settings(loaded.model_dump())
    assert (config_dir / "providers.yaml").read_bytes() == before
    assert [c.customName for c in again.llmConfigs] == [c.customName for c in loaded.llmConfigs]


@pytest.mark.parametrize(
    ("partial", "problem"),
    [
        ({"theme": "dark"}, "unknown setting 'theme'"),
        ({"activeLlmConfigId": "nope"}, "activeLlmConfigId 'nope' is not a known config"),
        ({"llmConfigs": {"customName": "x"}}, "llmConfigs must be a list"),
        ({"llmConfigs": ["Work"]}, "llmConfigs[0]: must be an object"),
        (
            {"llmConfigs": [{"customName": "", "provider": "openai"}]},
            "llmConfigs[0]: customName must be",
        ),
        (
            {"llmConfigs": [{"customName": "WORK ", "provider": "openai"}]},
            "llmConfigs[0]: customName 'WORK' is already used",
        ),
        (
            {"llmConfigs": [{"id": "claude", "customName": "work"}]},
            "llmConfigs[0]: customName 'work' is already used",
        ),
        (
            {
                "llmConfigs": [
                    {"customName": "A", "provider": "openai"},
                    {"customName": "a", "provider": "openai"},
                ]
            },
            "llmConfigs[1]: customName 'a' is already used",
        ),
        (
            {"llmConfigs": [{"id": "ghost", "customName": "Ghost"}]},
            "llmConfigs[0]: no config with id 'ghost'",
        ),
        (
            {"llmConfigs": [{"id": "work", "provider": "anthropic"}]},
            "llmConfigs[0]: provider cannot be changed",
        ),
        (
            {"llmConfigs": [{"customName": "N", "provider": "openai", "apiKey": "k" * 501}]},
            "llmConfigs[0]: apiKey must be",
        ),
        (
            {"llmConfigs": [{"customName": "N", "provider": "openai", "baseUrl": "x"}]},
            "llmConfigs[0]: baseUrl is not a valid URL",
        ),
        (
            {"llmConfigs": [{"customName": "N", "provider": "cohere"}]},
            "llmConfigs[0]: unknown provider 'cohere'",
        ),
        (
            {"llmConfigs": [{"customName": "N", "provider": "openai", "useAuthHeader": True}]},
            "llmConfigs[0]: provider 'openai' has no use_auth_header",
        ),
        ({"llmConfigs": [{"customName": "N"}]}, "llmConfigs[0]: provider: Field required"),
    ],
    ids=[
        "unknown-key",
        "unknown-active",
        "configs-not-list",
        "config-not-object",
        "empty-name",
        "duplicate-of-existing",
        "rename-onto-existing",
        "duplicate-in-batch",
        "unknown-id",
        "provider-change",
        "long-key",
        "bad-url",
        "unknown-provider",
        "auth-header-openai",
        "no-provider",
    ],
)
async def test_validate_and_save_refuse_bad_settings(
    two_configs: ProviderRegistry, config_dir: Path, partial: dict[str, object], problem: str
) -> None:
    settings_repo = SettingsRepository(two_configs)
    assert mentions(settings_repo.validate_settings(partial), problem)
    before = (config_dir / "providers.yaml").read_bytes()
    with pytest.raises(CompatValidationError) as exc:
        await settings_repo.save_settings(partial)
    assert mentions(exc.value.report.errors, problem)
    # Refused as a whole: nothing written, not even the valid part of a batch.
    assert (config_dir / "providers.yaml").read_bytes() == before


async def test_a_batch_with_one_bad_config_writes_nothing(
    two_configs: ProviderRegistry, config_dir: Path
) -> None:
    settings_repo = SettingsRepository(two_configs)
    before = (config_dir / "providers.yaml").read_bytes()
    with pytest.raises(CompatValidationError):
        await settings_repo.save_settings(
            {
                "llmConfigs": [
                    {"customName": "Fine", "provider": "openai", "apiKey": "sk-fine-1"},
                    {"customName": "claude", "provider": "anthropic"},
                ],
                "activeLlmConfigId": "work",
            }
        )
    assert (config_dir / "providers.yaml").read_bytes() == before
    assert keyring_get("fine/api_key") is None
    assert (await settings_repo.load_settings()).activeLlmConfigId is None


async def test_valid_settings_have_no_problems(two_configs: ProviderRegistry) -> None:
    settings_repo = SettingsRepository(two_configs)
    assert settings_repo.validate_settings({}) == []
    assert settings_repo.validate_settings({"activeLlmConfigId": "work"}) == []
    assert settings_repo.validate_settings({"activeLlmConfigId": None}) == []
    loaded = await settings_repo.load_settings()
    assert settings_repo.validate_settings(loaded.model_dump()) == []
