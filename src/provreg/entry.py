"""The process entry point (`provreg`, `python -m provreg`).

Owns: what a process answers before the argument parser exists. `provreg
--version` and the completion scripts' hidden `__complete` (one per TAB) need
neither argparse nor the command table, which cost more than Python's own
start-up; everything else goes to `provreg.cli.main`.
May import: the standard library, `provreg` (the version); lazily, once the
answer needs them, `provreg.cli` and `provreg.completion.query`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from provreg import __version__

VERSION_OPTIONS = ("--version",)

COMPLETE_COMMAND = "__complete"
"""The hidden command the completion scripts call at each TAB; answered before
the parser is built (which imports argparse and the command table), so a TAB
stays fast."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 1 and args[0] in VERSION_OPTIONS:
        # The same line argparse's `version` action prints (cli.py declares it too,
        # for `--help`); answered here so the command costs what Python costs.
        sys.stdout.write(f"provreg {__version__}\n")
        return 0
    if args[:1] == [COMPLETE_COMMAND]:
        from provreg.completion.query import main as complete

        return complete(args[1:], sys.stdin, sys.stdout)
    from provreg.cli import main as cli_main

    return cli_main(args)
