"""Command-line entry point: parse arguments and hand off to the right layer.

Owns: argument parsing and dispatch. Every command imports its module
lazily, so `provreg --check` never pays for the dashboard (or for textual).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from provreg import __version__
from provreg.exit_codes import ExitCode

COMMANDS = ("check", "schema", "show-registry")


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-file-size",
        type=int,
        metavar="BYTES",
        default=None,
        help="refuse config files larger than this (default 1 MiB)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provreg",
        description="A registry of LLM provider configurations kept in YAML files.",
        epilog="`provreg PATH` opens the registry at PATH; `provreg --check PATH` validates it.",
    )
    parser.add_argument("--version", action="version", version=f"provreg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "-q", "--quiet", action="store_true", help="leave out info diagnostics (text, github)"
    )
    _add_limits(check)

    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of the config format",
        description="Print a JSON Schema (draft 2020-12) of config files, for editors' "
        "YAML language servers. With --config, custom definitions found there are included.",
    )
    schema.add_argument("--config", metavar="PATH", action="append", default=None)
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    show = sub.add_parser(
        "show-registry",
        help="print the registry and its problems as text",
        description="Print the loaded registry and its problems (what `provreg PATH` "
        "shows until the dashboard lands).",
    )
    show.add_argument("paths", nargs="*", metavar="PATH")
    return parser


def _normalise(argv: list[str]) -> list[str]:
    """`provreg --check ...` means `provreg check ...`; `provreg PATH` opens PATH."""
    if "--check" in argv:
        index = argv.index("--check")
        return ["check", *argv[:index], *argv[index + 1 :]]
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        return ["show-registry", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_normalise(args_list))
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "schema":
            return _schema(args)
        if args.command == "show-registry":
            return _show_registry(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    parser.print_help()
    return ExitCode.USAGE


def _check(args: argparse.Namespace) -> int:
    from provreg.check import run_check
    from provreg.config.yaml_source import Limits
    from provreg.paths import default_config_paths

    limits = Limits() if args.max_file_size is None else Limits(max_bytes=args.max_file_size)
    paths = args.paths or default_config_paths()
    return run_check(
        paths, output_format=args.format, strict=args.strict, limits=limits, quiet_info=args.quiet
    )


def _schema(args: argparse.Namespace) -> int:
    from provreg.config.discovery import ConfigPathError
    from provreg.config.loader import load_paths
    from provreg.config.schema import schema_json

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


def _show_registry(args: argparse.Namespace) -> int:
    from provreg.paths import default_config_paths
    from provreg.registry_text import print_registry

    return print_registry(args.paths or default_config_paths(), sys.stdout, sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
