"""What the dashboard knows of its live probes (`p`, `P`), in memory only.

Per instance: never probed, running, or the last `ProbeResult`, with the
instance's settings (provider and stated values) at the time it was probed,
so a result that came before an edit is marked as older than the edit rather
than dropped. Nothing here is ever written to a file: quitting forgets it.

The table shows one glyph per instance (`mark`); Details shows one line
(`detail_line`). The app's workers call `start` and `finish`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from provreg.tui.widgets.detail_pane import short_problem

if TYPE_CHECKING:  # not at runtime: httpx comes with provreg.probe, loaded on first use
    from provreg.model import ProviderInstance
    from provreg.probe import ProbeResult

PROBE_GLYPHS: dict[str, tuple[str, str]] = {
    "": (" ", ""),
    "running": ("…", "bright_black"),
    "ok": ("✓", "green"),
    "failed": ("✗", "red"),
}
"""Probe mark -> (glyph, colour). Shapes differ, so NO_COLOR and every theme
read the same; never probed is blank, so an unprobed table stays quiet."""


def probe_cell(mark: str) -> Text:
    """The table's probe glyph for a mark (`ok`, `failed`, `running`, ``; an
    `-old` suffix, a result from before the instance's last edit, is dimmed)."""
    older = mark.endswith("-old")
    glyph, color = PROBE_GLYPHS[mark.removesuffix("-old")]
    return Text(glyph, style="dim " + color if older else color)


def age_text(seconds: float) -> str:
    """`just now`, `2 min ago`, `3 h ago`, `2 days ago`: coarse on purpose (Details
    refreshes it every `AGE_TICK_SECONDS`)."""
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def short_summary(result: ProbeResult, limit: int = 160) -> str:
    """`result.summary()` for a screen: a keyring's long advice cut to its gist
    (the whole of it is in `provreg probe` and docs/secrets.md), at most `limit`
    characters."""
    if result.status == "no-key" and "keyring" in result.detail:
        text = f"no key: {short_problem(result.detail)}"
    else:
        text = result.summary()
    return text if len(text) <= limit else text[: limit - 1] + "…"


AGE_TICK_SECONDS = 20.0
"""How often Details re-reads the age of the last probe (a minute's resolution)."""


@dataclass(frozen=True, slots=True)
class _Probed:
    result: ProbeResult
    settings: tuple[str, dict[str, Any]]
    """The instance's provider and stated values when the probe started."""


def _settings(instance: ProviderInstance) -> tuple[str, dict[str, Any]]:
    return (instance.provider, instance.values)


class ProbeBoard:
    def __init__(self) -> None:
        self._last: dict[str, _Probed] = {}
        self._running: dict[str, tuple[str, dict[str, Any]]] = {}
        self._keys_changed: set[str] = set()
        """Instances whose key was set, removed or confirmed here since their probe."""

    def running(self, instance_id: str) -> bool:
        return instance_id in self._running

    @property
    def any_running(self) -> bool:
        return bool(self._running)

    @property
    def known_ids(self) -> set[str]:
        """Instances with a mark: probed or probing."""
        return set(self._last) | set(self._running)

    def start(self, instance: ProviderInstance) -> None:
        self._running[instance.id] = _settings(instance)

    def finish(self, result: ProbeResult) -> None:
        settings = self._running.pop(result.instance_id, None)
        if settings is None:  # forgotten meanwhile (the instance was removed)
            return
        self._last[result.instance_id] = _Probed(result, settings)
        self._keys_changed.discard(result.instance_id)

    def abandon(self, instance_id: str) -> None:
        """The probe did not end with a result (the app is shutting down)."""
        self._running.pop(instance_id, None)

    def forget(self, instance_id: str) -> None:
        """The instance is gone."""
        self._running.pop(instance_id, None)
        self._last.pop(instance_id, None)
        self._keys_changed.discard(instance_id)

    def key_changed(self, instance_id: str) -> None:
        """Its key was set, removed or confirmed for a host: the result is older."""
        if instance_id in self._last:
            self._keys_changed.add(instance_id)

    def last(self, instance_id: str) -> ProbeResult | None:
        probed = self._last.get(instance_id)
        return probed.result if probed else None

    def older(self, instance: ProviderInstance) -> bool:
        """Whether the instance (or its key) changed since its last result's probe."""
        probed = self._last.get(instance.id)
        if probed is None:
            return False
        return instance.id in self._keys_changed or probed.settings != _settings(instance)

    def mark(self, instance: ProviderInstance) -> str:
        """The table's mark: `running`, `ok`, `failed` (`-old` after an edit), or ``."""
        if instance.id in self._running:
            return "running"
        result = self.last(instance.id)
        if result is None:
            return ""
        mark = "ok" if result.ok else "failed"
        return mark + "-old" if self.older(instance) else mark

    def detail_line(self, instance: ProviderInstance, now: float | None = None) -> Text:
        """Details' `last probe` line: `ok 212 ms, 37 models, 2 min ago`, the
        failure with its one-line reason, `probing…`, or how to probe."""
        if instance.id in self._running:
            return Text("probing…", style="italic")
        result = self.last(instance.id)
        if result is None:
            return Text("never (p probes it, P probes all)", style="bright_black")
        now = time.time() if now is None else now
        when = age_text(max(0.0, now - result.checked_at))
        text = Text(f"{short_summary(result)}, {when}", style="green" if result.ok else "red")
        if self.older(instance):
            text.append("  (before the last change; p probes again)", style="italic bright_black")
        return text
