"""Process exit codes shared by every command."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Success; for `--check`: no errors (warnings allowed unless --strict)."""
    FINDINGS = 1
    """`--check` found errors (or warnings with --strict); a command failed."""
    USAGE = 2
    """Bad arguments, or a path that cannot be read."""
    REFUSED = 3
    """`secret get`: the key exists but is not handed out (stdout is a terminal,
    its host is not confirmed, or helpers are turned off)."""
    INTERRUPT = 130
    """Interrupted by Ctrl-C (128 + SIGINT, as a shell reports it)."""
