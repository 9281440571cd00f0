"""Command-line entry point: parse arguments and hand off to the right layer.

Owns: argument parsing, dispatch and the process exit code. Each command is
declared in one place, a `_declare_*` function listed in `COMMANDS`: it adds
the command's parser and names the function that runs it
(`set_defaults(run=...)`). Runners import their command's module only when
they run, so `provreg --check` never pays for the registry or the dashboard
(or for textual). `exit_code_for` turns what a command raised into the exit
code; options reach the commands as arguments, never through the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from provreg import __version__
from provreg.cli_help import HelpParser, add_examples
from provreg.exit_codes import ExitCode

if TYPE_CHECKING:
    from provreg.commands.common import WriteOptions

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Runner: TypeAlias = Callable[[argparse.Namespace], int]
"""Runs a parsed command and returns its exit code."""


def _positive_bytes(text: str) -> int:
    """A size limit: a whole number of bytes, at least 1 (0 or less would refuse every file)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number of bytes, not {text!r}")
    return value


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-file-size",
        type=_positive_bytes,
        metavar="BYTES",
        default=None,
        help="refuse config files larger than this (default 1 MiB)",
    )


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        action="append",
        default=[],
        help="config directory or file (repeatable; default: $PROVREG_CONFIG, "
        "else the user config dir)",
    )


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _write_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="refuse every write (also PROVREG_READ_ONLY=1)",
    )
    parser.add_argument(
        "--allow-hardlinks",
        action="store_true",
        default=None,
        help="write hard-linked config files in place, keeping the links (not crash-safe; "
        "also PROVREG_ALLOW_HARDLINKS=1)",
    )


def _registry_command(
    parser: argparse.ArgumentParser, run: Runner, *, writes: bool = False
) -> None:
    """`--config` and `--json` (with `writes`, `--read-only` and `--allow-hardlinks`),
    `run` as the runner, logs redacted: a command on the registry's instances."""
    _config_option(parser)
    _json_option(parser)
    if writes:
        _write_options(parser)
    parser.set_defaults(run=run, redact_logs=True)


def _writes(args: argparse.Namespace) -> WriteOptions:
    """`--read-only` and `--allow-hardlinks`, else what the user's environment says."""
    from provreg.commands.common import WriteOptions
    from provreg.paths import env_flag
    from provreg.registry.registry import ALLOW_HARDLINKS_ENV, READ_ONLY_ENV

    return WriteOptions(
        # An unclear PROVREG_READ_ONLY (a typo) refuses: it must not write.
        read_only=bool(args.read_only) or env_flag(READ_ONLY_ENV, unknown=True),
        allow_hardlinks=bool(args.allow_hardlinks) or env_flag(ALLOW_HARDLINKS_ENV),
    )


# --------------------------------------------------------------------------- commands


def _declare_check(sub: SubParsers) -> None:
    check = sub.add_parser(
        "check",
        help="validate config files (also `provreg --check`)",
        description="Validate config files headless. Exit 0: no errors; 1: errors "
        "(or warnings with --strict); 2: usage or I/O error.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="config directories or files (default: $PROVREG_CONFIG, else the user config dir)",
    )
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--secrets",
        action="store_true",
        help="also check that every secret reference resolves (never prints values)",
    )
    check.add_argument(
        "--live",
        action="store_true",
        help="then probe every instance's endpoint with its key (`provreg probe --all`); "
        "exit 1 if any probe fails",
    )
    check.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=None,
        metavar="S",
        help="with --live: seconds each probe may take (default 10)",
    )
    check.add_argument(
        "-q", "--quiet", action="store_true", help="leave out info diagnostics (all but json)"
    )
    _add_limits(check)
    check.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from provreg.check import run_check
    from provreg.config.read.yaml_source import Limits
    from provreg.paths import default_config_paths

    limits = Limits() if args.max_file_size is None else Limits(max_bytes=args.max_file_size)
    paths = args.paths or default_config_paths()
    code = run_check(
        paths,
        output_format=args.format,
        strict=args.strict,
        limits=limits,
        quiet_info=args.quiet,
        secrets=args.secrets,
    )
    if not args.live or code is ExitCode.USAGE:
        return code
    # Only now: `--check` without `--live` never imports httpx or the probes.
    from provreg.commands.probe_cmd import ProbeOptions, cmd_probe
    from provreg.probe import DEFAULT_TIMEOUT
    from provreg.secrets.redaction import install_redaction

    install_redaction()
    sys.stdout.flush()
    options = ProbeOptions(all=True, timeout=args.timeout or DEFAULT_TIMEOUT)
    # JSON on stdout is one document: the probe report then goes to stderr.
    out = sys.stderr if args.format == "json" else sys.stdout
    live = cmd_probe(list(paths), options, out)
    return max(code, live)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"must be seconds between 0 and 600, not {text!r}")
    return value


