"""The docs' promises, checked against the code so they cannot drift apart.

- docs/diagnostics.md has one `### CODE — title` section per code in
  `codes.ALL_CODES` and none for unknown codes;
- every YAML example there, checked, produces its section's code, and the
  output pasted under it (and under the output formats) is what the checker
  prints today;
- README's quick start is exactly the two commands the project promises, and
  the listing it shows is what the first one prints;
- docs/config-format.md names every built-in provider, and its examples (and
  README's) are valid;
- docs/cli.md mentions every command, subcommand and flag the parser
  accepts, and every PROVREG_* environment variable the code reads;
- docs/api.md names every public ProviderRegistry method and every export of
  provreg.compat, and its Python examples run and print what is shown;
- docs/dashboard.md names every key binding, docs/sync.md the default
  timings, docs/secrets.md every secret error;
- links between the docs point at files and headings that exist.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.files import copy_samples
from helpers.paths import REPO_ROOT

from provreg.catalog import builtin_catalog
from provreg.check import OutputFormat, run_check
from provreg.cli import build_parser
from provreg.config.codes import ALL_CODES, BY_CODE
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.config.read.results import LoadResult
from provreg.model import Severity
from provreg.registry_text import print_registry
from provreg.report import format_text

DOCS = REPO_ROOT / "docs"
DIAGNOSTICS_MD = DOCS / "diagnostics.md"
EXAMPLE_NAME = "providers.yaml"
"""The name the examples in docs/diagnostics.md are shown checked under."""

QUICK_START = ["uv run provreg sample_configs", "uv run pytest"]

# A code section: `### E201 — unknown provider`, up to the next heading of level 2 or 3.
CODE_HEADING_RE = re.compile(r"^### ([EWI]\d{3})\b(.*)$", re.MULTILINE)
FENCE_RE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
NOT_CHECKED_RE = re.compile(r"<!--\s*not-checked:\s*(.*?)\s*-->\s*\Z", re.DOTALL)


@dataclass(frozen=True)
class Example:
    code: str
    index: int
    yaml: str
    output: str | None
    """The ```text block right after the example, if any."""
    skip_reason: str | None

    @property
    def label(self) -> str:
        return f"{self.code}-{self.index}"


def code_sections(text: str) -> dict[str, tuple[str, str]]:
    """Heading code -> (rest of the heading line, section body)."""
    sections: dict[str, tuple[str, str]] = {}
    for match in CODE_HEADING_RE.finditer(text):
        end = re.compile(r"^#{2,3} ", re.MULTILINE).search(text, match.end())
        body = text[match.end() : end.start() if end else len(text)]
        assert match.group(1) not in sections, f"two sections for {match.group(1)}"
        sections[match.group(1)] = (match.group(2), body)
    return sections


def fences_with_output(text: str, language: str) -> list[tuple[re.Match[str], str | None]]:
    """Each ```language block of `text` with the ```text block right after it
    (None when there is none)."""
    fences = list(FENCE_RE.finditer(text))
    found: list[tuple[re.Match[str], str | None]] = []
    for position, fence in enumerate(fences):
        if fence.group(1) != language:
            continue
        following = fences[position + 1] if position + 1 < len(fences) else None
        output = None
        # The output belongs to this example only when nothing but blank
        # lines separates the two blocks.
        if (
            following is not None
            and following.group(1) == "text"
            and not text[fence.end() : following.start()].strip()
        ):
            output = following.group(2)
        found.append((fence, output))
    return found


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    for code, (_, body) in code_sections(text).items():
        for fence, output in fences_with_output(body, "yaml"):
            skip = NOT_CHECKED_RE.search(body[: fence.start()])
            found.append(
                Example(
                    code,
                    sum(1 for e in found if e.code == code) + 1,
                    fence.group(2),
                    output,
                    skip.group(1) if skip else None,
                )
            )
    return found


def check_example(yaml_text: str, directory: Path) -> LoadResult:
    path = directory / EXAMPLE_NAME
    path.write_text(yaml_text, encoding="utf-8")
    return load_files([ConfigFile(str(path), EXAMPLE_NAME)])


def rendered(result: LoadResult) -> str:
    """What `provreg --check providers.yaml` prints, without the summary line."""
    return "".join(format_text(d) + "\n" for d in result.diagnostics)


DIAGNOSTICS_TEXT = DIAGNOSTICS_MD.read_text(encoding="utf-8")
EXAMPLES = examples(DIAGNOSTICS_TEXT)


# --------------------------------------------------------------------------- diagnostics.md


def test_every_code_has_a_section() -> None:
    documented = set(code_sections(DIAGNOSTICS_TEXT))
    missing = sorted({c.code for c in ALL_CODES} - documented)
    assert not missing, f"docs/diagnostics.md lacks a `### CODE — title` section for {missing}"


