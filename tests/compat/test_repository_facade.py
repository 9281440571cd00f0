"""The old LLM config repository pattern, used the way old call sites use it:

    repo = LlmConfigRepository(registry)
    config = await repo.create({"customName": ..., "provider": ..., "apiKey": ..., ...})
    await repo.read(id) / update(id, partial) / list() / exists(id) / delete(id)

Keys land in the (real, plaintext-file) keyring and never in YAML.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.files import files_containing
from helpers.keyrings import CountingPlaintextKeyring, keyring_get

from provreg.compat import (
    CompatValidationError,
    LlmConfigData,
    LlmConfigRepository,
    validate_config_data,
)
from provreg.config.read.load_set import load_paths
from provreg.registry import ProviderRegistry
from provreg.secrets import SecretMissingError, SecretStore

pytestmark = pytest.mark.anyio

WORK_KEY = "sk-proj-WorkKey-aaaaaaaaaaaaaaaa"
CLAUDE_KEY = "sk-ant-api03-ClaudeKey-bbbbbbbbbbbb"


async def test_old_call_site_flow(registry: ProviderRegistry, config_dir: Path) -> None:
    repo = LlmConfigRepository(registry)

    config = await repo.create(
        {
            "customName": "Work",
            "provider": "openai",
            "apiKey": WORK_KEY,
            "baseUrl": "https://api.openai.com/v1",
        }
    )
    assert config.id == "work"
    assert config.customName == "Work"
    assert config.provider == "openai"
    assert config.baseUrl == "https://api.openai.com/v1"
    assert config.useAuthHeader is False
    assert config.createdAt and config.updatedAt
    assert config.apiKey == WORK_KEY

    claude = await repo.create(
        LlmConfigData(
            customName="Claude gateway",
            provider="anthropic",
            apiKey=CLAUDE_KEY,
            baseUrl="https://gw.example.com",
            useAuthHeader=True,
        )
    )
    assert claude.id == "claude-gateway" and claude.useAuthHeader is True

    read = await repo.read(config.id)
    assert read is not None and read.customName == "Work" and read.apiKey == WORK_KEY
    assert await repo.read("no-such-config") is None

    renamed = await repo.update(config.id, {"customName": "New"})
    assert renamed.id == config.id  # ids survive renames: the key stays attached
    assert renamed.customName == "New"
    assert renamed.baseUrl == "https://api.openai.com/v1"  # fields not given stay
    assert renamed.apiKey == WORK_KEY

    listed = await repo.list()
    assert [(m.id, m.customName, m.provider) for m in listed] == [
        ("work", "New", "openai"),
        ("claude-gateway", "Claude gateway", "anthropic"),
    ]
    assert await repo.exists("work") is True
    assert await repo.exists("nope") is False

    assert await repo.delete("work") is True
    assert await repo.exists("work") is False
    assert await repo.read("work") is None
    assert await repo.delete("work") is False
    assert [m.id for m in await repo.list()] == ["claude-gateway"]

    # The YAML says what the configs say, and holds no key.
    (instance,) = load_paths([str(config_dir)]).instances
    assert (instance.id, instance.name, instance.values["use_auth_header"]) == (
        "claude-gateway",
        "Claude gateway",
        True,
    )
    assert files_containing(CLAUDE_KEY, config_dir) == []
    assert files_containing(WORK_KEY, config_dir) == []
    assert keyring_get("claude-gateway/api_key") == CLAUDE_KEY


async def test_update_key_base_url_and_auth_header(registry: ProviderRegistry) -> None:
    repo = LlmConfigRepository(registry)
    config = await repo.create(
        {"customName": "Claude", "provider": "anthropic", "apiKey": CLAUDE_KEY}
    )
    assert config.baseUrl is None
    updated = await repo.update(
        config.id,
        {"apiKey": "sk-ant-rotated-1", "baseUrl": "https://gw.example.com", "useAuthHeader": True},
    )
    assert (updated.baseUrl, updated.useAuthHeader) == ("https://gw.example.com", True)
    assert updated.apiKey == "sk-ant-rotated-1"
    assert keyring_get(f"{config.id}/api_key") == "sk-ant-rotated-1"
    cleared = await repo.update(config.id, {"baseUrl": None, "useAuthHeader": False})
    assert cleared.baseUrl is None and cleared.useAuthHeader is False
    assert "base_url" not in registry.get(config.id).values


async def test_delete_removes_the_key_so_a_new_config_cannot_inherit_it(
    config_dir: Path,
) -> None:
    first = await ProviderRegistry.open([str(config_dir)])
    repo = LlmConfigRepository(first)
    await repo.create({"customName": "Work", "provider": "openai", "apiKey": WORK_KEY})
    assert keyring_get("work/api_key") == WORK_KEY
    assert await repo.delete("work")
    assert keyring_get("work/api_key") is None

    # Another process creates a config with the same name, hence the same id.
    second = await ProviderRegistry.open([str(config_dir)])
    again = await LlmConfigRepository(second).create({"customName": "Work", "provider": "openai"})
    assert again.id == "work"
    with pytest.raises(SecretMissingError):
        _ = again.apiKey


async def test_delete_leaves_shared_and_external_keys_alone(registry: ProviderRegistry) -> None:
    import keyring

    keyring.set_password("provreg", "shared-openai", "sk-shared")
    await registry.create("openai", "Shared", {"api_key": {"keyring": "shared-openai"}})
    assert await LlmConfigRepository(registry).delete("shared")
    assert keyring_get("shared-openai") == "sk-shared"


async def test_delete_works_without_a_usable_keyring(config_dir: Path) -> None:
    from keyring.backends import fail

    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=fail.Keyring())
    )
    await registry.create("openai", "Work", {})
    assert await LlmConfigRepository(registry).delete("work") is True
    assert registry.find("work") is None


# --------------------------------------------------------------------------- validation


def error_texts(exc: pytest.ExceptionInfo[CompatValidationError]) -> str:
    return " | ".join(exc.value.report.errors)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"customName": "", "provider": "openai"}, "customName must be 1 to 100"),
        ({"customName": "   ", "provider": "openai"}, "customName must be 1 to 100"),
        ({"customName": "x" * 101, "provider": "openai"}, "customName must be 1 to 100"),
        ({"customName": "Work", "provider": "openai"}, "'Work' is already used"),
        ({"customName": "  WORK ", "provider": "openai"}, "'WORK' is already used"),
        ({"customName": "K", "provider": "openai", "apiKey": ""}, "apiKey must be 1 to 500"),
        ({"customName": "K", "provider": "openai", "apiKey": "k" * 501}, "apiKey must be 1 to 500"),
        (
            {"customName": "U", "provider": "openai", "baseUrl": "api.openai.com"},
            "baseUrl is not a valid URL",
        ),
        (
            {"customName": "U", "provider": "openai", "baseUrl": "ftp://x.example"},
            "baseUrl is not a valid URL",
        ),
        ({"customName": "P", "provider": "cohere"}, "unknown provider 'cohere'"),
        ({"customName": "H", "provider": "openai", "useAuthHeader": True}, "no use_auth_header"),
        ({"provider": "openai"}, "customName: Field required"),
        ({"customName": "T", "provider": "openai", "useAuthHeader": "maybe"}, "useAuthHeader"),
    ],
    ids=[
        "empty-name",
        "blank-name",
        "101-char-name",
        "duplicate",
        "duplicate-case-space",
        "empty-key",
        "501-char-key",
        "url-no-scheme",
        "url-ftp",
        "unknown-provider",
        "auth-header-openai",
        "no-name",
        "bad-bool",
    ],
)
async def test_create_refuses_what_the_old_rules_refused(
    registry: ProviderRegistry, data: dict[str, object], problem: str
) -> None:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "Work", "provider": "openai"})
    before = [i.id for i in registry.instances()]
    with pytest.raises(CompatValidationError) as exc:
        await repo.create(data)
    assert problem in error_texts(exc)
    assert [i.id for i in registry.instances()] == before  # nothing written


async def test_every_problem_is_listed_at_once(registry: ProviderRegistry) -> None:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "Work", "provider": "openai"})
    with pytest.raises(CompatValidationError) as exc:
        await repo.create(
            {"customName": " work", "provider": "openai", "apiKey": "k" * 501, "baseUrl": "nope"}
        )
    assert len(exc.value.report.errors) == 3
    message = str(exc.value)
    assert "already used" in message and "apiKey" in message and "baseUrl" in message
    assert "k" * 20 not in message  # the key is never repeated


@pytest.mark.parametrize(
    ("name", "ok"),
    [("x" * 100, True), ("  " + "x" * 100 + "  ", True), ("x" * 101, False), ("é" * 100, True)],
    ids=["100", "100-padded", "101", "100-non-ascii"],
)
def test_name_length_limits(name: str, ok: bool) -> None:
    report = validate_config_data(LlmConfigData(customName=name, provider="openai"))
    assert report.ok is ok


@pytest.mark.parametrize(("length", "ok"), [(1, True), (500, True), (501, False)])
def test_key_length_limits(length: int, ok: bool) -> None:
    data = LlmConfigData(customName="K", provider="openai", apiKey="sk-" + "k" * (length - 3))
    assert validate_config_data(data).ok is ok


async def test_update_validates_too(registry: ProviderRegistry) -> None:
    repo = LlmConfigRepository(registry)
    await repo.create({"customName": "Work", "provider": "openai"})
    other = await repo.create({"customName": "Other", "provider": "openai"})
    for partial, problem in [
        ({"customName": "WORK"}, "already used"),
        ({"customName": ""}, "customName must be"),
        ({"baseUrl": "not a url"}, "baseUrl"),
        ({"apiKey": "k" * 501}, "apiKey"),
        ({"provider": "anthropic"}, "provider cannot be changed"),
        ({"useAuthHeader": True}, "no use_auth_header"),
    ]:
        with pytest.raises(CompatValidationError, match=problem):
            await repo.update(other.id, partial)
    # Its own name, in another case, is not a duplicate of itself.
    assert (await repo.update(other.id, {"customName": "OTHER"})).customName == "OTHER"


@pytest.mark.parametrize(
    ("provider", "key", "warning"),
    [
        ("openai", "sk-proj-abc", None),
        ("openai", "pk-abc", "an openai key usually starts with 'sk-'"),
        ("openai", "sk-ant-abc", "this looks like an Anthropic key"),
        ("anthropic", "sk-ant-api03-abc", None),
        ("anthropic", "sk-abc", "an anthropic key usually starts with 'sk-ant-'"),
        ("groq", "gsk_abc", None),
    ],
)
def test_key_format_warnings(provider: str, key: str, warning: str | None) -> None:
    report = validate_config_data(LlmConfigData(customName="K", provider=provider, apiKey=key))
    assert report.ok
    assert report.warnings == ([warning] if warning else [])
    assert all(key not in w for w in report.warnings)


async def test_a_warning_does_not_stop_create(registry: ProviderRegistry) -> None:
    config = await LlmConfigRepository(registry).create(
        {"customName": "Odd key", "provider": "anthropic", "apiKey": "not-an-ant-key"}
    )
    assert config.apiKey == "not-an-ant-key"


async def test_other_providers_map_through_the_same_shape(config_dir: Path) -> None:
    registry = await ProviderRegistry.open(
        [str(config_dir)],
        secrets=SecretStore(backend=CountingPlaintextKeyring(), allow_insecure=True),
    )
    repo = LlmConfigRepository(registry)
    groq = await repo.create({"customName": "Groq", "provider": "groq", "apiKey": "gsk_1"})
    local = await repo.create(
        {"customName": "Box", "provider": "ollama", "baseUrl": "http://gpu-box:11434"}
    )
    assert groq.apiKey == "gsk_1"
    assert (local.provider, local.baseUrl) == ("ollama", "http://gpu-box:11434")
    # A key for a provider that takes none is not stored anywhere.
    box2 = await repo.create({"customName": "Box 2", "provider": "ollama", "apiKey": "sk-unused"})
    assert files_containing("sk-unused", config_dir) == []
    assert box2.id == "box-2"
