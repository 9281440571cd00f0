"""The `provreg-check` pre-commit hook (`.pre-commit-hooks.yaml`, docs/cli.md "Pre-commit hook").

Real pre-commit, real git repositories in temporary directories, no network.
The user's repository points at this checkout as its hook repository
(`repo:` a local path, `rev:` the commit checked out), so pre-commit clones
it and reads the hook's `files`, `exclude`, `types`, `require_serial` and
arguments from the committed `.pre-commit-hooks.yaml`: edits to that file
are tested once committed.

What is not exercised: the install step of `language: python` (pre-commit
making a virtualenv and pip-installing provreg into it), which needs the
package index. The user's config overrides `language: system` and runs the
manifest's own entry with this environment's `provreg` script instead;
`test_the_manifest_entry_is_a_provreg_command` checks that the shipped entry
names the console script and parses as the check command.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers.paths import REPO_ROOT

from provreg.cli import build_parser

pytestmark = pytest.mark.slow

MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

GOOD = """\
version: 1
providers:
  - id: local
    name: Local
    provider: ollama
"""

BAD = """\
version: 1
providers:
  - id: work
    name: Work
    provider: opnai
"""


def the_hook() -> dict[str, object]:
    hooks = yaml.safe_load(MANIFEST.read_text())
    (hook,) = [hook for hook in hooks if hook["id"] == "provreg-check"]
    return hook


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def installed_entry() -> str:
    """The manifest's entry, with `provreg` this environment's console script."""
    command, *arguments = shlex.split(str(the_hook()["entry"]))
    script = Path(sys.executable).parent / command
    return shlex.join([str(script), *arguments])


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A git repository whose .pre-commit-config.yaml uses this checkout's hook."""
    repo = tmp_path / "team-config"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.invalid")
    rev = git(REPO_ROOT, "rev-parse", "HEAD")
    config = {
        "repos": [
            {
                "repo": str(REPO_ROOT),
                "rev": rev,
                "hooks": [
                    {"id": "provreg-check", "language": "system", "entry": installed_entry()}
                ],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (repo / "provreg").mkdir()
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache for this module: the clone of this checkout is made once,
    and nothing from a developer's ~/.cache/pre-commit is used."""
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit_env(home: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}


def run_pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PRE_COMMIT, *args, "--color", "never"],
        cwd=repo,
        env=pre_commit_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pre_commit_accepts_the_manifest() -> None:
    done = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(MANIFEST)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_manifest_entry_is_a_provreg_command() -> None:
    hook = the_hook()
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True) is True
    command, *arguments = shlex.split(str(hook["entry"]))
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command in scripts
    args = build_parser().parse_args([*arguments, "provreg/a.yaml", "provreg/b.yaml"])
    assert args.command == "check"
    assert args.format == "text"  # compiler-style lines: what a terminal shows best
    assert args.paths == ["provreg/a.yaml", "provreg/b.yaml"]


def test_a_bad_file_stops_the_commit_with_file_line_col(
    user_repo: Path, pre_commit_home: Path
) -> None:
    (user_repo / "provreg" / "work.yaml").write_text(BAD)
    git(user_repo, "add", "-A")
    env = pre_commit_env(pre_commit_home)
    subprocess.run(
        [*PRE_COMMIT, "install"], cwd=user_repo, env=env, check=True, capture_output=True
    )

    commit = subprocess.run(
        ["git", "commit", "-m", "add work"],
        cwd=user_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert commit.returncode != 0
    hook_output = commit.stderr  # git hands a hook's output to stderr
    assert "provreg/work.yaml:5:15: error[E201]: unknown provider 'opnai'" in hook_output
    assert "provreg check" in hook_output and "Failed" in hook_output
    assert git(user_repo, "rev-list", "--all") == ""  # nothing was committed


def test_a_good_file_passes(user_repo: Path, pre_commit_home: Path) -> None:
    (user_repo / "provreg" / "local.yaml").write_text(GOOD)
    git(user_repo, "add", "-A")

    done = run_pre_commit(user_repo, pre_commit_home, "run")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "provreg check" in done.stdout and "Passed" in done.stdout


def test_files_outside_the_pattern_are_not_checked(user_repo: Path, pre_commit_home: Path) -> None:
    """Other YAML in the repository, and dashboard themes, are not provreg config."""
    (user_repo / "provreg" / "local.yaml").write_text(GOOD)
    (user_repo / "provreg" / "themes").mkdir()
    (user_repo / "provreg" / "themes" / "mine.yaml").write_text(BAD)
    (user_repo / "ci.yaml").write_text(BAD)
    (user_repo / "team.provreg.yaml").write_text(BAD)
    git(user_repo, "add", "-A")

    done = run_pre_commit(user_repo, pre_commit_home, "run")

    assert done.returncode == 1
    assert "team.provreg.yaml:5:15: error[E201]" in done.stdout
    assert "ci.yaml:" not in done.stdout
    assert "themes/mine.yaml" not in done.stdout
    assert "checked 2 files" in done.stdout  # provreg/local.yaml and team.provreg.yaml


def test_an_id_in_two_files_is_caught_in_one_run(user_repo: Path, pre_commit_home: Path) -> None:
    """require_serial: every matching file reaches one `provreg check`, so ids are
    compared across files."""
    (user_repo / "provreg" / "a.yaml").write_text(GOOD)
    (user_repo / "provreg" / "b.yaml").write_text(GOOD.replace("name: Local", "name: Other"))
    git(user_repo, "add", "-A")

    done = run_pre_commit(user_repo, pre_commit_home, "run", "--all-files")

    assert done.returncode == 1
    assert "error[E213]" in done.stdout


DEFINITION = """\
version: 1
definitions:
  - id: acme-gateway
    name: ACME LLM Gateway
    fields:
      - {id: base_url, type: url, required: true, default: "https://llm.acme.internal/v1"}
"""

GATEWAY_INSTANCE = """\
version: 1
providers:
  - id: acme
    name: ACME
    provider: acme-gateway
"""


def configure_hook(repo: Path, **overrides: object) -> None:
    """Add the docs' overrides (docs/cli.md, "Pre-commit hook") to the hook's entry."""
    path = repo / ".pre-commit-config.yaml"
    config = yaml.safe_load(path.read_text())
    config["repos"][0]["hooks"][0].update(overrides)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def commit_definition_then_stage_an_instance(repo: Path) -> None:
    (repo / "llm").mkdir()
    (repo / "llm" / "definitions.yaml").write_text(DEFINITION)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "definitions")  # no hook installed: a plain commit
    (repo / "llm" / "gateway.yaml").write_text(GATEWAY_INSTANCE)
    git(repo, "add", "llm/gateway.yaml")


def test_own_directory_with_file_names_misses_a_definition_elsewhere(
    user_repo: Path, pre_commit_home: Path
) -> None:
    """The caveat the docs give: only the changed file is checked, so a type
    defined in an untouched file is unknown to it."""
    configure_hook(user_repo, files=r"^llm/.*\.ya?ml$")
    commit_definition_then_stage_an_instance(user_repo)

    done = run_pre_commit(user_repo, pre_commit_home, "run")

    assert done.returncode == 1
    assert "llm/gateway.yaml:5:15: error[E201]: unknown provider 'acme-gateway'" in done.stdout


def test_own_directory_checked_whole_sees_every_definition(
    user_repo: Path, pre_commit_home: Path
) -> None:
    configure_hook(user_repo, files=r"^llm/.*\.ya?ml$", pass_filenames=False, args=["llm/"])
    commit_definition_then_stage_an_instance(user_repo)

    done = run_pre_commit(user_repo, pre_commit_home, "run")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
