"""Where a key may go over the wire: https, or plain http only to loopback or
an instance that says `allow_http: true`; and only to the pinned host.

The pin itself is checked where the key is resolved
(`ProviderRegistry.resolve_secret`); this module checks that the request
goes to that same host, so the two cannot drift apart.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_refusal(url: str, *, allow_http: bool) -> str | None:
    """Why a key must not travel to `url` (None: it may)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "the base URL is not a valid URL"
    if parts.scheme == "https":
        return None
    if parts.scheme != "http":
        return f"the base URL's scheme '{parts.scheme}' is neither https nor http"
    if is_loopback(host) or allow_http:
        return None
    return (
        f"plain http to '{host}', which is not loopback: the key would cross the network "
        "unencrypted; use https, or set `allow_http: true` on the instance"
    )
