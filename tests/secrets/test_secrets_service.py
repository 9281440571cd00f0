"""Against a real Secret Service (gnome-keyring on a private session bus):
set, resolve and remove through the registry and through the CLI, and check
with `secret-tool lookup` that the entry really is (or is not) in the daemon."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import openai_config, state_dir
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon
from keyring.backends import SecretService
from pydantic import SecretStr

from provreg.registry import ProviderRegistry
from provreg.secrets import SecretMissingError, SecretStore, UnpinnedKeyError
from provreg.secrets.index import SecretIndex

pytestmark = pytest.mark.anyio


async def test_registry_set_resolve_remove(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    openai_config(config_dir, instance_id)
    store = SecretStore(backend=SecretService.Keyring())
    registry = await ProviderRegistry.open([str(config_dir)], secrets=store)
    value = canary_value()

    user = await registry.set_secret(instance_id, "api_key", SecretStr(value))

    assert user == f"{instance_id}/api_key"
    assert secret_service.lookup(user) == value
    resolved = await registry.resolve_secret(instance_id, "api_key")
    assert isinstance(resolved, SecretStr)
    assert resolved.get_secret_value() == value

    # A new process (fresh store, no cache) reads it from the daemon too.
    fresh = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=SecretService.Keyring())
    )
    assert (await fresh.resolve_secret(instance_id)).get_secret_value() == value

    statuses = await registry.secret_status(instance_id)
    assert [(s.field, s.kind, s.present, s.backend) for s in statuses] == [
        ("api_key", "keyring", True, SECRET_SERVICE_BACKEND)
    ]

    assert await registry.remove_secret(instance_id, "api_key") is True
    assert secret_service.lookup(user) is None
    with pytest.raises(SecretMissingError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    message = str(caught.value)
    assert instance_id in message and "api_key" in message and "keyring" in message
    assert await registry.remove_secret(instance_id, "api_key") is False


async def test_default_backend_is_keyrings_configured_one(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    """SecretStore() without a backend uses keyring's configured one (here SecretService)."""
    openai_config(config_dir, instance_id)
    registry = await ProviderRegistry.open([str(config_dir)])
    value = canary_value()
    await registry.set_secret(instance_id, "api_key", SecretStr(value))
    assert secret_service.lookup(f"{instance_id}/api_key") == value
    assert registry.secret_store().backend_description() == SECRET_SERVICE_BACKEND


async def test_key_stored_outside_provreg_is_resolved_once_confirmed(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    """`{keyring: true}` reads service provreg, user <id>/<field>, whoever wrote it;
    a key provreg did not store has no pin, so it goes to no host until confirmed."""
    openai_config(config_dir, instance_id)
    value = canary_value()
    secret_service.store(f"{instance_id}/api_key", value)
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=SecretService.Keyring())
    )
    with pytest.raises(UnpinnedKeyError) as caught:
        await registry.resolve_secret(instance_id)
    assert "'api.openai.com'" in str(caught.value) and value not in str(caught.value)
    assert await registry.confirm_origin(instance_id) == 1
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == value


def test_cli_set_status_exec_rm(
    secret_service: SecretServiceDaemon,
    config_dir: Path,
    instance_id: str,
) -> None:
    openai_config(config_dir, instance_id)
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = canary_value()
    user = f"{instance_id}/api_key"

    stored = run_cli("secret", "set", instance_id, *cfg, input=value + "\n", env=env)
    assert stored.returncode == 0, stored.output
    assert secret_service.lookup(user) == value  # the trailing newline was dropped

    status = run_cli("secret", "status", instance_id, "--json", *cfg, env=env)
    assert status.returncode == 0, status.output
    assert json.loads(status.stdout) == [
        {
            "instance_id": instance_id,
            "field": "api_key",
            "kind": "keyring",
            "target": user,
            "present": True,
            "backend": SECRET_SERVICE_BACKEND,
            "problem": None,
            "unconfirmed": False,
        }
    ]
    text = run_cli("secret", "status", *cfg, env=env)
    assert "● set" in text.stdout and SECRET_SERVICE_BACKEND in text.stdout

    same = run_cli(
        "exec",
        instance_id,
        *cfg,
        "--",
        "sh",
        "-c",
        f'test "$OPENAI_API_KEY" = "{value}" && echo same',
        env=env,
    )
    assert (same.returncode, same.stdout) == (0, "same\n"), same.output

    index = SecretIndex().entries()
    assert [(e.service, e.user, e.instance_id, e.field, e.hosts, e.stored) for e in index] == [
        ("provreg", user, instance_id, "api_key", ("api.openai.com",), True)
    ]
    assert stat.S_IMODE((state_dir() / "secrets-index.json").stat().st_mode) == 0o600

    removed = run_cli("secret", "rm", instance_id, *cfg, env=env)
    assert removed.returncode == 0, removed.output
    assert "removed" in removed.stdout
    assert secret_service.lookup(user) is None
    assert SecretIndex().entries() == []

    gone = run_cli("secret", "status", instance_id, "--json", *cfg, env=env)
    assert json.loads(gone.stdout)[0]["present"] is False
    refused = run_cli("exec", instance_id, *cfg, "--", "true", env=env)
    assert refused.returncode == 1
    assert "no secret found" in refused.stderr and user in refused.stderr

    audit = [json.loads(line) for line in (state_dir() / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["instance_id"], e["fields"]) for e in audit] == [
        ("secret-set", instance_id, ["api_key"]),
        ("secret-remove", instance_id, ["api_key"]),
    ]


def test_cli_set_named_field_and_empty_stdin(
    secret_service: SecretServiceDaemon,
    config_dir: Path,
    instance_id: str,
) -> None:
    openai_config(config_dir, instance_id)
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    empty = run_cli("secret", "set", instance_id, "api_key", *cfg, input="", env=env)
    assert empty.returncode == 1 and "empty" in empty.stderr
    assert secret_service.lookup(f"{instance_id}/api_key") is None
    not_secret = run_cli("secret", "set", instance_id, "base_url", *cfg, input="x", env=env)
    assert not_secret.returncode == 1 and "not a secret field" in not_secret.stderr
