"""References: `{env: VAR}`, `{file: PATH}`, `{keyring: NAME}`; typed errors
for missing secrets (never an empty string); the in-memory cache and when it
is invalidated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.files import write_config
from helpers.keyrings import CountingKeyring
from pydantic import SecretStr

from provreg.registry import ProviderRegistry
from provreg.secrets import (
    InsecureSecretFileError,
    SecretError,
    SecretMissingError,
    SecretStore,
    UnpinnedKeyError,
)

pytestmark = pytest.mark.anyio


def config_with(directory: Path, instance_id: str, api_key: str, base_url: str = "") -> Path:
    base = f"\n            base_url: {base_url}" if base_url else ""
    return write_config(
        directory,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: Test {instance_id}
            provider: openai{base}
            api_key: {api_key}
        """,
    )


async def confirm_uncounted(registry: ProviderRegistry, instance_id: str) -> None:
    """Confirm the host for a key stored outside provreg (no pin yet); the keyring
    read that checks the key exists is not one of the reads a test counts."""
    backend = registry.secret_store()._backend
    calls = backend.calls if isinstance(backend, CountingKeyring) else []
    before = len(calls)
    await registry.confirm_origin(instance_id)
    del calls[before:]


async def open_with(config_dir: Path, backend: object | None = None) -> ProviderRegistry:
    store = SecretStore(backend=backend if backend is not None else CountingKeyring())
    return await ProviderRegistry.open([str(config_dir)], secrets=store)


async def stored_outside(
    config_dir: Path, instance_id: str, value: str, base_url: str = ""
) -> tuple[ProviderRegistry, CountingKeyring]:
    """A registry on `{keyring: true}` whose keyring entry holds `value`, stored
    outside provreg, its host confirmed (that read not counted)."""
    backend = CountingKeyring()
    backend.values[("provreg", f"{instance_id}/api_key")] = value
    config_with(config_dir, instance_id, "{keyring: true}", base_url)
    registry = await open_with(config_dir, backend)
    await confirm_uncounted(registry, instance_id)
    return registry, backend


# --------------------------------------------------------------------------- env


async def test_env_reference_set(config_dir: Path, instance_id: str) -> None:
    config_with(config_dir, instance_id, "{env: WORK_OPENAI_KEY}")
    os.environ["WORK_OPENAI_KEY"] = "sk-env-value"
    registry = await open_with(config_dir)
    secret = await registry.resolve_secret(instance_id, "api_key")
    assert isinstance(secret, SecretStr) and secret.get_secret_value() == "sk-env-value"


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
async def test_env_reference_unset_or_empty(
    config_dir: Path, instance_id: str, value: str | None
) -> None:
    config_with(config_dir, instance_id, "{env: WORK_OPENAI_KEY}")
    os.environ.pop("WORK_OPENAI_KEY", None)
    if value is not None:
        os.environ["WORK_OPENAI_KEY"] = value
    registry = await open_with(config_dir)
    with pytest.raises(SecretMissingError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    error = caught.value
    assert (error.instance_id, error.field) == (instance_id, "api_key")
    assert f"{instance_id}.api_key" in str(error)
    assert "environment variable WORK_OPENAI_KEY" in str(error)
    assert "export WORK_OPENAI_KEY" in str(error)


# --------------------------------------------------------------------------- file


def key_file(mode: int, content: str = "sk-file-value\n") -> Path:
    path = Path(os.environ["HOME"]) / "keys" / "openai"
    path.parent.mkdir(exist_ok=True)
    path.write_text(content)
    path.chmod(mode)
    return path


async def test_file_reference_with_tilde_and_mode_0600(config_dir: Path, instance_id: str) -> None:
    key_file(0o600)
    config_with(config_dir, instance_id, "{file: ~/keys/openai}")
    registry = await open_with(config_dir)
    # A file key is pinned like a keyring one: released to no host until confirmed.
    with pytest.raises(UnpinnedKeyError) as caught:
        await registry.resolve_secret(instance_id)
    assert f"provreg secret confirm {instance_id}" in str(caught.value)
    [status] = await registry.secret_status(instance_id)
    assert status.present and status.problem and "not confirmed for any host" in status.problem
    assert await registry.confirm_origin(instance_id) == 1
    secret = await registry.resolve_secret(instance_id)
    assert secret.get_secret_value() == "sk-file-value"  # the trailing newline dropped
    [status] = await registry.secret_status(instance_id)
    assert (status.kind, status.present, status.problem) == ("file", True, None)
    assert status.target == str(Path(os.environ["HOME"]) / "keys" / "openai")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
async def test_file_readable_by_others_is_refused(
    config_dir: Path, instance_id: str, mode: int
) -> None:
    path = key_file(mode)
    config_with(config_dir, instance_id, "{file: ~/keys/openai}")
    registry = await open_with(config_dir)
    with pytest.raises(InsecureSecretFileError) as caught:
        await registry.resolve_secret(instance_id)
    message = str(caught.value)
    assert f"chmod 600 {path}" in message and f"{instance_id}.api_key" in message
    assert "sk-file-value" not in message
    [status] = await registry.secret_status(instance_id)
    assert status.problem is not None and "chmod 600" in status.problem


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "create it"), ("", "the file is empty"), ("\n  \n", "the file is empty")],
    ids=["missing", "empty", "blank"],
)
async def test_file_missing_or_empty(
    config_dir: Path, instance_id: str, content: str | None, expected: str
) -> None:
    if content is not None:
        key_file(0o600, content)
    config_with(config_dir, instance_id, "{file: ~/keys/openai}")
    registry = await open_with(config_dir)
    with pytest.raises(SecretMissingError) as caught:
        await registry.resolve_secret(instance_id)
    message = str(caught.value)
    path = Path(os.environ["HOME"]) / "keys" / "openai"
    assert f"{instance_id}.api_key" in message and f"the file {path}" in message
    assert expected in message
    # status agrees with resolving: a blank file is not "present"
    [status] = await registry.secret_status(instance_id)
    assert status.present is False


