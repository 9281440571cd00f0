"""Which host a key is sent to: the base of origin pinning (docs/architecture.md, "Secrets")."""

from __future__ import annotations

from urllib.parse import urlsplit

from provreg.model import ProviderDefinition, ProviderInstance


def instance_host(instance: ProviderInstance, definition: ProviderDefinition | None) -> str | None:
    """The host (and port) the instance's key is sent to: its base URL's netloc."""
    base_url = instance.values.get("base_url")
    if base_url is None and definition is not None:
        spec = definition.field("base_url")
        base_url = spec.default if spec is not None else None
    if not isinstance(base_url, str):
        return None
    return url_host(base_url)


def url_host(url: str) -> str | None:
    """`host[:port]` of a URL (IPv6 in brackets), None when it has no host."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    # Not `netloc`: it carries `user:password@` when a URL has credentials, and
    # the index (and the origin-changed message) must never hold those.
    host = f"[{host}]" if ":" in host else host
    return host if port is None else f"{host}:{port}"
