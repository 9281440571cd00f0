"""Help text beyond argparse's: an example section for every command's `--help`,
and `provreg help TOPIC`, which says where a topic's documentation is.

The docs are not shipped in the wheel and provreg never goes online for help,
so a topic names its page in the source tree's `docs/` (the absolute path when
this provreg runs from a checkout, where the page is on disk) with a summary
of a few lines that stands on its own.
May import: the standard library, `provreg.terminal_text` (the width),
`provreg.catalog` (its `did_you_mean`, for a mistyped topic).
"""

from __future__ import annotations

import argparse
import os
import textwrap
from typing import Any, TextIO

from provreg.terminal_text import terminal_columns

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("provreg", "provreg sample_configs", "provreg --check ~/.config/provreg"),
    "init": ("provreg init", "provreg init ./team-config"),
    "check": ("provreg --check", "provreg check --strict --format github configs/"),
    "schema": ("provreg schema -o provreg.schema.json",),
    "show-registry": ("provreg show-registry sample_configs",),
    "tui": (
        "provreg tui --read-only sample_configs",
        "provreg sample_configs --theme provreg-light",
    ),
    "list": ("provreg list", "provreg list --provider openai --json"),
    "show": ("provreg show work-openai", "provreg show work-openai --json"),
    "add": (
        "provreg add openai --name 'Work OpenAI' --set default_model=gpt-4.1",
        "provreg add anthropic --name Claude --ref api_key=env:ANTHROPIC_API_KEY",
    ),
    "edit": ("provreg edit work-openai --set timeout_seconds=60 --unset organization",),
    "rm": ("provreg rm work-openai --yes",),
    "catalog": ("provreg catalog", "provreg catalog --json"),
    "watch": ("provreg watch sample_configs --json",),
    "secret": ("provreg secret set work-openai", "provreg secret status"),
    "secret set": (
        "provreg secret set work-openai",
        'printf %s "$KEY" | provreg secret set work-openai',
    ),
    "secret get": ("provreg secret get work-openai api_key | pbcopy",),
    "secret rm": ("provreg secret rm work-openai",),
    "secret status": ("provreg secret status", "provreg secret status work-openai --json"),
    "secret confirm": ("provreg secret confirm work-openai",),
    "secret import": ("provreg secret import --dry-run", "provreg secret import"),
    "secret prune": ("provreg secret prune", "provreg secret prune --yes"),
    "exec": ("provreg exec work-openai -- python my_script.py",),
    "probe": ("provreg probe work-openai", "provreg probe --all --json"),
    "migrate": (
        "provreg migrate --from-json llm_config.json --dry-run",
        "provreg migrate --upgrade",
    ),
    "export": (
        "provreg export --to litellm -o litellm.yaml",
        "provreg export --to env work-openai",
    ),
    "import": ("provreg import --from opencode --dry-run", "provreg import --from aichat --scrub"),
    "log": ("provreg log -n 20", "provreg log --json"),
    "help": ("provreg help", "provreg help secrets"),
    "doctor": ("provreg doctor", "provreg doctor --json > doctor.json"),
    "completion": (
        "provreg completion bash > ~/.local/share/bash-completion/completions/provreg",
        "provreg completion fish > ~/.config/fish/completions/provreg.fish",
    ),
}
"""Command (words after `provreg`, "" for `provreg` itself) -> example lines for its `--help`."""

EXAMPLES_HEADING = "examples:"


class ExampleFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that a text of several lines (the examples)
    keeps its lines. `RawDescriptionHelpFormatter` would do that to every
    description too, and the one-line descriptions rely on being wrapped."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse makes a formatter for every argument declared and asks
        # `shutil` for the width: the same answer, without importing shutil.
        if width is None:
            width = terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" not in text:
            return super()._fill_text(text, width, indent)
        return "".join(indent + line for line in text.splitlines(keepends=True))


class HelpParser(argparse.ArgumentParser):
    """An argument parser whose formatter is `ExampleFormatter` from the start
    (its subcommands' parsers too: argparse makes them of the parent's class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ExampleFormatter)
        super().__init__(*args, **kwargs)


def add_examples(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> None:
    """Give `parser` and every subcommand under it the examples `EXAMPLES` has for them."""
    examples = EXAMPLES.get(" ".join(words))
    if examples:
        lines = "\n".join(f"  {example}" for example in examples)
        # An epilog already there is kept above the examples, wrapped here since
        # the formatter keeps a text of several lines as it is.
        before = textwrap.fill(parser.epilog, 79) + "\n\n" if parser.epilog else ""
        parser.epilog = f"{before}{EXAMPLES_HEADING}\n{lines}\n"
    parser.formatter_class = ExampleFormatter
    for action in parser._actions:  # argparse offers no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                add_examples(sub, (*words, name))


TOPICS: dict[str, tuple[str, str]] = {
    "format": (
        "config-format.md",
        "Config files are YAML: `version: 1`, then `providers:`, a list of instances\n"
        "(id, name, provider and the provider type's fields). `provreg catalog` lists\n"
        "the types; `provreg schema` prints the JSON Schema for editors.",
    ),
    "secrets": (
        "secrets.md",
        "Keys are never in the YAML: a secret field holds a reference, {keyring: true}\n"
        "(the default), {env: VAR}, {file: PATH} or {command: [PROGRAM, ARG]}.\n"
        "`provreg secret set ID` stores a key; a key goes only to the hosts confirmed for it.",
    ),
    "sync": (
        "sync.md",
        "The dashboard and `provreg watch` follow the files as they change, including\n"
        "edits made in another editor; `--poll` (or PROVREG_POLL=1) for network file systems.",
    ),
    "export": (
        "export.md",
        "`provreg export --to TOOL` writes instances in another tool's config format\n"
        "(references, never keys); `provreg import --from TOOL` is the way back (import.md).",
    ),
    "probe": (
        "probe.md",
        "`provreg probe ID` (or --all) sends one cheap authenticated request per instance\n"
        "and reports whether its key, endpoint and models work.",
    ),
    "cli": (
        "cli.md",
        "Every command, option, exit code and environment variable. `provreg COMMAND --help`\n"
        "shows one command's options and examples.",
    ),
}
"""Topic -> (its page under docs/, a summary that is useful without the page)."""

DOCS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "docs")
"""docs/ of the source tree this provreg runs from (absent in an installed wheel)."""


def doc_location(page: str) -> str:
    """The page's absolute path when it is on disk, else where it is in the source tree."""
    path = os.path.join(os.path.abspath(DOCS_DIR), page)
    return path if os.path.isfile(path) else f"docs/{page} in provreg's source repository"


def print_topic(topic: str | None, out: TextIO, err: TextIO) -> int:
    """`provreg help [TOPIC]`: a topic's summary and page, or the list of topics. Exit 2
    for an unknown topic."""
    if topic is None:
        out.write("provreg help TOPIC, where TOPIC is one of:\n")
        for name, (page, _) in TOPICS.items():
            out.write(f"  {name.ljust(8)}  {doc_location(page)}\n")
        out.write("`provreg COMMAND --help` shows a command's options and examples.\n")
        return 0
    if topic not in TOPICS:
        from provreg.catalog.catalog import did_you_mean

        close = did_you_mean(topic, TOPICS)
        hint = f" — did you mean '{close}'?" if close else f"; topics: {', '.join(TOPICS)}"
        err.write(f"provreg: unknown help topic '{topic}'{hint}\n")
        return 2
    page, summary = TOPICS[topic]
    out.write(f"{summary}\n\nMore: {doc_location(page)}\n")
    return 0