def test_no_section_for_an_unknown_code() -> None:
    unknown = sorted(set(code_sections(DIAGNOSTICS_TEXT)) - set(BY_CODE))
    assert not unknown, f"docs/diagnostics.md documents codes that do not exist: {unknown}"


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_section_heading_and_severity_match_the_code(code: str) -> None:
    sections = code_sections(DIAGNOSTICS_TEXT)
    if code not in sections:
        pytest.skip("missing section, reported by test_every_code_has_a_section")
    rest, body = sections[code]
    assert rest == f" — {BY_CODE[code].title}", "heading title differs from codes.py"
    assert f"**Severity:** {BY_CODE[code].severity.value}." in body
    assert "```text" in body, "each code shows the message it produces"
    assert re.search(r"^```(yaml|sh)$", body, re.MULTILINE), "each code has an example"


def test_examples_were_found() -> None:
    # Guards the parser above: a formatting slip must not make the checks vacuous.
    checked = [e for e in EXAMPLES if e.skip_reason is None]
    # Not checked: E003 (Latin-1), E004, E005, E011, E015, W016, E218 (shell examples),
    # E014 and E401.
    assert len(checked) >= len(ALL_CODES) - 9


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.label)
def test_example_produces_its_code(example: Example, tmp_path: Path) -> None:
    if example.skip_reason is not None:
        pytest.skip(f"not checked: {example.skip_reason}")
    result = check_example(example.yaml, tmp_path)
    produced = [d.code for d in result.diagnostics]
    assert example.code in produced, rendered(result) or "no diagnostics at all"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.label)
def test_example_output_is_current(example: Example, tmp_path: Path) -> None:
    if example.skip_reason is not None:
        pytest.skip(f"not checked: {example.skip_reason}")
    assert example.output is not None, "put the checker's output in a ```text block after it"
    actual = rendered(check_example(example.yaml, tmp_path))
    assert example.output == actual, f"paste this output instead:\n{actual}"


def _formats_section() -> dict[str, str]:
    """The fenced blocks of '## Output formats', keyed by their subsection."""
    match = re.search(r"^## Output formats$(.*?)^## ", DIAGNOSTICS_TEXT, re.MULTILINE | re.DOTALL)
    assert match, "no '## Output formats' section"
    blocks: dict[str, str] = {}
    for part in re.split(r"^### ", match.group(1), flags=re.MULTILINE):
        fence = FENCE_RE.search(part)
        if fence:
            blocks[part.split("\n", 1)[0] if blocks else "input"] = fence.group(2)
    return blocks


