"""Shell completion (issue 17, item 5): the scripts `provreg completion SHELL`
prints, run in the real shells against the real `provreg` executable, and the
hidden `provreg __complete` they call at each TAB.

bash is exercised the way bash itself calls a completion function (COMP_WORDS,
COMP_CWORD, COMP_LINE, COMP_POINT set, then COMPREPLY read); zsh with its
`compadd` and `_files` stood in by functions that print; fish through
`complete -C`, its own completion of a command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT, SAMPLE_CONFIGS, SAMPLE_IDS

from provreg.cli import build_parser
from provreg.completion.values import read_sections
from provreg.interop.tools import TOOL_NAMES

BIN = Path(sys.executable).parent
"""Where the test environment installed the `provreg` script the completion calls."""

CUSTOM = """\
version: 1
definitions:
  - id: lab-gateway
    name: Lab gateway
    fields:
      - {id: base_url, type: url, required: true}
      - label: Token
        id: token
        type: secret
      - id: region
        type: choice
        choices: [eu, us]
providers:
  - id: lab-eu
    name: Lab EU
    provider: lab-gateway
    region: eu
    models:
      - {id: not-an-instance}
  - {id: "lab-us", name: Lab US, provider: lab-gateway}
  - name: Scratch Ollama     # no id: the registry derives it from the name
    provider: ollama
"""
CUSTOM_IDS = ["lab-eu", "lab-us", "scratch-ollama"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    directory = tmp_path / "cfg"
    (directory / "nested").mkdir(parents=True)
    (directory / "nested" / "lab.yaml").write_text(CUSTOM)
    (directory / ".hidden.yaml").write_text(CUSTOM.replace("lab-", "hidden-"))
    return directory


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def generated(shell: str, tmp_path: Path) -> Path:
    done = subprocess.run(
        [str(BIN / "provreg"), "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        env=environment(),
    )
    path = tmp_path / f"provreg.{shell}"
    path.write_text(done.stdout)
    return path


# --------------------------------------------------------------------------- bash

BASH_DRIVER = r"""
source "$1"
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_provreg provreg "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture
def bash_script(tmp_path: Path) -> Path:
    return generated("bash", tmp_path)


def bash_complete(
    script: Path, line: str, words: list[str] | None = None, cwd: Path | None = None, **env: str
) -> list[str]:
    """COMPREPLY for `line` with the cursor at its end. `words` is COMP_WORDS
    when bash would split the line otherwise than at spaces (at `=`)."""
    if words is None:
        words = line.split(" ")  # a trailing space leaves the empty word being typed
    done = subprocess.run(
        ["bash", "-c", BASH_DRIVER, "driver", str(script), line, *words],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=cwd,
        env=environment(**env),
    )
    return [item for item in done.stdout.split("\n") if item]


def options_of(*path: str) -> set[str]:
    parser = build_parser()
    for word in path:
        parser = next(
            action.choices[word]
            for action in parser._actions  # argparse offers no public walk
            if action.choices is not None and word in action.choices
        )
    return {flag for action in parser._actions for flag in action.option_strings}


def test_bash_completes_commands(bash_script: Path) -> None:
    assert bash_complete(bash_script, "provreg s") == ["schema", "show-registry", "show", "secret"]
    assert "completion" in bash_complete(bash_script, "provreg ")
    assert bash_complete(bash_script, "provreg secret s") == ["set", "status"]
    # At the start, `--check` and the dashboard's options (`provreg --theme X PATH`).
    assert set(bash_complete(bash_script, "provreg --")) == {
        "--check",
        "--help",
        "--version",
        "--theme",
        "--read-only",
        "--poll",
    }


@pytest.mark.parametrize("path", [("show",), ("add",), ("edit",), ("secret", "get"), ("export",)])
def test_bash_completes_each_commands_options_from_the_parser(
    bash_script: Path, path: tuple[str, ...]
) -> None:
    offered = bash_complete(bash_script, f"provreg {' '.join(path)} --")
    assert set(offered) == {flag for flag in options_of(*path) if flag.startswith("--")}
    assert "--config" in offered


def test_bash_completes_ids_from_the_config_given_on_the_line(
    bash_script: Path, config: Path
) -> None:
    for command in (
        "show",
        "edit",
        "rm",
        "exec",
        "secret get",
        "secret set",
        "probe",
        "export --to zed",
    ):
        line = f"provreg {command} --config {config} "
        assert bash_complete(bash_script, line) == CUSTOM_IDS, command
    assert bash_complete(bash_script, f"provreg show --config {config} lab-") == [
        "lab-eu",
        "lab-us",
    ]
    # Several ids for the commands that take several, the samples as a second --config.
    line = f"provreg probe lab-eu --config {config} --config {SAMPLE_CONFIGS} w"
    assert bash_complete(bash_script, line) == ["work-openai"]


