"""A failed request or an error response, as a probe status and one redacted line.

Messages that come from the server or the network stack can echo what was
sent (some gateways repeat the Authorization header in their 401 body), so
every text goes through `Redact` before it is kept; a body is never kept
whole, only the provider's own error message, cut to one short line.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from provreg.probe.result import ProbeStatus
from provreg.secrets.redaction import redact_message

Redact = Callable[[str], str]

MESSAGE_LIMIT = 160


def redactor(*values: str) -> Redact:
    """Removes `values` (the key), every secret this process resolved, secret-named
    `name=value` pairs and long token-like words."""

    def redact(text: str) -> str:
        return redact_message(text, *values)

    return redact


def one_line(text: str, limit: int | None = MESSAGE_LIMIT) -> str:
    """`text` on one line, cut at `limit` characters (None: provreg's own messages,
    whose ends say what to do, are never cut)."""
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_exception(
    exc: BaseException, timeout: float, redact: Redact, host: str = "?"
) -> tuple[ProbeStatus, str]:
    """A transport failure: `unreachable` and which kind (DNS, refused, TLS, timeout)."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "unreachable", f"timeout: no answer within {timeout:g} s"
    causes = _causes(exc)
    # httpx wraps the socket error in layers that repeat its text: say it once.
    said = dict.fromkeys(str(c) for c in causes if str(c))
    text = redact(one_line("; ".join(said) or type(exc).__name__))
    if isinstance(exc, httpx.ProxyError):
        return "unreachable", f"proxy: {text}"
    if any(isinstance(c, ssl.SSLError) for c in causes) or "SSL" in text or "certificate" in text:
        return "unreachable", f"TLS: {_tls_reason(causes, text)}"
    if any(isinstance(c, socket.gaierror) for c in causes) or _looks_like_dns(text):
        return "unreachable", f"DNS: cannot resolve '{host}' ({text})"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in text.lower():
        return "unreachable", "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "unexpected", f"the server broke the HTTP protocol: {text}"
    return "unreachable", text


def _tls_reason(causes: list[BaseException], text: str) -> str:
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate not trusted ({cause.verify_message or 'verify failed'})"
    return text


def _looks_like_dns(text: str) -> bool:
    lowered = text.lower()
    return any(
        phrase in lowered
        for phrase in (
            "name or service not known",
            "temporary failure in name resolution",
            "nodename nor servname",
            "no address associated",
            "getaddrinfo failed",
        )
    )


def provider_message(body: bytes, redact: Redact) -> str:
    """The error message a provider put in its JSON body, cut and redacted ('' if none)."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        return ""
    candidates: list[Any] = []
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict):
            candidates.append(error.get("message"))
        candidates.extend([error, document.get("message"), document.get("detail")])
    elif isinstance(document, list) and document and isinstance(document[0], dict):
        inner = document[0].get("error")
        if isinstance(inner, dict):
            candidates.append(inner.get("message"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return redact(one_line(candidate))
    return ""


def classify_status(
    response: httpx.Response, body: bytes, redact: Redact
) -> tuple[ProbeStatus, str] | None:
    """An HTTP answer that is not a success, as status and line; None for 2xx."""
    code = response.status_code
    if 200 <= code < 300:
        return None
    message = provider_message(body, redact)
    said = f": {message}" if message else ""
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        try:
            target = urlsplit(str(response.url.join(location))).hostname or "?"
        except ValueError:
            target = "?"
        return (
            "unexpected",
            f"redirect to {redact(target)} (HTTP {code}; not followed with the key)",
        )
    if code in (401, 403):
        return "auth-failed", f"HTTP {code}{said}"
    if code == 429:
        retry = response.headers.get("retry-after")
        wait = f" (retry after {redact(one_line(retry, 20))} s)" if retry else ""
        return "rate-limited", f"HTTP 429{wait}{said}"
    if code == 404:
        return (
            "unexpected",
            f"HTTP 404 at {redact(response.url.path)}{said} (is the base URL right?)",
        )
    return "unexpected", f"HTTP {code}{said}"
