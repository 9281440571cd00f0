"""The providers table: one row per instance, updated in place from store snapshots.

Rows are diffed, never rebuilt: a commit that changes one instance updates
that row's changed cells, so the cursor, the scroll position and the user's
place in a 10,000-row table survive live edits. Columns have fixed widths
so adding rows never measures every cell (the cost that makes a plain
DataTable slow to first paint on large registries).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from provreg.model import ProviderInstance, Severity
from provreg.registry.state import RegistryState

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", " ", 1),
    ("name", "Name", 24),
    ("provider", "Provider", 15),
    ("model", "Default model", 18),
    ("where", "File:line", 40),
)

GLYPHS = {
    "ok": ("●", "green"),
    "warning": ("▲", "yellow"),
    "error": ("✖", "red"),
    "stale": ("◌", "bright_black"),
    "secret": ("○", "yellow"),
    "conflict": ("⚡", "magenta"),
}
STATUS_LABELS = {
    "ok": "ok",
    "warning": "warning",
    "error": "error",
    "stale": "stale (file has errors; last good version shown)",
    "secret": "secret missing",
    "conflict": "conflict",
}


@dataclass(frozen=True, slots=True)
class RowData:
    status: str
    name: str
    provider: str
    model: str
    where: str
    stale: bool

    def cells(self) -> tuple[Text, Text, Text, Text, Text]:
        glyph, color = GLYPHS[self.status]
        dim = "bright_black" if self.stale else ""
        return (
            Text(glyph, style=color),
            Text(self.name, style=dim),
            Text(self.provider, style=dim),
            Text(self.model, style=dim),
            Text(self.where, style=dim),
        )

    def matches(self, needle: str) -> bool:
        haystack = f"{self.name}\n{self.provider}\n{self.model}\n{self.where}\n{self.status}"
        return needle in haystack.casefold()


def instance_status(
    instance: ProviderInstance, state: RegistryState, missing_secrets: frozenset[str]
) -> str:
    if any(c.instance_id == instance.id for c in state.conflicts):
        return "conflict"
    if instance.id in state.stale_ids:
        return "stale"
    severities = {
        d.severity for d in state.diagnostics.get(instance.file, ()) if d.instance_id == instance.id
    }
    if Severity.ERROR in severities:
        return "error"
    if instance.id in missing_secrets:
        return "secret"
    if Severity.WARNING in severities:
        return "warning"
    return "ok"


def row_for(
    instance: ProviderInstance, state: RegistryState, missing_secrets: frozenset[str]
) -> RowData:
    definition = state.catalog.get(instance.provider)
    model = instance.value(definition, "default_model") if definition is not None else None
    return RowData(
        status=instance_status(instance, state, missing_secrets),
        name=instance.name,
        provider=instance.provider,
        model=str(model) if model is not None else "",
        where=f"{instance.file}:{instance.line}",
        stale=instance.id in state.stale_ids,
    )


SORT_KEYS = ("file", "name", "provider", "status")


class ProvidersTable(DataTable[Text]):
    """The registry at a glance. Row keys are instance ids."""

    DEFAULT_CSS = """
    ProvidersTable { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._rows: dict[str, RowData] = {}
        self._shown: dict[str, RowData] = {}
        self._order: list[str] = []
        self._canonical: list[str] = []
        self.filter_text = ""
        self.sort_key = "file"

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def instance_ids(self) -> list[str]:
        return list(self._order)

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value) if row_key.value is not None else None

    def select(self, instance_id: str) -> bool:
        if instance_id not in self._order:
            return False
        self.move_cursor(row=self.get_row_index(instance_id))
        return True

    def _visible(self, instance_id: str) -> bool:
        row = self._rows.get(instance_id)
        return row is not None and (not self.filter_text or row.matches(self.filter_text))

    def apply(self, state: RegistryState, missing_secrets: frozenset[str]) -> None:
        """Bring the table in line with `state`, touching only rows that changed."""
        wanted: dict[str, RowData] = {
            instance_id: row_for(instance, state, missing_secrets)
            for instance_id, instance in state.instances.items()
        }
        self.apply_rows(wanted, list(state.instances))

    def apply_rows(self, wanted: dict[str, RowData], order: list[str]) -> None:
        """Show `wanted` rows in `order` (sorted and filtered), changing as little as possible."""
        self._rows = wanted
        self._canonical = order
        desired = self._desired_order()
        desired_set = set(desired)
        selected = self.selected_id
        for instance_id in [i for i in self._order if i not in desired_set]:
            self.remove_row(instance_id)
        kept = [i for i in self._order if i in desired_set]
        kept_set = set(kept)
        new = [i for i in desired if i not in kept_set]
        if kept + new != desired:
            self._rebuild(desired)
        else:
            for instance_id in kept:
                shown = self._shown.get(instance_id)
                row = wanted[instance_id]
                if shown != row:
                    assert shown is not None
                    self._update_row(instance_id, shown, row)
                    self._shown[instance_id] = row
            for instance_id in new:
                self.add_row(*wanted[instance_id].cells(), key=instance_id)
                self._shown[instance_id] = wanted[instance_id]
            self._order = desired
        for instance_id in [i for i in self._shown if i not in desired_set]:
            del self._shown[instance_id]
        if selected is not None and selected in desired_set:
            self.select(selected)

    def _rebuild(self, desired: list[str]) -> None:
        self.clear()
        self._shown = {}
        for instance_id in desired:
            row = self._rows[instance_id]
            self.add_row(*row.cells(), key=instance_id)
            self._shown[instance_id] = row
        self._order = list(desired)

    def _desired_order(self) -> list[str]:
        needle = self.filter_text
        ids = [i for i in self._canonical if i in self._rows and _passes(self._rows[i], needle)]
        if self.sort_key == "file":
            return ids
        rank = list(GLYPHS)
        rows = self._rows

        def key(instance_id: str) -> tuple[object, ...]:
            row = rows[instance_id]
            if self.sort_key == "name":
                return (row.name.casefold(),)
            if self.sort_key == "provider":
                return (row.provider, row.name.casefold())
            return (-rank.index(row.status), row.name.casefold())

        return sorted(ids, key=key)

    def _update_row(self, instance_id: str, old: RowData, new: RowData) -> None:
        for (column, _, _), before, after in zip(COLUMNS, old.cells(), new.cells(), strict=True):
            if before != after:
                self.update_cell(instance_id, column, after)

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().casefold()
        self.apply_rows(self._rows, self._canonical)

    def cycle_sort(self) -> str:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.apply_rows(self._rows, self._canonical)
        return self.sort_key


def _passes(row: RowData, needle: str) -> bool:
    return not needle or row.matches(needle)