def _declare_probe(sub: SubParsers) -> None:
    probe = sub.add_parser(
        "probe",
        help="check instances live: key, endpoint and models (one cheap request each)",
        description="Send each instance one cheap authenticated metadata request (a model "
        "list, never a completion) and report: ok, auth failed, unreachable (DNS, refused, "
        "TLS, timeout), model not offered, rate limited, unexpected response, refused (the "
        "key may not go there) or no key. Exit 0 when every instance is ok, 1 otherwise.",
    )
    probe.add_argument("ids", nargs="*", metavar="ID", help="instances to probe")
    probe.add_argument("--all", action="store_true", help="probe every instance")
    probe.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=None,
        metavar="S",
        help="seconds each probe may take (default 10)",
    )
    probe.add_argument(
        "--discover",
        action="store_true",
        help="fill or refresh each instance's models: from what its endpoint lists "
        "(shows the change, asks first)",
    )
    probe.add_argument(
        "-y", "--yes", action="store_true", help="with --discover: write without asking"
    )
    _registry_command(probe, _run_probe, writes=True)


def _run_probe(args: argparse.Namespace) -> int:
    from provreg.commands.probe_cmd import ProbeOptions, cmd_probe
    from provreg.probe import DEFAULT_TIMEOUT

    wrong = (
        "--yes only goes with --discover"
        if args.yes and not args.discover
        else "say which instances to probe: give their ids, or --all"
        if not args.ids and not args.all
        else "give instance ids or --all, not both"
        if args.ids and args.all
        else None
    )
    if wrong is not None:
        sys.stderr.write(f"provreg: {wrong}\n")
        return ExitCode.USAGE
    options = ProbeOptions(
        ids=tuple(args.ids),
        all=args.all,
        as_json=args.json,
        timeout=args.timeout or DEFAULT_TIMEOUT,
        discover=args.discover,
        yes=args.yes,
    )
    return cmd_probe(args.config, options, sys.stdout, writes=_writes(args))


def _declare_schema(sub: SubParsers) -> None:
    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of the config format",
        description="Print a JSON Schema (draft 2020-12) of config files, for editors' "
        "YAML language servers. With --config, custom definitions found there are included.",
    )
    schema.add_argument("--config", metavar="PATH", action="append", default=None)
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(run=_run_schema)


def _run_schema(args: argparse.Namespace) -> int:
    from provreg.config.read.discovery import ConfigPathError
    from provreg.config.read.load_set import load_paths
    from provreg.config.read.schema import schema_json

    catalog = None
    if args.config:
        try:
            catalog = load_paths(args.config).catalog
        except ConfigPathError as exc:
            sys.stderr.write(f"provreg: {exc}\n")
            return ExitCode.USAGE
    text = schema_json(catalog)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def _declare_show_registry(sub: SubParsers) -> None:
    show = sub.add_parser(
        "show-registry",
        help="print the registry and its problems as text (no dashboard)",
        description="Print the loaded registry and its problems as plain text.",
    )
    show.add_argument("paths", nargs="*", metavar="PATH")
    show.set_defaults(run=_run_show_registry)


def _run_show_registry(args: argparse.Namespace) -> int:
    from provreg.paths import default_config_paths
    from provreg.registry_text import print_registry

    return print_registry(args.paths or default_config_paths(), sys.stdout, sys.stderr)


def _declare_tui(sub: SubParsers) -> None:
    tui = sub.add_parser(
        "tui",
        help="open the dashboard (also `provreg [PATH]`)",
        description="Open the live dashboard on config directories or files.",
    )
    tui.add_argument("paths", nargs="*", metavar="PATH")
    tui.add_argument("--theme", help="theme name (remembered when picked in the app)")
    tui.add_argument("--read-only", action="store_true", help="refuse every change")
    tui.add_argument("--poll", action="store_true", help="poll for changes (network file systems)")
    tui.set_defaults(run=_run_tui)


