"""Every probe outcome, per provider type, against a real loopback server
playing that provider's documented API; the key (a canary) never shows.

The key comes from `{env: ...}` (environment keys are not pinned, docs/secrets.md),
so these tests need no keyring; pinning has its own tests (test_probe_pinning.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import KEY_ENV, KIND_OF, instance_yaml, write_config
from helpers.cli import canary_value
from helpers.fake_providers import FakeProvider, free_port, serving

from provreg.probe import ProbeResult, probe_instance, probe_instances
from provreg.registry import ProviderRegistry

pytestmark = pytest.mark.anyio

PROVIDERS = sorted(KIND_OF)
LISTING_PROVIDERS = [p for p in PROVIDERS if p not in ("openrouter", "azure-openai")]
"""Types whose probe compares the instance's models with a list."""


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = canary_value()
    monkeypatch.setenv(KEY_ENV, value)
    return value


def assert_clean(result: ProbeResult, key: str) -> None:
    """The key is nowhere in what a probe returns, whatever the outcome."""
    for text in (repr(result), result.summary(), result.detail, str(result.models)):
        assert key not in text
        assert key[10:] not in text  # not even its random part


async def probe(config: Path, instance_id: str = "t", timeout: float = 5.0) -> ProbeResult:
    registry = await ProviderRegistry.open([str(config)], audit=False)
    return await probe_instance(registry, instance_id, timeout=timeout)


def offered_for(provider: str) -> list[str]:
    # Ollama names its models with a tag; `model-a` means `model-a:latest`.
    models = ["model-a", "model-b", "model-c", "model-d", "model-e"]
    return [f"{m}:latest" for m in models] if provider == "ollama" else models


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_outcome_per_provider(
    provider: str, key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeProvider(KIND_OF[provider], key=key, models=offered_for(provider), delay=2.0)
    with serving(fake):
        config = write_config(tmp_path, instance_yaml(provider, fake.url))

        ok = await probe(config)
        assert ok.status == "ok", ok.summary()
        assert ok.latency_ms is not None and ok.latency_ms > 0
        if provider == "openrouter":
            assert ok.models == () and ok.summary().endswith("key accepted")
        else:
            # Paged for anthropic and gemini (page size 2): every page was read.
            assert len(ok.models) == 5, ok.models
            assert ok.summary().endswith("5 models")
        last = fake.seen[-1]
        assert last.path == fake.expected_path
        if provider != "ollama":
            # Sent where the provider reads it, and never in the query string.
            assert fake.presented_key(last) == key
            assert all(key not in v for values in last.query.values() for v in values)
        else:
            assert not any(key in v for v in last.headers.values())
        assert_clean(ok, key)

        for mode, status in [
            ("401", "auth-failed"),
            ("403", "auth-failed"),
            ("429", "rate-limited"),
            ("echo", "auth-failed"),
        ]:
            fake.mode = mode
            result = await probe(config)
            assert result.status == status, (mode, result.summary())
            assert f"HTTP {mode if mode != 'echo' else '401'}" in result.detail
            assert_clean(result, key)
        fake.mode = "echo"
        echoed = await probe(config)
        if provider != "ollama":
            assert "***" in echoed.detail  # the echoed key, taken out

        fake.mode = "429"
        assert "retry after 7 s" in (await probe(config)).detail

        fake.mode = "slow"
        slow = await probe(config, timeout=0.3)
        assert slow.status == "unreachable" and "timeout" in slow.detail, slow.summary()
        assert_clean(slow, key)
        fake.mode = "ok"

    # The server is gone: nothing listens on its port now.
    refused = await probe(config)
    assert refused.status == "unreachable", refused.summary()
    assert refused.detail == "connection refused"
    assert key not in caplog.text


@pytest.mark.parametrize(
    "provider", [p for p in PROVIDERS if p not in ("openrouter", "azure-openai")]
)
async def test_model_not_offered_suggests_the_closest(
    provider: str, key: str, tmp_path: Path
) -> None:
    offered = ["gpt-4.1", "gpt-4.1-mini", "model-a"]
    if provider == "ollama":
        offered = [f"{m}:latest" for m in offered]
    fake = FakeProvider(KIND_OF[provider], key=key, models=offered)
    with serving(fake):
        config = write_config(
            tmp_path,
            instance_yaml(provider, fake.url, extra="    models: [gpt-4.2, model-a, zzz-unknown]"),
        )
        result = await probe(config)
    assert result.status == "model-not-offered", result.summary()
    missing = dict(result.missing)
    assert set(missing) == {"gpt-4.2", "zzz-unknown"}
    assert missing["gpt-4.2"] in ("gpt-4.1", "gpt-4.1:latest")
    assert missing["zzz-unknown"] is None
    assert "gpt-4.2 (did you mean gpt-4.1" in result.summary()
    assert_clean(result, key)


async def test_azure_checks_the_key_not_the_models(key: str, tmp_path: Path) -> None:
    # The list names base models; an Azure instance names a deployment.
    fake = FakeProvider("azure", key=key, models=["gpt-4o-2024-08-06"])
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("azure-openai", fake.url))
        result = await probe(config)
    assert result.status == "ok", result.summary()
    assert fake.seen[-1].query["api-version"] == ["2024-10-21"]