# --------------------------------------------------------------------------- keyring


async def test_keyring_missing_or_empty_is_a_typed_error(
    config_dir: Path, instance_id: str
) -> None:
    backend = CountingKeyring()
    config_with(config_dir, instance_id, "{keyring: shared-openai}")
    registry = await open_with(config_dir, backend)
    with pytest.raises(SecretMissingError) as caught:
        await registry.resolve_secret(instance_id)
    message = str(caught.value)
    assert f"{instance_id}.api_key" in message
    assert "service 'provreg', user 'shared-openai'" in message
    assert f"provreg secret set {instance_id} api_key" in message

    backend.values[("provreg", "shared-openai")] = ""
    with pytest.raises(SecretMissingError):
        await registry.resolve_secret(instance_id)

    backend.values[("provreg", "shared-openai")] = "sk-named"
    await confirm_uncounted(registry, instance_id)  # stored outside provreg: no pin yet
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-named"


async def test_not_a_secret_field_and_no_writes_to_env_refs(
    config_dir: Path, instance_id: str
) -> None:
    config_with(config_dir, instance_id, "{env: WORK_OPENAI_KEY}")
    registry = await open_with(config_dir)
    with pytest.raises(SecretError, match="not a secret field"):
        await registry.resolve_secret(instance_id, "base_url")
    with pytest.raises(SecretError, match="does not write there"):
        await registry.set_secret(instance_id, "api_key", SecretStr("sk-x"))


# --------------------------------------------------------------------------- cache


async def test_second_resolve_does_not_call_the_backend(config_dir: Path, instance_id: str) -> None:
    registry, backend = await stored_outside(config_dir, instance_id, "sk-cached")
    for _ in range(3):
        assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-cached"
    assert backend.calls == [("get", f"{instance_id}/api_key")]


async def test_cache_invalidated_when_the_reference_changes(
    config_dir: Path, instance_id: str
) -> None:
    backend = CountingKeyring()
    backend.values[("provreg", f"{instance_id}/api_key")] = "sk-default-entry"
    backend.values[("provreg", "other-entry")] = "sk-other-entry"
    config_with(config_dir, instance_id, "{keyring: true}")
    registry = await open_with(config_dir, backend)
    await confirm_uncounted(registry, instance_id)  # stored outside provreg: no pin yet
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-default-entry"

    config_with(config_dir, instance_id, "{keyring: other-entry}")
    await registry.reload()
    await confirm_uncounted(registry, instance_id)  # another key: pinned apart
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-other-entry"

    os.environ["WORK_OPENAI_KEY"] = "sk-env"
    config_with(config_dir, instance_id, "{env: WORK_OPENAI_KEY}")
    await registry.reload()
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-env"

    config_with(config_dir, instance_id, "{keyring: true}")
    await registry.reload()
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-default-entry"
    assert backend.calls == [
        ("get", f"{instance_id}/api_key"),
        ("get", "other-entry"),
        ("get", f"{instance_id}/api_key"),
    ]


async def test_cache_invalidated_when_the_base_url_host_changes(
    config_dir: Path, instance_id: str
) -> None:
    """Once the new host is confirmed, the keyring is read again rather than the
    value read for the old host reused."""
    registry, backend = await stored_outside(
        config_dir, instance_id, "sk-one", "https://api.openai.com/v1"
    )
    await registry.resolve_secret(instance_id)

    config_with(config_dir, instance_id, "{keyring: true}", "https://gateway.example.com/v1")
    await registry.reload()
    await confirm_uncounted(registry, instance_id)
    backend.values[("provreg", f"{instance_id}/api_key")] = "sk-two"
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-two"
    assert len(backend.calls) == 2


async def test_cache_invalidated_by_set_and_remove(config_dir: Path, instance_id: str) -> None:
    backend = CountingKeyring()
    config_with(config_dir, instance_id, "{keyring: true}")
    registry = await open_with(config_dir, backend)
    await registry.set_secret(instance_id, "api_key", SecretStr("sk-first"))
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-first"
    await registry.set_secret(instance_id, "api_key", SecretStr("sk-second"))
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-second"
    await registry.remove_secret(instance_id, "api_key")
    with pytest.raises(SecretMissingError):
        await registry.resolve_secret(instance_id)


async def test_cache_dropped_when_the_instance_is_edited_in_its_file(
    config_dir: Path, instance_id: str
) -> None:
    registry, backend = await stored_outside(
        config_dir, instance_id, "sk-one", "https://api.openai.com/v1"
    )
    await registry.resolve_secret(instance_id)
    await registry.reload()  # nothing changed: still cached
    await registry.resolve_secret(instance_id)
    assert len(backend.calls) == 1

    # Same host, new path: the instance changed, so the key is read again.
    config_with(config_dir, instance_id, "{keyring: true}", "https://api.openai.com/v2")
    await registry.reload()
    backend.values[("provreg", f"{instance_id}/api_key")] = "sk-two"
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-two"
    assert len(backend.calls) == 2
