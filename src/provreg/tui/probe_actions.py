"""The dashboard's live probes: `p` probes the selected instance, `P` every one.

Probes run in a worker on the app's event loop (the registry resolves keys
there, off-loop for the keyring), a bounded number at a time as `provreg
probe` runs them, each result shown as it comes: the row's glyph, Details'
`last probe` line, a notification for `p` and one summary for `P`. Nothing
waits for them: the keys, the cursor and the filter keep working meanwhile.
`provreg.probe` (and httpx with it) is imported on the first probe, in a
thread. Results live in `ProbeBoard` (tui/probes.py), in memory only.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from typing import TYPE_CHECKING

from textual import work

from provreg.report import plural
from provreg.tui.dashboard_base import DashboardBase
from provreg.tui.probes import AGE_TICK_SECONDS, ProbeBoard, short_summary

if TYPE_CHECKING:
    from textual.timer import Timer

    from provreg.model import ProviderInstance
    from provreg.probe import ProbeResult
    from provreg.registry import ProviderRegistry


class ProbeActions(DashboardBase):
    _age_timer: Timer | None = None

    @property
    def probes(self) -> ProbeBoard:
        return self.main.probes

    def action_probe(self) -> None:
        if self.registry is None:
            self.notify("Still loading…")
            return
        instance = self.selected_instance()
        if instance is None:
            self.notify("No instance selected.", severity="warning", timeout=3)
            return
        if self.probes.running(instance.id):
            self.notify(f"Already probing {instance.name}…", timeout=3)
            return
        self._start_probes(self.registry, [instance], announce=True)

    def action_probe_all(self) -> None:
        if self.registry is None or self.state is None:
            self.notify("Still loading…")
            return
        instances = [i for i in self.state.instances.values() if not self.probes.running(i.id)]
        if not instances:
            self.notify(
                "Every instance is being probed already."
                if self.state.instances
                else "No instances to probe.",
                timeout=3,
            )
            return
        self.notify(f"Probing {plural(len(instances), 'instance')}…", timeout=3)
        self._start_probes(self.registry, instances, announce=False)

    def _start_probes(
        self, registry: ProviderRegistry, instances: list[ProviderInstance], *, announce: bool
    ) -> None:
        for instance in instances:
            self.probes.start(instance)
        ids = [instance.id for instance in instances]
        self._show_probe_marks(ids)
        self._show_detail()
        self._run_probes(registry, ids, announce)

    @work(group="probe", exit_on_error=False)
    async def _run_probes(self, registry: ProviderRegistry, ids: list[str], announce: bool) -> None:
        """Probe `ids`, DEFAULT_CONCURRENCY at a time, showing each result as it comes."""
        # httpx and the probe engine take most of a second to import: not on the loop.
        probe = await asyncio.to_thread(importlib.import_module, "provreg.probe")
        gate = asyncio.Semaphore(probe.DEFAULT_CONCURRENCY)
        results: list[ProbeResult] = []

        async def one(instance_id: str) -> None:
            async with gate:
                if not self.probes.running(instance_id):  # removed meanwhile
                    return
                try:
                    result = await probe.probe_instance(
                        registry, instance_id, timeout=probe.DEFAULT_TIMEOUT
                    )
                except Exception as exc:  # noqa: BLE001 - the engine makes trouble a result
                    # Its type only: an exception's text may hold what was sent.
                    result = probe.ProbeResult(
                        instance_id, "unexpected", type(exc).__name__, checked_at=time.time()
                    )
            results.append(result)
            self._probe_finished(result, announce=announce)

        try:
            async with asyncio.TaskGroup() as group:
                for instance_id in ids:
                    group.create_task(one(instance_id))
                    # Each probe builds its HTTP client (its TLS context) on the
                    # loop: keys pressed meanwhile are handled between them.
                    await asyncio.sleep(0)
        finally:
            for instance_id in ids:
                self.probes.abandon(instance_id)
        if not announce and results and not self._widgets_gone():
            ok = sum(result.ok for result in results)
            failed = len(results) - ok
            self.notify(
                f"Probed {len(results)}: {ok} ok, {failed} failed"
                + (" (✗ rows: their Details say why)" if failed else ""),
                severity="warning" if failed else "information",
                timeout=5,
            )

    def _probe_finished(self, result: ProbeResult, *, announce: bool) -> None:
        self.probes.finish(result)
        if self._widgets_gone():
            return
        self._show_probe_marks([result.instance_id])
        selected = self.selected_instance()
        if selected is not None and selected.id == result.instance_id:
            self._show_detail()
        if announce:
            name = (
                self.state.instances[result.instance_id].name
                if self.state and (result.instance_id in self.state.instances)
                else result.instance_id
            )
            self.notify(
                f"{name}: {short_summary(result, 100)}",
                severity="information" if result.ok else "warning",
                timeout=5,
            )
        if self._age_timer is None:
            # "2 min ago" ages: Details re-reads it now and then (a line that
            # did not change costs nothing; DetailPane compares).
            self._age_timer = self.set_interval(AGE_TICK_SECONDS, self._probe_age_tick)

    def _probe_age_tick(self) -> None:
        selected = self.selected_instance()
        if selected is not None and self.probes.last(selected.id) is not None:
            self._show_detail()

    def _probes_follow_state(self) -> None:
        """After a commit: results of removed instances go; edited ones are marked older."""
        state = self.state
        if state is None:
            return
        known = self.probes.known_ids
        if not known:
            return
        for instance_id in known - state.instances.keys():
            self.probes.forget(instance_id)
        self._show_probe_marks(known & state.instances.keys())
