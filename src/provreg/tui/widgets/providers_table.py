"""The providers table: one row per instance, updated in place from store snapshots.

Rows are diffed, never rebuilt: a commit that changes one instance updates
that row, so the cursor, the scroll position and the user's place in a
10,000-row table survive live edits; only rows whose inputs changed are
recomputed. The table is a `LineTable`, which holds the `RowData` of each row
and draws a row's cells only while it is on screen. Numbers:
docs/performance.md, "Dashboard".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.widgets import Input

from provreg.key_trouble import KeyTrouble
from provreg.severity import Severity
from provreg.tui.probes import probe_cell
from provreg.tui.widgets.line_table import LineTable

if TYPE_CHECKING:
    from provreg.model import ProviderInstance
    from provreg.registry.state import RegistryState

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", " ", 3),
    ("name", "Name", 24),
    ("provider", "Provider", 15),
    ("model", "Default model", 18),
    ("where", "File:line", 32),
)
"""The narrowest widths; wider terminals give the extra room as `GROWTH` says."""
GROWTH: dict[str, tuple[float, int]] = {
    "name": (0.35, 60),
    "provider": (0.10, 24),
    "model": (0.25, 48),
    "where": (0.30, 80),
}
"""Column -> (share of the spare width, the widest it gets)."""
SORTED_BY_COLUMN = {"status": "status", "name": "name", "provider": "provider", "where": "file"}
"""The sort a click on a column's header picks (the model column has none)."""

GLYPHS = {
    "ok": ("●", "green"),
    "warning": ("▲", "yellow"),
    "error": ("✖", "red"),
    "stale": ("◌", "bright_black"),
    "secret": ("○", "yellow"),
    "host": ("◇", "yellow"),
    "conflict": ("⚡", "magenta"),
    "checking": ("·", "bright_black"),
}
STATUS_LABELS = {
    "ok": "ok",
    "warning": "warning",
    "error": "error",
    "stale": "stale (file has errors; last good version shown)",
    "secret": "secret missing",
    "host": "host not confirmed for its key (press o)",
    "conflict": "conflict",
    "checking": "not checked yet (the registry is loading)",
}


@dataclass(frozen=True, slots=True)
class RowData:
    status: str
    name: str
    provider: str
    model: str
    where: str
    stale: bool
    probe: str = ""
    """The last live probe's mark (tui/probes.py): ``, `running`, `ok`, `failed`,
    the last two with `-old` when the instance changed since."""
    _haystack: str = field(default="", init=False, compare=False, repr=False)
    """What `matches` searches, made at its first call: typing a filter over
    100,000 rows searches each row's text again at every key."""

    def cells(self) -> tuple[Text, Text, Text, Text, Text]:
        glyph, color = GLYPHS[self.status]
        dim = "bright_black" if self.stale else ""
        # The status column holds two glyphs: the instance's status, then its
        # last probe's (blank when never probed).
        return (
            Text.assemble(Text(glyph, style=color), " ", probe_cell(self.probe)),
            Text(self.name, style=dim),
            Text(self.provider, style=dim),
            Text(self.model, style=dim),
            Text(self.where, style=dim),
        )

    def matches(self, needle: str) -> bool:
        return needle in (self._haystack or self.haystack())

    def haystack(self) -> str:
        """What a filter searches: the row's text, casefolded (made once)."""
        haystack = self._haystack
        if not haystack:
            haystack = f"{self.name}\n{self.provider}\n{self.model}\n{self.where}\n{self.status}"
            haystack = haystack.casefold()
            object.__setattr__(self, "_haystack", haystack)  # a cache, not a value: frozen
        return haystack


