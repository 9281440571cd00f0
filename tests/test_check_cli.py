"""`provreg --check` as CI and pre-commit hooks use it: exit codes, output
formats, default paths and file discovery (docs/config-format.md, docs/diagnostics.md, docs/cli.md).

Most tests call `provreg.cli.main` in-process (fast); the ones about the
process itself (argparse exits, `python -m`, the console script, pipes) run it.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import run_provreg
from helpers.paths import SAMPLE_CONFIGS

from provreg.cli import main

VALID = """\
version: 1
providers:
  - id: local
    name: Local
    provider: ollama
"""

ERROR = """\
version: 1
providers:
  - id: work
    name: Work
    provider: opnai
"""

WARNING = """\
version: 1
providers:
  - id: local
    name: Local
    provider: ollama
    colour: blue
"""


def valid(instance_id: str) -> str:
    """A clean file with one instance, its name derived from the id."""
    return VALID.replace("id: local", f"id: {instance_id}").replace(
        "name: Local", f"name: {instance_id.title()}"
    )


GARBAGE = "version: [1\nproviders: {{{\n\t- : :\n"

DIAGNOSTIC_KEYS = {"file", "line", "column", "severity", "code", "message", "instance_id"}
REPORT_KEYS = {"files", "instances", "errors", "warnings", "diagnostics"}

TEXT_LINE = re.compile(r"^(.+):(\d+):(\d+): (error|warning|info)\[([EWI]\d{3})\]: \S.*$")
HINT_LINE = re.compile(r"^    = hint: \S.*$")
SUMMARY = re.compile(r"^checked \d+ files?, \d+ instances?: \d+ errors?, \d+ warnings?, \d+ info$")
GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=(\w+)::"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_provreg(*argv, env=env, timeout=60)


# ---------------------------------------------------------------------- exit codes


def test_samples_exit_0_with_data_on_stdout_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--check", str(SAMPLE_CONFIGS))
    assert code == 0
    assert err == ""
    assert out == "checked 3 files, 8 instances: 0 errors, 0 warnings, 0 info\n"


def test_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "bad.yaml", ERROR)
    code, out, err = run(capsys, "--check", str(bad))
    assert code == 1
    assert err == ""  # findings are data, not the program's own trouble
    assert f"{bad}:5:15: error[E201]: unknown provider 'opnai'" in out


def test_warnings_pass_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "warn.yaml", WARNING)
    code, out, _ = run(capsys, "--check", str(tmp_path))
    assert code == 0
    assert "warning[W203]" in out
    assert out.endswith("0 errors, 1 warning, 0 info\n")
    code, out, _ = run(capsys, "--check", "--strict", str(tmp_path))
    assert code == 1
    assert "warning[W203]" in out


def test_info_never_fails_even_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "info.yaml", "providers:\n  - name: Local\n    provider: ollama\n")
    code, out, _ = run(capsys, "--check", "--strict", str(tmp_path))
    assert code == 0
    assert "info[I105]" in out and "info[I215]" in out


def test_one_error_among_good_files_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.yaml", VALID)
    write(tmp_path / "b.yaml", ERROR)
    code, out, _ = run(capsys, "--check", str(tmp_path))
    assert code == 1
    assert out.splitlines()[-1] == "checked 2 files, 1 instance: 1 error, 0 warnings, 0 info"


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    code, out, err = run(capsys, "--check", str(missing))
    assert code == 2
    assert out == ""
    assert str(missing) in err and "no such file or directory" in err


def test_missing_path_next_to_a_good_one_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "ok" / "a.yaml", VALID)
    code, out, err = run(capsys, "--check", str(tmp_path / "ok"), str(tmp_path / "nope"))
    assert code == 2
    assert out == ""
    assert "nope" in err


def test_directory_without_yaml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "README.md", "# not config\n")
    write(tmp_path / "notes.txt", VALID)
    code, out, err = run(capsys, "--check", str(tmp_path))
    assert code == 2
    assert out == ""
    assert "no config files" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--check", "--format", "xml", "."],
        ["check", "--bogus", "."],
        ["--check", "--max-file-size", "lots", "."],
        ["frobnicate-everything", "--now"],
    ],
    ids=["bad-format", "unknown-option", "bad-number", "unknown-command-option"],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    done = run_process(*argv)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr


def test_explicit_file_is_checked_whatever_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = write(tmp_path / "providers.conf", ERROR)
    code, out, _ = run(capsys, "--check", str(odd))
    assert code == 1
    assert f"{odd}:5:15: error[E201]" in out


def test_max_file_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.yaml", VALID)
    size = path.stat().st_size
    code, out, _ = run(capsys, "--check", "--max-file-size", str(size), str(path))
    assert code == 0
    code, out, _ = run(capsys, "--check", "--max-file-size", str(size - 1), str(path))
    assert code == 1
    assert (
        f"{path}:1:1: error[E005]: file is {size} bytes, more than the limit of {size - 1}" in out
    )


# ---------------------------------------------------------------------- the two spellings


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_subcommand_and_flag_are_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    write(tmp_path / "a.yaml", ERROR)
    write(tmp_path / "b.yaml", WARNING)
    spellings = [
        ["--check", str(tmp_path), "--format", fmt],
        ["check", str(tmp_path), "--format", fmt],
        ["--format", fmt, "--check", str(tmp_path)],
        [str(tmp_path), "--check", "--format", fmt],
    ]
    results = [run(capsys, *argv) for argv in spellings]
    assert results[0][0] == 1
    assert results[0][1]  # something was reported
    assert all(result == results[0] for result in results)


def test_check_flag_and_subcommand_in_a_process(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", ERROR)
    flag = run_process("--check", str(tmp_path))
    sub = run_process("check", str(tmp_path))
    assert (flag.returncode, flag.stdout, flag.stderr) == (sub.returncode, sub.stdout, sub.stderr)
    assert flag.returncode == 1 and "E201" in flag.stdout


# ---------------------------------------------------------------------- formats


def test_json_has_exactly_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.yaml", ERROR)
    write(tmp_path / "b.yaml", WARNING)
    write(tmp_path / "c.yaml", valid("local-2"))
    write(tmp_path / "d.yaml", "providers: []\n")
    code, out, err = run(capsys, "--check", str(tmp_path), "--format", "json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert set(report) == REPORT_KEYS
    assert report["files"] == 4
    assert report["instances"] == 2  # b's and c's; a's has an error
    assert report["errors"] == 1
    assert report["warnings"] == 1
    assert len(report["diagnostics"]) == 3  # E201, W203, I105
    for diag in report["diagnostics"]:
        assert set(diag) == DIAGNOSTIC_KEYS
        assert isinstance(diag["line"], int) and isinstance(diag["column"], int)
        assert diag["severity"] in {"error", "warning", "info"}
    by_code = {d["code"]: d for d in report["diagnostics"]}
    assert by_code["E201"] == {
        "file": str(tmp_path / "a.yaml"),
        "line": 5,
        "column": 15,
        "severity": "error",
        "code": "E201",
        "message": "unknown provider 'opnai' (did you mean 'openai'?)",
        "instance_id": "work",
    }
    assert by_code["I105"]["instance_id"] is None
    assert sum(d["severity"] == "error" for d in report["diagnostics"]) == report["errors"]


def test_json_on_a_clean_tree(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--check", str(SAMPLE_CONFIGS), "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "files": 3,
        "instances": 8,
        "errors": 0,
        "warnings": 0,
        "diagnostics": [],
    }


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.yaml", ERROR)
    write(tmp_path / "b.yaml", WARNING)
    write(tmp_path / "c.yaml", "providers: []\n")
    code, out, err = run(capsys, "--check", str(tmp_path), "--format", "github")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert len(lines) == 3  # one line per diagnostic: hints are escaped, not new lines
    matches = [GITHUB_LINE.match(line) for line in lines]
    assert all(matches), lines
    found = {(m[1], m[2], m[3], m[4], m[5]) for m in matches if m}
    assert found == {
        ("error", str(tmp_path / "a.yaml"), "5", "15", "E201"),
        ("warning", str(tmp_path / "b.yaml"), "6", "5", "W203"),
        ("notice", str(tmp_path / "c.yaml"), "1", "1", "I105"),
    }
    assert lines[0].startswith(f"::error file={tmp_path / 'a.yaml'},line=5,col=15,")


def test_github_escapes_properties_and_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "a,b:c"
    write(folder / "x.yaml", ERROR)
    code, out, _ = run(capsys, "--check", str(folder / "x.yaml"), "--format", "github")
    assert code == 1
    (line,) = out.splitlines()
    assert "a%2Cb%3Ac/x.yaml,line=5,col=15," in line
    assert "%0Ahint: " not in line  # E201 with a did-you-mean has no hint
    code, out, _ = run(capsys, "--check", str(tmp_path), "--format", "github", "-q")
    assert out.count("\n") == 1


def test_text_is_compiler_style_with_hints_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.yaml", ERROR.replace("opnai", "frobnicator"))
    write(tmp_path / "b.yaml", WARNING)
    code, out, _ = run(capsys, "--check", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert lines[-1] == "checked 2 files, 1 instance: 1 error, 1 warning, 0 info"
    for line in lines[:-1]:
        assert TEXT_LINE.match(line) or HINT_LINE.match(line), line
    assert lines[0] == (f"{tmp_path / 'a.yaml'}:5:15: error[E201]: unknown provider 'frobnicator'")
    assert lines[1].startswith("    = hint: known providers: openai, anthropic")


def test_quiet_hides_info_but_counts_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.yaml", "providers: []\n")
    code, out, _ = run(capsys, "--check", "-q", str(tmp_path))
    assert code == 0
    assert out == "checked 1 file, 0 instances: 0 errors, 0 warnings, 1 info\n"
    code, out, _ = run(capsys, "--check", str(tmp_path))
    assert out.splitlines()[0].startswith(f"{tmp_path / 'a.yaml'}:1:1: info[I105]")


def test_messages_stay_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A key with a line break inside, quoted: the message quotes it escaped.
    write(
        tmp_path / "a.yaml",
        'version: 1\n"evil\\nb.yaml:1:1: error[E999]: forged": 1\nproviders: []\n',
    )
    code, out, _ = run(capsys, "--check", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3  # the E102 line, its hint, the summary
    assert lines[0].startswith(f"{tmp_path / 'a.yaml'}:2:1: error[E102]: ")
    assert "evil\\nb.yaml" in lines[0]
    assert not any(line.startswith("b.yaml") for line in lines)


# ---------------------------------------------------------------------- default paths


def test_provreg_config_is_used_without_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "env" / "a.yaml", ERROR)
    monkeypatch.setenv("PROVREG_CONFIG", str(tmp_path / "env"))
    code, out, _ = run(capsys, "--check", "--format", "json")
    assert code == 1
    assert [d["file"] for d in json.loads(out)["diagnostics"]] == [str(tmp_path / "env/a.yaml")]


def test_provreg_config_takes_several_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "one" / "a.yaml", VALID)
    write(tmp_path / "two" / "b.yaml", WARNING.replace("local", "other").replace("Local", "O"))
    monkeypatch.setenv("PROVREG_CONFIG", f"{tmp_path / 'one'}{os.pathsep}{tmp_path / 'two'}")
    code, out, _ = run(capsys, "check", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert (report["files"], report["instances"], report["warnings"]) == (2, 2, 1)


def test_command_line_path_beats_provreg_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "env" / "a.yaml", ERROR)
    monkeypatch.setenv("PROVREG_CONFIG", str(tmp_path / "env"))
    code, out, _ = run(capsys, "--check", str(SAMPLE_CONFIGS))
    assert code == 0


def test_user_config_dir_is_the_last_default(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "provreg"
    code, out, err = run(capsys, "--check")
    assert code == 2  # nothing there yet
    assert str(user_dir) in err
    write(user_dir / "mine.yaml", ERROR)
    code, out, _ = run(capsys, "--check")
    assert code == 1
    assert str(user_dir / "mine.yaml") in out


def test_provreg_config_in_a_process(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", VALID)
    env = {**os.environ, "PROVREG_CONFIG": str(tmp_path)}
    done = run_process("--check", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "checked 1 file, 1 instance: 0 errors, 0 warnings, 0 info\n"
    assert done.stderr == ""


# ---------------------------------------------------------------------- discovery

DROPPINGS = [
    ".x.yaml.swp",  # vim swap
    ".x.yaml.swx",
    "4913",  # vim's write test
    "x.yaml~",  # backup
    "#x.yaml#",  # emacs autosave
    "x.yaml___jb_tmp___",  # JetBrains safe write
    "x.yaml___jb_old___",
    "sedAbC123",  # sed -i
    ".hidden.yaml",
    ".provreg-tmp-1234.yaml",  # our own temp files
    ".git/x.yaml",  # hidden directories are not walked
    ".git/objects/y.yml",
]


def test_discovery_skips_editor_droppings_and_recurses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    write(config / "top.yaml", VALID)
    write(config / "providers" / "hosted.yml", valid("hosted"))
    write(config / "team" / "deep" / "er" / "gw.yaml", valid("gw"))
    for name in DROPPINGS:
        write(config / name, GARBAGE)
    # emacs' lock file is a dangling symlink
    os.symlink("root@host.1234:1700000000", config / ".#x.yaml")

    code, out, err = run(capsys, "--check", str(config), "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["files"] == 3
    assert report["instances"] == 3
    assert report["diagnostics"] == []


def test_the_droppings_really_are_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Control for the test above: named explicitly, a dropping is read, and fails.
    bad = write(tmp_path / "x.yaml~", GARBAGE)
    code, out, _ = run(capsys, "--check", str(bad))
    assert code == 1
    assert "error[E001]" in out


def test_discovery_order_and_display_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for rel in ["b.yaml", "a/z.yaml", "a.yml", "c/d/e.yaml"]:
        write(tmp_path / rel, "providers: []\n")
    code, out, _ = run(capsys, "--check", str(tmp_path) + "/", "--format", "json")
    assert code == 0
    files = [d["file"] for d in json.loads(out)["diagnostics"]]
    # Files of a directory first (sorted), then its subdirectories, recursively.
    assert files == [str(tmp_path / rel) for rel in ["a.yml", "b.yaml", "a/z.yaml", "c/d/e.yaml"]]


def test_same_file_twice_is_checked_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "a.yaml", ERROR)
    os.symlink(path, tmp_path / "link.yaml")
    code, out, _ = run(capsys, "--check", str(tmp_path), str(path), "--format", "json")
    report = json.loads(out)
    assert report["files"] == 1
    assert report["errors"] == 1


def test_symlink_loop_does_not_hang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.yaml", VALID)
    os.symlink(tmp_path, tmp_path / "loop")
    code, out, _ = run(capsys, "--check", str(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(out)["files"] == 1


# ---------------------------------------------------------------------- the process


def test_console_script_and_module_agree(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", ERROR)
    script = Path(sys.executable).parent / "provreg"
    if not script.exists():
        pytest.skip("console script not installed next to the interpreter")
    via_script = subprocess.run(
        [str(script), "--check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    via_module = run_process("--check", str(tmp_path))
    assert via_script.returncode == via_module.returncode == 1
    assert via_script.stdout == via_module.stdout
    assert via_script.stderr == via_module.stderr == ""


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_closed_pipe_keeps_the_verdict(tmp_path: Path, fmt: str) -> None:
    # `provreg --check . | head`: far more output than a pipe buffer holds.
    instances = "".join(f"  - {{id: i{n}, name: I{n}, provider: opnai}}\n" for n in range(3000))
    write(tmp_path / "many.yaml", "version: 1\nproviders:\n" + instances)
    process = subprocess.Popen(
        [sys.executable, "-m", "provreg", "--check", str(tmp_path), "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10)
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 1  # errors were found: not 0 because output stopped
    assert err == b""


def test_secrets_flag_adds_unresolvable_references(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "a.yaml",
        VALID.replace("provider: ollama", "provider: openai")
        + "    api_key: {env: PROVREG_TEST_NEVER_SET}\n",
    )
    code, out, _ = run(capsys, "--check", str(path), "--format", "json")
    assert code == 0
    assert json.loads(out)["diagnostics"] == []
    code, out, err = run(capsys, "--check", "--secrets", str(path), "--format", "json")
    assert code == 1 and err == ""
    (diag,) = json.loads(out)["diagnostics"]
    assert (diag["code"], diag["line"], diag["column"]) == ("E401", 3, 5)


def test_allow_hardlinks_option_writes_a_hard_linked_file_in_place(tmp_path: Path) -> None:
    """`provreg edit --allow-hardlinks` keeps both links pointing at the new content."""
    config = tmp_path / "config"
    config.mkdir()
    target = config / "p.yaml"
    target.write_text(
        "version: 1\nproviders:\n  - id: o\n    name: O\n    provider: ollama\n", encoding="utf-8"
    )
    other = tmp_path / "elsewhere.yaml"
    os.link(target, other)
    base = [sys.executable, "-m", "provreg", "edit", "o", "--set", "keep_alive=1h"]
    refused = subprocess.run(
        [*base, "--config", str(config)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1
    assert "--allow-hardlinks" in refused.stderr
    assert "keep_alive" not in target.read_text(encoding="utf-8")
    done = subprocess.run(
        [*base, "--config", str(config), "--allow-hardlinks"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "keep_alive: 1h" in other.read_text(encoding="utf-8")
    assert os.stat(target).st_nlink == 2


def test_a_top_level_themes_folder_is_not_read_as_config(tmp_path: Path) -> None:
    """The user config dir holds both config and dashboard themes (`themes/`)."""
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "mine.yaml").write_text("name: mine\nprimary: '#fff'\n", "utf-8")
    (tmp_path / "nested" / "themes").mkdir(parents=True)
    (tmp_path / "nested" / "themes" / "p.yaml").write_text("version: 1\nproviders: []\n", "utf-8")
    from provreg.check import run_check

    out = io.StringIO()
    code = run_check([str(tmp_path)], out=out, err=io.StringIO())
    assert code == 0, out.getvalue()
    assert "checked 1 file" in out.getvalue()  # only nested/themes/p.yaml


def test_options_before_the_path_open_the_dashboard_path(tmp_path: Path) -> None:
    """`provreg --read-only PATH` is `provreg tui --read-only PATH` (a listing in a pipe)."""
    done = run_provreg("--read-only", str(SAMPLE_CONFIGS))
    assert done.returncode == 0, done.stderr
    assert "8 instances in 3 files" in done.stdout


def test_options_before_a_command_move_after_it() -> None:
    """`provreg --read-only tui PATH` and `provreg --config DIR list` are accepted
    (docs/cli.md); an option the command does not take stays a usage error."""
    opened = run_provreg("--read-only", "tui", str(SAMPLE_CONFIGS))
    assert opened.returncode == 0, opened.stderr
    assert "8 instances in 3 files" in opened.stdout
    listed = run_provreg("--config", str(SAMPLE_CONFIGS), "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == run_provreg("list", "--config", str(SAMPLE_CONFIGS)).stdout
    refused = run_provreg("--read-only", "list")
    assert refused.returncode == 2 and "--read-only" in refused.stderr
