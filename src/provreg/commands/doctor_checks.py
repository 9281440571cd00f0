"""The checks behind `provreg doctor`: what can go wrong on this machine.

Owns: `Finding` (one ok/warn/fail line with its fix) and `run_checks`. Each
check reuses the rule the rest of provreg applies (W016 and E218 from
`config.read.path_checks`, the keyring policy, sync's `PROVREG_POLL`, the
dashboard's editor resolution), so the doctor never disagrees with the
command that will later fail. Nothing here reads a key: key files are
`stat`ed, the keyring is asked about its backend and its lock only.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, Literal

from provreg.catalog import Catalog
from provreg.config.read.discovery import ConfigPathError, Discovery, discover_all
from provreg.config.read.load_set import load_files
from provreg.config.read.path_checks import (
    command_ref_refusals,
    unreadable_diagnostics,
    writable_by_others,
)
from provreg.model import ProviderInstance, SecretRef
from provreg.paths import env_flag
from provreg.severity import Severity

Status = Literal["ok", "warn", "fail"]

VERSIONED = ("provreg", "textual", "keyring", "watchfiles")
SMALLEST_DASHBOARD = (80, 24)
"""Columns and rows below which the dashboard's table and detail pane cramp."""


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    """config, keys, keyring, watch, editor, terminal or versions."""
    status: Status
    summary: str
    fix: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """Plain values for `--json` (paths, modes, names; never a key)."""


@dataclass(frozen=True, slots=True)
class KeyReference:
    """Where one instance's key lives (as written, or the keyring default)."""

    instance_id: str
    field: str
    ref: SecretRef


def run_checks(paths: list[str]) -> list[Finding]:
    """Every check, in the order the report prints them."""
    findings, references = _config_checks(paths)
    findings += _key_file_checks(references)
    findings += _keyring_checks(references)
    findings += _watch_checks(paths)
    findings += [_editor_check(), *_terminal_checks(), _versions()]
    return findings


# --------------------------------------------------------------------------- config


def _config_checks(paths: list[str]) -> tuple[list[Finding], list[KeyReference]]:
    findings: list[Finding] = []
    references: list[KeyReference] = []
    for path in paths:
        try:
            found = discover_all([path])
        except ConfigPathError:
            findings.append(
                Finding(
                    "config",
                    "warn",
                    f"{path}: no config here",
                    f"create it (`mkdir -p -m 700 {shlex.quote(path)}`) and add a YAML file, "
                    "or pass --config PATH (or set PROVREG_CONFIG)",
                    {"path": path, "exists": False},
                )
            )
            continue
        summary_at = len(findings)  # the path's summary line comes first, its problems after
        findings += _directory_modes(found)
        for problem in unreadable_diagnostics(found):
            findings.append(Finding("config", "fail", problem.message, problem.hint))
        # W016's rule for files; directories get the stricter rule below.
        for problem in writable_by_others(replace(found, directories=[])):
            findings.append(
                Finding("config", "warn", f"{problem.file}: {problem.message}", problem.hint)
            )
        result = load_files(found.files)
        references += _key_references(result.instances, result.catalog)
        for refused in command_ref_refusals(result.instances):
            findings.append(
                Finding("config", "fail", f"{refused.file}: {refused.message}", refused.hint)
            )
        errors = result.count(Severity.ERROR)
        summary = f"{path}: {len(found.files)} config file(s), {len(result.instances)} instance(s)"
        facts = {
            "path": path,
            "exists": True,
            "files": len(found.files),
            "instances": len(result.instances),
            "errors": errors,
        }
        overview = (
            Finding(
                "config",
                "warn",
                f"{summary}, {errors} error(s)",
                f"see them with `provreg --check {shlex.quote(path)}`",
                facts,
            )
            if errors
            else Finding("config", "ok", summary, None, facts)
        )
        findings.insert(summary_at, overview)
    return findings, references


def _directory_modes(found: Discovery) -> list[Finding]:
    """A directory others can write lets anyone add config that sends a key
    elsewhere (fail); one the group can write is worth a look (warn: a team
    directory shared through a group is a deliberate setup)."""
    findings = []
    for directory in found.directories:
        try:
            mode = stat.S_IMODE(os.stat(directory.path).st_mode)
        except OSError:
            continue  # unreadable entries are reported by unreadable_diagnostics
        quoted = shlex.quote(directory.display)
        facts = {"path": directory.display, "mode": f"{mode:04o}"}
        if mode & stat.S_IWOTH:
            findings.append(
                Finding(
                    "config",
                    "fail",
                    f"{directory.display} is writable by others (mode {mode:04o}): anyone can "
                    "add config that sends an instance's key to their host",
                    f"chmod o-w {quoted}",
                    facts,
                )
            )
        elif mode & stat.S_IWGRP:
            findings.append(
                Finding(
                    "config",
                    "warn",
                    f"{directory.display} is writable by its group (mode {mode:04o}); "
                    "fine for a team directory, else",
                    f"chmod g-w {quoted}",
                    facts,
                )
            )
    return findings


# --------------------------------------------------------------------------- keys