def instance_status(
    instance: ProviderInstance, state: RegistryState, key_trouble: KeyTrouble
) -> str:
    # The common row has no conflict and a file without diagnostics: checked
    # first, without building anything (the first fill does this per row).
    if state.conflicts and any(c.instance_id == instance.id for c in state.conflicts):
        return "conflict"
    if instance.id in state.stale_ids:
        return "stale"
    diagnostics = state.diagnostics.get(instance.file)
    severities = (
        {d.severity for d in diagnostics if d.instance_id == instance.id} if diagnostics else ()
    )
    if Severity.ERROR in severities:
        return "error"
    if instance.id in key_trouble.missing:
        return "secret"
    if instance.id in key_trouble.unconfirmed:
        return "host"
    if Severity.WARNING in severities:
        return "warning"
    return "ok"


@lru_cache(maxsize=4096)
def relative_file(file: str, roots: tuple[str, ...]) -> str:
    """A file as shown in the table: relative to its config directory when it has one.
    Cached: every row of a file asks (100 rows a file, 100,000 rows)."""
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if file.startswith(prefix):
            return file[len(prefix) :]
    return file


def row_for(
    instance: ProviderInstance,
    state: RegistryState,
    key_trouble: KeyTrouble,
    roots: tuple[str, ...] = (),
    probe: str = "",
) -> RowData:
    definition = state.catalog.get(instance.provider)
    model = instance.value(definition, "default_model") if definition is not None else None
    return RowData(
        status=instance_status(instance, state, key_trouble),
        name=instance.name,
        provider=instance.provider,
        model=str(model) if model is not None else "",
        where=f"{relative_file(instance.file, roots)}:{instance.line}",
        stale=instance.id in state.stale_ids,
        probe=probe,
    )


def _changed(
    old: RegistryState, old_trouble: KeyTrouble, new: RegistryState, trouble: KeyTrouble
) -> tuple[set[str], set[str], set[str]]:
    """Instance ids, files and provider ids whose rows may differ between two
    states, besides instances that are new objects (commits share unchanged ones)."""
    ids: set[str] = set()
    if trouble is not old_trouble:
        ids |= old_trouble.changed_ids(trouble)
    if new.stale_ids is not old.stale_ids:
        ids |= old.stale_ids ^ new.stale_ids
    if new.conflicts != old.conflicts:
        ids |= {c.instance_id for c in (*old.conflicts, *new.conflicts) if c.instance_id}
    files = {
        file
        for file in {*old.diagnostics, *new.diagnostics}
        if old.diagnostics.get(file) is not new.diagnostics.get(file)
        and old.diagnostics.get(file) != new.diagnostics.get(file)
    }
    providers: set[str] = set()
    if new.catalog is not old.catalog:  # a reparse of a file with custom definitions
        for definition in (*old.catalog, *new.catalog):
            before, after = old.catalog.get(definition.id), new.catalog.get(definition.id)
            if before is not after and before != after:
                providers.add(definition.id)
    return ids, files, providers


def _stale_rows(
    basis: tuple[RegistryState, KeyTrouble],
    state: RegistryState,
    key_trouble: KeyTrouble,
    rows: dict[str, RowData],
) -> list[str]:
    """Ids of `state`'s instances whose rows must be recomputed: new instance
    objects (commits share unchanged ones), rows never computed, and instances
    whose status inputs changed since `basis`. The common edit walks the
    instances once, in comprehensions, and recomputes a few rows."""
    old, old_trouble = basis
    before = old.instances.get
    instances = state.instances
    stale = [i for i, instance in instances.items() if before(i) is not instance or i not in rows]
    ids, files, providers = _changed(old, old_trouble, state, key_trouble)
    if files or providers:
        ids |= {
            i
            for i, instance in instances.items()
            if instance.file in files or instance.provider in providers
        }
    if ids:
        ids -= set(stale)
        stale += [i for i in ids if i in instances]
    return stale


SORT_KEYS = ("file", "name", "provider", "status")


