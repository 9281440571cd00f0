"""TLS: a server whose certificate is not trusted is `unreachable: TLS`, and the
key never crosses; trusted through SSL_CERT_FILE (httpx's trust_env), the same
server answers."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from conftest import KEY_ENV, instance_yaml, write_config
from helpers.cli import canary_value
from helpers.fake_providers import FakeProvider, serving

from provreg.probe import probe_instance
from provreg.registry import ProviderRegistry

pytestmark = pytest.mark.anyio


@pytest.fixture
def server_tls() -> tuple[trustme.CA, ssl.SSLContext]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return ca, context


async def test_self_signed_server_is_a_tls_failure(
    server_tls: tuple[trustme.CA, ssl.SSLContext],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = canary_value()
    monkeypatch.setenv(KEY_ENV, key)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    _, context = server_tls
    fake = FakeProvider("openai", key=key)
    with serving(fake, tls=context):
        assert fake.url.startswith("https://")
        config = write_config(tmp_path, instance_yaml("openai", fake.url))
        registry = await ProviderRegistry.open([str(config)], audit=False)
        result = await probe_instance(registry, "t", timeout=5)
    assert result.status == "unreachable", result.summary()
    assert result.detail.startswith("TLS: certificate not trusted"), result.detail
    assert fake.seen == []  # the handshake failed: no request, no key
    assert key not in repr(result)


async def test_a_trusted_ca_from_ssl_cert_file_is_honoured(
    server_tls: tuple[trustme.CA, ssl.SSLContext],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = canary_value()
    monkeypatch.setenv(KEY_ENV, key)
    ca, context = server_tls
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    fake = FakeProvider("openai", key=key)
    with serving(fake, tls=context):
        config = write_config(tmp_path, instance_yaml("openai", fake.url))
        registry = await ProviderRegistry.open([str(config)], audit=False)
        result = await probe_instance(registry, "t", timeout=5)
    assert result.status == "ok", result.summary()