def _run_tui(args: argparse.Namespace) -> int:
    import os

    from provreg.paths import default_config_paths

    paths = args.paths or default_config_paths()
    if not args.paths and not _first_run_ready(paths):
        return ExitCode.USAGE
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        sys.stderr.write(f"provreg: {missing[0]}: no such file or directory\n")
        return ExitCode.USAGE
    if not sys.stdout.isatty():
        # No terminal (a pipe, CI): the text listing is what a reader can use.
        return _run_show_registry(args)
    from provreg.tui.app import ProvregApp

    # None: the registry the app opens reads PROVREG_READ_ONLY itself.
    read_only = True if args.read_only else None
    app = ProvregApp(paths, theme=args.theme, read_only=read_only, poll=args.poll)
    app.run()
    return ExitCode.OK


def _first_run_ready(default_paths: list[str]) -> bool:
    """No path given and the default config directory is missing: offer `init`
    (see `commands.init_cmd.offer_init`). True when there is a directory to use."""
    import os

    if len(default_paths) != 1 or os.path.exists(default_paths[0]):
        return True
    from provreg.commands.init_cmd import offer_init

    return offer_init(default_paths[0], sys.stdin, sys.stderr)


def _declare_init(sub: SubParsers) -> None:
    init = sub.add_parser(
        "init",
        help="create the config directory with a commented starter file and the schema",
        description="Create DIR (default: $PROVREG_CONFIG, else the user config dir) with a "
        "commented providers.yaml and provreg.schema.json for editors. Files that exist are "
        "left as they are, and said so.",
    )
    init.add_argument("dir", nargs="?", metavar="DIR", help="the directory to create")
    init.set_defaults(run=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    from provreg.commands.init_cmd import cmd_init

    return cmd_init(args.dir, sys.stdout)


def _declare_help(sub: SubParsers) -> None:
    help_parser = sub.add_parser(
        "help",
        help="where the documentation of a topic is (format, secrets, sync, ...)",
        description="Print a topic's summary and where its documentation is; without TOPIC, "
        "the list of topics.",
    )
    help_parser.add_argument("topic", nargs="?", metavar="TOPIC")
    help_parser.set_defaults(run=_run_help)


def _run_help(args: argparse.Namespace) -> int:
    from provreg.cli_help import print_topic

    return print_topic(args.topic, sys.stdout, sys.stderr)


def _declare_list(sub: SubParsers) -> None:
    listing = sub.add_parser("list", help="list provider instances")
    listing.add_argument("--provider", help="only instances of this provider")
    _registry_command(listing, _run_list)


def _run_list(args: argparse.Namespace) -> int:
    from provreg.commands.instances import cmd_list

    return cmd_list(args.config, args.json, args.provider, sys.stdout)


def _declare_show(sub: SubParsers) -> None:
    show = sub.add_parser("show", help="show one instance with every field")
    show.add_argument("id")
    _registry_command(show, _run_show)


def _run_show(args: argparse.Namespace) -> int:
    from provreg.commands.instances import cmd_show

    return cmd_show(args.config, args.id, args.json, sys.stdout)


def _declare_add(sub: SubParsers) -> None:
    add = sub.add_parser(
        "add",
        help="add an instance",
        description="Add an instance. Values are parsed by field type; secret fields take "
        "references only (--ref), never values.",
    )
    add.add_argument("provider", help="catalog id (`provreg catalog` lists them)")
    add.add_argument("--name", required=True)
    add.add_argument("--id", dest="instance_id", help="id (default: a slug of the name)")
    add.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    add.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="FIELD=REF",
        help="secret reference: keyring, keyring:NAME, env:VAR or file:PATH",
    )
    add.add_argument("--file", help="file to add to (default: providers.yaml in the config dir)")
    _registry_command(add, _run_add, writes=True)


def _run_add(args: argparse.Namespace) -> int:
    from provreg.commands.instances import cmd_add
    from provreg.paths import default_config_paths

    if not args.config and not _first_run_ready(default_config_paths()):
        return ExitCode.USAGE

    return cmd_add(
        args.config,
        args.provider,
        args.name,
        args.set,
        args.ref,
        args.file,
        args.instance_id,
        args.json,
        sys.stdout,
        writes=_writes(args),
    )


