"""The checks behind `provreg doctor`: what can go wrong on this machine.

Owns: `run_checks`, and the checks of the config itself: its directories'
and files' modes, its key files, and the keyring its keys need (the machine
around it is `doctor_machine`'s). Each check reuses the rule the rest of
provreg applies (W016 and E218 from `config.read.path_checks`, the key file
rule of `secrets.key_file`, the keyring policy), so the doctor never
disagrees with the command that will later fail. Nothing here reads a key: key files are
`stat`ed, the keyring is asked about its backend and its lock only.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provreg.catalog import Catalog
from provreg.commands.doctor_finding import Finding, Status
from provreg.commands.doctor_machine import (
    editor_check,
    terminal_checks,
    versions,
    watch_checks,
)
from provreg.config.read.discovery import ConfigPathError, Discovery, discover_all
from provreg.config.read.load_set import load_files
from provreg.config.read.path_checks import (
    command_ref_refusals,
    unreadable_diagnostics,
    writable_by_others,
)
from provreg.model import ProviderInstance, SecretRef
from provreg.severity import Severity


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
    findings += watch_checks(paths)
    findings += [editor_check(), *terminal_checks(), versions()]
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
                    f"create it with a starter file (`provreg init {shlex.quote(path)}`), "
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
        for problem in writable_by_others(found.model_copy(update={"directories": []})):
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
        if health.backend.startswith("keyrings.alt."):
            # keyrings.alt may be opted in to; the fail and null backends never.
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
                f"{summary}: the default collection is locked; reading a key asks for its "
                "password, which fails where no prompt can show (over SSH)",
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
