"""Other tools' config files as `provreg export` and `provreg import` touch them:
finding the adapter, reading a file safely, backing it up, replacing it atomically.

Owns: the size limit and decoding rules for a tool's file (a byte order mark
is kept), the `FILE.provreg-bak` backup (mode 0600: the original may hold
pasted keys), and the atomic replace that keeps the file's mode and refuses
when the file changed since it was read. Never reads a secret.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from provreg.catalog.catalog import did_you_mean
from provreg.commands.common import CommandError
from provreg.interop.base import ToolAdapter
from provreg.storage.atomic import HardLinkError, atomic_write
from provreg.text_encoding import join_bom, split_bom

MAX_TOOL_FILE_BYTES = 4 * 1024 * 1024
"""The largest tool config file read (a config, not a data dump)."""

BACKUP_SUFFIX = ".provreg-bak"
"""`FILE.provreg-bak`: the file as it was before provreg last changed it."""


def tool_adapter(name: str) -> ToolAdapter:
    """The adapter of `--to`/`--from NAME`, or a one-line error with a did-you-mean.

    Raises:
        CommandError: an unknown tool, or one whose adapter is not in this build.
    """
    from provreg.interop import tools

    if name not in tools.ADAPTER_MODULES:
        suggestion = did_you_mean(name, tools.ADAPTER_MODULES)
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        raise CommandError(
            f"unknown tool '{name}'{hint}; tools: {', '.join(tools.ADAPTER_MODULES)}"
        )
    module = tools.ADAPTER_MODULES[name]
    try:
        return tools.adapter(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            raise CommandError(f"the '{name}' adapter is not part of this build yet") from None
        raise


@dataclass(frozen=True, slots=True)
class ToolFile:
    """A tool's config file as read: its text (without BOM) and how to write it back."""

    path: str
    text: str
    bom: bytes
    sha256: str


def read_tool_file(path: str) -> ToolFile:
    """Read a tool's file: at most `MAX_TOOL_FILE_BYTES`, UTF-8 (a BOM is kept aside).

    Raises:
        CommandError: missing, unreadable, too large, or not UTF-8 text (the
            message never quotes the file's content: it may hold a key).
    """
    try:
        # O_NONBLOCK: a FIFO given as the file must not hang the command; it
        # is refused below, before a byte is read.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise CommandError(f"{path}: is a directory, not a file")
            if not stat.S_ISREG(mode):
                raise CommandError(f"{path}: not a regular file (a device, FIFO or socket)")
            data = handle.read(MAX_TOOL_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_TOOL_FILE_BYTES:
        raise CommandError(
            f"{path}: larger than {MAX_TOOL_FILE_BYTES // (1024 * 1024)} MiB; not a config file"
        )
    try:
        text, bom = split_bom(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CommandError(f"{path}:{line}: not UTF-8 text (byte {exc.start})") from None
    return ToolFile(path, text, bom, hashlib.sha256(data).hexdigest())


def ensure_replaceable(tool_file: ToolFile) -> None:
    """Refuse a file its owner made read-only: an atomic replace (a rename in a
    writable directory) would go through where an editor would stop and ask.

    Raises:
        CommandError
    """
    try:
        mode = os.stat(tool_file.path).st_mode
    except OSError as exc:
        raise CommandError(f"{tool_file.path}: cannot read: {exc.strerror or exc}") from None
    if not mode & stat.S_IWUSR:
        raise CommandError(
            f"{tool_file.path} is read-only; nothing was written. Make it writable "
            "(chmod u+w) to let provreg change it"
        )


def write_backup(tool_file: ToolFile) -> str:
    """Save the file's bytes as `PATH.provreg-bak` (mode 0600, replacing an older
    backup); returns the backup's path. Refused, before anything is written,
    for a read-only file (see `ensure_replaceable`) and for a backup path that is
    a symbolic link or not a file."""
    ensure_replaceable(tool_file)
    backup = tool_file.path + BACKUP_SUFFIX
    if os.path.islink(backup) or (os.path.lexists(backup) and not os.path.isfile(backup)):
        # Writing through a link would replace whatever it points at with a copy
        # that may hold pasted keys.
        raise CommandError(
            f"{backup} is a symbolic link or not a file; provreg does not write its "
            "backup there. Remove it (or move it away) and run the command again"
        )
    try:
        atomic_write(backup, join_bom(tool_file.text, tool_file.bom), mode=0o600)
    except OSError as exc:
        raise CommandError(f"{backup}: cannot write the backup: {exc}") from None
    return backup


def replace_tool_file(tool_file: ToolFile, new_text: str) -> None:
    """Write `new_text` over the file atomically, keeping its mode and BOM; refused
    when the file changed since `tool_file` was read (another program saved it).

    Raises:
        CommandError
    """

    def unchanged() -> None:
        try:
            with open(tool_file.path, "rb") as handle:
                now = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            now = ""
        if now != tool_file.sha256:
            raise CommandError(
                f"{tool_file.path} changed while provreg was working on it; nothing was "
                "written to it, run the command again"
            )

    try:
        atomic_write(tool_file.path, join_bom(new_text, tool_file.bom), before_replace=unchanged)
    except HardLinkError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{tool_file.path}: cannot write: {exc}") from None


def adapter_failure(tool: str, path: str, exc: Exception) -> CommandError:
    """A one-line error for an adapter that broke on a file (a bug in provreg).

    The exception's own message is withheld: a parser's message may quote the
    file, and the file may hold a pasted key."""
    return CommandError(
        f"{path}: provreg's {tool} adapter failed on this file ({type(exc).__name__}); "
        "nothing was written. Please report it (the details are withheld: they may "
        "quote the file)"
    )


def expand(path: str) -> str:
    """A user path (`~/.config/crush/crush.json`) as a file name."""
    return os.path.expanduser(path)
