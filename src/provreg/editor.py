"""Which editor the dashboard's `v` opens, decided before it gives up the terminal.

Headless (moved out of `provreg.tui` so `provreg doctor` can say which editor
`v` would run without importing the dashboard).
May import: the standard library.

`$VISUAL`, then `$EDITOR` (each may carry arguments: `code --wait`), then the
first of `vi`, `nano` on PATH. A variable naming a program that is not
there is an error, not a reason to open another editor the user did not
choose (being dropped into vi unasked is its own trap).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping

FALLBACKS = ("vi", "nano")


class EditorError(Exception):
    """No editor can be started; the message says what to set."""


def editor_command(file: str, line: int, environ: Mapping[str, str] | None = None) -> list[str]:
    """The argv that opens `file` at `line`.

    Raises:
        EditorError: the chosen editor is not on PATH, or none is set and no fallback is.
    """
    env = os.environ if environ is None else environ
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if not value:
            continue
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise EditorError(f"${name} ({value!r}) cannot be read as a command: {exc}") from None
        if not words:
            continue
        if shutil.which(words[0], path=env.get("PATH")) is None:
            raise EditorError(
                f"${name} is {value!r}, and {words[0]!r} is not on PATH; "
                "set $VISUAL or $EDITOR to an editor you have"
            )
        return [*words, f"+{line}", file]
    for fallback in FALLBACKS:
        if shutil.which(fallback, path=env.get("PATH")) is not None:
            return [fallback, f"+{line}", file]
    raise EditorError(
        "no editor found: set $VISUAL or $EDITOR (neither is set, and neither vi nor nano is "
        "on PATH)"
    )
