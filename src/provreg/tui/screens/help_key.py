"""`?` on a form or dialog: that screen's own keys.

The dashboard's `?` is an app binding, and a modal screen does not see app
bindings (only priority ones, such as F1). A text field takes `?` as a
character before this binding sees it, so typing one still works.
"""

from __future__ import annotations

from textual.binding import Binding

HELP_BINDING = Binding("question_mark", "app.help", "Keys", show=False)
