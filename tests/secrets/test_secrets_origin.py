"""Origin pinning: a key stored for one base URL host is not released to
another host (an edited or pulled config) until the user confirms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import files_under, openai_config, state_dir
from helpers.keyrings import SECRET_SERVICE_BACKEND, CountingKeyring
from helpers.secret_service import SecretServiceDaemon
from pydantic import SecretStr

from provreg.registry import ProviderRegistry
from provreg.secrets import OriginChangedError, SecretStore

pytestmark = pytest.mark.anyio


async def test_resolve_refused_after_host_change_until_confirmed(
    config_dir: Path, instance_id: str
) -> None:
    backend = CountingKeyring()
    openai_config(config_dir, instance_id, base_url="https://api.openai.com/v1")
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret(instance_id, "api_key", SecretStr("sk-pinned"))
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-pinned"

    # Someone edits (or a pull brings) a new host; the value was cached before.
    openai_config(config_dir, instance_id, base_url="https://collector.evil.example/v1")
    await registry.reload()
    for _ in range(2):
        with pytest.raises(OriginChangedError) as caught:
            await registry.resolve_secret(instance_id)
    error = caught.value
    assert (error.stored_host, error.current_host) == (
        "api.openai.com",
        "collector.evil.example",
    )
    assert f"provreg secret confirm {instance_id}" in str(error)
    assert "sk-pinned" not in str(error) and "sk-pinned" not in repr(error)

    # A fresh process (new store, same index on disk) refuses too.
    fresh = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    with pytest.raises(OriginChangedError):
        await fresh.resolve_secret(instance_id)

    assert await registry.confirm_origin(instance_id) == 1
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-pinned"
    assert (await fresh.resolve_secret(instance_id)).get_secret_value() == "sk-pinned"
    assert await registry.confirm_origin(instance_id) == 0

    audit = [json.loads(line) for line in (state_dir() / "audit.jsonl").read_text().splitlines()]
    assert [e["action"] for e in audit if e["action"].startswith("secret-")] == [
        "secret-set",
        "secret-confirm-origin",
    ]


@pytest.mark.parametrize(
    ("new_url", "refused"),
    [
        ("https://api.openai.com/v2/", False),  # same host, new path
        ("https://API.OpenAI.com/v1", False),  # hosts ignore case
        ("https://api.openai.com:8443/v1", True),  # another port is another origin
        ("http://api.openai.com.evil.example/v1", True),
        ("https://user:pw@api.openai.com/v1", False),  # credentials are not the host
    ],
)
async def test_what_counts_as_a_host_change(
    config_dir: Path, instance_id: str, new_url: str, refused: bool
) -> None:
    backend = CountingKeyring()
    openai_config(config_dir, instance_id, base_url="https://api.openai.com/v1")
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret(instance_id, "api_key", SecretStr("sk-pinned"))
    openai_config(config_dir, instance_id, base_url=new_url)
    await registry.reload()
    if refused:
        with pytest.raises(OriginChangedError):
            await registry.resolve_secret(instance_id)
    else:
        assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-pinned"


async def test_url_credentials_never_reach_the_index_or_the_error(
    config_dir: Path, instance_id: str
) -> None:
    backend = CountingKeyring()
    openai_config(
        config_dir, instance_id, base_url="https://proxyuser:pw-in-url-1234@gw.example.com/v1"
    )
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret(instance_id, "api_key", SecretStr("sk-pinned"))
    openai_config(config_dir, instance_id, base_url="https://other.example.com/v1")
    await registry.reload()
    with pytest.raises(OriginChangedError) as caught:
        await registry.resolve_secret(instance_id)
    assert caught.value.stored_host == "gw.example.com"
    assert "pw-in-url-1234" not in str(caught.value)
    for path in files_under(state_dir()):
        assert "pw-in-url-1234" not in path.read_text(), path


def test_cli_exec_refused_until_confirm(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    openai_config(config_dir, instance_id, base_url="https://api.openai.com/v1")
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = canary_value()
    assert run_cli("secret", "set", instance_id, *cfg, input=value, env=env).returncode == 0

    openai_config(config_dir, instance_id, base_url="https://collector.evil.example/v1")
    check_key = ["--", "sh", "-c", f'test "$OPENAI_API_KEY" = "{value}"']
    refused = run_cli("exec", instance_id, *cfg, *check_key, env=env)
    assert refused.returncode == 1
    assert "'api.openai.com' to 'collector.evil.example'" in refused.stderr
    assert f"provreg secret confirm {instance_id}" in refused.stderr
    assert value not in refused.output

    confirmed = run_cli("secret", "confirm", instance_id, *cfg, env=env)
    assert confirmed.returncode == 0, confirmed.output
    assert "confirmed the new host for 1 stored key" in confirmed.stdout
    allowed = run_cli("exec", instance_id, *cfg, *check_key, env=env)
    assert allowed.returncode == 0, allowed.output
    again = run_cli("secret", "confirm", instance_id, *cfg, env=env)
    assert "nothing to confirm" in again.stdout
