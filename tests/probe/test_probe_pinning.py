"""Origin pinning through a real Secret Service: a probe sends a keyring key only
to the host it was stored (`provreg secret set`) or confirmed for."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from conftest import instance_yaml, write_config
from helpers.cli import canary_value, run_cli
from helpers.fake_providers import FakeProvider, serving
from helpers.secret_service import SecretServiceDaemon

from provreg.probe import probe_instance
from provreg.registry import ProviderRegistry

pytestmark = pytest.mark.anyio


def keyring_instance(url: str, instance_id: str = "pinned") -> str:
    # No api_key line: the keyring default, `provreg/<id>/api_key`.
    return instance_yaml("openai", url, instance_id=instance_id).replace(
        "    api_key: {env: PROBE_TEST_KEY}\n", ""
    )


async def test_key_goes_only_to_the_pinned_host(
    secret_service: SecretServiceDaemon, tmp_path: Path
) -> None:
    key = canary_value()
    pinned, elsewhere = FakeProvider("openai", key=key), FakeProvider("openai", key=key)
    with serving(pinned), serving(elsewhere):
        config = write_config(tmp_path, keyring_instance(pinned.url))
        stored = run_cli("secret", "set", "pinned", "--config", str(config), input=key + "\n")
        assert stored.returncode == 0, stored.output

        registry = await ProviderRegistry.open([str(config)], audit=False)
        ok = await probe_instance(registry, "pinned", timeout=5)
        assert ok.status == "ok", ok.summary()
        assert pinned.presented_key(pinned.seen[-1]) == key

        # The base URL now names another host: the key stays home.
        write_config(tmp_path, keyring_instance(elsewhere.url))
        moved = await ProviderRegistry.open([str(config)], audit=False)
        refused = await probe_instance(moved, "pinned", timeout=5)
        assert refused.status == "refused", refused.summary()
        assert "provreg secret confirm pinned" in refused.detail
        assert elsewhere.seen == []
        assert key not in repr(refused)


async def test_a_key_provreg_did_not_store_is_refused(
    secret_service: SecretServiceDaemon, tmp_path: Path
) -> None:
    key = canary_value()
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        # Put there by something else: no pin in provreg's index.
        keyring.set_password("provreg", "raw/api_key", key)
        config = write_config(tmp_path, keyring_instance(fake.url, "raw"))
        registry = await ProviderRegistry.open([str(config)], audit=False)
        result = await probe_instance(registry, "raw", timeout=5)
    assert result.status == "refused", result.summary()
    assert "not confirmed for any host" in result.detail
    assert fake.seen == []
    assert key not in repr(result)