@pytest.mark.parametrize(
    ("subsection", "output_format"),
    [
        ("Text (default)", "text"),
        ("JSON (`--format json`)", "json"),
        ("GitHub Actions (`--format github`)", "github"),
    ],
)
def test_output_format_samples_are_current(
    subsection: str, output_format: OutputFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _formats_section()
    (tmp_path / "providers").mkdir()
    (tmp_path / "providers" / "openai.yaml").write_text(blocks["input"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    run_check(["providers"], output_format=output_format, out=out, err=io.StringIO())
    assert blocks[subsection] == out.getvalue(), f"paste this output instead:\n{out.getvalue()}"


def _write_latin1_example(path: Path) -> None:
    (example,) = [e for e in EXAMPLES if e.code == "E003"]
    path.write_bytes(example.yaml.encode("latin-1"))


def _write_too_large(path: Path) -> None:
    # What the section's shell line makes: the limit plus one byte.
    text = b"version: 1\nproviders: []\n" + b"# padding\n" * 110_000
    path.write_bytes(text[: 1024 * 1024 + 1])


# Codes whose example is a shell command or bytes a code block cannot hold:
# the file is made here instead, so the output pasted under them is checked too.
GENERATED = {
    "E003": _write_latin1_example,
    "E004": lambda path: path.write_bytes(b"version: 1\0\1\2"),
    "E005": _write_too_large,
    "E011": lambda path: os.mkfifo(path),
}


@pytest.mark.parametrize("code", sorted(GENERATED))
def test_generated_example_output_is_current(code: str, tmp_path: Path) -> None:
    if code == "E011" and not hasattr(os, "mkfifo"):
        pytest.skip("needs a FIFO")
    path = tmp_path / EXAMPLE_NAME
    GENERATED[code](path)
    actual = rendered(load_files([ConfigFile(str(path), EXAMPLE_NAME)]))
    body = code_sections(DIAGNOSTICS_TEXT)[code][1]
    shown = [block for lang, block in FENCE_RE.findall(body) if lang == "text"]
    assert shown == [actual], f"paste this output instead:\n{actual}"


# --------------------------------------------------------------------------- README.md


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def test_readme_quick_start_is_exactly_two_commands() -> None:
    section = _section((REPO_ROOT / "README.md").read_text(encoding="utf-8"), "Quick start")
    commands = [
        line.removeprefix("$ ").strip()
        for lang, block in FENCE_RE.findall(section)
        if lang in ("sh", "bash", "shell", "console")
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands == QUICK_START


def test_readme_shows_what_the_first_command_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    section = _section((REPO_ROOT / "README.md").read_text(encoding="utf-8"), "Quick start")
    texts = [block for lang, block in FENCE_RE.findall(section) if lang == "text"]
    # The quick start shows the dashboard (a screenshot, not checkable here) and
    # the listing the same command prints in a pipe, which is checked.
    shown = [block for block in texts if block.startswith("provreg registry:")]
    assert len(shown) == 1, (
        "README's quick start shows the first command's text listing in one ```text block"
    )
    assert any("● live" in block for block in texts), "and a text screenshot of the dashboard"
    monkeypatch.chdir(REPO_ROOT)
    out = io.StringIO()
    assert print_registry(["sample_configs"], out, io.StringIO()) == 0
    # Trailing blanks are padding of the last column, invisible and stripped by editors.
    actual = "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"
    assert shown[0] == actual, f"paste this output instead:\n{actual}"


# ----------------------------------------------------------------- config-format.md, cli.md


def test_config_format_names_every_builtin_provider() -> None:
    text = (DOCS / "config-format.md").read_text(encoding="utf-8")
    missing = [d.id for d in builtin_catalog() if f"`{d.id}`" not in text]
    assert not missing, f"docs/config-format.md does not list {missing}"


def _valid_examples() -> list[str]:
    """The YAML examples of README.md and docs/config-format.md."""
    blocks: list[str] = []
    for doc in (REPO_ROOT / "README.md", DOCS / "config-format.md"):
        text = doc.read_text(encoding="utf-8")
        # Examples may sit indented inside a list item.
        found = re.findall(r"^( *)```yaml\n(.*?)^\1```$", text, re.MULTILINE | re.DOTALL)
        blocks += [textwrap.dedent(body) for _, body in found]
    return blocks


@pytest.mark.parametrize("index", range(len(_valid_examples())))
def test_reference_examples_are_valid(index: int, tmp_path: Path) -> None:
    # What the README and the reference show must work: no errors, no warnings.
    result = check_example(_valid_examples()[index], tmp_path)
    problems = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    assert not problems, rendered(result)


def _parser_names(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag and (sub)command name a parser accepts, however deeply nested."""
    names: list[str] = []
    for action in parser._actions:  # argparse offers no public walk of its actions
        names += [s for s in action.option_strings if s not in ("-h", "--help")]
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                names.append(command)
                names += _parser_names(sub)
    return names


def test_cli_doc_mentions_every_command_and_flag() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    names = ["--check", *_parser_names(build_parser())]
    # A whole word, so that `-o` is not found inside `--output`.
    missing = sorted(n for n in set(names) if not re.search(rf"(?<![\w-]){n}(?![\w-])", text))
    assert not missing, f"docs/cli.md does not mention {missing}"


# The docs this file looks after; others' pages keep their own checks.
DOC_FILES = [
    REPO_ROOT / "README.md",
    *(
        DOCS / n
        for n in (
            "config-format.md",
            "diagnostics.md",
            "cli.md",
            "api.md",
            "secrets.md",
            "sync.md",
            "dashboard.md",
            "migration.md",
        )
    ),
]
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in LINK_RE.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # an external URL
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.exists() or (anchor and anchor not in _anchors(path)):
            broken.append(target)
    assert not broken, f"{doc.name}: broken links {broken}"


def test_cli_doc_mentions_every_environment_variable() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (REPO_ROOT / "src").rglob("*.py")
    )
    variables = set(re.findall(r"[\"'](PROVREG_[A-Z_]+)[\"']", source))
    assert variables, "no PROVREG_* variables found: the pattern is stale"
    missing = sorted(v for v in variables if f"`{v}`" not in text)
    assert not missing, f"docs/cli.md does not document {missing}"


# --------------------------------------------------------------------------- api.md

API_MD = DOCS / "api.md"


def test_api_doc_names_every_public_registry_method() -> None:
    from provreg.registry import ProviderRegistry

    text = API_MD.read_text(encoding="utf-8")
    public = {
        name
        for klass in ProviderRegistry.__mro__
        if klass.__module__.startswith("provreg.")
        for name, value in vars(klass).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, classmethod))
    }
    missing = sorted(name for name in public if not re.search(rf"\b{name}\(", text))
    assert not missing, f"docs/api.md does not show {missing} (as `name(...)`)"


def test_api_doc_names_every_compat_export() -> None:
    import provreg.compat

    text = API_MD.read_text(encoding="utf-8")
    missing = sorted(n for n in provreg.compat.__all__ if f"`{n}" not in text)
    assert not missing, f"docs/api.md does not name {missing}"


def _python_examples() -> list[tuple[str, str | None]]:
    """(program, the ```text block right after it, if any) for each runnable example."""
    text = API_MD.read_text(encoding="utf-8")
    found: list[tuple[str, str | None]] = []
    for fence, output in fences_with_output(text, "python"):
        # Only whole programs run: fragments (`await ...` at top level) are illustrations.
        if "anyio.run(" in fence.group(2):
            found.append((fence.group(2), output))
    return found


def test_api_doc_examples_were_found() -> None:
    assert len(_python_examples()) >= 6


@pytest.mark.parametrize("index", range(len(_python_examples())))
def test_api_doc_example_runs_and_prints_what_is_shown(index: int, tmp_path: Path) -> None:
    import subprocess
    import sys

    program, shown = _python_examples()[index]
    copy_samples(tmp_path / "llm")
    (tmp_path / "example.py").write_text(program, encoding="utf-8")
    # The autouse fixture has isolated HOME, XDG dirs and PROVREG_* in os.environ.
    done = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    assert shown is not None, "put the example's output in a ```text block after it"
    assert done.stdout == shown, f"paste this output instead:\n{done.stdout}"


# ------------------------------------------------------------ dashboard.md, sync.md, secrets.md


def test_dashboard_doc_names_every_key() -> None:
    from textual.binding import Binding

    from provreg.tui.app import ProvregApp

    text = (DOCS / "dashboard.md").read_text(encoding="utf-8")
    spelled = {
        "slash": "/",
        "question_mark": "?",
        "exclamation_mark": "!",
        "delete": "Delete",
        "escape": "Escape",
        "f1": "F1",
    }
    missing = []
    for binding in ProvregApp.BINDINGS:
        assert isinstance(binding, Binding)
        for key in binding.key.split(","):
            shown = spelled.get(key.strip(), key.strip())
            if f"`{shown}`" not in text:
                missing.append(shown)
    assert not missing, f"docs/dashboard.md does not name the keys {missing}"


def test_sync_doc_lists_the_default_settings() -> None:
    import dataclasses

    from provreg.sync import SyncSettings

    text = (DOCS / "sync.md").read_text(encoding="utf-8")
    wrong = []
    for setting in dataclasses.fields(SyncSettings):
        row = re.search(rf"^\| `{setting.name}` \| `([^`]*)` \|", text, re.MULTILINE)
        if row is None or row.group(1) != repr(setting.default):
            wrong.append(f"{setting.name} = {setting.default!r}")
    assert not wrong, f"docs/sync.md: add or fix the table rows for {wrong}"


def test_secrets_doc_names_every_secret_error() -> None:
    import provreg.secrets

    text = (DOCS / "secrets.md").read_text(encoding="utf-8")
    errors = [n for n in provreg.secrets.__all__ if n.endswith("Error")]
    missing = [n for n in errors if f"`{n}`" not in text]
    assert not missing, f"docs/secrets.md does not name {missing}"