class ProvidersTable(LineTable):
    """The registry at a glance. Row keys are instance ids; rows are `RowData`,
    drawn only while on screen."""

    DEFAULT_CSS = """
    ProvidersTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows: dict[str, RowData] = {}
        self._canonical: list[str] = []
        self._basis: tuple[RegistryState, KeyTrouble] | None = None
        self.filter_text = ""
        self.sort_key = "file"
        self.roots: tuple[str, ...] = ()
        """Config directories: the File:line column is relative to them."""
        self._shown_columns: tuple[tuple[str, str, int], ...] = ()
        self.first_run_hint = ""
        """Set when the config location does not exist: what to run to create it."""
        self.open_filter: Callable[[], None] | None = None
        """Shows and focuses the filter input, synchronously (set by the app)."""
        self.probe_marks: dict[str, str] = {}
        """Instance id -> its probe mark (`RowData.probe`), set by the app."""
        self._unsorted = 0
        """Rows added by `extend_rows` not yet placed in a sort other than file order."""
        self._search = _FilterSearch()

    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def on_mount(self) -> None:
        self.keep_end_columns = frozenset({"where"})
        self._show_columns()

    def on_resize(self) -> None:
        self._show_columns()

    def _show_columns(self) -> None:
        """The columns at the widths this size allows, the sorted one marked."""
        base = sum(width + 2 for _, _, width in COLUMNS)
        # A vertical scrollbar takes its width from the table when rows overflow.
        spare = max(0, self.size.width - base - 2)
        columns = []
        for key, label, width in COLUMNS:
            share, widest = GROWTH.get(key, (0.0, width))
            grown = min(widest, width + int(spare * share))
            if SORTED_BY_COLUMN.get(key) == self.sort_key:
                label = "▲" if key == "status" else f"{label} ▲"
            columns.append((key, label, grown))
        wanted = tuple(columns)
        if wanted != self._shown_columns:
            self._shown_columns = wanted
            self.set_columns(wanted)
            self.refresh()

    @on(LineTable.HeaderClicked)
    def _sort_by_column(self, event: LineTable.HeaderClicked) -> None:
        sort = SORTED_BY_COLUMN.get(event.column_key)
        if sort is not None and sort != self.sort_key:
            self.sort_key = sort
            self.apply_rows(self._rows, self._canonical, basis=self._basis)
            self._show_columns()

    async def on_key(self, event: events.Key) -> None:
        """`/` opens the filter at once; keys queued behind it go into the filter.

        A burst (`/ollama` typed fast or pasted into a terminal without bracketed
        paste) reaches the table before the focus moves: those keys would
        otherwise run as commands (`o`, `a` opening the Add picker).
        """
        focused = self.screen.focused
        if focused is not self and isinstance(focused, Input):
            if event.is_printable and event.character:
                focused.insert_text_at_cursor(event.character)
            elif event.key == "backspace":
                focused.action_delete_left()
            elif event.key == "enter":
                await focused.action_submit()
            else:
                return
            event.stop()
            event.prevent_default()
        elif event.key == "slash" and self.open_filter is not None:
            self.open_filter()
            event.stop()
            event.prevent_default()

    @property
    def instance_ids(self) -> list[str]:
        return self.row_keys

    @property
    def selected_id(self) -> str | None:
        return self.cursor_key

    def select(self, instance_id: str) -> bool:
        if not self.has_row(instance_id):
            return False
        self.move_cursor(row=self.get_row_index(instance_id))
        return True

    def apply(self, state: RegistryState, key_trouble: KeyTrouble) -> None:
        """Bring the table in line with `state`, touching only rows that changed.

        Rows are recomputed only for instances that are new objects, in files
        whose diagnostics changed, or whose status inputs changed since the
        state the rows came from: an edit costs a few rows, not 10,000.
        """
        basis, order = self._basis, list(state.instances)
        if basis is None:
            wanted: dict[str, RowData] = {
                instance_id: row_for(
                    instance, state, key_trouble, self.roots, self.probe_marks.get(instance_id, "")
                )
                for instance_id, instance in state.instances.items()
            }
        else:
            rows = self._rows
            wanted = dict(rows)
            changed = []
            for instance_id in _stale_rows(basis, state, key_trouble, rows):
                row = rows.get(instance_id)
                fresh = row_for(
                    state.instances[instance_id],
                    state,
                    key_trouble,
                    self.roots,
                    self.probe_marks.get(instance_id, ""),
                )
                if fresh != row:
                    changed.append(instance_id)
                wanted[instance_id] = fresh
            # `wanted` holds every instance of `state` now, so a longer one holds
            # rows of instances that went away.
            if len(wanted) != len(state.instances):
                for instance_id in wanted.keys() - state.instances.keys():
                    del wanted[instance_id]
            if order == self._canonical and self._update_in_place(wanted, changed):
                self._rows, self._basis = wanted, (state, key_trouble)
                return
        self.apply_rows(wanted, order, basis=(state, key_trouble))

    def apply_keys_of(
        self,
        state: RegistryState,
        key_trouble: KeyTrouble,
        instance_id: str,
        *,
        since: KeyTrouble,
    ) -> None:
        """`apply`, when `key_trouble` differs from `since` for one instance only
        (the keyring's answer for the selected row): that row alone is redone.

        `apply` walks every instance to find what changed; with 100,000 rows that
        was a keypress's worth of time on the press that selected the row. Falls
        back to `apply` unless the rows are those of (`state`, `since`).
        """
        basis = self._basis
        instance = state.instances.get(instance_id)
        if basis is None or basis[0] is not state or basis[1] is not since or instance is None:
            self.apply(state, key_trouble)
            return
        before = self._rows.get(instance_id)
        fresh = row_for(
            instance, state, key_trouble, self.roots, self.probe_marks.get(instance_id, "")
        )
        if fresh == before:
            self._basis = (state, key_trouble)
            return
        wanted = dict(self._rows)
        wanted[instance_id] = fresh
        if self._update_in_place(wanted, [instance_id]):
            self._rows, self._basis = wanted, (state, key_trouble)
        else:
            self.apply_rows(wanted, self._canonical, basis=(state, key_trouble))

    def _update_in_place(self, wanted: dict[str, RowData], changed: list[str]) -> bool:
        """Update the `changed` rows where they are, unless the sort or the filter
        could move, show or hide one of them (then do nothing and return False).
        The common live edit: no pass over all the rows."""
        if changed and self.sort_key != "file":
            return False
        needle = self.filter_text
        if needle and any(
            self._rows[i].matches(needle) != wanted[i].matches(needle) for i in changed
        ):
            return False
        for instance_id in changed:
            if self.has_row(instance_id):  # else filtered out
                self.update_row(instance_id, wanted[instance_id])
        return True

    def apply_rows(
        self,
        wanted: dict[str, RowData],
        order: list[str],
        *,
        basis: tuple[RegistryState, KeyTrouble] | None = None,
    ) -> None:
        """Show `wanted` rows in `order` (sorted and filtered), changing as little as possible.

        Args:
            basis: the state and missing secrets `wanted` was computed from, so the
                next `apply` recomputes only what changed since (None: recompute all).
        """
        # The same rows in another order or filter (set_filter, a sort): nothing
        # to compare or update row by row.
        same_rows = wanted is self._rows and not self._unsorted
        self._rows = wanted
        self._canonical = order
        self._basis = basis
        self._unsorted = 0
        desired = self._desired_order()
        if same_rows:
            # A new filter or sort of the rows held: a few passes over them, not
            # a diff (typing a filter over 100,000 rows).
            self._show_exactly(desired)
            return
        selected = self.selected_id
        desired_set = set(desired)
        shown = self.row_keys
        self.remove_rows([i for i in shown if i not in desired_set])
        kept = [i for i in shown if i in desired_set]
        kept_set = set(kept)
        new = [i for i in desired if i not in kept_set]
        if kept + new != desired:
            self.replace_rows((i, wanted[i]) for i in desired)
        else:
            for instance_id in kept:
                before, row = self.get_row_value(instance_id), wanted[instance_id]
                if before is not row and before != row:
                    self.update_row(instance_id, row)
            self.append_rows((i, wanted[i]) for i in new)
        if (
            selected is not None
            and selected in desired_set
            and self.get_row_index(selected) != self.cursor_row
        ):
            # Rows came or went above it: follow the instance. Otherwise leave the
            # cursor alone, as moving it scrolls it into view.
            self.select(selected)

    @property
    def filled(self) -> bool:
        """True once the rows are those of a whole state (`apply`, or `apply_rows`
        with a basis); False while showing a preview or a fill's first chunks."""
        return self._basis is not None

    def extend_rows(self, rows: dict[str, RowData]) -> None:
        """Add the rows of instances that come after those held, in file order:
        the first fill's chunks after the first (`apply_rows`).

        A chunk costs its own rows, not the table's: redoing every row held at
        each chunk made the fill quadratic (50,000 rows: 1.9 s of 2.7 s). The
        rows go at the bottom in file order, the common case; in another sort
        they are placed by redoing the order only when the unplaced rows are half
        as many as the rows shown, so the fill stays linear overall (the last
        few rows of a chunk may wait for `finish_fill` to be placed).
        """
        if self.filled:
            raise RuntimeError("extend_rows after the table showed a whole state")
        held = self._rows
        held.update(rows)
        self._canonical.extend(rows)
        needle = self.filter_text
        shown = [(i, row) for i, row in rows.items() if not needle or row.matches(needle)]
        if not shown:
            return
        if self.sort_key == "file":
            self.append_rows(shown)
            return
        self._unsorted += len(shown)
        if self._unsorted * 2 >= self.row_count:
            self.apply_rows(held, self._canonical)

    def finish_fill(self, basis: tuple[RegistryState, KeyTrouble]) -> None:
        """The fill's rows are those of `basis`: place what `extend_rows` left
        unplaced, and let the next `apply` recompute only what changed since."""
        if self._unsorted:
            self.apply_rows(self._rows, self._canonical, basis=basis)
        else:
            self._basis = basis

    def _desired_order(self) -> list[str]:
        needle, rows = self.filter_text, self._rows
        if needle:
            ids = self._search.matching(needle, rows, self._canonical)
        else:
            ids = [i for i in self._canonical if i in rows]
        if self.sort_key == "file":
            return ids
        rank = list(GLYPHS)

        def key(instance_id: str) -> tuple[object, ...]:
            row = rows[instance_id]
            if self.sort_key == "name":
                return (row.name.casefold(),)
            if self.sort_key == "provider":
                return (row.provider, row.name.casefold())
            return (-rank.index(row.status), row.name.casefold())

        return sorted(ids, key=key)

    def set_probe_mark(self, instance_id: str, mark: str) -> None:
        """Show an instance's probe mark (its row updated in place)."""
        if self.probe_marks.get(instance_id, "") == mark:
            return
        if mark:
            self.probe_marks[instance_id] = mark
        else:
            self.probe_marks.pop(instance_id, None)
        row = self._rows.get(instance_id)
        if row is None:
            return
        row = replace(row, probe=mark)
        self._rows[instance_id] = row
        if self.has_row(instance_id):  # else filtered out
            self.update_row(instance_id, row)

    def set_filter(self, text: str) -> None:
        before, self.filter_text = self.filter_text, text.strip().casefold()
        if self.filter_text == before:
            return
        if self._unsorted:  # (a fill's rows not yet placed: `apply_rows` places them)
            self.apply_rows(self._rows, self._canonical, basis=self._basis)
            return
        needle, rows = self.filter_text, self._rows
        # The rows a filter showed, kept while the rows and their order are the
        # same: erasing what was typed shows them again without a search.
        shown = self._search.remembered(needle, rows, self._canonical, self.sort_key)
        if shown is None:
            if before and before in needle:
                # Typing on narrows the filter: the rows it keeps are among those
                # shown, in their order (the sort's too), so only they are searched.
                # (`matches` inlined: a method call per row is most of the time.)
                shown = [
                    i
                    for i in self._row_keys
                    if needle in ((row := rows[i])._haystack or row.haystack())
                ]
            else:
                shown = self._desired_order()
            self._search.remember(needle, shown)
        self._show_exactly(list(shown))  # (a copy: the table owns the list it shows)

    def _show_exactly(self, desired: list[str]) -> None:
        """Show `desired` rows of those held (`_rows`, whose objects the rows shown
        are), the cursor following its instance as `apply_rows` has it."""
        if desired == self._row_keys:
            return
        selected = self.selected_id
        # Where it is now, found in the list: `get_row_index` would make the
        # table's index of every row, at every key typed into the filter.
        try:
            at = desired.index(selected) if selected is not None else None
        except ValueError:
            at = None  # filtered out
        self.show_rows(desired, self._rows)
        if at is not None and at != self.cursor_row:
            self.move_cursor(row=at)

    def empty_message(self) -> str:
        if self.first_run_hint:
            return self.first_run_hint
        if self.loading or self._basis is None:
            return ""  # not loaded yet: nothing is known to be missing
        if self.filter_text:
            return f"No instance matches '{self.filter_text}' — Escape clears the filter"
        return "No provider instances yet — press a to add one"

    def cycle_sort(self) -> str:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.apply_rows(self._rows, self._canonical, basis=self._basis)
        self._show_columns()
        return self.sort_key


class _FilterSearch:
    """What typing a filter over many rows searches, kept between keys.

    Every row's text (`RowData.haystack`) in a list in the rows' order, so a
    search is one pass over strings (about 5 ms for 100,000 rows, against
    40 ms looking up each row); and the rows each filter typed showed, so
    that erasing shows them again without a search. Both are kept for one
    set of rows, in one order and sort (a new state's rows are a new dict,
    the fill's chunks make it longer), and forgotten for another.
    """

    MAX_REMEMBERED = 64

    def __init__(self) -> None:
        self._of: tuple[object, int, object, int] | None = None
        self._ids: list[str] = []
        self._haystacks: list[str] = []
        self._sort = ""
        self._shown: dict[str, list[str]] = {}

    def _still_for(self, rows: dict[str, RowData], canonical: list[str]) -> bool:
        """Whether these are the rows (and order) searched last; if not, what was
        kept is forgotten and these are the rows from now on."""
        last = self._of
        if (
            last is not None
            and last[0] is rows
            and last[1] == len(rows)
            and last[2] is canonical
            and last[3] == len(canonical)
        ):
            return True
        self._of = (rows, len(rows), canonical, len(canonical))
        self._ids = []
        self._haystacks = []
        self._shown = {}
        return False

    def matching(self, needle: str, rows: dict[str, RowData], canonical: list[str]) -> list[str]:
        """The ids of `canonical` that have a row whose text holds `needle`, in order."""
        if not self._still_for(rows, canonical) or not self._ids:
            self._ids = [i for i in canonical if i in rows]
            self._haystacks = [(row := rows[i])._haystack or row.haystack() for i in self._ids]
        return list(compress(self._ids, [needle in haystack for haystack in self._haystacks]))

    def remembered(
        self, needle: str, rows: dict[str, RowData], canonical: list[str], sort: str
    ) -> list[str] | None:
        """The rows `needle` showed, when the rows, order and sort are the same."""
        if not self._still_for(rows, canonical) or sort != self._sort:
            self._sort = sort
            self._shown = {}
            return None
        return self._shown.get(needle)

    def remember(self, needle: str, shown: list[str]) -> None:
        if len(self._shown) >= self.MAX_REMEMBERED:
            self._shown.pop(next(iter(self._shown)))
        self._shown[needle] = shown