def test_bash_completes_ids_after_config_equals(bash_script: Path, config: Path) -> None:
    # bash splits `--config=DIR` at `=`: COMP_WORDS has `--config`, `=`, `DIR`.
    line = f"provreg show --config={config} "
    words = ["provreg", "show", "--config", "=", str(config), ""]
    assert bash_complete(bash_script, line, words) == CUSTOM_IDS


def test_bash_reads_the_default_config(bash_script: Path, config: Path) -> None:
    assert bash_complete(bash_script, "provreg show ") == []  # an empty HOME: nothing
    found = bash_complete(bash_script, "provreg show ", PROVREG_CONFIG=str(SAMPLE_CONFIGS))
    assert found == sorted(SAMPLE_IDS)


def test_bash_completes_provider_types(bash_script: Path, config: Path) -> None:
    found = bash_complete(bash_script, f"provreg add --config {config} ")
    assert found[0] == "openai" and found[-1] == "lab-gateway"  # built-ins, then the user's
    assert "ollama" in found
    assert bash_complete(bash_script, f"provreg list --config {config} --provider lab") == [
        "lab-gateway"
    ]


def test_bash_completes_set_fields_of_the_type_or_the_instance(
    bash_script: Path, config: Path
) -> None:
    fields = ["base_url=", "token=", "region="]
    assert bash_complete(bash_script, f"provreg add lab-gateway --config {config} --set ") == fields
    assert bash_complete(bash_script, f"provreg edit lab-us --config {config} --set ") == fields
    assert bash_complete(bash_script, f"provreg edit lab-us --config {config} --unset r") == [
        "region"
    ]
    ollama = bash_complete(bash_script, f"provreg edit scratch-ollama --config {config} --set ")
    assert "keep_alive=" in ollama and "token=" not in ollama
    # Secret fields only where a key is meant; nothing to offer for a value.
    assert bash_complete(bash_script, f"provreg secret get lab-eu --config {config} ") == ["token"]
    # After `FIELD=`: a choice field's choices, a bool's true and false, else nothing.
    line = f"provreg edit lab-us --config {config} --set region="
    words = ["provreg", "edit", "lab-us", "--config", str(config), "--set", "region", "="]
    assert bash_complete(bash_script, line, words) == ["=eu", "=us"]  # bash replaces the `=`
    line = f"provreg edit lab-us --config {config} --set region=u"
    words = ["provreg", "edit", "lab-us", "--config", str(config), "--set", "region", "=", "u"]
    assert bash_complete(bash_script, line, words) == ["us"]
    line = f"provreg add anthropic --config {config} --set use_auth_header="
    words = [*line.split(" ")[:-1], "use_auth_header", "="]
    assert bash_complete(bash_script, line, words) == ["=true", "=false"]
    line = f"provreg edit lab-us --config {config} --set token="
    words = [*line.split(" ")[:-1], "token", "="]
    assert bash_complete(bash_script, line, words) == []


def test_bash_set_field_after_equals_keeps_the_option(bash_script: Path, config: Path) -> None:
    line = f"provreg add lab-gateway --config {config} --set=t"
    words = ["provreg", "add", "lab-gateway", "--config", str(config), "--set", "=", "t"]
    assert bash_complete(bash_script, line, words) == ["token="]


def test_bash_completes_themes_tools_and_choices(bash_script: Path) -> None:
    themes = sorted(path.stem for path in (REPO_ROOT / "themes").glob("*.yaml"))
    assert bash_complete(bash_script, "provreg --theme ") == themes
    assert bash_complete(bash_script, "provreg tui --theme provreg-l") == ["provreg-light"]
    assert bash_complete(bash_script, "provreg export --to ") == list(TOOL_NAMES)
    assert bash_complete(bash_script, "provreg import --from c") == ["crush", "continue"]
    assert bash_complete(bash_script, "provreg check --format ") == [
        "text",
        "json",
        "github",
        "sarif",
    ]
    assert bash_complete(bash_script, "provreg completion ") == ["bash", "zsh", "fish"]


