"""The HTTP client a probe uses, and its rules: redirects are never followed
(the key would go with them), proxies come from the environment
(`HTTPS_PROXY`, `NO_PROXY`, `SSL_CERT_FILE`: httpx's `trust_env`), certificates
are verified, and a response body is read only up to a cap.
"""

from __future__ import annotations

import httpx

MAX_BODY_BYTES = 8 * 1024 * 1024
"""A model list is a few hundred kilobytes at most; more is not a model list."""

USER_AGENT = "provreg-probe"


def make_client(timeout: float, *, connections: int = 8) -> httpx.AsyncClient:
    """One client for a run of probes (connections to one host are shared)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=True,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=max(connections, 1) * 2),
        headers={"User-Agent": USER_AGENT},
    )


class BodyTooLarge(Exception):
    """The response went past `MAX_BODY_BYTES`."""


async def read_capped(response: httpx.Response) -> bytes:
    """The body of a streamed response, refusing more than `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"the response is larger than {MAX_BODY_BYTES // 2**20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)
