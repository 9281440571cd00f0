"""The detail pane: every field of the selected instance, secrets as reference
and presence (never the value), and the instance's diagnostics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:  # not at runtime: the first paint comes before the models are imported
    from provreg.model import ProviderInstance, SecretRef
    from provreg.registry.state import RegistryState
    from provreg.secrets import SecretStatus


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def short_problem(text: str) -> str:
    """A keyring problem in one short line (the full text, with what to do, is in
    `provreg secret status` and docs/secrets.md)."""
    if "not secure" in text:
        return "keyring refused: insecure backend (docs/secrets.md)"
    if "no usable keyring" in text:
        return "no keyring available (docs/secrets.md)"
    if "did not answer" in text or "no answer" in text:
        return "the keyring did not answer (locked?)"
    # Imported here: the secrets package imports the models, which the first
    # paint does without.
    from provreg.secrets.policy import without_options

    first = without_options(text)
    return first if len(first) <= 70 else first[:67] + "..."


def presence_text(ref: SecretRef, status: SecretStatus | None, checking: bool) -> Text:
    """`keyring ● set`, `env ACME_KEY ○ missing`, `keyring … checking`."""
    text = Text(ref.describe() + " ")
    if status is None:
        text.append("… checking" if checking else "? unknown", style="italic")
    elif ref.kind == "command" and status.present is None and _not_checked(status):
        # The pane never runs a command; `provreg --check --secrets` does.
        text.append("– not checked", style="italic")
    elif status.unconfirmed:
        # Exactly when `exec` would refuse it: the key is there, its host is not confirmed.
        text.append("◇ host not confirmed — press o", style="yellow")
    elif status.problem:
        text.append("✖ " + short_problem(status.problem), style="red")
    elif status.present:
        text.append("● set", style="green")
    elif status.present is False:
        text.append("○ missing", style="yellow")
    else:
        text.append("? unknown", style="italic")
    return text


def _not_checked(status: SecretStatus) -> bool:
    return (status.problem or "").startswith("not checked")


class DetailPane(VerticalScroll):
    DEFAULT_CSS = """
    DetailPane {
        width: 1fr; min-width: 30; border-left: solid $panel; padding: 0 1;
        scrollbar-gutter: stable;
    }
    DetailPane > #detail-body { width: 100%; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[object, ...] | None = None
        """The inputs of what the body shows now (None: no instance selected)."""
        # Kept, not queried: the Details tab's pane is shown before it is
        # mounted (the bottom tabs mount after the first paint).
        self._body = Static("Select a provider instance.", id="detail-body")
        self._content: RenderableType | None = None
        """What the body shows (before `RenderedLines`), to render again on a resize."""
        self._made_for = (0, 0)
        """The body's width and the pane's height that `_content` was rendered for."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._body

    def show(
        self,
        instance: ProviderInstance | None,
        state: RegistryState | None,
        secrets: dict[str, SecretStatus] | None = None,
        checking: bool = False,
        secret_error: str | None = None,
        probe_line: Text | None = None,
    ) -> None:
        body = self._body
        if instance is None or state is None:
            if self._shown is not None:
                self._shown = None
                self._update(body, "Select a provider instance.")
            return
        definition = state.catalog.get(instance.provider)
        problems = [
            d for d in state.diagnostics.get(instance.file, ()) if d.instance_id == instance.id
        ]
        # Everything the pane shows comes from these. Most commits (an edit of
        # another row) leave them as they were, and the same text again would
        # cost a layout of the whole screen.
        shown = (
            instance,
            definition,
            instance.id in state.stale_ids,
            secrets,
            checking,
            secret_error,
            problems,
            probe_line,
        )
        if shown == self._shown:
            return
        self._shown = shown
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        title = Text(instance.name, style="bold")
        if instance.id in state.stale_ids:
            title.append("  (stale: the file has errors)", style="italic bright_black")
        grid.add_row("name", title)
        # Text, not str: a table cell given a str reads it as markup, and values,
        # names and paths are the user's text (`[a-z]` would vanish).
        grid.add_row(
            "id", Text(instance.id + ("  (derived from the name)" if instance.id_derived else ""))
        )
        grid.add_row(
            "provider",
            Text(f"{instance.provider}" + (f" — {definition.name}" if definition else "")),
        )
        if probe_line is not None:
            # High up: at 80x24 the Details tab shows six lines.
            grid.add_row("last probe", probe_line)
        grid.add_row("file", Text(f"{instance.file}:{instance.line}"))
        if definition is not None:
            for spec in definition.fields:
                if spec.is_secret:
                    ref = instance.secret_ref(spec.id)
                    grid.add_row(
                        spec.id, presence_text(ref, (secrets or {}).get(spec.id), checking)
                    )
                elif spec.id in instance.values:
                    grid.add_row(spec.id, Text(_value_text(instance.values[spec.id])))
                elif spec.default is not None:
                    grid.add_row(
                        spec.id,
                        Text(f"{_value_text(spec.default)} (default)", style="bright_black"),
                    )
        for index, model in enumerate(instance.models):
            grid.add_row("models" if index == 0 else "", Text(model.describe()))
        if not instance.helpers_allowed:
            grid.add_row("helpers", Text("false (`provreg secret get` refuses its keys)"))
        if secret_error:
            grid.add_row("keyring", Text(secret_error, style="red"))
        if problems:
            grid.add_row("", "")
            for diag in problems:
                color = {"error": "red", "warning": "yellow"}.get(diag.severity.value, "")
                grid.add_row(
                    Text(f"{diag.line}:{diag.column}", style=color),
                    Text(f"{diag.severity.value}[{diag.code}] {diag.message}", style=color),
                )
        self._update(body, grid)

    def _update(self, body: Static, content: RenderableType) -> None:
        """Show `content`, with a layout of the screen only if its height changed.

        A layout costs a full repaint of the screen; moving the cursor in the
        table changes the text here on every keypress. So the text is rendered
        once, at the body's width (measuring it for the height rendered it a
        second time), and given at least the height the pane shows
        (`RenderedLines`): only a text taller than the pane changes the
        height. A pane that is not shown (the narrow layout's side pane, the
        hidden tab) gets its layout when it is shown."""
        self._content = content
        width = body.content_size.width
        self._made_for = (width, self.scrollable_content_region.height)
        if width and not isinstance(content, str):  # (a str is Textual markup, not Rich's)
            content = RenderedLines(content, *self._made_for, self.app)
        body.update(content, layout=False)
        if width and body.get_content_height(self.content_size, self.app.size, width) != (
            body.content_size.height
        ):
            body.refresh(layout=True)

    def on_resize(self) -> None:
        # Once the body has its new size: the text was rendered for the old one.
        self.call_after_refresh(self._render_again)

    def _render_again(self) -> None:
        made_for = (self._body.content_size.width, self.scrollable_content_region.height)
        if self._content is not None and made_for != self._made_for:
            self._update(self._body, self._content)


class RenderedLines:
    """A renderable rendered once, at one width, at least `height` lines tall
    (blank lines below it): measuring and painting it copy its segments. At
    another width (a test's console, a resize not yet rendered again) it
    renders the renderable afresh, without the blank lines."""

    def __init__(self, renderable: RenderableType, width: int, height: int, app: Any) -> None:
        self.renderable = renderable
        self.width = width
        options = app.console_options.update(highlight=False, width=width)
        lines = app.console.render_lines(renderable, options, pad=False, new_lines=True)
        blank = [Segment.line()]
        self._segments = [
            segment for line in [*lines, *[blank] * (height - len(lines))] for segment in line
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width == self.width:
            yield from self._segments
        else:
            yield self.renderable

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)