def test_bash_leaves_paths_to_the_shell(bash_script: Path, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("version: 1\n")
    assert bash_complete(bash_script, "provreg check te", cwd=tmp_path) == ["team.yaml"]
    assert bash_complete(bash_script, "provreg --check te", cwd=tmp_path) == ["team.yaml"]
    assert bash_complete(bash_script, "provreg show --config te", cwd=tmp_path) == ["team.yaml"]


# --------------------------------------------------------------------------- zsh and fish

ZSH_DRIVER = r"""
compdef() { : }
compadd() {
    local suffix=' '
    while [[ $1 == -* && $1 != -- ]]; do
        if [[ $1 == -S ]]; then suffix=$2; shift; fi
        shift
    done
    shift
    print -rl -- "${@/%/$suffix}"
}
_files() { print -r -- FILES }
source "$1"
shift
words=("$@")
CURRENT=$#
PREFIX=${words[CURRENT]}
_provreg
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses_and_completes(tmp_path: Path, config: Path) -> None:
    script = generated("zsh", tmp_path)
    subprocess.run(["zsh", "-n", str(script)], check=True)

    def complete(*words: str) -> list[str]:
        done = subprocess.run(
            ["zsh", "-f", "-c", ZSH_DRIVER, "driver", str(script), *words],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=environment(),
        )
        return done.stdout.splitlines()

    assert complete("provreg", "show", "--config", str(config), "") == [
        f"{item} " for item in CUSTOM_IDS
    ]
    assert complete("provreg", "add", "lab-gateway", "--config", str(config), "--set", "t") == [
        "token="  # no space after `=`
    ]
    assert complete("provreg", "check", "") == ["FILES"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_parses_and_completes(tmp_path: Path, config: Path) -> None:
    script = generated("fish", tmp_path)
    subprocess.run(["fish", "-n", str(script)], check=True)

    def complete(line: str) -> list[str]:
        command = f"source {script}; complete -C {json.dumps(line)}"
        done = subprocess.run(
            ["fish", "--no-config", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=environment(),
        )
        return [item.split("\t")[0] for item in done.stdout.splitlines()]

    assert complete(f"provreg show --config {config} ") == CUSTOM_IDS
    assert complete("provreg sec") == ["secret"]
    assert complete(f"provreg edit lab-us --config {config} --set r") == ["region="]


# --------------------------------------------------------------------------- the fast path


def test_a_tab_imports_neither_the_dashboard_nor_the_registry(tmp_path: Path) -> None:
    """`provreg __complete` answers before the parser is imported: no argparse,
    textual, anyio, pydantic, PyYAML or registry, and still the right ids."""
    spec = generated("bash", tmp_path).read_text().split("_provreg_spec='", 1)[1]
    spec = spec.split("'\n", 1)[0]
    code = f"""
import io, json, sys
import provreg.entry
sys.stdin = io.StringIO({spec!r})
out = io.StringIO()
sys.stdout, real = out, sys.stdout
code = provreg.entry.main(["__complete", "--line", "provreg show --config {SAMPLE_CONFIGS} "])
sys.stdout = real
heavy = ("textual", "anyio", "pydantic", "yaml", "provreg.registry", "provreg.model",
    "argparse", "provreg.cli")
print(json.dumps({{"code": code, "out": out.getvalue(),
    "loaded": sorted(m for m in heavy if m in sys.modules)}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(done.stdout)
    assert result["code"] == 0
    assert result["out"].split("\n") == ["values", *sorted(SAMPLE_IDS), ""]
    assert result["loaded"] == []


def test_a_tab_without_a_spec_offers_nothing() -> None:
    done = subprocess.run(
        [str(BIN / "provreg"), "__complete", "--line", "provreg "],
        input="not json",
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")


# --------------------------------------------------------------------------- the line reader


def test_the_reader_takes_block_flow_and_quoted_entries_only_at_entry_level() -> None:
    sections = read_sections(CUSTOM)
    keys = [entry.keys for entry in sections.providers]
    assert [key.get("id") for key in keys] == ["lab-eu", "lab-us", None]
    assert keys[2]["name"] == "Scratch Ollama"  # the comment is not part of it
    assert [entry.keys["id"] for entry in sections.definitions] == ["lab-gateway"]
    assert sections.definitions[0].fields == [
        ("base_url", "url"),
        ("token", "secret"),
        ("region", "choice"),
    ]
    assert sections.definitions[0].choices == {2: ["eu", "us"]}


def test_the_reader_agrees_with_the_loader_on_the_samples() -> None:
    """Every id the registry loads from the samples, and no other."""
    from provreg.completion.values import read_registry

    registry = read_registry([str(SAMPLE_CONFIGS)], with_types=True)
    assert sorted(registry.instances) == sorted(SAMPLE_IDS)
    assert registry.instances["acme-gateway-research"] == "acme-gateway"
    assert [field for field, _type in registry.types["acme-gateway"]] == [
        "base_url",
        "api_key",
        "team",
        "default_model",
        "max_tokens_per_day",
    ]
    assert registry.choices["acme-gateway"] == {"team": ["platform", "research", "support"]}
    assert registry.choices["openai"] == {"api_style": ["chat_completions", "responses"]}
