"""The process entry point (`provreg`, `python -m provreg`).

Owns: what a process answers before the argument parser exists. `provreg
--version`, the completion scripts' hidden `__complete` (one per TAB) and a
plain `provreg --check PATH ...` (pre-commit's call, on every commit) need
neither argparse nor the command table, which cost more than Python's own
start-up; everything else goes to `provreg.cli.main`.
May import: the standard library, `provreg` (the version); lazily, once the
answer needs them, `provreg.cli`, `provreg.completion.query`, `provreg.check`
and `provreg.paths`.
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
    paths = plain_check_paths(args)
    if paths is not None:
        return _check(paths)
    from provreg.cli import main as cli_main

    return cli_main(args)


def plain_check_paths(args: list[str]) -> list[str] | None:
    """The paths of `provreg --check PATH ...` (or `check PATH ...`) with no
    option at all, the call pre-commit and CI make on every commit; None for
    any other command line, which the parser reads."""
    if args[:1] in (["--check"], ["check"]) and not any(word.startswith("-") for word in args[1:]):
        return args[1:]
    return None


def _check(paths: list[str]) -> int:
    """A plain check with every option at its default, without argparse and
    the command table (a tenth of a check of a small set); the same run and
    exit code as the parser's `check` (`tests/test_import_hygiene.py`)."""
    from provreg.check import run_check
    from provreg.paths import default_config_paths

    try:
        return run_check(paths or default_config_paths())
    except (KeyboardInterrupt, Exception) as exc:
        from provreg.cli import failed

        return failed(exc)
