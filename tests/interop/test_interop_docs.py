"""The worked examples of docs/export.md and docs/import.md, re-run.

Each example sits between `<!-- example: export TOOL -->` (or `import TOOL`,
with ` exit=N` when the command exits with N) and `<!-- end example -->`.
Inside it, in order:

- files, each a fenced block right after a line "`PATH`:" (a blank line
  between them). Those before the ```console block are written before the
  commands run (the registry, the tool's file); those after it are what the
  commands wrote, compared with what is on disk afterwards;
- one ```console block: `$ provreg ...` lines, each followed by what that
  command prints (its stdout, then its stderr).

A doc may also have one `<!-- example setup -->` ... `<!-- end setup -->`
section: its files are written before every example of that doc (the
registry the examples share).

Paths are shown for a user whose home is `/home/me`: the test runs in the
isolated home the autouse fixture gives (HOME, XDG dirs, the fail keyring),
with that directory as the working directory, expands a leading `~/` of a
path or argument to it, and writes `/home/me` for it in what it compares.
On a mismatch the assertion message holds the output to paste.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from provreg.cli import main

DOCS = REPO_ROOT / "docs"
SHOWN_HOME = "/home/me"
"""The home directory the examples are shown in."""

EXAMPLE_RE = re.compile(
    r"^<!-- example: (export|import) ([a-z]+)(?: exit=(\d+))? -->\n(.*?)^<!-- end example -->$",
    re.MULTILINE | re.DOTALL,
)
SETUP_RE = re.compile(
    r"^<!-- example setup -->\n(.*?)^<!-- end setup -->$", re.MULTILINE | re.DOTALL
)
BLOCK_RE = re.compile(r"^(?:`([^`\n]+)`:\n\n)?```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass
class Example:
    doc: str
    direction: str
    tool: str
    exit_code: int
    inputs: list[tuple[str, str]] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
    """(the command line after `$ `, what it prints)."""
    outputs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.doc}:{self.direction}-{self.tool}"


def parse_console(block: str) -> list[tuple[str, str]]:
    commands: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            commands.append((line[2:].rstrip("\n"), ""))
        else:
            assert commands, "a ```console block starts with a `$ ` line"
            command, printed = commands[-1]
            commands[-1] = (command, printed + line)
    return commands


def setup_files(text: str) -> list[tuple[str, str]]:
    """The files of the doc's setup section (none when it has none)."""
    setups = SETUP_RE.findall(text)
    assert len(setups) <= 1, "one `<!-- example setup -->` section per doc"
    return [
        (path, content) for body in setups for path, _, content in BLOCK_RE.findall(body) if path
    ]


def examples_of(doc: Path) -> list[Example]:
    found: list[Example] = []
    text = doc.read_text(encoding="utf-8")
    setup = setup_files(text)
    for match in EXAMPLE_RE.finditer(text):
        example = Example(doc.name, match.group(1), match.group(2), int(match.group(3) or 0))
        example.inputs = list(setup)
        for block in BLOCK_RE.finditer(match.group(4)):
            path, language, content = block.groups()
            if language == "console":
                assert not example.commands, f"{example.label}: one ```console block"
                example.commands = parse_console(content)
            elif path is not None:
                (example.outputs if example.commands else example.inputs).append((path, content))
        assert example.commands, f"{example.label}: no ```console block"
        found.append(example)
    return found


def on_disk(path: str, home: Path) -> Path:
    return home / path[2:] if path.startswith("~/") else home / path


def to_real(text: str, home: Path) -> str:
    return text.replace(SHOWN_HOME, str(home))


def to_shown(text: str, home: Path) -> str:
    return text.replace(str(home), SHOWN_HOME)


def argv(command: str, home: Path) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "provreg", f"only provreg commands are run: {command}"
    return [str(home) + word[1:] if word.startswith("~/") else word for word in words[1:]]


@dataclass
class Run:
    printed: list[str]
    exit_codes: list[int]
    files: dict[str, str]


def run_example(example: Example, home: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """Write the inputs under `home`, run the commands there, read the outputs back."""
    for path, content in example.inputs:
        target = on_disk(path, home)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_real(content, home), encoding="utf-8")
    previous = Path.cwd()
    os.chdir(home)
    printed: list[str] = []
    codes: list[int] = []
    try:
        for command, _ in example.commands:
            capsys.readouterr()
            codes.append(main(argv(command, home)))
            captured = capsys.readouterr()
            printed.append(to_shown(captured.out + captured.err, home))
    finally:
        os.chdir(previous)
    files = {
        path: to_shown(on_disk(path, home).read_text(encoding="utf-8"), home)
        for path, _ in example.outputs
        if on_disk(path, home).is_file()
    }
    return Run(printed, codes, files)


EXAMPLES = [e for doc in ("export.md", "import.md") for e in examples_of(DOCS / doc)]
TOOLS = ["litellm", "opencode", "crush", "continue", "aichat", "llm", "zed"]


def test_every_tool_has_a_worked_example() -> None:
    for direction, doc in (("export", "export.md"), ("import", "import.md")):
        shown = {e.tool for e in EXAMPLES if e.direction == direction and e.doc == doc}
        wanted = set(TOOLS) | ({"env"} if direction == "export" else set())
        assert wanted <= shown, f"docs/{doc} has no worked example for {sorted(wanted - shown)}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.label)
def test_worked_example_is_current(
    example: Example, isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = isolated_environment
    run = run_example(example, home, capsys)
    for (command, shown), printed in zip(example.commands, run.printed, strict=True):
        assert printed == shown, f"`{command}` printed, paste this instead:\n{printed}"
    assert run.exit_codes[-1] == example.exit_code, "the marker's exit=N is wrong"
    assert all(code in (0, 1) for code in run.exit_codes)
    for path, shown in example.outputs:
        assert path in run.files, f"{path} was not written"
        assert run.files[path] == shown, f"{path} holds, paste this instead:\n{run.files[path]}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.label)
def test_worked_example_shows_no_key(example: Example) -> None:
    # Only visibly fake keys may appear in the docs' tool files.
    for _, content in example.inputs + example.outputs:
        for key in re.findall(r"\bsk-[\w-]+", content):
            assert "EXAMPLE" in key, f"{example.label}: use a visibly fake key, not {key}"


LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of `path` (as tests/test_docs.py
    computes them); a repeated heading gets `-1`, `-2`, ..."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        counter = 0
        unique = anchor
        while unique in anchors:
            counter += 1
            unique = f"{anchor}-{counter}"
        anchors.add(unique)
    return anchors


@pytest.mark.parametrize("name", ["export.md", "import.md"])
def test_links_resolve(name: str) -> None:
    doc = DOCS / name
    broken = []
    for target in LINK_RE.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.exists() or (anchor and anchor not in _anchors(path)):
            broken.append(target)
    assert not broken, f"{name}: broken links {broken}"