async def test_anthropic_pages_follow_last_id(key: str, tmp_path: Path) -> None:
    models = [f"claude-{n}" for n in range(7)]
    fake = FakeProvider("anthropic", key=key, models=models, page_size=3)
    with serving(fake):
        config = write_config(
            tmp_path, instance_yaml("anthropic", fake.url, extra="    models: [claude-6]")
        )
        result = await probe(config)
    assert result.models == tuple(models)
    assert [s.query.get("after_id") for s in fake.seen] == [None, ["claude-2"], ["claude-5"]]
    assert all(s.headers.get("anthropic-version") == "2023-06-01" for s in fake.seen)
    # `claude-6` is on the last page, so only the default model (model-a) is missing.
    assert [model for model, _ in result.missing] == ["model-a"]


async def test_anthropic_gateway_gets_a_bearer_header(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key)  # a gateway reading Authorization: Bearer
    with serving(fake):
        fake_path = "/v1/models"
        assert fake.expected_path == fake_path
        config = write_config(
            tmp_path,
            instance_yaml("anthropic", fake.url, extra="    use_auth_header: true"),
        )
        result = await probe(config)
    assert result.status == "ok", result.summary()
    assert "x-api-key" not in {h.lower() for h in fake.seen[-1].headers}


async def test_gemini_pages_follow_next_page_token(key: str, tmp_path: Path) -> None:
    models = [f"gemini-{n}" for n in range(5)]
    fake = FakeProvider("gemini", key=key, models=models, page_size=2)
    with serving(fake):
        config = write_config(
            tmp_path, instance_yaml("google-gemini", fake.url, extra="    models: [gemini-4]")
        )
        result = await probe(config)
    assert result.models == tuple(models)  # `models/` prefix removed
    assert [s.query.get("pageToken") for s in fake.seen] == [None, ["2"], ["4"]]
    assert all("key" not in s.query for s in fake.seen)


