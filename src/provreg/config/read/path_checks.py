"""What the file system says about a config location, as diagnostics: the
directories a walk could not read, and config others may write.

Owns: E015 and W016. `provreg --check` reports them next to the files' own
diagnostics.
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

from provreg.config import codes
from provreg.config.read.discovery import ConfigFile, Discovery
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic

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
