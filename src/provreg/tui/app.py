"""The dashboard: a Textual app bound live to the registry store.

It holds no logic beyond presentation and user intent (DESIGN §1): reads
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
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input

from provreg.gc_control import RareFullCollections, paused_then_frozen, unfreeze
from provreg.key_trouble import KeyTrouble
from provreg.report import plural
from provreg.severity import Severity
from provreg.tui.instance_actions import InstanceActions
from provreg.tui.messages import EventsArrived, RegistryFailed, StoreChanged
from provreg.tui.preview import preview_rows
from provreg.tui.themes import DEFAULT_THEME, load_themes, remember_theme, remembered_theme
from provreg.tui.widgets.detail_pane import DetailPane, short_problem
from provreg.tui.widgets.problems import ProblemsTable
from provreg.tui.widgets.providers_table import ProvidersTable, row_for
from provreg.tui.widgets.status_header import StatusHeader, clock_time

if TYPE_CHECKING:
    from textual.widgets import RichLog, TabbedContent

    from provreg.model import ProviderInstance
    from provreg.registry import ProviderRegistry
    from provreg.registry.events import Event
    from provreg.registry.state import RegistryState
    from provreg.secrets import SecretStatus

log = logging.getLogger("provreg.tui")

FIRST_ROWS = 200
"""Rows shown in the first paint of a large registry; the rest follow in chunks."""
ROW_CHUNK = 1000


class ProvregApp(InstanceActions):
    CSS_PATH = "app.tcss"
    TITLE = "provreg"

    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("c", "duplicate", "Duplicate", show=False),
        Binding("x,delete", "delete", "Delete"),
        Binding("u", "undo", "Undo delete", show=False),
        Binding("k", "set_secret", "Set key"),
        Binding("K", "remove_secret", "Remove key", show=False),
        Binding("o", "confirm_origin", "Confirm host", show=False),
        Binding("v", "open_editor", "$EDITOR"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort", show=False),
        Binding("r", "rescan", "Rescan", show=False),
        Binding("w", "toggle_read_only", "Read-only", show=False),
        Binding("t", "pick_theme", "Theme", show=False),
        Binding("p", "show_tab('problems')", "Problems", show=False),
        Binding("l", "show_tab('activity')", "Activity", show=False),
        Binding("d", "show_tab('details')", "Details", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False, priority=True),
        Binding("q", "quit", "Quit"),
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
        self.key_trouble = KeyTrouble()
        self._detail_secrets: dict[str, dict[str, SecretStatus]] = {}
        self._detail_error: str | None = None
        self._unsubscribe: list[Any] = []
        self._layout_set = False
        self._confirmed_present: set[str] = set()
        self._theme_ready = False
        self._collector = RareFullCollections()
        self._external_toast_until = 0.0
        """While an external-change toast shows (time.monotonic())."""
        self._external_toast_count = 0
        self._external_unshown = 0
        """External changes that came while the toast showed."""
        # The widgets every store commit updates, kept from compose: a query walks
        # the whole screen, and a commit used to run several.
        self._table: ProvidersTable | None = None
        self._header: StatusHeader | None = None
        self._problems: ProblemsTable | None = None
        self._detail_panes: tuple[DetailPane, ...] = ()
        self._activity_log: RichLog | None = None
        self._tabs: TabbedContent | None = None
        """The bottom tabs, None until mounted after the first paint."""
        self._bottom_mounted = asyncio.Event()
        self._wanted_tab: str | None = None
        """A tab asked for (a key, the all-broken start) before the tabs were mounted."""
        self._theme_warnings = self._choose_theme()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # The layout's class before the widgets mount: added in on_mount, it
        # restyled every widget again before the first paint.
        self.screen.set_class(self.size.width < self.NARROW_WIDTH, "narrow", update=False)
        self._header = StatusHeader(", ".join(self.paths), stamp=self.stamp, id="status")
        self._table = ProvidersTable(id="providers")
        self._table.open_filter = self.action_filter
        self._problems = ProblemsTable(id="problems-table")
        # The side pane and, in narrow terminals, the Details tab.
        self._detail_panes = (DetailPane(id="detail"), DetailPane(id="detail-tab"))
        yield self._header
        yield Input(
            placeholder="filter: any text (Escape clears)",
            id="filter",
            classes="hidden",
            disabled=True,
        )
        with Horizontal(id="main"):
            yield self._table
            yield self._detail_panes[0]
        # The bottom tabs and the footer are mounted into their places after the
        # first paint (_mount_bottom): they are most of the screen's widgets (the
        # footer has one per key), and styling and arranging them came before
        # the first rows.
        yield Container(id="bottom")
        yield Container(id="footer-slot")

    async def _mount_bottom(self) -> None:
        # Imported here: RichLog brings rich.pretty and attrs (~20-30 ms).
        from textual.widgets import RichLog, TabbedContent, TabPane

        self._activity_log = RichLog(id="activity-log", wrap=False, markup=False, max_lines=2000)
        assert self._problems is not None
        narrow = self.screen.has_class("narrow")
        tabs = TabbedContent(id="bottom-tabs", initial="details" if narrow else "problems")
        # In narrow terminals the detail pane moves here, beside the problems.
        tabs.compose_add_child(TabPane("Details", self._detail_panes[1], id="details"))
        tabs.compose_add_child(TabPane("Problems", self._problems, id="problems"))
        tabs.compose_add_child(TabPane("Activity", self._activity_log, id="activity"))
        await self.query_one("#bottom", Container).mount(tabs)
        await self.query_one("#footer-slot", Container).mount(Footer())
        self._tabs = tabs
        self._layout_set = False
        self._apply_width(self.size.width)
        if self._wanted_tab is not None:
            self.action_show_tab(self._wanted_tab)
        self._bottom_mounted.set()

    NARROW_WIDTH = 140
    """Below this many columns the detail pane becomes a tab under the table (the
    table needs ~100 columns to show File:line whole)."""

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < self.NARROW_WIDTH
        if self.screen.has_class("narrow") == narrow and self._layout_set:
            return
        self.screen.set_class(narrow, "narrow")
        tabs = self._tabs
        if tabs is None:  # _mount_bottom applies it
            return
        self._layout_set = True
        if narrow:
            tabs.show_tab("details")
            tabs.active = "details"
        else:
            if tabs.active == "details":
                tabs.active = "problems"
            tabs.hide_tab("details")
        self._show_detail()

    def _choose_theme(self) -> list[tuple[str, str]]:
        """Register the themes and set the one to use; return (title, warning) pairs
        to show once mounted.

        Called from __init__: a theme set in on_mount re-parses and re-applies
        every style of the mounted screen, ~60-90 ms before the first rows.
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
        self._apply_width(self.size.width)
        for title, warning in self._theme_warnings:
            # The skipped files' list is long: it stays longer.
            timeout = 10 if title else self.NOTIFICATION_TIMEOUT
            self.notify(warning, title=title, severity="warning", timeout=timeout)
        self._theme_ready = True
        self.query_one(StatusHeader).show(None)
        table = self.query_one(ProvidersTable)
        table.roots = tuple(path for path in self.paths if os.path.isdir(path))
        assert self._problems is not None
        self._problems.roots = table.roots
        # The first screenful straight from the first files, in the first paint:
        # opening the registry (its imports, validating and linking every file)
        # takes 0.2-1 s more, and its rows replace these (docs/performance.md).
        preview = preview_rows(self.paths, table.roots, self.size.height)
        if preview:
            table.apply_rows(dict(preview), [key for key, _ in preview])
        else:
            table.loading = True
        table.focus()
        self.call_after_refresh(self._bench_mark, "first-paint")
        self.call_after_refresh(self._mount_bottom)
        # After the first paint: the worker runs on this event loop, and its
        # imports and the open are ~0.3 s of CPU that would come before it.
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
            await self._bottom_mounted.wait()
            self.registry = registry
            self._unsubscribe.append(registry.store.subscribe(self._on_state))
            self._unsubscribe.append(registry.store.subscribe_events(self._on_events))
            # The first rows get their "secret missing" status at once, rather than
            # every row being redone when the secrets index arrives after the fill.
            with contextlib.suppress(Exception):  # the worker below reports it
                from provreg.registry.key_presence import instance_key_trouble

                self.key_trouble = await asyncio.to_thread(instance_key_trouble, registry)
            await self._first_fill(registry.snapshot())
        self._collector.start()
        if self.watch_files:
            self._run_sync()
        self._refresh_secret_presence()

    async def _first_fill(self, state: RegistryState) -> None:
        """Show the first rows at once, then the rest in chunks, yielding between them."""
        table = self.query_one(ProvidersTable)
        table.loading = False
        # A loading widget cannot take focus, so on_mount's focus went to the
        # detail pane and the arrow keys scrolled it. Unless the user has started
        # typing a filter meanwhile, the table gets the focus now.
        if not isinstance(table.screen.focused, Input):
            table.focus()
        order = list(state.instances)
        rows = {}
        for index, instance_id in enumerate(order):
            rows[instance_id] = row_for(
                state.instances[instance_id], state, self.key_trouble, table.roots
            )
            if index + 1 == FIRST_ROWS or (index + 1) % ROW_CHUNK == 0:
                table.apply_rows(dict(rows), order[: index + 1])
                if index + 1 == FIRST_ROWS:
                    self._show_state(state, table_too=False)
                    # A preview row under the cursor kept its key: no highlight
                    # came to start this.
                    self._check_selected_secrets()
                await _yield()
        table.apply_rows(rows, order, basis=(state, self.key_trouble))
        table.refresh()  # an empty table now says so
        self._show_state(state, table_too=False)
        self._check_selected_secrets()  # as above
        if not state.instances and state.count(Severity.ERROR):
            # Every file is broken: the problems are what there is to see.
            self.action_show_tab("problems")
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
        # After the repaint: the check walks every instance in a thread, and
        # would slow this repaint down by holding the GIL meanwhile.
        self.call_after_refresh(self._refresh_secret_presence)

    def _widgets_gone(self) -> bool:
        """True while the app shuts down: messages still queued (a row highlight,
        a store change, a worker's result) find no widgets to update."""
        return self._table is None or not self._table.is_attached

    def _show_state(self, state: RegistryState, *, table_too: bool = True) -> None:
        self.state = state
        if self._widgets_gone():
            return
        assert self._table is not None and self._header is not None
        assert self._problems is not None
        if table_too:
            self._table.apply(state, self.key_trouble)
        read_only = self.registry.read_only if self.registry else False
        self._header.show(state, read_only=read_only)
        self._problems.show(state)
        self._show_detail()

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

        log = self._activity_log
        assert log is not None
        stamp = self.stamp(time.time())
        external: list[str] = []
        for event in message.events:
            line = text_line(event)
            if line is None:
                continue
            log.write(f"{stamp} {line}")
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
                self._detail_secrets.pop(event.instance.id, None)
        if external:
            self._notify_external(external)
        selected = self.selected_instance()
        if selected is not None and selected.id not in self._detail_secrets:
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
        for root in self._table.roots if self._table is not None else ():
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
        table = self.query_one(ProvidersTable)
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
        self.query_one(StatusHeader).update(Text(f"provreg: {message.error}"))

    # ------------------------------------------------------------------ secrets presence

    @work(exclusive=True, group="secret-index", thread=True, exit_on_error=False)
    def _refresh_secret_presence(self) -> None:
        """The table's "secret missing" from the index and env/file checks only:
        no keyring call per row (about 20 ms each with a Secret Service)."""
        registry = self.registry
        if registry is None:
            return
        from provreg.registry.key_presence import instance_key_trouble

        trouble = instance_key_trouble(registry)
        for instance_id in self._confirmed_present:
            trouble = trouble.with_present(instance_id, True)
        if trouble != self.key_trouble:
            self.call_from_thread(self._apply_trouble, trouble)

    def _apply_trouble(self, trouble: KeyTrouble) -> None:
        self.key_trouble = trouble
        if self.state is not None and not self._widgets_gone():
            self.query_one(ProvidersTable).apply(self.state, trouble)

    @work(exclusive=True, group="detail-secrets", exit_on_error=False)
    async def _check_detail_secrets(self, instance_id: str) -> None:
        """Confirm the selected instance's keys with the backend (in a worker thread)."""
        registry = self.registry
        if registry is None or registry.find(instance_id) is None:
            return
        try:
            statuses = await registry.secret_status(instance_id)
            self._detail_error = None
        except Exception as exc:  # keyring trouble on a headless box: say it, don't crash
            statuses = []
            self._detail_error = short_problem(str(exc))
        self._detail_secrets[instance_id] = {status.field: status for status in statuses}
        self._show_detail()
        # The table's "secret missing" comes from provreg's index; a key stored
        # by another tool is only known once the backend confirmed it here.
        answered = [s for s in statuses if s.present is not None and not s.problem]
        if answered and self.state is not None:
            missing = any(s.present is False for s in answered)
            (self._confirmed_present.discard if missing else self._confirmed_present.add)(
                instance_id
            )
            trouble = self.key_trouble.with_present(instance_id, not missing)
            if trouble != self.key_trouble:
                self._apply_trouble(trouble)

    # ------------------------------------------------------------------ selection and detail

    def selected_instance(self) -> ProviderInstance | None:
        if self.state is None or self._table is None or self._widgets_gone():
            return None
        instance_id = self._table.selected_id
        return self.state.instances.get(instance_id) if instance_id else None

    @on(ProvidersTable.RowHighlighted, "#providers")
    def _row_highlighted(self, event: ProvidersTable.RowHighlighted) -> None:
        self._show_detail()
        self._check_selected_secrets()

    def _check_selected_secrets(self) -> None:
        """Confirm the highlighted instance's keys, unless already known."""
        instance = self.selected_instance()
        if instance is not None and instance.id not in self._detail_secrets:
            self._check_detail_secrets(instance.id)

    @on(ProvidersTable.CursorCleared, "#providers")
    def _cursor_cleared(self, event: ProvidersTable.CursorCleared) -> None:
        self._show_detail()

    @on(ProvidersTable.RowSelected, "#providers")
    def _row_selected(self, event: ProvidersTable.RowSelected) -> None:
        self.action_edit()

    def _show_detail(self) -> None:
        if self._widgets_gone():
            return
        instance = self.selected_instance()
        secrets = self._detail_secrets.get(instance.id) if instance else None
        for pane in self._detail_panes:
            pane.show(
                instance,
                self.state,
                secrets,
                checking=instance is not None and secrets is None,
                secret_error=self._detail_error,
            )

    def on_problems_table_jump_to(self, message: ProblemsTable.JumpTo) -> None:
        diagnostic = message.diagnostic
        table = self.query_one(ProvidersTable)
        if diagnostic.instance_id and table.select(diagnostic.instance_id):
            table.focus()
            if self.screen.has_class("narrow"):
                # The row and its Details: in a narrow terminal Details is a tab.
                if self._tabs is not None:
                    self._tabs.active = "details"
            return
        self.notify(
            f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column} — press v on a row of that "
            "file, or fix it in your editor",
            timeout=6,
        )
        self._open_in_editor(diagnostic.file, diagnostic.line)

    def action_open_editor(self) -> None:
        instance = self._target()
        if instance is None:
            return
        self._open_in_editor(instance.file, instance.line)

    def _open_in_editor(self, file: str, line: int) -> None:
        from provreg.tui.editor import EditorError, editor_command

        # Decided before the terminal is handed over: a missing editor must not
        # leave the user at a blank screen.
        try:
            command = editor_command(file, line)
        except EditorError as exc:
            self.notify(f"Cannot open the editor: {exc}", severity="error", timeout=10)
            return
        try:
            with self.suspend():
                done = subprocess.run(command, check=False)
        except Exception as exc:  # no terminal to suspend to (tests, some drivers), or exec failed
            self.notify(f"Cannot open the editor ({command[0]}): {exc}", severity="error")
            return
        finally:
            self.refresh(layout=True)  # whatever the editor left on the terminal is redrawn
        if done.returncode != 0:
            self.notify(
                f"The editor ({command[0]}) exited with code {done.returncode}",
                severity="warning",
                timeout=6,
            )
        if self.registry is not None:
            self._run_op(self.registry.reload([os.path.realpath(file)]), f"Reloaded {file}")

    def action_rescan(self) -> None:
        if self.registry is not None:
            self._run_op(self._rescan(self.registry), "Rescanned the config files")

    async def _rescan(self, registry: ProviderRegistry) -> None:
        started = time.time()
        await registry.reload()
        if self._header is not None and not self._widgets_gone():
            self._header.rescanned_at = started
            self._header.show(self.state, read_only=registry.read_only)

    def action_toggle_read_only(self) -> None:
        if self.registry is None:
            return
        self.registry.read_only = not self.registry.read_only
        self.refresh_bindings()  # the footer offers the write keys again, or not
        self.query_one(StatusHeader).show(self.state, read_only=self.registry.read_only)
        self.notify(
            "Read-only: changes are refused" if self.registry.read_only else "Changes allowed"
        )

    def action_pick_theme(self) -> None:
        self.search_themes()

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.disabled = False
        field.remove_class("hidden")
        # Focused now, not after the queued keys: `/ollama` typed or pasted in one
        # burst must land in the filter, not run `o` and `a` as commands.
        self.screen.set_focus(field)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(ProvidersTable).set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one(ProvidersTable).focus()

    def key_escape(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.has_class("hidden"):
            field.value = ""
            field.add_class("hidden")
            field.disabled = True
            self.query_one(ProvidersTable).set_filter("")
            self.query_one(ProvidersTable).focus()

    def action_sort(self) -> None:
        key = self.query_one(ProvidersTable).cycle_sort()
        self.notify(f"Sorted by {key}", timeout=2)

    def action_show_tab(self, tab: str) -> None:
        if tab == "details" and not self.screen.has_class("narrow"):
            # Wide terminals show Details beside the table, not as a tab.
            self.query_one("#detail", DetailPane).focus()
            return
        if self._tabs is None:  # not mounted yet: _mount_bottom shows it
            self._wanted_tab = tab
            return
        self._tabs.active = tab
        if tab == "problems" and self._problems is not None:
            self._problems.focus()

    def action_help(self) -> None:
        """The keys of the screen in front: the dashboard's, or a form's or dialog's."""
        # Imported here: its Markdown widget costs ~40 ms of the start otherwise.
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


async def _yield() -> None:
    await asyncio.sleep(0)