async def test_openai_organization_and_project_headers(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        config = write_config(
            tmp_path,
            instance_yaml(
                "openai", fake.url, extra="    organization: org-acme\n    project: proj_x"
            ),
        )
        await probe(config)
        headers = fake.seen[-1].headers
    assert headers["OpenAI-Organization"] == "org-acme"
    assert headers["OpenAI-Project"] == "proj_x"


async def test_redirect_is_not_followed_with_the_key(key: str, tmp_path: Path) -> None:
    other = FakeProvider("openai", key=key)
    with serving(other), serving(FakeProvider("openai", key=key, mode="redirect")) as first:
        # `localhost`: another host than 127.0.0.1 as far as the URL goes.
        first.redirect_to = other.url.replace("127.0.0.1", "localhost")
        config = write_config(tmp_path, instance_yaml("openai", first.url))
        result = await probe(config)
        assert result.status == "unexpected"
        assert result.detail.startswith("redirect to localhost")
        assert other.seen == []  # the second server never saw a request, so never the key
    assert_clean(result, key)


async def test_a_model_list_that_echoes_the_key_is_redacted(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key, models=[f"echo-{key}", "model-a"])
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai", fake.url))
        result = await probe(config)
    assert result.status == "ok"
    assert "echo-***" in result.models
    assert_clean(result, key)


async def test_missing_key_is_no_key_and_nothing_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    fake = FakeProvider("openai")
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai", fake.url))
        result = await probe(config)
    assert result.status == "no-key"
    assert KEY_ENV in result.detail
    assert fake.seen == []


async def test_optional_key_absent_probes_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    fake = FakeProvider("openai")  # a local vLLM that needs no key
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai-compatible", fake.url))
        result = await probe(config)
    assert result.status == "ok"
    assert "Authorization" not in fake.seen[-1].headers


async def test_plain_http_to_another_host_is_refused_before_anything(
    key: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, instance_yaml("openai", "http://probe-test.invalid:9"))
    result = await probe(config)
    assert result.status == "refused"
    assert "plain http to 'probe-test.invalid'" in result.detail


async def test_allow_http_lets_it_go_and_dns_failure_is_named(key: str, tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        instance_yaml("openai", "http://probe-test.invalid:9", extra="    allow_http: true"),
    )
    result = await probe(config)
    assert result.status == "unreachable", result.summary()
    assert result.detail.startswith("DNS:")
    assert_clean(result, key)


async def test_probe_instances_keeps_order_and_bounds_concurrency(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key, mode="slow", delay=0.2)
    with serving(fake):
        ids = [f"i{n}" for n in range(12)]
        config = write_config(
            tmp_path, *(instance_yaml("openai", fake.url, instance_id=i) for i in ids)
        )
        registry = await ProviderRegistry.open([str(config)], audit=False)
        import time

        started = time.perf_counter()
        results = await probe_instances(registry, ids, timeout=5, concurrency=4)
        elapsed = time.perf_counter() - started
    assert [r.instance_id for r in results] == ids
    assert all(r.status == "ok" for r in results)
    # 12 at 0.2 s, 4 at a time: three waves, not twelve.
    assert 0.55 < elapsed < 2.0, elapsed


async def test_unknown_instance_is_a_result_not_an_exception(key: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, instance_yaml("openai", "http://127.0.0.1:1"))
    registry = await ProviderRegistry.open([str(config)], audit=False)
    (result,) = await probe_instances(registry, ["nope"])
    assert result.status == "unexpected"
    assert "nope" in result.detail


async def test_refused_port(key: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, instance_yaml("openai", f"http://127.0.0.1:{free_port()}"))
    result = await probe(config)
    assert (result.status, result.detail) == ("unreachable", "connection refused")


async def test_server_error_and_a_web_page_are_unexpected(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key, mode="500")
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai", fake.url))
        failed = await probe(config)
        fake.mode = "html"
        page = await probe(config)
    assert (failed.status, failed.detail) == ("unexpected", "HTTP 500: upstream failed")
    assert (page.status, page.detail) == ("unexpected", "HTTP 200, the response is not JSON")
    assert "login page" not in page.summary()  # bodies are never shown


async def test_http_proxy_from_the_environment_is_used(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake answers absolute-form requests, so it serves as the proxy itself.
    proxy = FakeProvider("openai", key=key)
    with serving(proxy):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        config = write_config(
            tmp_path,
            instance_yaml("openai", "http://api.probe-test.invalid", extra="    allow_http: true"),
        )
        through = await probe(config)
        assert through.status == "ok", through.summary()
        assert proxy.seen[-1].headers["Host"] == "api.probe-test.invalid"

        monkeypatch.setenv("NO_PROXY", "probe-test.invalid")
        direct = await probe(config)
    assert direct.status == "unreachable" and direct.detail.startswith("DNS:"), direct.summary()
    assert len(proxy.seen) == 1


async def test_a_404_says_the_base_url_is_probably_wrong(key: str, tmp_path: Path) -> None:
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        # `/v1` left out of the base URL: the server has no /models.
        entry = instance_yaml("openai", fake.url).replace(f"{fake.url}/v1", fake.url)
        result = await probe(write_config(tmp_path, entry))
    assert result.status == "unexpected"
    assert result.detail == "HTTP 404 at /models: no route /models (is the base URL right?)"


async def test_an_unmentioned_optional_key_never_asks_the_keyring(tmp_path: Path) -> None:
    # The test keyring is keyring's `fail` backend: any keyring call would be `no key`.
    fake = FakeProvider("openai")
    with serving(fake):
        entry = instance_yaml("openai-compatible", fake.url).replace(
            f"    api_key: {{env: {KEY_ENV}}}\n", ""
        )
        result = await probe(write_config(tmp_path, entry))
    assert result.status == "ok", result.summary()
    assert "Authorization" not in fake.seen[-1].headers


async def test_an_unforeseen_error_is_a_result_with_the_key_taken_out(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provreg.probe.run as run

    async def broken(response: object) -> bytes:
        raise RuntimeError(f"bug while reading, header was Bearer {key}")

    monkeypatch.setattr(run, "read_capped", broken)
    fake = FakeProvider("openai", key=key)
    with serving(fake):
        result = await probe(write_config(tmp_path, instance_yaml("openai", fake.url)))
    assert result.status == "unexpected"
    assert result.detail.startswith("RuntimeError: bug while reading")
    assert_clean(result, key)


async def test_a_type_with_no_probe_and_no_api_says_so(key: str, tmp_path: Path) -> None:
    config = tmp_path / "p.yaml"
    config.write_text(
        "version: 1\ndefinitions:\n  - id: odd\n    name: Odd\n    fields:\n"
        "      - {id: base_url, type: url, required: true}\n"
        "providers:\n  - id: t\n    name: T\n    provider: odd\n    base_url: https://odd.example\n"
    )
    result = await probe(config)
    assert (result.status, result.detail) == (
        "unexpected",
        "provider type 'odd' has no probe: block and no api to borrow one from",
    )
