"""`provreg doctor`'s checks of the machine around the config: how live sync
will watch it, the editor the dashboard's `v` runs, the terminal, versions.

Owns: `watch_checks` (sync's own `PROVREG_POLL` reading and `WatchRoots`, the
file system type and the inotify watch limit from `sync.filesystems`),
`editor_check` (`provreg.editor`, as the dashboard resolves it),
`colour_depth`, `terminal_checks` and `versions`. Textual is never imported:
its version comes from the package metadata.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import sys
from importlib import metadata
from typing import Any

from provreg.commands.doctor_finding import Finding
from provreg.paths import env_flag

VERSIONED = ("provreg", "textual", "keyring", "watchfiles")
SMALLEST_DASHBOARD = (80, 24)
"""Columns and rows below which the dashboard's table and detail pane cramp."""


# --------------------------------------------------------------------------- watch


def watch_checks(paths: list[str]) -> list[Finding]:
    from provreg.sync.filesystems import (
        NETWORK_FILESYSTEMS,
        directories_under,
        filesystem_type,
        inotify_watch_limit,
    )
    from provreg.sync.roots import WatchRoots
    from provreg.sync.settings import POLL_ENV

    # The engine's own reading of the switch (an unclear value means poll).
    polling = env_flag(POLL_ENV, unknown=True)
    directories = WatchRoots(paths).watch_dirs()
    if not directories:
        return [Finding("watch", "warn", "nothing to watch: no config directory exists")]
    findings = []
    for directory in directories:
        fstype = filesystem_type(directory)
        facts: dict[str, Any] = {"path": directory, "filesystem": fstype, "polling": polling}
        if polling:
            findings.append(
                Finding(
                    "watch", "ok", f"{directory}: polling ({POLL_ENV} set), {fstype}", None, facts
                )
            )
        elif fstype in NETWORK_FILESYSTEMS:
            findings.append(
                Finding(
                    "watch",
                    "warn",
                    f"{directory} is on {fstype}: changes made on other machines send no "
                    "notification, so live sync would miss them",
                    f"poll: `provreg --poll`, `provreg watch --poll`, or {POLL_ENV}=1",
                    facts,
                )
            )
        else:
            findings.append(
                Finding("watch", "ok", f"{directory}: inotify ({fstype or 'unknown'})", None, facts)
            )
    limit = inotify_watch_limit()
    if limit is not None and not polling:
        needed = sum(directories_under(directory) for directory in directories)
        limit_facts: dict[str, Any] = {"max_user_watches": limit, "directories": needed}
        summary = f"inotify watch limit {limit}; the config needs {needed} watch(es)"
        raise_limit = (
            "`sudo sysctl fs.inotify.max_user_watches=524288`; to keep it, "
            "`echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-inotify.conf`"
        )
        if needed > limit:
            findings.append(Finding("watch", "fail", summary, raise_limit, limit_facts))
        elif needed > limit // 2:
            # The limit is per user, shared with every editor and tool watching files.
            findings.append(
                Finding("watch", "warn", summary + ", over half of it", raise_limit, limit_facts)
            )
        else:
            findings.append(Finding("watch", "ok", summary, None, limit_facts))
    return findings


# --------------------------------------------------------------------------- editor, terminal


def editor_check() -> Finding:
    from provreg.editor import EditorError, editor_command

    source = next((name for name in ("VISUAL", "EDITOR") if os.environ.get(name, "").strip()), None)
    try:
        argv = editor_command("FILE", 1)
    except EditorError as exc:
        return Finding(
            "editor",
            "warn",
            f"the dashboard's `v` cannot open an editor: {exc}",
            "export VISUAL=... naming an editor on your PATH (`vim`, `nano`, `code --wait`)",
            {"from": source},
        )
    program = argv[:-2]
    origin = f"${source}" if source else "the first of vi, nano on PATH"
    return Finding(
        "editor",
        "ok",
        f"`v` runs {shlex.join(program)} (from {origin})",
        None,
        {"argv": program, "from": source},
    )


def colour_depth() -> tuple[str, str]:
    """(depth, why) from the environment as terminals advertise it: NO_COLOR,
    COLORTERM, TERM. What a Textual app will use, without importing it."""
    if os.environ.get("NO_COLOR"):
        return "none", "NO_COLOR is set"
    colorterm = os.environ.get("COLORTERM", "").lower()
    if colorterm in ("truecolor", "24bit"):
        return "24-bit", f"COLORTERM={colorterm}"
    term = os.environ.get("TERM", "")
    if not term or term == "dumb":
        return "none", f"TERM={term or '(unset)'}"
    if "256" in term:
        return "256", f"TERM={term}"
    return "16", f"TERM={term}"


def terminal_checks() -> list[Finding]:
    if not sys.stdout.isatty():
        return [
            Finding(
                "terminal",
                "ok",
                "output is not a terminal (piped): plain text, no colour",
                None,
                {"tty": False},
            )
        ]
    depth, why = colour_depth()
    columns, rows = shutil.get_terminal_size()
    facts: dict[str, Any] = {
        "tty": True,
        "colours": depth,
        "because": why,
        "columns": columns,
        "rows": rows,
    }
    findings = []
    if depth in ("none", "16"):
        findings.append(
            Finding(
                "terminal",
                "warn",
                f"colours: {depth} ({why}); dashboard themes will look flat",
                "if your terminal has more, export COLORTERM=truecolor (or TERM=xterm-256color)",
                facts,
            )
        )
    else:
        findings.append(Finding("terminal", "ok", f"colours: {depth} ({why})", None, facts))
    small_columns, small_rows = SMALLEST_DASHBOARD
    size = f"size: {columns}x{rows}"
    if columns < small_columns or rows < small_rows:
        findings.append(
            Finding(
                "terminal",
                "warn",
                f"{size}, smaller than the dashboard's {small_columns}x{small_rows}",
                "enlarge the window",
                facts,
            )
        )
    else:
        findings.append(Finding("terminal", "ok", size, None, facts))
    return findings


def versions() -> Finding:
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    text = ", ".join(f"{name} {version}" for name, version in versions.items())
    return Finding(
        "versions", "ok", f"{text} on {platform.system()} {platform.release()}", None, versions
    )
