"""`provreg export` against hostile and careless setups: config paths and
definitions that would be shell code in the exported helpers, and `-o`/`--merge`
targets that are symlinks, devices, read-only, or appear while provreg writes.
Nothing the user had may be overwritten, and no output may be anything but the
file (or valid JSON with `--json`)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.files import tree

from provreg import faults
from provreg.cli import main
from provreg.exit_codes import ExitCode

CONFIG = """\
version: 1
providers:
  - id: work
    name: Work
    provider: openai
  - id: box
    name: Box
    provider: openai-compatible
    base_url: http://box:8000/v1
    default_model: m
    api_key: {file: "/tmp/it's $(touch PWNED) `touch PWNED` \\"x"}
"""

NASTY_DIRS = [
    "with space",
    "quote'single",
    'quote"double',
    "dollar$(touch PWNED)",
    "tick`touch PWNED`",
    "semi;touch PWNED",
    "new\nline",
]


def nasty_config(tmp_path: Path, name: str) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "providers.yaml").write_text(CONFIG)
    return directory


def stub_provreg(tmp_path: Path) -> tuple[Path, Path]:
    """A `provreg` on PATH that records its argv (JSON) and prints a fake key."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.json"
    stub = bin_dir / "provreg"
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "print('the-key')\n"
    )
    stub.chmod(0o755)
    return bin_dir, record