def _declare_edit(sub: SubParsers) -> None:
    edit = sub.add_parser("edit", help="change fields of an instance")
    edit.add_argument("id")
    edit.add_argument("--name", help="new display name")
    edit.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    edit.add_argument("--ref", action="append", default=[], metavar="FIELD=REF")
    edit.add_argument("--unset", action="append", default=[], metavar="FIELD")
    _registry_command(edit, _run_edit, writes=True)


def _run_edit(args: argparse.Namespace) -> int:
    from provreg.commands.instances import cmd_edit

    return cmd_edit(
        args.config,
        args.id,
        args.set,
        args.ref,
        args.unset,
        args.name,
        args.json,
        sys.stdout,
        writes=_writes(args),
    )


def _declare_rm(sub: SubParsers) -> None:
    rm = sub.add_parser("rm", help="delete an instance")
    rm.add_argument("id")
    rm.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    _registry_command(rm, _run_rm, writes=True)


def _run_rm(args: argparse.Namespace) -> int:
    from provreg.commands.instances import cmd_rm

    return cmd_rm(args.config, args.id, args.yes, args.json, sys.stdout, writes=_writes(args))


def _declare_catalog(sub: SubParsers) -> None:
    catalog = sub.add_parser("catalog", help="list provider types and their fields")
    _registry_command(catalog, _run_catalog)


def _run_catalog(args: argparse.Namespace) -> int:
    import os

    from provreg.commands.catalog_cmd import cmd_catalog
    from provreg.paths import default_config_paths

    use_config = bool(args.config) or all(os.path.exists(p) for p in default_config_paths())
    return cmd_catalog(args.config, args.json, sys.stdout, use_config=use_config)


def _declare_watch(sub: SubParsers) -> None:
    watch = sub.add_parser(
        "watch",
        help="print each change to the config files as it happens (headless live sync)",
    )
    watch.add_argument("paths", nargs="*", metavar="PATH")
    watch.add_argument(
        "--poll", action="store_true", help="poll (network file systems); also PROVREG_POLL=1"
    )
    _json_option(watch)
    watch.set_defaults(run=_run_watch, redact_logs=True)


def _run_watch(args: argparse.Namespace) -> int:
    from provreg.commands.watch_cmd import cmd_watch

    return cmd_watch(args.paths, args.json, args.poll, sys.stdout)


def _declare_secret(sub: SubParsers) -> None:
    secret = sub.add_parser(
        "secret",
        help="store, remove and inspect API keys (values never on the command line)",
    )
    secret.set_defaults(redact_logs=True)
    actions = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    secret_set = actions.add_parser(
        "set", help="store a key in the keyring (from stdin when piped, else a no-echo prompt)"
    )
    secret_set.add_argument("id")
    secret_set.add_argument("field", nargs="?", default="api_key")
    secret_set.set_defaults(run=_run_secret_set)
    secret_get = actions.add_parser(
        "get",
        help="print a key for a program's key helper (never to a terminal unless --show)",
        description="Print the key of an instance's secret field (default api_key) and a "
        "newline, for tools that run a command to get their key (Claude Code's apiKeyHelper, "
        "Codex's auth.command, $(...) in a config). Refused (exit 3) when stdout is a "
        "terminal (unless --show), when the key is not confirmed for the instance's host, or "
        "when helpers are turned off (PROVREG_HELPERS=0); exit 1 when there is no such "
        "instance, field or key. Every read is audited (secret-read).",
    )
    secret_get.add_argument("id")
    secret_get.add_argument("field", nargs="?", default="api_key")
    secret_get.add_argument(
        "--show",
        action="store_true",
        help="print the key even when stdout is a terminal (it stays in the scrollback)",
    )
    secret_get.set_defaults(run=_run_secret_get)
    secret_rm = actions.add_parser("rm", help="remove a key from the keyring")
    secret_rm.add_argument("id")
    secret_rm.add_argument("field", nargs="?", default="api_key")
    secret_rm.set_defaults(run=_run_secret_rm)
    secret_status = actions.add_parser("status", help="reference and presence of each key")
    secret_status.add_argument("id", nargs="?")
    _json_option(secret_status)
    secret_status.set_defaults(run=_run_secret_status)
    secret_confirm = actions.add_parser(
        "confirm", help="let the keys an instance references go to its base URL host"
    )
    secret_confirm.add_argument("id")
    secret_confirm.set_defaults(run=_run_secret_confirm)
    secret_import = actions.add_parser(
        "import", help="move plaintext keys found in the YAML into the keyring"
    )
    secret_import.add_argument("--dry-run", action="store_true")
    secret_import.set_defaults(run=_run_secret_import)
    secret_prune = actions.add_parser(
        "prune", help="list (and with --yes remove) keyring entries no instance references"
    )
    secret_prune.add_argument("-y", "--yes", action="store_true")
    _json_option(secret_prune)
    secret_prune.set_defaults(run=_run_secret_prune)
    for parser in (
        secret_set,
        secret_get,
        secret_rm,
        secret_status,
        secret_confirm,
        secret_import,
        secret_prune,
    ):
        _config_option(parser)
    for parser in (secret_set, secret_rm, secret_confirm, secret_import, secret_prune):
        _write_options(parser)


