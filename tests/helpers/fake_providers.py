"""Loopback HTTP servers that answer like each provider's documented model API.

Real sockets (`http.server` in a thread), one server per test. Each server
records every request it gets (path, query, headers) so a test can assert
where a key went, and answers according to its `mode`:

- `ok`: the model list (paged for Anthropic and Gemini);
- `401`, `403`, `429`: the provider's error body;
- `slow`: waits `delay` seconds before the list (a timeout test, or the benchmark);
- `redirect`: a 307 to `redirect_to` (another server);
- `echo`: a 401 whose body repeats the key it got;
- `500`: a server error; `html`: a 200 that is a web page, not JSON.

The key is checked where the real API expects it, so a probe that put it in
the wrong header gets a 401 here too.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def carries(self, value: str) -> bool:
        return (
            value in self.path
            or any(value in v for v in self.headers.values())
            or any(value in item for items in self.query.values() for item in items)
        )


@dataclass
class FakeProvider:
    """What a server plays: a provider kind, its models, the key it accepts, a mode."""

    kind: str
    key: str | None = None
    models: list[str] = field(default_factory=lambda: ["model-a", "model-b"])
    mode: str = "ok"
    delay: float = 0.0
    page_size: int = 2
    redirect_to: str = ""
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    """`http://127.0.0.1:PORT` once started."""

    # ------------------------------------------------------------------ answers

    def presented_key(self, seen: Seen) -> str | None:
        headers = {k.lower(): v for k, v in seen.headers.items()}
        if self.kind == "anthropic":
            if "x-api-key" in headers:
                return headers["x-api-key"]
        elif self.kind == "gemini":
            return headers.get("x-goog-api-key")
        elif self.kind == "azure":
            return headers.get("api-key")
        auth = headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    @property
    def expected_path(self) -> str:
        """Where the real API serves what a probe asks for."""
        return {
            "anthropic": "/v1/models",
            "gemini": "/v1beta/models",
            "openrouter": "/api/v1/key",
            "ollama": "/api/tags",
            "azure": "/openai/models",
        }.get(self.kind, "/v1/models")

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.path != self.expected_path and self.mode != "redirect":
            return 404, {}, self.error(f"no route {seen.path}")
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "redirect":
            return 307, {"Location": self.redirect_to + seen.path}, {}
        if self.mode in ("401", "403"):
            return int(self.mode), {}, self.error("Incorrect API key provided")
        if self.mode == "500":
            return 500, {}, self.error("upstream failed")
        if self.mode == "html":
            return 200, {"Content-Type": "text/html"}, "<html>login page</html>"
        if self.mode == "429":
            return 429, {"Retry-After": "7"}, self.error("rate limit exceeded")
        got = self.presented_key(seen)
        if self.mode == "echo":
            return 401, {}, self.error(f"Incorrect API key provided: {got}")
        if self.kind != "ollama" and self.key is not None and got != self.key:
            return 401, {}, self.error("invalid api key")
        return 200, {}, self.listing(seen)

    def error(self, message: str) -> Any:
        if self.kind == "anthropic":
            return {"type": "error", "error": {"type": "authentication_error", "message": message}}
        if self.kind == "gemini":
            return {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
        return {"error": {"message": message, "type": "invalid_request_error", "code": None}}

    def listing(self, seen: Seen) -> Any:
        if self.kind == "openrouter":
            return {"data": {"label": "sk-or-v1-abc...", "usage": 0, "limit": None}}
        if self.kind == "ollama":
            return {"models": [{"name": m, "model": m, "size": 1} for m in self.models]}
        if self.kind == "anthropic":
            after = seen.query.get("after_id", [None])[0]
            start = self.models.index(after) + 1 if after in self.models else 0
            page = self.models[start : start + self.page_size]
            return {
                "data": [{"type": "model", "id": m, "display_name": m} for m in page],
                "has_more": start + self.page_size < len(self.models),
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
            }
        if self.kind == "gemini":
            token = seen.query.get("pageToken", ["0"])[0]
            start = int(token)
            page = self.models[start : start + self.page_size]
            body: dict[str, Any] = {"models": [{"name": f"models/{m}"} for m in page]}
            if start + self.page_size < len(self.models):
                body["nextPageToken"] = str(start + self.page_size)
            return body
        return {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            seen = Seen(parts.path, parse_qs(parts.query), dict(self.headers.items()))
            provider.seen.append(seen)
            status, headers, body = provider.answer(seen)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def serving(
    provider: FakeProvider, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> Iterator[FakeProvider]:
    """Run `provider` on a free loopback port until the block ends."""
    server = ThreadingHTTPServer((host, 0), _handler(provider))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    provider.url = f"{scheme}://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
