"""What the file system says about a config location, as diagnostics: the
directories a walk could not read, and config others may write.

Owns: E015, W016 and E218 (command references in a file others can write).
`provreg --check` reports them next to the files' own diagnostics.
May import: the standard library, `provreg.model`, `provreg.config.codes`,
`provreg.config.read.discovery`, `provreg.config.read.yaml_source`.

Why others' write access matters: whoever can write a config file (or add one
to a config directory) can change an instance's `base_url`, and the key the
user stored for that instance then goes to their host.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable

from provreg.config import codes
from provreg.config.read.discovery import ConfigFile, Discovery
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance, SecretRef

_GROUP_OR_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def unreadable_diagnostics(found: Discovery) -> list[Diagnostic]:
    """One E015 per directory (or entry) the walk could not read."""
    return [
        diagnostic(
            codes.UNREADABLE_DIRECTORY,
            entry.display,
            1,
            1,
            f"cannot read {entry.what}: {entry.reason}",
            hint="fix its permissions or the symlink, or remove it; "
            "config files in it are not checked",
        )
        for entry in found.unreadable
    ]


def writable_by_others(found: Discovery) -> list[Diagnostic]:
    """W016 for config files writable by group or others and for config
    directories writable by others (where anyone can add a file).

    A group-writable directory is left alone: a team directory shared through
    a group is a common, deliberate setup, and a file added there is still
    reported when it is itself writable by the group. So is a file writable
    only by its owner's private group, which no one else is in.
    """
    found_diagnostics: list[Diagnostic] = []
    for directory in found.directories:
        mode = _mode(directory)
        if mode is not None and mode & stat.S_IWOTH:
            found_diagnostics.append(
                _writable(
                    directory,
                    "directory",
                    "others",
                    mode,
                    "anyone who can write here can add config that sends an instance's key "
                    "to another host",
                    "o-w",
                )
            )
    for file in found.files:
        info = _stat(file)
        if info is None or not stat.S_ISREG(info.st_mode):
            continue
        mode = info.st_mode
        if mode & _GROUP_OR_OTHERS == stat.S_IWGRP and _private_group(info):
            continue  # the group is the owner alone (umask 002 with user private groups)
        if not mode & _GROUP_OR_OTHERS:
            continue
        who = {
            stat.S_IWGRP: "group",
            stat.S_IWOTH: "others",
            _GROUP_OR_OTHERS: "group and others",
        }[mode & _GROUP_OR_OTHERS]
        found_diagnostics.append(
            _writable(
                file,
                "file",
                who,
                mode,
                "anyone who can write it can send an instance's key to another host",
                "go-w",
            )
        )
    return found_diagnostics


def _stat(entry: ConfigFile) -> os.stat_result | None:
    try:
        return os.stat(entry.path)
    except OSError:
        return None  # unreadable files are the loader's to report (E011)


def _mode(entry: ConfigFile) -> int | None:
    info = _stat(entry)
    return None if info is None else info.st_mode


def _private_group(info: os.stat_result) -> bool:
    """True when the file's group is its owner's private group: named after the
    owner, the owner's primary group, with no other members. Ubuntu and Fedora
    give every user one and a umask of 002, so every file a user creates is
    group-writable without anyone else being able to write it."""
    try:
        import grp
        import pwd

        group = grp.getgrgid(info.st_gid)
        owner = pwd.getpwuid(info.st_uid)
    except (ImportError, KeyError):  # no such modules (Windows), or unknown ids
        return False
    return not group.gr_mem and group.gr_name == owner.pw_name and owner.pw_gid == info.st_gid


def _writable(entry: ConfigFile, what: str, who: str, mode: int, risk: str, fix: str) -> Diagnostic:
    return diagnostic(
        codes.WRITABLE_BY_OTHERS,
        entry.display,
        1,
        1,
        f"{what} is writable by {who} (mode {stat.S_IMODE(mode):04o}): {risk}",
        hint=f"run `chmod {fix} {shlex.quote(entry.display)}`",
    )


def command_refusal(path: str) -> str | None:
    """Why `{command: ...}` references in the config file at `path` must not run;
    None when they may.

    A command reference is code: whoever can write the file chooses what runs.
    So the file must be the user's own and writable by no one else (a group
    write bit is refused even for a private group: unlike W016 there is no
    harmless case worth the doubt). A file that cannot be examined is refused.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"{path} cannot be examined ({exc.strerror})"
    mode = stat.S_IMODE(info.st_mode)
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return f"{path} is owned by another user (uid {info.st_uid}, mode {mode:04o})"
    if mode & _GROUP_OR_OTHERS:
        who = (
            "group and others"
            if mode & _GROUP_OR_OTHERS == _GROUP_OR_OTHERS
            else ("group" if mode & stat.S_IWGRP else "others")
        )
        fix = f"chmod go-w {shlex.quote(path)}"
        return f"{path} is writable by {who} (mode {mode:04o}); run `{fix}`"
    return None


def command_ref_refusals(instances: Iterable[ProviderInstance]) -> list[Diagnostic]:
    """E218 for each `{command: ...}` reference in a config file that may not run
    commands (`command_refusal`): resolving it would refuse, so `--check` says so.

    One `stat` per file, whatever its number of references."""
    found: list[Diagnostic] = []
    verdicts: dict[str, str | None] = {}
    for instance in instances:
        for field, value in instance.values.items():
            if not isinstance(value, SecretRef) or value.kind != "command":
                continue
            if instance.file not in verdicts:
                verdicts[instance.file] = command_refusal(
                    os.path.abspath(os.path.expanduser(instance.file))
                )
            reason = verdicts[instance.file]
            if reason is None:
                continue
            found.append(
                diagnostic(
                    codes.COMMAND_REF_REFUSED,
                    instance.file,
                    instance.line,
                    instance.column,
                    f"'{instance.id}' field '{field}' runs {value.describe()}, but {reason}",
                    hint="a command reference runs only from a config file that is yours "
                    "and writable by no one else",
                    instance_id=instance.id,
                )
            )
    return found
