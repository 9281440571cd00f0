"""`provreg secret set|get|rm|status|confirm|import|prune`.

Values come from stdin when piped, else from a no-echo prompt; never from
argv (a command line is visible in `ps` and shell history). Nothing printed
here ever contains a value, except `secret get`'s stdout, which is the value
(for a program that runs provreg as its key helper) and is never a terminal
unless the user says `--show`.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import asdict
from typing import Any, TextIO

import anyio
from pydantic import SecretStr

from provreg.commands.common import (
    CommandError,
    WriteOptions,
    open_registry,
    run_on_registry,
)
from provreg.exit_codes import ExitCode
from provreg.registry import ProviderRegistry
from provreg.secrets.index import KeyPin
from provreg.secrets.policy import without_options
from provreg.terminal_text import (
    Palette,
    Style,
    elide_middle,
    fit_table,
    local_time,
    output_width,
    table_fits,
    wrap,
)


def read_secret_value(field: str, stdin: TextIO) -> SecretStr:
    """The value from piped stdin (one trailing newline dropped) or a no-echo prompt."""
    if stdin.isatty():
        first = getpass.getpass(f"{field}: ")
        if not first:
            raise CommandError("no value entered; nothing stored")
        return SecretStr(first)
    data = stdin.read()
    value = data[:-1] if data.endswith("\n") else data
    value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise CommandError("stdin was empty; nothing stored")
    return SecretStr(value)


def cmd_secret_set(
    paths: list[str], instance_id: str, field: str, out: TextIO, *, writes: WriteOptions
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        # The target first: no one should type a key only to hear it cannot be stored.
        await registry.check_secret_target(instance_id, field)
        value = read_secret_value(field, sys.stdin)
        user = await registry.set_secret(instance_id, field, value, source="cli")
        out.write(f"stored {instance_id}.{field} in the keyring (service provreg, user {user})\n")
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


TERMINAL_REFUSAL = (
    "refused: stdout is a terminal, so the key would be shown on screen and kept in the "
    "scrollback; pipe it or capture it (`provreg secret get ID | tool`, "
    '`KEY="$(provreg secret get ID)"`), or pass --show to print it anyway'
)


def parent_process() -> dict[str, str | int]:
    """Who asked: the parent process's pid and name (`/proc/PID/comm` on Linux, else
    the pid as text), for the audit line of a `secret get`."""
    ppid = os.getppid()
    name = str(ppid)
    try:
        with open(f"/proc/{ppid}/comm", encoding="utf-8", errors="replace") as handle:
            name = handle.read().strip() or name
    except OSError:
        pass
    return {"parent": name, "parent_pid": ppid}


def cmd_secret_get(
    paths: list[str],
    instance_id: str,
    field: str,
    out: TextIO,
    *,
    show: bool,
    helpers_off: str | None,
) -> int:
    """Print a key for a program that runs provreg as its key helper.

    Exit 0: printed (the value and a newline, nothing else on stdout); 1: no
    such instance or field, or no key; 3 (`ExitCode.REFUSED`): stdout is a
    terminal without `--show`, the key's host is not confirmed, or helpers are
    turned off. Reads and refusals after the instance is known are audited.
    """
    from provreg.registry.errors import HelpersOffError
    from provreg.secrets import KeyNotConfirmedError

    if not show and out.isatty():
        # Before anything is opened: no keyring call for a read that cannot print.
        sys.stderr.write(f"provreg: {TERMINAL_REFUSAL}\n")
        return ExitCode.REFUSED

    async def run() -> SecretStr:
        registry = await open_registry(paths)
        return await registry.read_secret_for_helper(
            instance_id, field, reader=parent_process(), helpers_off=helpers_off
        )

    try:
        value = anyio.run(run)
    except (HelpersOffError, KeyNotConfirmedError) as exc:
        sys.stderr.write(f"provreg: {exc}\n")
        return ExitCode.REFUSED
    out.write(value.get_secret_value() + "\n")
    out.flush()
    return ExitCode.OK


def cmd_secret_rm(
    paths: list[str], instance_id: str, field: str, out: TextIO, *, writes: WriteOptions
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        existed = await registry.remove_secret(instance_id, field, source="cli")
        out.write(
            f"removed {instance_id}.{field} from the keyring\n"
            if existed
            else f"{instance_id}.{field}: nothing was stored in the keyring\n"
        )
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def cmd_secret_status(paths: list[str], instance_id: str | None, as_json: bool, out: TextIO) -> int:
    async def run(registry: ProviderRegistry) -> int:
        statuses = await registry.secret_status(instance_id)
        if as_json:
            out.write(json.dumps([asdict(s) for s in statuses], indent=2) + "\n")
            return ExitCode.OK
        rows = [("INSTANCE", "FIELD", "REFERENCE", "STATUS", "BACKEND")]
        for status in statuses:
            present = {True: "● set", False: "○ missing", None: "? unknown"}[status.present]
            rows.append(
                (
                    status.instance_id,
                    status.field,
                    f"{status.kind} {status.target}",
                    present + (f" ({without_options(status.problem)})" if status.problem else ""),
                    status.backend or "-",
                )
            )
        palette = Palette.for_stream(out)

        def by_presence(text: str) -> str:
            # A missing key is what stops a tool; one not looked at is a warning.
            if text.startswith("○"):
                return palette.red(text)
            return palette.yellow(text) if text.startswith("?") else text

        width = output_width(out)
        # Ids and field names are typed on command lines: never cut.
        floors = {0: max(len(row[0]) for row in rows), 1: 16, 3: 16}
        if width is not None and not table_fits(rows, width, floors):
            _write_status_blocks(out, rows[1:], width, by_presence)
            return ExitCode.OK
        out.write(
            fit_table(
                rows,
                width,
                wrap_columns=(3,),
                squeeze_first=(3, 2, 4),
                floors=floors,
                styles={3: by_presence},
                header_style=palette.bold,
            )
        )
        return ExitCode.OK

    return run_on_registry(paths, run, audit=False)


def _write_status_blocks(
    out: TextIO, rows: list[tuple[str, str, str, str, str]], width: int, style: Style
) -> None:
    """For a narrow terminal: `INSTANCE FIELD`, then the status (wrapped), then
    the reference and the backend.

        work-openai api_key
            ○ missing
            env OPENAI_API_KEY, backend -
    """
    indent = "    "
    room = max(width - len(indent), 8)
    for instance_id, field, reference, status, backend in rows:
        out.write(f"{instance_id} {field}\n")
        for line in wrap(status, room):
            out.write(f"{indent}{style(line)}\n")
        out.write(indent + elide_middle(f"{reference}, backend {backend}", room) + "\n")


def cmd_secret_confirm(
    paths: list[str], instance_id: str, out: TextIO, *, writes: WriteOptions
) -> int:
    async def run(registry: ProviderRegistry) -> int:
        changed = await registry.confirm_origin(instance_id, source="cli")
        if changed:
            out.write(f"{instance_id}: confirmed the new host for {changed} stored key(s)\n")
        else:
            # Nothing changed, so asking now says why (asked before, every key
            # would have been looked up twice).
            needs = await registry.confirmation_needs(instance_id)
            reasons = "; ".join(need.reason for need in needs) or "it takes no key"
            out.write(f"{instance_id}: nothing to confirm ({reasons})\n")
        return ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def cmd_secret_prune(
    paths: list[str], yes: bool, as_json: bool, out: TextIO, *, writes: WriteOptions
) -> int:
    """Keyring entries provreg stored that no instance references any more."""

    async def run(registry: ProviderRegistry) -> int:
        store = registry.secret_store()
        referenced = registry.referenced_keys()
        orphans = [e for e in store.index.stored_entries() if e.key not in referenced]
        if as_json:
            out.write(json.dumps([_pin_json(e) for e in orphans], indent=2) + "\n")
        elif not orphans:
            out.write("no orphaned keyring entries\n")
        else:
            for entry in orphans:
                out.write(f"orphaned: service {entry.service}, user {entry.user}\n")
        if orphans and yes:
            for entry in orphans:
                await registry.remove_secret_entry(entry.service, entry.user)
            if not as_json:
                out.write(f"removed {len(orphans)} entr{'y' if len(orphans) == 1 else 'ies'}\n")
        elif orphans and not as_json:
            out.write("run again with --yes to remove them\n")
        return ExitCode.OK

    return run_on_registry(paths, run, audit=False, writes=writes)


def _pin_json(pin: KeyPin) -> dict[str, Any]:
    """An orphan as `prune --json` has always shown it: keyring coordinates first."""
    return {
        "service": pin.service,
        "user": pin.user,
        "instance_id": pin.instance_id,
        "field": pin.field,
        "created": local_time(pin.created),
        "hosts": list(pin.hosts),
    }


def cmd_secret_import(paths: list[str], dry_run: bool, out: TextIO, *, writes: WriteOptions) -> int:
    """Move plaintext values found in YAML into the keyring; rewrite the YAML with refs."""
    from provreg.registry.secret_import import import_plaintext

    async def run() -> int:
        from provreg.paths import default_config_paths

        if writes.read_only:
            raise CommandError("read-only: `secret import` rewrites config files")
        chosen = paths or default_config_paths()
        # Written through the registry, so --allow-hardlinks applies as to any write.
        registry = None if dry_run else await open_registry(chosen, writes=writes)
        moved = await import_plaintext(chosen, dry_run=dry_run, registry=registry)
        if not moved:
            out.write("no plaintext secrets found\n")
            return ExitCode.OK
        verb = "would move" if dry_run else "moved"
        for item in moved:
            where = f"{item.file}:{item.line}"
            out.write(f"{verb} {item.instance_id}.{item.field} ({where}) to the keyring\n")
        return ExitCode.OK

    return anyio.run(run)


def cmd_exec(paths: list[str], instance_id: str, command: list[str]) -> int:
    """Run COMMAND with the instance's settings in its environment."""
    from provreg.commands.exec_env import instance_env_names, instance_environment

    if not command:
        raise CommandError(
            "give a command after --, e.g. provreg exec work-openai -- python app.py"
        )

    async def build() -> tuple[set[str], dict[str, str]]:
        registry = await open_registry(paths, audit=False)
        names = instance_env_names(registry, instance_id)
        return names, await instance_environment(registry, instance_id)

    names, extra = anyio.run(build)
    # Variables of this provider that the instance does not set are removed, so
    # the caller's own (OPENAI_ORG_ID of another account, say) cannot mix in.
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if k not in names}
    env.update(extra)
    import subprocess

    try:
        done = subprocess.run(command, env=env, check=False)
    except FileNotFoundError:
        raise CommandError(f"{command[0]}: command not found") from None
    except OSError as exc:
        raise CommandError(f"{command[0]}: cannot run it ({exc.strerror})") from None
    # A child killed by a signal reports -N; shells report 128+N.
    return done.returncode if done.returncode >= 0 else 128 - done.returncode
