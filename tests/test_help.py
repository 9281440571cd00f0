"""Help that teaches: every command's `--help` ends with examples, and
`provreg help TOPIC` says where a topic's documentation is (offline)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from provreg.cli import build_parser
from provreg.cli_help import EXAMPLES, EXAMPLES_HEADING, TOPICS, print_topic


def every_parser(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """`parser` and every (sub)command parser under it, with the words that reach it."""
    found = [(words, parser)]
    for action in parser._actions:  # argparse offers no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(every_parser(sub, (*words, name)))
    return found


PARSERS = every_parser(build_parser())


@pytest.mark.parametrize(
    ("words", "parser"), PARSERS, ids=[" ".join(words) or "provreg" for words, _ in PARSERS]
)
def test_every_help_has_examples_of_itself(
    words: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    text = parser.format_help()
    assert f"\n{EXAMPLES_HEADING}\n" in text, (
        f"`provreg {' '.join(words)} --help` has no examples: add them to EXAMPLES "
        "in src/provreg/cli_help.py"
    )
    examples = text.split(f"\n{EXAMPLES_HEADING}\n", 1)[1].strip("\n").splitlines()
    assert examples
    # `provreg PATH` is the dashboard and `provreg --check` is `check`: their own forms.
    own_form = words in ((), ("tui",), ("check",))
    for example in examples:
        assert example.startswith("  provreg") or "| provreg" in example, example
        assert own_form or f"provreg {' '.join(words)}" in example, example


def test_the_top_level_help_keeps_its_sentence_above_the_examples() -> None:
    text = build_parser().format_help()
    assert "`provreg PATH` opens the registry at PATH" in text
    assert text.index("`provreg PATH` opens") < text.index(EXAMPLES_HEADING)


def test_no_examples_for_a_command_that_does_not_exist() -> None:
    known = {" ".join(words) for words, _ in PARSERS}
    assert set(EXAMPLES) <= known


@pytest.mark.parametrize("words", [("add",), ("secret", "get"), ("probe",)])
def test_descriptions_are_still_wrapped(
    words: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the examples keep their lines: a long description still fits 80 columns
    (`RawDescriptionHelpFormatter` would have printed it as one line)."""
    monkeypatch.setenv("COLUMNS", "80")
    text = dict(every_parser(build_parser()))[words].format_help()
    assert max(len(line) for line in text.splitlines()) <= 80, text


@pytest.mark.parametrize("topic", ["format", "secrets", "sync", "export", "probe", "cli"])
def test_each_topic_names_its_page_on_disk(topic: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert print_topic(topic, out, err) == 0
    page = REPO_ROOT / "docs" / TOPICS[topic][0]
    assert page.is_file()
    assert out.getvalue().endswith(f"More: {page}\n")
    assert err.getvalue() == ""


def test_help_without_a_topic_lists_them_all() -> None:
    out = io.StringIO()
    assert print_topic(None, out, io.StringIO()) == 0
    listed = [line.split()[0] for line in out.getvalue().splitlines()[1:-1]]
    assert listed == list(TOPICS)
    for page, _ in TOPICS.values():
        assert str(Path(REPO_ROOT / "docs" / page)) in out.getvalue()


def test_an_unknown_topic_lists_the_topics() -> None:
    err = io.StringIO()
    assert print_topic("zzzz", io.StringIO(), err) == 2
    assert err.getvalue() == f"provreg: unknown help topic 'zzzz'; topics: {', '.join(TOPICS)}\n"
