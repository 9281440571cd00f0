"""Make user-controlled text safe to print inside one line of a report.

Owns: `printable`, used for every piece of a diagnostic line that comes from
the user (file names, quoted keys, values and names) in text and GitHub output.
May import: the standard library only.

A file name or a value with a line break would start a line of its own, which
a CI log, an editor's quickfix list or GitHub reads as a diagnostic of its own;
a terminal escape sequence could rewrite what the terminal shows.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (line breaks, ESC, NEL) and the Unicode line and
# paragraph separators: everything a terminal or a log reader may act on.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` on one line: control characters escaped as Python writes them (`\\n`)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
