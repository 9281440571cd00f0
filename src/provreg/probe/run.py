"""Probing instances: the key resolved through the registry (so origin pinning
applies), the transport rules checked, one request (and its pages) sent, the
answer classified. Many instances run concurrently, a bounded number at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import httpx
from pydantic import SecretStr

from provreg.catalog.catalog import did_you_mean
from provreg.model import ProbeSpec, ProviderDefinition, ProviderInstance
from provreg.probe.classify import (
    Redact,
    classify_exception,
    classify_status,
    one_line,
    redactor,
)
from provreg.probe.client import BodyTooLarge, make_client, read_capped
from provreg.probe.policy import transport_refusal
from provreg.probe.result import ProbeResult, ProbeStatus
from provreg.probe.spec import (
    NoModelList,
    ProbeRequest,
    SpecError,
    build_request,
    is_offered,
    model_ids,
    next_cursor,
    probe_spec_for,
    wanted_models,
)
from provreg.secrets import KeyNotConfirmedError, SecretError, SecretMissingError
from provreg.secrets.hosts import instance_host, url_host
from provreg.secrets.redaction import REDACTED, redact_text

if TYPE_CHECKING:
    from provreg.registry import ProviderRegistry

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 8
MAX_PAGES = 50
"""A paged list longer than this is cut (and said so): a loop guard, not a real limit."""


async def probe_instances(
    registry: ProviderRegistry,
    ids: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[ProbeResult]:
    """Probe every instance in `ids`, `concurrency` at a time; results in `ids` order.

    Never raises for one instance's trouble: each becomes its result.
    """
    results: list[ProbeResult | None] = [None] * len(ids)
    limiter = anyio.CapacityLimiter(max(concurrency, 1))
    async with make_client(timeout, connections=concurrency) as client:

        async def one(index: int, instance_id: str) -> None:
            async with limiter:
                results[index] = await _probe(registry, instance_id, timeout, client)

        async with anyio.create_task_group() as group:
            for index, instance_id in enumerate(ids):
                group.start_soon(one, index, instance_id)
    return [result for result in results if result is not None]


async def probe_instance(
    registry: ProviderRegistry, instance_id: str, *, timeout: float = DEFAULT_TIMEOUT
) -> ProbeResult:
    """Probe one instance (the dashboard's `p`)."""
    async with make_client(timeout, connections=1) as client:
        return await _probe(registry, instance_id, timeout, client)


def _result(instance_id: str, status: ProbeStatus, detail: str = "", **more: Any) -> ProbeResult:
    return ProbeResult(instance_id, status, detail, checked_at=time.time(), **more)


async def _probe(
    registry: ProviderRegistry, instance_id: str, timeout: float, client: httpx.AsyncClient
) -> ProbeResult:
    from provreg.registry import RegistryError

    try:
        instance = registry.get(instance_id)
        definition = registry.definition(instance.provider)
    except RegistryError as exc:
        return _result(instance_id, "unexpected", one_line(str(exc), None))
    spec = probe_spec_for(definition, registry.snapshot().catalog)
    if spec is None:
        return _result(
            instance_id,
            "unexpected",
            f"provider type '{definition.id}' has no probe: block and no api to borrow one from",
        )
    try:
        request = build_request(spec, instance, definition)
    except SpecError as exc:
        return _result(instance_id, "unexpected", str(exc))
    pinned = instance_host(instance, definition)
    if url_host(request.url) != pinned:
        return _result(
            instance_id, "refused", f"the probe URL's host is not the base URL host '{pinned}'"
        )
    key = await _key(registry, instance, definition, spec, request)
    if isinstance(key, ProbeResult):
        return key
    redact = redactor(key.get_secret_value()) if key is not None else redactor()
    try:
        return await _send(client, instance, definition, spec, request, key, timeout, redact)
    except Exception as exc:  # noqa: BLE001 - one instance's trouble is its result
        # Never the exception itself: its text may hold what was sent.
        return _result(instance_id, "unexpected", redact(one_line(f"{type(exc).__name__}: {exc}")))


async def _key(
    registry: ProviderRegistry,
    instance: ProviderInstance,
    definition: ProviderDefinition,
    spec: ProbeSpec,
    request: ProbeRequest,
) -> SecretStr | ProbeResult | None:
    """The key to send, None to send none, or the result that ends the probe here."""
    field = definition.field(spec.key_field)
    if request.key_header is None or field is None or not field.is_secret:
        return None
    ref = instance.secret_ref(spec.key_field)
    intended = field.required or ref.explicit
    refusal = transport_refusal(request.url, allow_http=instance.http_allowed)
    if refusal is not None and intended:
        return _result(instance.id, "refused", refusal)
    if not intended and not await _stored_by_provreg(registry, instance.id, spec.key_field):
        # An optional key the file does not mention and provreg never stored (a
        # local server that needs none): no keyring call, no key.
        return None
    try:
        key = await registry.resolve_secret(instance.id, spec.key_field)
    except KeyNotConfirmedError as exc:
        return _result(instance.id, "refused", one_line(str(exc), None))
    except SecretMissingError as exc:
        if field.required:
            return _result(instance.id, "no-key", one_line(str(exc), None))
        return None  # an optional key that is absent: the server may need none
    except SecretError as exc:
        # provreg's own message (a command's stderr in it is already redacted):
        # only values resolved in this process are taken out, not its advice.
        return _result(instance.id, "no-key", redact_text(one_line(str(exc), None)))
    if refusal is not None:
        return _result(instance.id, "refused", refusal)
    return key


async def _stored_by_provreg(registry: ProviderRegistry, instance_id: str, field: str) -> bool:
    """Whether provreg's index has a keyring entry for this field (no keyring call)."""
    statuses = await registry.secret_status(instance_id, check_keyring=False)
    return any(status.field == field and status.present is not False for status in statuses)


async def _send(
    client: httpx.AsyncClient,
    instance: ProviderInstance,
    definition: ProviderDefinition,
    spec: ProbeSpec,
    request: ProbeRequest,
    key: SecretStr | None,
    timeout: float,
    redact: Redact,
) -> ProbeResult:
    headers = dict(request.headers)
    if key is not None and request.key_header is not None:
        headers[request.key_header] = request.key_prefix + key.get_secret_value()
    offered: list[str] = []
    latency: float | None = None
    cursor: str | None = None
    seen_cursors: set[str] = set()
    truncated = False
    started = time.perf_counter()
    with anyio.move_on_after(timeout) as scope:
        for page in range(MAX_PAGES):
            query = dict(request.query)
            if cursor is not None and spec.pagination is not None:
                query[spec.pagination.param] = cursor
            try:
                outcome = await _fetch(client, request, headers, query)
            except BodyTooLarge as exc:
                return _result(instance.id, "unexpected", str(exc), latency_ms=latency)
            except httpx.HTTPError as exc:
                host = urlsplit(request.url).hostname or "?"
                status, detail = classify_exception(exc, timeout, redact, host)
                return _result(instance.id, status, detail, latency_ms=latency)
            response, body = outcome
            if latency is None:
                latency = (time.perf_counter() - started) * 1000
            failed = classify_status(response, body, redact)
            if failed is not None:
                return _result(instance.id, failed[0], failed[1], latency_ms=latency)
            try:
                document = json.loads(body)
                offered.extend(model_ids(spec, document))
            except (ValueError, NoModelList) as exc:
                what = str(exc) if isinstance(exc, NoModelList) else "the response is not JSON"
                return _result(
                    instance.id,
                    "unexpected",
                    f"HTTP {response.status_code}, {what}",
                    latency_ms=latency,
                )
            cursor = next_cursor(spec, document)
            if cursor is None or cursor in seen_cursors:
                break
            seen_cursors.add(cursor)
            truncated = page == MAX_PAGES - 1
    if scope.cancelled_caught:
        return _result(
            instance.id,
            "unreachable",
            f"timeout: no answer within {timeout:g} s",
            latency_ms=latency,
        )
    secret = key.get_secret_value() if key is not None else ""
    return _verdict(instance, definition, spec, offered, latency, secret, truncated=truncated)


async def _fetch(
    client: httpx.AsyncClient, request: ProbeRequest, headers: dict[str, str], query: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    built = client.build_request(request.method, request.url, headers=headers, params=query)
    response = await client.send(built, stream=True)
    try:
        body = await read_capped(response)
    finally:
        await response.aclose()
    return response, body


def _verdict(
    instance: ProviderInstance,
    definition: ProviderDefinition,
    spec: ProbeSpec,
    offered: list[str],
    latency: float | None,
    secret: str,
    *,
    truncated: bool,
) -> ProbeResult:
    """`ok`, or `model-not-offered` with a did-you-mean for each missing model."""
    models = tuple(dict.fromkeys(_clean(model, secret) for model in offered))
    lists_models = spec.models_at is not None
    missing: list[tuple[str, str | None]] = []
    if lists_models and spec.check_models and not truncated:
        available = set(models)
        # Suggest names as the instance would write them (Ollama's `qwen3`, not `qwen3:latest`).
        suffix = spec.implicit_suffix or ""
        names = [m.removesuffix(suffix) if suffix else m for m in models]
        for model in wanted_models(instance, definition):
            if not is_offered(model, available, spec):
                missing.append((model, did_you_mean(model, names)))
    detail = f"list cut after {MAX_PAGES} pages" if truncated else ""
    return _result(
        instance.id,
        "model-not-offered" if missing else "ok",
        detail,
        latency_ms=latency,
        models=models,
        missing=tuple(missing),
        lists_models=lists_models,
    )


def _clean(model: str, secret: str) -> str:
    """A model id as received, minus the key and every other secret this process
    resolved (an echoing server may put them anywhere); one line. Not
    `redact_message`: ids are long token-like words by nature."""
    if secret:
        model = model.replace(secret, REDACTED)
    return " ".join(redact_text(model).split())
