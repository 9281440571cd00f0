"""The dashboard's main view: the header, the filter, the table beside its
Details pane, the bottom tabs (Details when narrow, Problems, Activity) and
the footer.

It shows what the app hands it (store snapshots, the keys' presence, event
lines) and owns only the view's own state: the layout for the terminal's
width, the active tab, the filter. The app owns the registry, the workers
and the actions.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input

from provreg.tui.preview import preview_rows
from provreg.tui.probes import ProbeBoard
from provreg.tui.widgets.detail_pane import DetailPane
from provreg.tui.widgets.problems import ProblemsTable
from provreg.tui.widgets.providers_table import ProvidersTable
from provreg.tui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual.widgets import RichLog, TabbedContent

    from provreg.model import ProviderInstance
    from provreg.registry.state import RegistryState
    from provreg.tui.presence import KeyPresence

NARROW_WIDTH = 140
"""Below this many columns the detail pane becomes a tab under the table (the
table needs ~100 columns to show File:line whole)."""


class MainScreen(Screen[None]):
    class SelectionChanged(Message):
        """The highlighted row changed, or no row is highlighted: Details and the
        check of the keys follow it.

        Posted by the screen for the app: a highlight the table posts while the
        screen handles a message (the filter's) stops at the screen (Textual
        bubbles a message no further than the node that sent it)."""

    # Textual sets one of these classes on the screen as its width crosses them;
    # app.tcss lays the screen out by them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]

    def __init__(
        self,
        paths: list[str],
        stamp: Callable[[float], str],
        *,
        open_filter: Callable[[], None],
        probes: ProbeBoard | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.probes = probes or ProbeBoard()
        """The live probes' results (the app's workers update it)."""
        self.header = StatusHeader(", ".join(paths), stamp=stamp, id="status")
        self.table = ProvidersTable(id="providers")
        self.table.open_filter = open_filter
        self.problems = ProblemsTable(id="problems-table")
        # The side pane and, in narrow terminals, the Details tab.
        self.detail_panes = (DetailPane(id="detail"), DetailPane(id="detail-tab"))
        self.activity_log: RichLog | None = None
        self.tabs: TabbedContent | None = None
        """The bottom tabs, None until mounted after the first paint."""
        self.bottom_mounted = asyncio.Event()
        self._wanted_tab: str | None = None
        """A tab asked for (a key, the all-broken start) before the tabs were mounted."""

    def compose(self) -> ComposeResult:
        # The layout's class before the widgets mount: set by Textual on the
        # first resize, it would restyle every widget again before the first paint.
        narrow = self.app.size.width < NARROW_WIDTH
        self.set_class(narrow, "-narrow", update=False)
        self.set_class(not narrow, "-wide", update=False)
        yield self.header
        yield Input(
            placeholder="filter: any text (Escape clears)",
            id="filter",
            classes="hidden",
            disabled=True,
        )
        with Horizontal(id="main"):
            yield self.table
            yield self.detail_panes[0]
        # The bottom tabs and the footer are mounted into their places after the
        # first paint (_mount_bottom): they are most of the screen's widgets (the
        # footer has one per key), and styling and arranging them came before
        # the first rows.
        yield Container(id="bottom")
        yield Container(id="footer-slot")

    def on_mount(self) -> None:
        self.header.show(None)
        self.table.roots = tuple(path for path in self.paths if os.path.isdir(path))
        self.problems.roots = self.table.roots
        # The first screenful straight from the first files, in the first paint:
        # opening the registry (its imports, validating and linking every file)
        # takes longer, and its rows replace these (docs/performance.md).
        preview = preview_rows(self.paths, self.table.roots, self.app.size.height)
        if preview:
            self.table.apply_rows(dict(preview), [key for key, _ in preview])
        else:
            self.table.loading = True
        self.table.focus()
        self.call_after_refresh(self._mount_bottom)

    async def _mount_bottom(self) -> None:
        # Imported here: RichLog brings rich.pretty and attrs, slow to import.
        from textual.widgets import RichLog, TabbedContent, TabPane

        self.activity_log = RichLog(id="activity-log", wrap=False, markup=False, max_lines=2000)
        tabs = TabbedContent(id="bottom-tabs", initial="details" if self.narrow else "problems")
        # In narrow terminals the detail pane moves here, beside the problems.
        tabs.compose_add_child(TabPane("Details", self.detail_panes[1], id="details"))
        tabs.compose_add_child(TabPane("Problems", self.problems, id="problems"))
        tabs.compose_add_child(TabPane("Activity", self.activity_log, id="activity"))
        await self.query_one("#bottom", Container).mount(tabs)
        await self.query_one("#footer-slot", Container).mount(Footer())
        # A footer lists the keys when the bindings change (a focus change); the
        # table took the focus before this one was mounted.
        self.refresh_bindings()
        self.tabs = tabs
        self._place_details_tab()
        if self._wanted_tab is not None:
            self.show_tab(self._wanted_tab)
        self.bottom_mounted.set()

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def on_resize(self, event: events.Resize) -> None:
        # After Screen._on_resize, which set the breakpoint class.
        self._place_details_tab()

    def _place_details_tab(self) -> None:
        """Details is a tab in narrow terminals only (beside the table otherwise)."""
        tabs = self.tabs
        if tabs is None:
            return
        details = tabs.get_tab("details")
        if self.narrow and not details.display:
            tabs.show_tab("details")
            tabs.active = "details"
        elif not self.narrow and details.display:
            if tabs.active == "details":
                tabs.active = "problems"
            tabs.hide_tab("details")

    @on(ProvidersTable.RowHighlighted, "#providers")
    @on(ProvidersTable.CursorCleared, "#providers")
    def _selection_moved(self) -> None:
        self.post_message(self.SelectionChanged())

    @property
    def gone(self) -> bool:
        """True while the app shuts down: messages still queued (a row highlight,
        a store change, a worker's result) find no widgets to update."""
        return not self.table.is_attached

    # ------------------------------------------------------------------ what the app shows

    def show_state(
        self,
        state: RegistryState,
        presence: KeyPresence,
        *,
        read_only: bool,
        table_too: bool = True,
    ) -> None:
        if table_too:
            self.table.apply(state, presence.trouble)
        self.header.show(state, read_only=read_only)
        self.problems.show(state)
        self.show_detail(self.selected_instance(state), state, presence)

    def show_detail(
        self,
        instance: ProviderInstance | None,
        state: RegistryState | None,
        presence: KeyPresence,
    ) -> None:
        secrets = presence.statuses(instance.id) if instance else None
        probe_line = self.probes.detail_line(instance) if instance else None
        for pane in self.detail_panes:
            pane.show(
                instance,
                state,
                secrets,
                checking=instance is not None and secrets is None,
                secret_error=presence.problem,
                probe_line=probe_line,
            )

    def show_probe_marks(self, state: RegistryState | None, ids: Iterable[str]) -> None:
        """The table's probe glyphs of these instances, as the board has them now."""
        if state is None:
            return
        for instance_id in ids:
            instance = state.instances.get(instance_id)
            if instance is not None:
                self.table.set_probe_mark(instance_id, self.probes.mark(instance))

    def selected_instance(self, state: RegistryState | None) -> ProviderInstance | None:
        instance_id = self.table.selected_id
        if state is None or instance_id is None:
            return None
        return state.instances.get(instance_id)

    def log_lines(self, lines: list[str]) -> None:
        """Lines for the Activity tab (mounted before any event can come)."""
        assert self.activity_log is not None
        for line in lines:
            self.activity_log.write(line)

    # ------------------------------------------------------------------ the view's own keys

    def show_tab(self, tab: str) -> None:
        if tab == "details" and not self.narrow:
            # Wide terminals show Details beside the table, not as a tab.
            self.query_one("#detail", DetailPane).focus()
            return
        if self.tabs is None:  # not mounted yet: _mount_bottom shows it
            self._wanted_tab = tab
            return
        self.tabs.active = tab
        if tab == "problems":
            self.problems.focus()

    def show_details_tab_if_narrow(self) -> None:
        """The row and its Details: in a narrow terminal Details is a tab."""
        if self.narrow and self.tabs is not None:
            self.tabs.active = "details"

    def open_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.disabled = False
        field.remove_class("hidden")
        # Focused now, not after the queued keys: `/ollama` typed or pasted in one
        # burst must land in the filter, not run `o` and `a` as commands.
        self.set_focus(field)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.has_class("hidden"):
            field.value = ""
            field.add_class("hidden")
            field.disabled = True
            self.table.set_filter("")
            self.table.focus()
