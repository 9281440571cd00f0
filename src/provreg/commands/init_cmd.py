"""`provreg init [DIR]`: the first run's config directory, and the offer to create it.

`init` creates the directory (0700) with a commented `providers.yaml` and the
JSON Schema next to it (0600 each, through `storage.atomic`), and never
writes over a file that is already there: it says what it found and skipped.
`offer_init` is what `provreg` and `provreg add` do when the config directory
is missing: ask in a terminal, name the command in a pipe. Nothing is created
unless the user ran `init` or answered yes.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from provreg.exit_codes import ExitCode
from provreg.paths import make_private_dirs

STARTER_NAME = "providers.yaml"
SCHEMA_NAME = "provreg.schema.json"

STARTER = f"""\
# yaml-language-server: $schema={SCHEMA_NAME}
#
# provreg: your LLM provider instances. Add them with `provreg add`, in the
# dashboard (`provreg`, then `a`), or by hand here; `provreg --check` validates
# this directory and `provreg catalog` lists the provider types and their fields.
#
# API keys never go in this file. A secret field left out (`api_key`) means the
# OS keyring entry provreg/<id>/api_key: store it with `provreg secret set <id>`.
# Or point at a key: {{env: VAR}}, {{file: PATH}}, {{command: [PROGRAM, ARG]}}.
version: 1
providers: []

# Two examples: to use them, change `providers: []` above to `providers:` and
# put these lines under it without their leading "# ". (`provreg add` needs
# neither: it adds its entry under `providers:` itself.)
#   - id: work-openai
#     name: Work OpenAI
#     provider: openai
#     default_model: gpt-4.1
#
#   - id: local-ollama
#     name: Local Ollama
#     provider: ollama
#     base_url: http://localhost:11434
"""
"""The starter file: valid as it stands (no instances), its example commented out."""


def cmd_init(directory: str | None, out: TextIO) -> int:
    """Create `directory` (default: where provreg looks) with the starter files."""
    target = directory or default_init_dir()
    if os.path.exists(target) and not os.path.isdir(target):
        sys.stderr.write(f"provreg: {target} exists and is not a directory\n")
        return ExitCode.USAGE
    if target.endswith((".yaml", ".yml")):
        # $PROVREG_CONFIG naming a file: a directory by that name would surprise.
        sys.stderr.write(
            f"provreg: {target} looks like a file name; give the directory: provreg init DIR\n"
        )
        return ExitCode.USAGE
    created, skipped = init_directory(target)
    for path in created:
        out.write(f"created {path}\n")
    for path in skipped:
        out.write(f"exists, left as it is: {path}\n")
    out.write(next_steps(target))
    return ExitCode.OK


def default_init_dir() -> str:
    """Where provreg reads config when given no path: the first of
    `$PROVREG_CONFIG`, else the user config dir."""
    from provreg.paths import default_config_paths

    return default_config_paths()[0]


def init_directory(target: str) -> tuple[list[str], list[str]]:
    """Create what is missing of `target` and its two files. Returns (created, skipped)."""
    from provreg.config.read.schema import schema_json

    created: list[str] = []
    skipped: list[str] = []
    if os.path.isdir(target):
        skipped.append(target + os.sep)
    else:
        make_private_dirs(target)
        os.chmod(target, 0o700)  # make_private_dirs leaves an outer dir's mode to the umask
        created.append(target + os.sep)
    for name, text in ((STARTER_NAME, STARTER), (SCHEMA_NAME, schema_json())):
        path = os.path.join(target, name)
        if _write_new(path, text):
            created.append(path)
        else:
            skipped.append(path)
    return created, skipped


def _write_new(path: str, text: str) -> bool:
    """Write `path` (0600, atomically) unless something is there; True if written."""
    from provreg.storage.atomic import NEW_FILE_MODE, atomic_write

    if os.path.lexists(path):
        return False

    def still_absent() -> None:
        # Created by someone else while we wrote: theirs wins.
        if os.path.lexists(path):
            raise FileExistsError(path)

    try:
        atomic_write(path, text.encode("utf-8"), mode=NEW_FILE_MODE, before_replace=still_absent)
    except FileExistsError:
        return False
    return True


def next_steps(target: str) -> str:
    """What to run after `init`, with `--config`/the path when `target` is not
    where provreg looks by default."""
    config = "" if target == default_init_dir() else f" --config {target}"
    path = "" if not config else f" {target}"
    steps = [
        (
            f"provreg add openai --name 'Work OpenAI'{config}",
            "add an instance (types: `provreg catalog`)",
        ),
        (f"provreg secret set work-openai{config}", "store its key in the keyring"),
        (f"provreg{path}", "open the dashboard"),
        (f"provreg --check{path}", "validate the files"),
    ]
    width = max(len(command) for command, _ in steps)
    lines = "".join(f"  {command.ljust(width)}   {why}\n" for command, why in steps)
    return "\nNext:\n" + lines


def offer_init(target: str, stdin: TextIO, stderr: TextIO) -> bool:
    """The config directory `target` is missing: in a terminal, ask to create it
    (y/N) and create it on yes; in a pipe, name the command. True when created."""
    if not (stdin.isatty() and stderr.isatty()):
        stderr.write(
            f"provreg: no config directory at {target}; create one with `provreg init`, "
            "or pass --config PATH\n"
        )
        return False
    stderr.write(
        f"provreg: no config directory at {target}.\nCreate it now (`provreg init`)? [y/N] "
    )
    stderr.flush()
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        stderr.write("Nothing created. `provreg init` creates it later.\n")
        return False
    created, _ = init_directory(target)
    for path in created:
        stderr.write(f"created {path}\n")
    return True