def sh(script: str, cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        ["sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("name", NASTY_DIRS)
def test_config_paths_are_data_in_the_sourced_env_file_never_code(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = nasty_config(tmp_path, name)
    target = tmp_path / "out.env"
    assert main(["export", "--to", "env", "-o", str(target), "--config", str(config)]) == 0
    bin_dir, record = stub_provreg(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    done = sh(
        f'set -a; . {json.dumps(str(target))}; set +a; printf "%s" "$WORK__OPENAI_API_KEY"',
        work,
        bin_dir,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the-key"
    assert json.loads(record.read_text()) == [
        "secret",
        "get",
        "work",
        "--config",
        str(config.resolve()),
    ]
    assert not list(work.iterdir()) and not (tmp_path / "PWNED").exists()
    # The report is one line per item even when the path holds a line break.
    err = capsys.readouterr().err
    assert all(line.startswith(("work:", "box:", "  ", "2 instances")) for line in err.splitlines())


@pytest.mark.parametrize("name", NASTY_DIRS)
def test_config_paths_are_data_in_crush_helpers_never_code(tmp_path: Path, name: str) -> None:
    config = nasty_config(tmp_path, name)
    target = tmp_path / "crush.json"
    assert main(["export", "--to", "crush", "-o", str(target), "--config", str(config)]) == 0
    providers = json.loads(target.read_text())["providers"]
    helper = providers["work"]["api_key"]
    assert helper.startswith("$(") and helper.endswith(")")
    bin_dir, record = stub_provreg(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    # crush expands a value as a shell word: an assignment does the same.
    done = sh(f'key={helper}; printf "%s" "$key"', work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the-key"
    assert json.loads(record.read_text())[-1] == str(config.resolve())
    assert not list(work.iterdir()) and not (tmp_path / "PWNED").exists()


def test_a_file_reference_with_shell_syntax_is_a_path_when_sourced(tmp_path: Path) -> None:
    config = nasty_config(tmp_path, "plain")
    target = tmp_path / "out.env"
    assert main(["export", "--to", "env", "box", "-o", str(target), "--config", str(config)]) == 0
    bin_dir, _ = stub_provreg(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    done = sh(f"set -a; . {json.dumps(str(target))}", work, bin_dir)
    # `cat` fails on the odd path, and that is all that happens.
    assert "No such file" in done.stderr
    assert not list(work.iterdir())


def test_a_definitions_env_name_is_never_shell_code(
    config_files: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "providers.yaml").write_text(
        "version: 1\n"
        "providers:\n"
        "  - {id: evil, name: Evil, provider: evil, url: 'http://x', api_key: {env: GOOD}}\n"
        "definitions:\n"
        "  - id: evil\n"
        "    name: Evil\n"
        "    fields:\n"
        "      - {id: api_key, type: secret, env: 'K; touch PWNED; X'}\n"
        "      - {id: url, type: text, env: 'U$(touch PWNED)'}\n"
        "      - {id: plain, type: text, env: PLAIN, default: ok}\n"
    )
    target = tmp_path / "out.env"
    assert main(["export", "--to", "env", "-o", str(target), "--config", str(config)]) == 0
    text = target.read_text()
    assert "PWNED" not in text
    assert "export PLAIN=ok" in text
    lost = capsys.readouterr().err
    assert "api_key (its `env:` name in the definition is not a variable name)" in lost
    assert "url (its `env:` name in the definition is not a variable name)" in lost
    work = tmp_path / "work"
    work.mkdir()
    bin_dir, _ = stub_provreg(tmp_path)
    done = sh(f"set -a; . {json.dumps(str(target))}; set +a; echo $PLAIN", work, bin_dir)
    assert done.stdout == "ok\n" and not list(work.iterdir())


# --------------------------------------------------------------------------- targets


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return nasty_config(tmp_path, "cfg")


def merge(config: Path, target: Path, *extra: str) -> list[str]:
    return ["export", "--to", "env", "--merge", str(target), *extra, "--config", str(config)]


def test_merge_dry_run_json_is_one_json_object_with_the_diff(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / ".envrc"
    target.write_text("export EDITOR=vim\n")
    assert main(merge(config, target, "--dry-run", "--json")) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True and report["changed"] is True
    assert report["diff"].startswith(f"--- {target} (now)\n")
    assert target.read_text() == "export EDITOR=vim\n"


def test_a_backup_path_that_is_a_symlink_is_never_written_through(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / ".envrc"
    target.write_text("export EDITOR=vim\n")
    victim = tmp_path / "precious"
    victim.write_text("mine\n")
    victim.chmod(0o644)
    backup = tmp_path / ".envrc.provreg-bak"
    backup.symlink_to(victim)
    assert main(merge(config, target)) == ExitCode.FINDINGS
    assert "is a symbolic link or not a file" in capsys.readouterr().err
    assert victim.read_text() == "mine\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert target.read_text() == "export EDITOR=vim\n" and backup.is_symlink()
    # Dangling: the same.
    victim.unlink()
    assert main(merge(config, target)) == ExitCode.FINDINGS
    assert not victim.exists() and target.read_text() == "export EDITOR=vim\n"


def test_merge_refuses_devices_dangling_links_and_read_only_files(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A FIFO in this test's directory stands for every non-file: a device such
    # as /dev/null is not used, since code that wrote through it as root would
    # replace the system's /dev/null (that happened with the code before the fix).
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "pipe.env"
    link.symlink_to(fifo)
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(merge(config, link))), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "w") as writer:
            writer.write("")
        worker.join(timeout=5)
        pytest.fail("export --merge blocked on a FIFO")
    assert result == [ExitCode.FINDINGS]
    assert capsys.readouterr().err == (
        f"provreg: {link}: not a regular file (a device, FIFO or socket)\n"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()
    dangling = tmp_path / "gone.env"
    dangling.symlink_to(tmp_path / "missing")
    assert main(merge(config, dangling)) == ExitCode.FINDINGS
    assert capsys.readouterr().err == (
        f"provreg: {dangling}: a symbolic link to a missing file; nothing was written\n"
    )
    assert dangling.is_symlink() and not (tmp_path / "missing").exists()
    locked = tmp_path / "locked.env"
    locked.write_text("export A=1\n")
    locked.chmod(0o444)
    before = tree(tmp_path)
    assert main(merge(config, locked)) == ExitCode.FINDINGS
    assert capsys.readouterr().err.startswith(f"provreg: {locked} is read-only; nothing was")
    assert tree(tmp_path) == before
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444


def test_merge_through_a_symlink_changes_its_target_and_keeps_the_link(
    config: Path, tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "envrc"
    real.parent.mkdir()
    real.write_text("export EDITOR=vim\n")
    real.chmod(0o640)
    link = tmp_path / ".envrc"
    link.symlink_to(real)
    assert main(merge(config, link)) == ExitCode.OK
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("export EDITOR=vim\n")
    assert "# >>> provreg: work" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    backup = tmp_path / ".envrc.provreg-bak"
    assert backup.read_text() == "export EDITOR=vim\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not [p.name for p in tmp_path.rglob(".provreg-tmp-*")]


def test_o_never_replaces_a_file_created_while_it_writes(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "new.env"
    real_reach = faults.reach

    def another_program_saves(point: str) -> None:
        if point == faults.WRITE_AFTER_TEMP:
            target.write_text("theirs\n")
        real_reach(point)

    monkeypatch.setattr(faults, "reach", another_program_saves)
    assert main(["export", "--to", "env", "-o", str(target), "--config", str(config)]) == 1
    assert "was created while provreg was writing it" in capsys.readouterr().err
    assert target.read_text() == "theirs\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".provreg-tmp-")]


def test_merge_into_a_crlf_env_file_keeps_its_line_ends_and_is_idempotent(
    config: Path, tmp_path: Path
) -> None:
    target = tmp_path / "win.env"
    target.write_bytes(
        b"export A=1\r\n# >>> provreg: work\r\nexport OLD=1\r\n# <<< provreg: work\r\n"
    )
    assert main(merge(config, target)) == ExitCode.OK
    data = target.read_bytes()
    assert data.startswith(b"export A=1\r\n# >>> provreg: work\r\n# Work\r\n")
    assert b"OLD" not in data
    assert data.count(b"\n") == data.count(b"\r\n")
    assert main(merge(config, target)) == ExitCode.OK
    assert target.read_bytes() == data


@pytest.mark.parametrize("name", ["<<< provreg: work", ">>> provreg: other", "<<<   provreg: w"])
def test_a_name_like_a_block_marker_does_not_break_the_next_merge(
    tmp_path: Path, name: str
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  - {{id: work, name: {json.dumps(name)}, provider: openai}}\n"
    )
    target = tmp_path / ".envrc"
    target.write_text("export A=1\n")
    argv = ["export", "--to", "env", "--merge", str(target), "--config", str(config)]
    assert main(argv) == ExitCode.OK
    first = target.read_text()
    title = " ".join(name.split())
    assert f"# name: {title}\n" in first
    assert main(argv) == ExitCode.OK  # the block is found again: nothing to change
    assert target.read_text() == first


def test_opencode_gets_a_relative_key_file_as_the_absolute_path_provreg_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "providers.yaml").write_text(
        "version: 1\nproviders:\n"
        "  - {id: rel, name: Rel, provider: openai, api_key: {file: keys/rel}}\n"
        "  - {id: home, name: Home, provider: anthropic, api_key: {file: ~/keys/home}}\n"
    )
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "opencode.json"
    assert main(["export", "--to", "opencode", "-o", str(target), "--config", str(config)]) == 0
    providers = json.loads(target.read_text())["provider"]
    assert providers["openai"]["options"]["apiKey"] == f"{{file:{tmp_path}/keys/rel}}"
    assert providers["anthropic"]["options"]["apiKey"] == "{file:~/keys/home}"
