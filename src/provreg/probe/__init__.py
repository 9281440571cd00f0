"""Live checks of instances (`provreg probe`): one cheap authenticated metadata
request per instance, no completions, and what it says about the key, the
endpoint and the models.

Owns: building the request from a definition's `probe:` block (`spec`), the
HTTP client's rules (`client`: no redirects, proxies from the environment),
where a key may travel (`policy`: https unless loopback or `allow_http`, the
pinned host only), turning answers and failures into results (`classify`,
`result`), and running probes concurrently (`run`). Headless: the CLI and the
dashboard call `probe_instances` / `probe_instance`.
May import: `provreg.registry`, `provreg.secrets`, `provreg.model`,
`provreg.catalog`, httpx, anyio, pydantic. Never textual, never `provreg.tui`.
"""

from provreg.probe.result import STATUS_LABELS, ProbeResult, ProbeStatus
from provreg.probe.run import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    probe_instance,
    probe_instances,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "STATUS_LABELS",
    "ProbeResult",
    "ProbeStatus",
    "probe_instance",
    "probe_instances",
]
