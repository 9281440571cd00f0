"""The dashboard: a Textual app bound live to the registry store.

It holds no logic beyond presentation and user intent (docs/architecture.md, "The dashboard"): reads
come from store snapshots, every change goes through `ProviderRegistry`, and
every file, keyring and editor operation runs in a worker so the UI never
blocks. The registry loads in a worker after the first paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from provreg.gc_control import (
    RareFullCollections,
    freeze_loaded_objects,
    paused_then_frozen,
    unfreeze,
)
from provreg.report import plural
from provreg.severity import Severity
from provreg.tui.instance_actions import InstanceActions
from provreg.tui.messages import EventsArrived, RegistryFailed, StoreChanged
from provreg.tui.presence import KeyPresence
from provreg.tui.probe_actions import ProbeActions
from provreg.tui.probes import ProbeBoard
from provreg.tui.screens.main import MainScreen
from provreg.tui.themes import DEFAULT_THEME, load_themes, remember_theme, remembered_theme
from provreg.tui.widgets.problems import ProblemsTable
from provreg.tui.widgets.providers_table import ProvidersTable, row_for
from provreg.tui.widgets.status_header import clock_time

if TYPE_CHECKING:
    from provreg.registry import ProviderRegistry
    from provreg.registry.events import Event
    from provreg.registry.state import RegistryState

log = logging.getLogger("provreg.tui")

FIRST_ROWS = 200
"""Rows shown in the first paint of a large registry; the rest follow in chunks."""
ROW_CHUNK = 1000


class ProvregApp(InstanceActions, ProbeActions):
    CSS_PATH = "app.tcss"
    TITLE = "provreg"

    # Each binding has an id: a user keymap (keymap.yaml in the config directory,
    # docs/dashboard.md) can rebind it.
    BINDINGS = [
        Binding("a", "add", "Add", id="add"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("c", "duplicate", "Duplicate", show=False, id="duplicate"),
        Binding("x,delete", "delete", "Delete", id="delete"),
        Binding("u", "undo", "Undo delete", show=False, id="undo-delete"),
        Binding("k", "set_secret", "Set key", id="set-key"),
        Binding("K", "remove_secret", "Remove key", show=False, id="remove-key"),
        Binding("o", "confirm_origin", "Confirm host", show=False, id="confirm-host"),
        Binding("v", "open_editor", "$EDITOR", id="open-editor"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("s", "sort", "Sort", show=False, id="sort"),
        Binding("r", "rescan", "Rescan", show=False, id="rescan"),
        Binding("w", "toggle_read_only", "Read-only", show=False, id="read-only"),
        Binding("t", "pick_theme", "Theme", show=False, id="theme"),
        Binding("exclamation_mark", "show_tab('problems')", "Problems", show=False, id="problems"),
        Binding("l", "show_tab('activity')", "Activity", show=False, id="activity"),
        Binding("d", "show_tab('details')", "Details", show=False, id="details"),
        Binding("question_mark", "help", "Help", id="help"),
        # After Help: at 80 columns the footer cuts what comes last.
        Binding("p", "probe", "Probe", id="probe"),
        Binding("P", "probe_all", "Probe all", show=False, id="probe-all"),
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("q", "quit", "Quit", id="quit"),
        # Read-only hides the write keys from the footer; pressed anyway, they say why.
        Binding("a,e,c,x,delete,u,k,K,o", "explain_read_only", show=False),
    ]

    WRITE_ACTIONS = frozenset(
        {
            "add",
            "edit",
            "duplicate",
            "delete",
            "undo",
            "set_secret",
            "remove_secret",
            "confirm_origin",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = self.registry is not None and self.registry.read_only
        if action in self.WRITE_ACTIONS:
            return not read_only
        if action == "explain_read_only":
            return read_only
        return True

    def action_explain_read_only(self) -> None:
        self.notify("Read-only: press w to allow changes.", severity="warning")

    def __init__(
        self,
        paths: list[str],
        *,
        theme: str | None = None,
        read_only: bool | None = None,
        poll: bool = False,
        watch: bool = True,
        audit: bool = True,
        stamp: Callable[[float], str] = clock_time,
    ) -> None:
        """Create the dashboard (nothing is read until it is mounted).

        Args:
            stamp: formats a Unix time for the header's "reloaded" time and the
                Activity log (the clock seam: tests pass a constant one so
                snapshots are stable).
        """
        super().__init__()
        self.paths = paths
        self.requested_theme = theme
        self.start_read_only = read_only
        self.poll = poll
        self.watch_files = watch
        self.use_audit = audit
        self.stamp = stamp
        self.registry: ProviderRegistry | None = None
        self.state: RegistryState | None = None
        self.presence = KeyPresence()
        self._unsubscribe: list[Any] = []
        self._theme_ready = False
        self._collector = RareFullCollections()
        self._external_toast_until = 0.0
        """While an external-change toast shows (time.monotonic())."""
        self._external_toast_count = 0
        self._external_unshown = 0
        """External changes that came while the toast showed."""
        self.main = MainScreen(paths, stamp, open_filter=self.action_filter, probes=ProbeBoard())
        self._theme_warnings = self._choose_theme()
        self._keymap_warnings = self._apply_keymap()

    def _apply_keymap(self) -> list[str]:
        """The user's keymap (keymap.yaml); what was wrong in it, to show once mounted."""
        from provreg.tui.keymap import load_keymap

        ids = {b.id for b in self.BINDINGS if isinstance(b, Binding) and b.id is not None}
        loaded = load_keymap(ids)
        if loaded.keymap:
            self.set_keymap(loaded.keymap)
        return loaded.problems

    def get_default_screen(self) -> MainScreen:
        return self.main

    def _choose_theme(self) -> list[tuple[str, str]]:
        """Register the themes and set the one to use; return (title, warning) pairs
        to show once mounted.

        Called from __init__: a theme set in on_mount re-parses and re-applies
        every style of the mounted screen, a delay before the first rows.
        """
        warnings = []
        loaded = load_themes()
        for theme in loaded.themes:
            self.register_theme(theme)
        if loaded.problems:
            warnings.append(
                ("Themes", "Some theme files were skipped:\n" + "\n".join(loaded.problems))
            )
        remembered = remembered_theme()
        wanted = self.requested_theme or remembered or DEFAULT_THEME
        if wanted not in self.available_themes:
            why = (
                "the theme you last chose no longer loads"
                if wanted == remembered and not self.requested_theme
                else "unknown theme"
            )
            warnings.append(("", f"{why} ('{wanted}'); using {DEFAULT_THEME}"))
            wanted = DEFAULT_THEME
        self.theme = wanted
        return warnings

    def on_mount(self) -> None:
        for title, warning in self._theme_warnings:
            # The skipped files' list is long: it stays longer.
            timeout = 10 if title else self.NOTIFICATION_TIMEOUT
            self.notify(warning, title=title, severity="warning", timeout=timeout)
        self._theme_ready = True
        for problem in self._keymap_warnings:
            self.notify(problem, title="Keymap", severity="warning", timeout=10)
        # The main screen shows the preview's rows in the first paint, then mounts
        # its bottom tabs.
        self.call_after_refresh(self._bench_mark, "first-paint")
        # After the first paint: the worker runs on this event loop, and its
        # imports and the open are CPU time that would come before it.
        self.call_after_refresh(self._load_registry)

    async def on_unmount(self) -> None:
        if self.registry is not None:
            # The last delete can no longer be undone: its stored keys go now
            # (each keyring call off the loop, under the secret store's timeout).
            try:
                await self.finish_pending_delete(self.registry, quiet=True)
            except Exception:
                log.warning("cannot remove the keys of the last delete", exc_info=True)
            # External changes are audited after a short hold-back (another
            # process may have logged them): write what is held back now.
            self.registry.flush_audit()
        self._collector.stop()
        unfreeze()  # what the load froze is collectable again (tests run many apps)

    def _bench_mark(self, name: str) -> None:
        """With PROVREG_BENCH_MARKS=<file>, append "<name> <time.perf_counter()>" to it:
        benchmarks/bench_tui.py times the real process with these. Off by default."""
        path = os.environ.get("PROVREG_BENCH_MARKS")
        if path:
            with open(path, "a", encoding="utf-8") as marks:
                marks.write(f"{name} {time.perf_counter()!r}\n")

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready and self.requested_theme != theme:
            # Only once the theme has been drawn with: one that fails to apply must
            # not be remembered, or every later start would fail the same way.
            self.call_after_refresh(remember_theme, theme)

    # ------------------------------------------------------------------ loading and live updates

    @work(exclusive=True, group="load", exit_on_error=False)
    async def _load_registry(self) -> None:
        from provreg.registry import ProviderRegistry
        from provreg.secrets.redaction import install_redaction

        install_redaction()
        # The load and the table's fill make long-lived objects and no garbage
        # cycles: no collection meanwhile, then frozen (unfrozen in on_unmount).
        with paused_then_frozen():
            self._bench_mark("open-start")
            try:
                registry = await ProviderRegistry.open(
                    self.paths,
                    audit=True if self.use_audit else False,
                    read_only=self.start_read_only,
                )
            except Exception as exc:  # a missing dir, unreadable files: say it, don't crash
                self.post_message(RegistryFailed(str(exc)))
                return
            self._bench_mark("loaded")
            # Store changes and the first fill update the bottom tabs.
            await self.main.bottom_mounted.wait()
            self.registry = registry
            self._unsubscribe.append(registry.store.subscribe(self._on_state))
            self._unsubscribe.append(registry.store.subscribe_events(self._on_events))
            # The first rows get their "secret missing" status at once, rather than
            # every row being redone when the secrets index arrives after the fill.
            with contextlib.suppress(Exception):  # the worker below reports it
                from provreg.registry.key_presence import instance_key_trouble

                trouble = await asyncio.to_thread(instance_key_trouble, registry)
                self.presence.set_trouble(trouble)
            await self._first_fill(registry.snapshot())
        self._collector.start()
        if self.watch_files:
            self._run_sync()
        presence = self._refresh_secret_presence()
        with contextlib.suppress(Exception):  # cancelled by a newer refresh, or failed: reported
            await presence.wait()
        # The keys' index (an entry per instance) lives as long as the registry:
        # frozen too, so a full collection does not walk it on a keypress (at
        # 100,000 instances: cursor-down p95 67 -> 40 ms, bench_tui.py --part scale).
        freeze_loaded_objects()

    async def _first_fill(self, state: RegistryState) -> None:
        """Show the first rows at once, then the rest in chunks, yielding between them."""
        table = self.main.table
        table.loading = False
        # A loading widget cannot take focus, so on_mount's focus went to the
        # detail pane and the arrow keys scrolled it. Unless the user has started
        # typing a filter meanwhile, the table gets the focus now.
        if not isinstance(table.screen.focused, Input):
            table.focus()
        order = list(state.instances)
        instances, trouble, roots = state.instances, self.presence.trouble, table.roots
        start = 0
        for end in _chunk_ends(len(order)):
            chunk = {i: row_for(instances[i], state, trouble, roots) for i in order[start:end]}
            if start == 0:
                # The preview's rows give way; those with the same keys stay put.
                table.apply_rows(chunk, order[:end])
                self._show_state(state, table_too=False)
                # A preview row under the cursor kept its key: no highlight
                # came to start this.
                self._check_selected_secrets()
            else:
                table.extend_rows(chunk)
            start = end
            await _yield()
            if table.filled:
                # A newer state or key trouble was applied meanwhile (a store
                # change, the secrets index): the table holds all of its rows,
                # and this fill's older ones would undo it.
                state = self.state or state
                break
        else:
            table.finish_fill((state, trouble))
        table.refresh()  # an empty table now says so
        self._show_state(state, table_too=False)
        self._check_selected_secrets()  # as above
        if not state.instances and state.count(Severity.ERROR):
            # Every file is broken: the problems are what there is to see.
            self.main.show_tab("problems")
        self.call_after_refresh(self._bench_mark, "table-full")

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def _run_sync(self) -> None:
        from provreg.sync import SyncEngine, SyncSettings

        assert self.registry is not None
        engine = SyncEngine(self.registry, SyncSettings(poll=True) if self.poll else None)
        self.sync_engine = engine
        await engine.run()

    def _on_state(self, state: RegistryState, _previous: RegistryState) -> None:
        self.post_message(StoreChanged(state))

    def _on_events(self, events: Sequence[Event]) -> None:
        self.post_message(EventsArrived(tuple(events)))

    def on_store_changed(self, message: StoreChanged) -> None:
        self._show_state(message.state)
        self._probes_follow_state()
        # After the repaint: the check walks every instance in a thread, and
        # would slow this repaint down by holding the GIL meanwhile.
        self.call_after_refresh(self._refresh_secret_presence)

    def on_events_arrived(self, message: EventsArrived) -> None:
        if self._widgets_gone():
            return
        from provreg.registry.event_text import text_line
        from provreg.registry.events import (
            InstanceRemoved,
            InstanceUpdated,
            ReloadFailed,
            ReloadRecovered,
        )

        stamp = self.stamp(time.time())
        external: list[str] = []
        logged: list[str] = []
        for event in message.events:
            line = text_line(event)
            if line is None:
                continue
            logged.append(f"{stamp} {line}")
            toast = self._as_in_table(line)
            if isinstance(event, ReloadRecovered):
                # The failure's toast would go on saying the file is broken: clear
                # the toasts (the Activity tab keeps every line) and say it is fixed.
                self.clear_notifications()
                self.notify(toast, timeout=4)
            elif event.source == "external":
                if isinstance(event, ReloadFailed):
                    self.notify(toast, severity="error", timeout=6)
                else:
                    external.append(toast)
            if isinstance(event, InstanceUpdated) and event.source == "external":
                self._check_form_conflict(event.instance)
            if isinstance(event, InstanceRemoved) and event.source == "external":
                self._check_form_removed(event.instance)
            if isinstance(event, InstanceUpdated) and self._touches_keys(event):
                # A new base URL host or reference changes what its keys may do:
                # what Details showed of them is stale. (Other edits keep it: asking
                # the keyring again after every edit cost a repaint.)
                self.presence.forget(event.instance.id)
        self.main.log_lines(logged)
        if external:
            self._notify_external(external)
        selected = self.selected_instance()
        if selected is not None and self.presence.statuses(selected.id) is None:
            self._show_detail()
            self._check_detail_secrets(selected.id)

    def _touches_keys(self, event: Any) -> bool:
        """Whether an update can change what the instance's keys may do: its host,
        provider, id, or a secret field's reference."""
        changed = set(event.changed_fields)
        if changed & {"base_url", "provider", "id"}:
            return True
        definition = self.state.catalog.get(event.instance.provider) if self.state else None
        secret_fields = {spec.id for spec in definition.secret_fields} if definition else set()
        return bool(changed & secret_fields) or definition is None

    def _as_in_table(self, line: str) -> str:
        """An event line with its file as the table shows it (relative to its config
        directory): a toast is read at a glance, beside the table."""
        for root in self.main.table.roots:
            prefix = root.rstrip("/") + "/"
            if f": {prefix}" in line:
                return line.replace(f": {prefix}", ": ", 1)
        return line

    EXTERNAL_TOAST_SECONDS = 4.0
    """How long a toast about external changes shows."""

    def _notify_external(self, lines: list[str]) -> None:
        """One toast per commit, not per instance, and one at a time: changes that
        come while it shows are summed up in one toast when it goes. Each toast
        mounts a widget (a layout of the screen), and a burst of saves (a
        `git checkout`, a script) would otherwise stack them over the table.
        Failed reloads keep a toast each; the Activity tab has every line."""
        if time.monotonic() < self._external_toast_until:
            self._external_unshown += len(lines)
            return
        self._toast_external(
            lines[0] if len(lines) == 1 else f"{len(lines)} external changes (l: Activity)"
        )

    def _toast_external(self, text: str) -> None:
        self.notify(text, timeout=self.EXTERNAL_TOAST_SECONDS)
        self._external_toast_until = time.monotonic() + self.EXTERNAL_TOAST_SECONDS
        self._external_toast_count += 1
        toast = self._external_toast_count
        self.set_timer(self.EXTERNAL_TOAST_SECONDS, lambda: self._external_toast_ended(toast))

    def _external_toast_ended(self, toast: int) -> None:
        if toast != self._external_toast_count:  # a later toast took over
            return
        self._external_toast_until = 0.0
        unshown, self._external_unshown = self._external_unshown, 0
        if unshown:
            self._toast_external(f"{plural(unshown, 'more external change')} (l: Activity)")

    def on_registry_failed(self, message: RegistryFailed) -> None:
        table = self.main.table
        table.loading = False
        table.apply_rows({}, [])  # no preview rows of a registry that did not open
        missing = [path for path in self.paths if not os.path.exists(path)]
        if missing:
            # The first run: say the exact commands, rather than "no such file".
            table.first_run_hint = (
                f"{missing[0]} does not exist yet. Create it and add a first instance:  "
                f"mkdir -p {shlex.quote(missing[0])} && provreg add openai --name 'My OpenAI' "
                f"--config {shlex.quote(missing[0])}  (then start provreg again)"
            )
            table.refresh()
        self.notify(message.error, title="Cannot open the registry", severity="error", timeout=30)
        self.main.header.update(Text(f"provreg: {message.error}"))

    def on_main_screen_selection_changed(self) -> None:
        self._show_detail()
        self._check_selected_secrets()

    @on(ProvidersTable.RowSelected, "#providers")
    def _row_selected(self, event: ProvidersTable.RowSelected) -> None:
        self.action_edit()

    def on_problems_table_jump_to(self, message: ProblemsTable.JumpTo) -> None:
        diagnostic = message.diagnostic
        table = self.main.table
        if diagnostic.instance_id and table.select(diagnostic.instance_id):
            table.focus()
            self.main.show_details_tab_if_narrow()
            return
        self.notify(
            f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column} — press v on a row of that "
            "file, or fix it in your editor",
            timeout=6,
        )
        self._open_in_editor(diagnostic.file, diagnostic.line)

    def action_rescan(self) -> None:
        if self.registry is not None:
            self._run_op(self._rescan(self.registry), "Rescanned the config files")

    async def _rescan(self, registry: ProviderRegistry) -> None:
        started = time.time()
        await registry.reload()
        if not self._widgets_gone():
            self.main.header.rescanned_at = started
            self.main.header.show(self.state, read_only=registry.read_only)

    def action_toggle_read_only(self) -> None:
        if self.registry is None:
            return
        self.registry.read_only = not self.registry.read_only
        self.refresh_bindings()  # the footer offers the write keys again, or not
        self.main.header.show(self.state, read_only=self.registry.read_only)
        self.notify(
            "Read-only: changes are refused" if self.registry.read_only else "Changes allowed"
        )

    def action_pick_theme(self) -> None:
        self.search_themes()

    def action_filter(self) -> None:
        self.main.open_filter()

    def action_sort(self) -> None:
        key = self.main.table.cycle_sort()
        self.notify(f"Sorted by {key}", timeout=2)

    def action_show_tab(self, tab: str) -> None:
        self.main.show_tab(tab)

    def action_help(self) -> None:
        """The keys of the screen in front: the dashboard's, or a form's or dialog's."""
        # Imported here: its Markdown widget would slow the start otherwise.
        from provreg.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        in_front = self.screen if isinstance(self.screen, ModalScreen) else None
        self.push_screen(HelpScreen(in_front))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action in ("quit", "explain_read_only"):
                continue
            yield SystemCommand(
                binding.description, f"key: {binding.key}", _runner(self, binding.action)
            )


def _runner(app: ProvregApp, action: str) -> Any:
    async def run() -> None:
        await app.run_action(action)

    return run


def _chunk_ends(count: int) -> list[int]:
    """Where the first fill's chunks end: FIRST_ROWS, then every ROW_CHUNK rows."""
    ends = [end for end in range(ROW_CHUNK, count, ROW_CHUNK) if end > FIRST_ROWS]
    return [min(FIRST_ROWS, count), *ends, count] if count > FIRST_ROWS else [count]


async def _yield() -> None:
    await asyncio.sleep(0)
