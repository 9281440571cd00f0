"""`provreg migrate`: import the old app's configs, or upgrade file format versions."""

from __future__ import annotations

import hashlib
import os
import shutil
from typing import TextIO

import anyio
from pydantic import SecretStr

from provreg.commands.common import CommandError, open_registry
from provreg.exit_codes import ExitCode


def cmd_migrate_json(
    paths: list[str],
    json_path: str,
    keys_path: str | None,
    dry_run: bool,
    partial: bool,
    file: str | None,
    out: TextIO,
) -> int:
    from provreg.compat.legacy_json import (
        MigrationError,
        describe_plan,
        plan_migration,
        run_migration,
    )

    async def run() -> int:
        registry = await open_registry(paths)
        try:
            plan = plan_migration(json_path, registry, keys_path)
        except MigrationError as exc:
            raise CommandError(str(exc)) from None
        for line in describe_plan(plan, dry_run=dry_run):
            out.write(line + "\n")
        if dry_run:
            out.write("dry run: nothing was written\n")
            return ExitCode.FINDINGS if plan.errors else ExitCode.OK
        try:
            done = await run_migration(plan, registry, file=file, partial=partial)
        except MigrationError as exc:
            raise CommandError(str(exc)) from None
        for entry, instance_id in done:
            out.write(f"imported {entry.uuid} as '{instance_id}'\n")
        skipped = sum(1 for e in plan.entries if e.existing_id is not None)
        out.write(f"{len(done)} imported, {skipped} already there\n")
        return ExitCode.FINDINGS if plan.errors else ExitCode.OK

    return anyio.run(run)


def cmd_migrate_upgrade(paths: list[str], dry_run: bool, out: TextIO) -> int:
    """Upgrade every file under `paths` to the current format version, with a backup."""
    from provreg.config.discovery import ConfigPathError, discover
    from provreg.config.loader import CURRENT_VERSION, parse_file
    from provreg.config.migrations import upgrade_text
    from provreg.model import SecretRef, Severity
    from provreg.registry.secret_ops import instance_host
    from provreg.secrets import SecretStore
    from provreg.storage.atomic import atomic_write
    from provreg.storage.lock import file_write_lock

    if not paths:
        from provreg.paths import default_config_paths

        paths = default_config_paths()
    try:
        files = discover(paths)
    except ConfigPathError as exc:
        raise CommandError(str(exc)) from None
    store: SecretStore | None = None
    upgraded = 0
    for config_file in files:
        with file_write_lock(config_file.path):
            with open(config_file.path, "rb") as handle:
                original = handle.read()
            bom = original.startswith(b"\xef\xbb\xbf")
            text = original.decode("utf-8-sig", errors="strict")
            try:
                new_text, result = upgrade_text(text)
            except ValueError as exc:
                out.write(f"{config_file.display}: skipped: {exc}\n")
                continue
            if new_text == text:
                continue
            check = parse_file(new_text.encode(), config_file.path, config_file.display)
            errors = [d for d in check.diagnostics if d.severity is Severity.ERROR]
            if errors:
                first = errors[0]
                raise CommandError(
                    f"{config_file.display}: the upgraded text would not load "
                    f"({first.line}:{first.column}: {first.message}); nothing was written"
                )
            out.write(
                f"{config_file.display}: version {result.from_version} -> {CURRENT_VERSION}"
                + ("" if not result.notes else " (" + "; ".join(result.notes) + ")")
                + "\n"
            )
            if dry_run:
                continue
            if result.secrets:
                store = store or SecretStore()
                from provreg.model import ProviderInstance

                for instance_id, field, value, base_url in result.secrets:
                    stand_in = ProviderInstance.model_construct(
                        id=instance_id, name="", provider="", values={"base_url": base_url}
                    )
                    store.set(
                        instance_id,
                        field,
                        SecretRef(kind="keyring"),
                        SecretStr(value),
                        instance_host(stand_in, None),
                    )
            backup = f"{config_file.path}.v{result.from_version}.bak"
            shutil.copy2(config_file.path, backup)
            os.chmod(backup, 0o600)
            data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
            atomic_write(config_file.path, data)
            out.write(f"  backup: {backup} (sha256 {hashlib.sha256(original).hexdigest()[:12]}…)\n")
            upgraded += 1
    if dry_run:
        out.write("dry run: nothing was written\n")
    elif not upgraded:
        out.write("every file is at the current version\n")
    return ExitCode.OK