def _key_references(instances: Iterable[ProviderInstance], catalog: Catalog) -> list[KeyReference]:
    """Every key an instance needs or names: its required secret fields (absent
    means the keyring default) and every reference written out."""
    found = []
    for instance in instances:
        definition = catalog.get(instance.provider)
        if definition is None:
            continue
        for spec in definition.secret_fields:
            ref = instance.secret_ref(spec.id)
            if ref.explicit or spec.required:
                found.append(KeyReference(instance.id, spec.id, ref))
    return found


def _of_kind(references: list[KeyReference], kind: str) -> list[KeyReference]:
    return [reference for reference in references if reference.ref.kind == kind]


def _key_file_checks(references: list[KeyReference]) -> list[Finding]:
    """`{file: PATH}` key files, by `stat` only: the rule `read_key_file` applies
    (a regular file, unreadable by group and others), never the content."""
    findings = []
    for reference in _of_kind(references, "file"):
        instance_id, field_name, ref = reference.instance_id, reference.field, reference.ref
        assert ref.name is not None
        path = os.path.expanduser(ref.name)
        where = f"{instance_id}.{field_name}: key file {path}"
        try:
            info = os.stat(path)
        except OSError as exc:
            findings.append(
                Finding(
                    "keys",
                    "warn",
                    f"{where} cannot be found ({exc.strerror})",
                    "create it with the key as its only content, then "
                    f"`chmod 600 {shlex.quote(path)}`",
                    {"instance": instance_id, "field": field_name, "path": path, "present": False},
                )
            )
            continue
        mode = stat.S_IMODE(info.st_mode)
        facts = {
            "instance": instance_id,
            "field": field_name,
            "path": path,
            "present": True,
            "mode": f"{mode:04o}",
        }
        if not stat.S_ISREG(info.st_mode):
            findings.append(
                Finding(
                    "keys",
                    "fail",
                    f"{where} is not a regular file",
                    "point the reference at a file",
                    facts,
                )
            )
        elif mode & (stat.S_IRGRP | stat.S_IROTH):
            findings.append(
                Finding(
                    "keys",
                    "fail",
                    f"{where} is readable by group or others (mode {mode:04o}); "
                    "provreg refuses to read it",
                    f"chmod 600 {shlex.quote(path)}",
                    facts,
                )
            )
        else:
            findings.append(Finding("keys", "ok", f"{where} (mode {mode:04o})", None, facts))
    return findings


def _keyring_checks(references: list[KeyReference]) -> list[Finding]:
    from provreg.secrets.keyring_health import START_SECRET_SERVICE, examine_keyring
    from provreg.secrets.policy import ALLOW_INSECURE_ENV, without_options

    health = examine_keyring()
    users = len(_of_kind(references, "keyring"))
    chosen_by = (
        "PYTHON_KEYRING_BACKEND"
        if os.environ.get("PYTHON_KEYRING_BACKEND")
        else "keyring's default"
    )
    facts: dict[str, Any] = {
        "backend": health.backend,
        "chosen_by": chosen_by,
        "refused": health.refused is not None,
        "collection": health.collection,
        "session_bus": health.session_bus,
        "over_ssh": health.over_ssh,
        "keyring_references": users,
    }
    # With no keyring reference in the config, a missing keyring only matters
    # for the next `provreg secret set`: worth a warning, not a failure.
    severe: Status = "fail" if users else "warn"
    start = "`" + "`, then in that shell `".join(START_SECRET_SERVICE) + "`"
    no_bus = (
        ""
        if health.session_bus
        else " (no D-Bus session bus"
        + (": you are logged in over SSH)" if health.over_ssh else ")")
    )
    if health.refused is not None:
        fix = f"start a Secret Service: {start}; or use {{env: VAR}} / {{file: PATH}} references"
        if "not secure" in health.refused:
            fix += f"; or opt in with {ALLOW_INSECURE_ENV}=1"
        return [
            Finding(
                "keyring",
                severe,
                f"{without_options(health.refused)}{no_bus}; the config has {users} keyring "
                "reference(s)",
                fix,
                facts,
            )
        ]
    summary = f"backend {health.backend} (chosen by {chosen_by})"
    if health.collection == "locked":
        return [
            Finding(
                "keyring",
                severe,
                f"{summary}: the default collection is locked, and provreg cannot prompt",
                f"unlock it: log in to the desktop, or `{START_SECRET_SERVICE[1]}`",
                facts,
            )
        ]
    if health.collection == "absent":
        return [
            Finding(
                "keyring",
                "warn",
                f"{summary}: no default collection yet; the first `provreg secret set` "
                "creates one and asks for its password",
                f"over SSH create it unlocked: `{START_SECRET_SERVICE[1]}`",
                facts,
            )
        ]
    if health.collection == "unknown":
        return [
            Finding(
                "keyring",
                severe,
                f"{summary}: {health.collection_detail}{no_bus}",
                f"start a Secret Service for this session: {start}",
                facts,
            )
        ]
    state = ", default collection unlocked" if health.collection == "unlocked" else ""
    return [Finding("keyring", "ok", summary + state, None, facts)]


# --------------------------------------------------------------------------- watch


def _watch_checks(paths: list[str]) -> list[Finding]:
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


def _editor_check() -> Finding:
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


def _terminal_checks() -> list[Finding]:
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


def _versions() -> Finding:
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
