"""What the dashboard's app and its actions share: the registry, the state
shown, the keys' presence, the main screen, and the updates of the view every
action and every live change goes through.

`ProvregApp` (loading, live updates, layout keys) and `InstanceActions` (the
keys that change an instance) build on it, so each is written against real
methods here rather than declarations of the other's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from provreg.key_trouble import KeyTrouble
from provreg.tui.presence import KeyPresence
from provreg.tui.widgets.detail_pane import short_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.notifications import SeverityLevel

    from provreg.model import ProviderInstance
    from provreg.registry import ProviderRegistry
    from provreg.registry.state import RegistryState
    from provreg.tui.screens.main import MainScreen


class DashboardBase(App[int]):
    registry: ProviderRegistry | None = None
    state: RegistryState | None = None
    """The snapshot the screen shows (the registry's latest once loaded)."""
    presence: KeyPresence
    main: MainScreen

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications quote file names, values and patterns (`^[a-z0-9]...`): they
        are plain text here unless a caller asks for markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ the view

    def _widgets_gone(self) -> bool:
        return self.main.gone

    def _show_state(self, state: RegistryState, *, table_too: bool = True) -> None:
        self.state = state
        if self._widgets_gone():
            return
        read_only = self.registry.read_only if self.registry else False
        self.main.show_state(state, self.presence, read_only=read_only, table_too=table_too)

    def _show_detail(self) -> None:
        if self._widgets_gone():
            return
        self.main.show_detail(self.selected_instance(), self.state, self.presence)

    def _show_probe_marks(self, ids: Iterable[str]) -> None:
        """The table's probe glyphs of these instances, from the probe board."""
        if not self._widgets_gone():
            self.main.show_probe_marks(self.state, ids)

    def _probe_key_changed(self, instance_id: str) -> None:
        """A key set, removed or confirmed here: its last probe is older than that."""
        self.main.probes.key_changed(instance_id)
        self._show_probe_marks([instance_id])

    # ------------------------------------------------------------------ the keys' presence

    @work(exclusive=True, group="secret-index", thread=True, exit_on_error=False)
    def _refresh_secret_presence(self) -> None:
        """The table's "secret missing" from the index and env/file checks only:
        no keyring call per row (each is slow with a Secret Service)."""
        registry = self.registry
        if registry is None:
            return
        from provreg.registry.key_presence import instance_key_trouble

        trouble = self.presence.with_index(instance_key_trouble(registry))
        if trouble != self.presence.trouble:
            self.call_from_thread(self._apply_trouble, trouble)

    def _apply_trouble(self, trouble: KeyTrouble) -> None:
        if self.presence.set_trouble(trouble):
            self._show_trouble()

    def _show_trouble(self) -> None:
        if self.state is not None and not self._widgets_gone():
            self.main.table.apply(self.state, self.presence.trouble)

    @work(exclusive=True, group="detail-secrets", exit_on_error=False)
    async def _check_detail_secrets(self, instance_id: str) -> None:
        """Confirm the selected instance's keys with the backend (in a worker thread)."""
        registry = self.registry
        if registry is None or registry.find(instance_id) is None:
            return
        try:
            statuses = await registry.secret_status(instance_id)
        except Exception as exc:  # keyring trouble on a headless box: say it, don't crash
            self.presence.failed(instance_id, short_problem(str(exc)))
            self._show_detail()
            return
        # The table's "secret missing" comes from provreg's index; a key stored
        # by another tool is only known once the backend confirmed it here.
        since = self.presence.trouble
        table_changed = self.presence.answered(instance_id, statuses)
        self._show_detail()
        if table_changed and self.state is not None and not self._widgets_gone():
            # Only this instance's key status changed: its row alone is redone.
            self.main.table.apply_keys_of(
                self.state, self.presence.trouble, instance_id, since=since
            )

    # ------------------------------------------------------------------ selection and detail

    def selected_instance(self) -> ProviderInstance | None:
        if self._widgets_gone():
            return None
        return self.main.selected_instance(self.state)

    def _check_selected_secrets(self) -> None:
        """Confirm the highlighted instance's keys, unless already known."""
        instance = self.selected_instance()
        if instance is not None and self.presence.statuses(instance.id) is None:
            self._check_detail_secrets(instance.id)
