"""Process exit codes shared by every command."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Success; for `--check`: no errors (warnings allowed unless --strict)."""
    FINDINGS = 1
    """`--check` found errors (or warnings with --strict); a command failed."""
    USAGE = 2
    """Bad arguments, or a path that cannot be read."""
    INTERRUPT = 130
    """Interrupted by Ctrl-C (128 + SIGINT, as a shell reports it)."""