def _run_secret_set(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_set

    return cmd_secret_set(args.config, args.id, args.field, sys.stdout, writes=_writes(args))


def _helpers_off() -> str | None:
    """Why `secret get` is off for every instance (`PROVREG_HELPERS`), or None.

    Unset or empty: on. `0`, `false`, `no`, `off`: off. Anything else (a typo)
    is read as the safer choice, off, and the refusal says so."""
    import os

    from provreg.paths import ENV_NO, ENV_YES

    raw = os.environ.get(HELPERS_ENV, "").strip().lower()
    if not raw or raw in ENV_YES:
        return None
    if raw in ENV_NO:
        return f"{HELPERS_ENV}={raw}"
    return f"{HELPERS_ENV}={raw!r} is neither a yes nor a no, so it counts as off"


HELPERS_ENV = "PROVREG_HELPERS"
"""Environment switch: `0` turns `provreg secret get` off for every instance."""


def _run_secret_get(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_get

    return cmd_secret_get(
        args.config,
        args.id,
        args.field,
        sys.stdout,
        show=args.show,
        helpers_off=_helpers_off(),
    )


def _run_secret_rm(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_rm

    return cmd_secret_rm(args.config, args.id, args.field, sys.stdout, writes=_writes(args))


def _run_secret_status(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_status

    return cmd_secret_status(args.config, args.id, args.json, sys.stdout)


def _run_secret_confirm(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_confirm

    return cmd_secret_confirm(args.config, args.id, sys.stdout, writes=_writes(args))


def _run_secret_import(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_import

    return cmd_secret_import(args.config, args.dry_run, sys.stdout, writes=_writes(args))


def _run_secret_prune(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_secret_prune

    return cmd_secret_prune(args.config, args.yes, args.json, sys.stdout, writes=_writes(args))


def _declare_exec(sub: SubParsers) -> None:
    exec_parser = sub.add_parser(
        "exec",
        help="run a command with an instance's settings in its environment",
        description="Run COMMAND with the instance's fields in the environment variables "
        "tools read (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ...). Keys are "
        "resolved now and never printed. The command's exit code is passed through.",
    )
    exec_parser.add_argument("id")
    exec_parser.add_argument("argv", nargs="*", metavar="-- COMMAND ...")
    _config_option(exec_parser)
    exec_parser.set_defaults(run=_run_exec, redact_logs=True)


def _run_exec(args: argparse.Namespace) -> int:
    from provreg.commands.secret_cmd import cmd_exec

    return cmd_exec(args.config, args.id, list(args.argv))


def _declare_migrate(sub: SubParsers) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="import the old app's llm_config.json, or upgrade config files' format version",
    )
    source = migrate.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-json", metavar="PATH", help="the old app's llm_config.json")
    source.add_argument(
        "--upgrade",
        nargs="*",
        metavar="PATH",
        help="rewrite files to the current format version (backup kept; default: the config)",
    )
    migrate.add_argument("--keys", metavar="PATH", help="JSON object of plaintext keys to import")
    migrate.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    migrate.add_argument("--partial", action="store_true", help="import the valid entries only")
    migrate.add_argument("--file", help="file to add imported instances to")
    _config_option(migrate)
    _write_options(migrate)
    migrate.set_defaults(run=_run_migrate, redact_logs=True)


def _run_migrate(args: argparse.Namespace) -> int:
    from provreg.commands import migrate_cmd

    writes = _writes(args)
    if args.from_json:
        return migrate_cmd.cmd_migrate_json(
            args.config,
            args.from_json,
            args.keys,
            args.dry_run,
            args.partial,
            args.file,
            sys.stdout,
            writes=writes,
        )
    return migrate_cmd.cmd_migrate_upgrade(
        args.upgrade or args.config, args.dry_run, sys.stdout, writes=writes
    )


def _declare_log(sub: SubParsers) -> None:
    log = sub.add_parser("log", help="show the audit log of changes")
    log.add_argument("-n", type=int, default=None, metavar="N", help="only the last N entries")
    _json_option(log)
    log.set_defaults(run=_run_log, redact_logs=True)


def _run_log(args: argparse.Namespace) -> int:
    from provreg.commands.log_cmd import cmd_log

    return cmd_log(args.n, args.json, sys.stdout)


def _tools_help() -> str:
    from provreg.interop.tools import TOOL_NAMES

    return ", ".join(TOOL_NAMES)


def _declare_export(sub: SubParsers) -> None:
    export = sub.add_parser(
        "export",
        help="write instances as another tool's config (references only, never keys)",
        description="Write registry instances in another LLM tool's config format: to stdout, "
        "to a new file (-o), or into the tool's existing file (--merge, with a backup). "
        "Secrets are written as the tool's own reference syntax, never as values. A report "
        "per instance (what each key became, what was lost or skipped) goes to stderr.",
    )
    export.add_argument(
        "--to", dest="tool", required=True, metavar="TOOL", help=f"one of: {_tools_help()}"
    )
    export.add_argument("ids", nargs="*", metavar="ID", help="instances to export (default: all)")
    export.add_argument("-o", "--output", metavar="FILE", help="write a new file (never over one)")
    export.add_argument(
        "--merge", metavar="FILE", help="update the tool's existing FILE in place (backup kept)"
    )
    export.add_argument(
        "--dry-run", action="store_true", help="print the diff of -o/--merge; write nothing"
    )
    _registry_command(export, _run_export)


def _run_export(args: argparse.Namespace) -> int:
    from provreg.commands.export_cmd import ExportRequest, cmd_export

    request = ExportRequest(
        tool=args.tool,
        ids=tuple(args.ids),
        output=args.output,
        merge=args.merge,
        dry_run=args.dry_run,
        as_json=args.json,
    )
    return cmd_export(args.config, request, sys.stdout, sys.stderr)


def _declare_import(sub: SubParsers) -> None:
    import_parser = sub.add_parser(
        "import",
        help="add the providers of another tool's config (pasted keys go to the keyring)",
        description="Read another LLM tool's config and add its providers to the registry: "
        "an entry with the same provider, base URL and key as an instance is merged into it "
        "(its models), others are created. Pasted keys are stored in the keyring; the YAML "
        "gets a reference. The tool's file is not changed unless --scrub.",
    )
    import_parser.add_argument(
        "--from", dest="tool", required=True, metavar="TOOL", help=f"one of: {_tools_help()}"
    )
    import_parser.add_argument(
        "path", nargs="?", metavar="PATH", help="the tool's file (default: where the tool keeps it)"
    )
    import_parser.add_argument(
        "--dry-run", action="store_true", help="print the plan; write nothing, store no key"
    )
    import_parser.add_argument(
        "--scrub",
        action="store_true",
        help="after importing, replace the keys pasted in the tool's file with references "
        "(a backup is kept)",
    )
    import_parser.add_argument(
        "--file", help="config file to add new instances to (default: providers.yaml)"
    )
    _registry_command(import_parser, _run_import, writes=True)


def _run_import(args: argparse.Namespace) -> int:
    from provreg.commands.import_cmd import ImportRequest, cmd_import

    request = ImportRequest(
        tool=args.tool,
        path=args.path,
        dry_run=args.dry_run,
        scrub=args.scrub,
        file=args.file,
        as_json=args.json,
    )
    return cmd_import(args.config, request, sys.stdout, writes=_writes(args))


def _declare_doctor(sub: SubParsers) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check this machine: config permissions, keyring, watcher, editor, terminal",
        description="One report of what can go wrong on this machine, each line ok, warn or "
        "fail with its fix. Never reads a key. Exit 0: nothing failed; 1: something did.",
    )
    _config_option(doctor)
    _json_option(doctor)
    doctor.set_defaults(run=_run_doctor)


def _run_doctor(args: argparse.Namespace) -> int:
    from provreg.commands.doctor_cmd import cmd_doctor

    return cmd_doctor(args.config, args.json, sys.stdout)


def _declare_completion(sub: SubParsers) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a script that completes provreg's commands, options, instance "
        "ids, provider types, field names for --set and theme names. Install it as "
        "docs/cli.md says; ids are read at each TAB by `provreg __complete`, without the "
        "registry.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))
    completion.set_defaults(run=_run_completion)


def _run_completion(args: argparse.Namespace) -> int:
    from provreg.completion.scripts import script
    from provreg.completion.spec import parser_spec
    from provreg.interop.tools import TOOL_NAMES

    spec = parser_spec(build_parser(), {"tool": TOOL_NAMES})
    sys.stdout.write(script(args.shell, spec))
    return ExitCode.OK


COMMANDS: tuple[Callable[[SubParsers], None], ...] = (
    _declare_init,
    _declare_check,
    _declare_schema,
    _declare_show_registry,
    _declare_tui,
    _declare_list,
    _declare_show,
    _declare_add,
    _declare_edit,
    _declare_rm,
    _declare_catalog,
    _declare_watch,
    _declare_secret,
    _declare_exec,
    _declare_probe,
    _declare_migrate,
    _declare_export,
    _declare_import,
    _declare_log,
    _declare_help,
    _declare_doctor,
    _declare_completion,
)
"""Every command, in the order `provreg --help` lists them. A new command is a
`_declare_*` function (its parser, `set_defaults(run=...)`) added here;
`redact_logs=True` for one that opens the registry or touches secrets."""


# --------------------------------------------------------------------------- parsing


def build_parser() -> argparse.ArgumentParser:
    return _build()[0]


def _build(
    commands: Sequence[Callable[[SubParsers], None]] = (),
) -> tuple[argparse.ArgumentParser, frozenset[str]]:
    """The parser with `commands` (default: every command), and their names."""
    parser: argparse.ArgumentParser = HelpParser(
        prog="provreg",
        description="A registry of LLM provider configurations kept in YAML files.",
        epilog="`provreg PATH` opens the registry at PATH; `provreg --check PATH` validates it.",
    )
    parser.add_argument("--version", action="version", version=f"provreg {__version__}")
    parser.set_defaults(run=None, redact_logs=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for declare in commands or COMMANDS:
        declare(sub)
    add_examples(parser)
    return parser, frozenset(sub.choices)


_TAKES_VALUE = frozenset({"--theme", "--config", "--file", "--provider"})
"""Options whose next word is their value, for `_command_first`."""


def _command_first(argv: list[str], commands: frozenset[str]) -> list[str]:
    """`provreg --read-only tui PATH` as `provreg tui --read-only PATH`, and
    `provreg --config DIR list` as `provreg list --config DIR`: options may come
    before the command, as they may before a path (`provreg --read-only PATH`)."""
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        if argv[index] in ("-h", "--help", "--version", "--check"):
            return argv
        index += 2 if argv[index] in _TAKES_VALUE else 1
    if 0 < index < len(argv) and argv[index] in commands:
        return [argv[index], *argv[:index], *argv[index + 1 :]]
    return argv


def _normalise(argv: list[str], commands: frozenset[str]) -> list[str]:
    """`provreg --check ...` means `provreg check ...`; `provreg PATH` opens PATH."""
    argv = _command_first(argv, commands)
    if "--check" in argv:
        index = argv.index("--check")
        return ["check", *argv[:index], *argv[index + 1 :]]
    if not argv or argv[0] not in (*commands, "-h", "--help", "--version"):
        # `provreg PATH`, `provreg --theme X PATH`, `provreg --read-only`: the dashboard.
        return ["tui", *argv]
    return argv


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    """The parser's subcommands (`provreg COMMAND`, `provreg secret ACTION`), if any."""
    for action in parser._actions:  # argparse offers no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _mistyped_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """ "unknown command 'lst' — did you mean 'list'?" (or 'secret sett' for
    'secret set'), when a command word is close to one; a first word that is an
    existing path is not a typo (`provreg PATH` opens PATH)."""
    import os

    if "--check" in argv:
        return None
    words: list[str] = []
    level = _subcommands(parser)
    for word in argv:
        if level is None or word.startswith("-"):
            return None
        if word in level.choices:
            words.append(word)
            level = _subcommands(level.choices[word])
            continue
        if not words and os.path.exists(word):
            return None
        from provreg.catalog.catalog import did_you_mean

        suggestion = did_you_mean(word, level.choices)
        if suggestion is None:
            return None
        typed, meant = " ".join([*words, word]), " ".join([*words, suggestion])
        return f"unknown command '{typed}' — did you mean '{meant}'?"
    return None


def _mistyped_option(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> str | None:
    """ "unknown option '--jsn' for 'list' — did you mean '--json'?", for the first
    unrecognised option close to one the command accepts."""
    words: list[str] = []
    leaf = parser
    while (level := _subcommands(leaf)) is not None:
        name = getattr(args, level.dest, None)
        if not isinstance(name, str):
            break
        words.append(name)
        leaf = level.choices[name]
    options = [option for action in leaf._actions for option in action.option_strings]
    from provreg.catalog.catalog import did_you_mean

    for extra in extras:
        if not extra.startswith("-"):
            continue
        suggestion = did_you_mean(extra.split("=", 1)[0], options)
        if suggestion is not None:
            command = f" for '{' '.join(words)}'" if words else ""
            return f"unknown option '{extra}'{command} — did you mean '{suggestion}'?"
    return None


# --------------------------------------------------------------------------- running


def main(argv: Sequence[str] | None = None) -> int:
    """The parser's way: every command line but those `provreg.entry` answers
    first (`--version`, `__complete`, a plain check)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, commands = _build(_commands_for(args_list))
    exec_tail: list[str] | None = None
    args_list = _command_first(args_list, commands)
    if args_list[:1] == ["exec"] and "--" in args_list:
        # Everything after `--` is the command, even words that look like our options.
        split = args_list.index("--")
        args_list, exec_tail = args_list[:split], args_list[split + 1 :]
    mistyped = _mistyped_command(parser, args_list)
    if mistyped is not None:
        sys.stderr.write(f"provreg: {mistyped}\n")
        return ExitCode.USAGE
    normalised = _normalise(args_list, commands)
    args, extras = parser.parse_known_args(normalised)
    if extras:
        mistyped = _mistyped_option(parser, args, extras)
        if mistyped is not None:
            sys.stderr.write(f"provreg: {mistyped}\n")
            return ExitCode.USAGE
        parser.parse_args(normalised)  # argparse's own message and exit 2
    if exec_tail is not None:
        args.argv = exec_tail
    run: Runner | None = args.run
    if run is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        if args.redact_logs:
            from provreg.secrets.redaction import install_redaction

            install_redaction()
        return run(args)
    except (KeyboardInterrupt, Exception) as exc:
        return failed(exc)


def failed(exc: BaseException) -> ExitCode:
    """The exit code for what a command raised, its one-line report printed
    when the user can act on it; a bug is raised again (its traceback is the
    report). Call it from an `except` block."""
    code = exit_code_for(exc)
    if code is None:
        raise exc
    if code is ExitCode.FINDINGS:
        sys.stderr.write(f"provreg: {exc}\n")
    return code


def _commands_for(argv: list[str]) -> tuple[Callable[[SubParsers], None], ...]:
    """The commands a parser needs for `argv`: only `check` for a check (CI and
    pre-commit run it on every commit, and declaring all 21 commands costs a
    third of what the check of a small set costs); every command otherwise, so
    help and did-you-mean see them all."""
    if ("--check" in argv or argv[:1] == ["check"]) and not {"-h", "--help"} & set(argv):
        return (_declare_check,)
    return COMMANDS


def exit_code_for(exc: BaseException) -> ExitCode | None:
    """The exit code for what a command raised; None for a bug, whose traceback is the report.

    Ctrl-C is `INTERRUPT`, as a shell reports SIGINT; a closed pipe
    (`provreg list | head`) is `OK`, the reader had what it wanted; a refusal
    the user can act on (an unknown id, read-only, a conflict, a keyring that
    refuses) is `FINDINGS`, printed as one line.
    """
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPT
    if isinstance(exc, BrokenPipeError):
        return ExitCode.OK
    if isinstance(exc, _user_errors()):
        return ExitCode.FINDINGS
    return None


def _user_errors() -> tuple[type[Exception], ...]:
    # Imported once a command has failed, not before: `--check` stays light.
    from provreg.commands.common import CommandError
    from provreg.registry.errors import RegistryError
    from provreg.secrets.errors import SecretError
    from provreg.storage.backend import StorageError

    return (CommandError, RegistryError, StorageError, SecretError)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
