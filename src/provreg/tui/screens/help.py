"""What every key does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

HELP = """\
# provreg dashboard

The registry is the YAML files under the config location; edits you save in
another pane appear here at once. Bad edits show in **Problems** with
`file:line:col`, and the last good version stays in force (rows dimmed).

| Key | Action |
|-----|--------|
| `a` | add an instance (pick a provider type, then fill the form) |
| `e` / `Enter` | edit the selected instance (only changed fields are written) |
| `c` | duplicate the selected instance |
| `x` / `Delete` | delete the selected instance (asks first) |
| `u` | undo the last delete (its key is removed only on quit or the next delete) |
| `k` | set the API key (masked; goes to the keyring, never the YAML) |
| `K` | remove the API key from the keyring |
| `o` | let the instance's key go to its base URL host (after a host change) |
| `v` | open the instance in `$EDITOR` at its line |
| `p` | probe the selected instance: key accepted? endpoint reachable? model offered? |
| `P` | probe every instance (8 at a time; the keys keep working meanwhile) |
| `/` | filter rows by any text; `Escape` clears |
| `s` | cycle the sort: file order, name, provider, status (or click a header) |
| `Home` / `End` | first / last row |
| `r` | rescan the config files now |
| `w` | toggle read-only |
| `t` | switch theme |
| `!` | show the Problems tab; `Enter` on a problem jumps to it |
| `l` | show the Activity tab |
| `d` | show the Details (the tab in narrow terminals) |
| `?` / `F1` | this help; on a form or dialog, its own keys (`F1` in a text field) |
| `q` | quit |

Status glyphs: `●` ok, `▲` warning, `✖` error, `◌` stale (file has errors),
`○` secret missing, `◇` host not confirmed for its key (press `o`), `⚡` conflict.
Beside it, the last probe: `✓` ok, `✗` failed (Details says why), `…` probing,
blank never probed; dimmed when the instance changed since.

In read-only mode (`w`) the footer leaves out the keys that write.

`ctrl+p` opens the command palette with every action.
"""


def _key_name(key: str) -> str:
    """`?` for "question_mark", as the key is labelled; names such as "escape" as they are."""
    character = key_to_character(key)
    return character if character is not None and character.isprintable() else key


def keys_of(screen: Screen[object]) -> str:
    """The keys a form or dialog answers to, as the help's Markdown table."""
    rows = []
    for binding in screen.BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            keys = " / ".join(f"`{_key_name(key.strip())}`" for key in binding.key.split(","))
            rows.append(f"| {keys} | {binding.description} |")
    title = getattr(screen, "help_title", type(screen).__name__)
    return (
        f"# {title}\n\n| Key | Action |\n|-----|--------|\n"
        + "\n".join([*rows, "| `Tab` / `shift+Tab` | next / previous field or button |"])
        + "\n\n`?` shows this help (`F1` in a text field, where `?` is typed); the "
        "dashboard's own keys are on its `?`.\n"
    )


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened from: the dashboard's, or a form's or
    dialog's own (F1 there, where `?` may be typed into a field)."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, for_screen: Screen[object] | None = None) -> None:
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        text = HELP if self.for_screen is None else keys_of(self.for_screen)
        with VerticalScroll(classes="dialog wide tall"):
            yield Markdown(text)

    def action_close(self) -> None:
        self.dismiss(None)
