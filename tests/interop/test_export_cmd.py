"""`provreg export --to TOOL`: the file on stdout and a per-instance report on
stderr; `-o` never overwrites; `--merge` keeps the rest of the tool's file,
its mode, and a backup; `--dry-run` prints a diff and writes nothing; `--json`
is the report with references only; no key is ever resolved."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import ConfigFiles, state_dir
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon

from provreg.cli import main
from provreg.exit_codes import ExitCode
from provreg.interop import tools

CONFIG = """\
version: 1
providers:
  - id: work-openai
    name: Work OpenAI
    provider: openai
    default_model: gpt-4.1
  - id: home-openai
    name: Home OpenAI
    provider: openai
    api_key: {env: HOME_OPENAI_KEY}
  - id: claude
    name: Claude
    provider: anthropic
    api_key: {file: ~/keys/claude}
  - id: acme
    name: Acme
    provider: acme
definitions:
  - id: acme
    name: Acme gateway
    fields:
      - {id: api_key, type: secret}
"""


@pytest.fixture(autouse=True)
def fake_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test adapter as `--to fake` (the real tools' adapters land separately)."""
    monkeypatch.setitem(tools.ADAPTER_MODULES, "fake", "interop.fake_tool")


@pytest.fixture
def config(config_files: ConfigFiles) -> Path:
    return config_files({"providers.yaml": CONFIG})


def export(config: Path, *args: str) -> list[str]:
    return ["export", *args, "--config", str(config)]


def test_stdout_is_the_file_and_stderr_reports_each_instance(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(export(config, "--to", "env")) == ExitCode.OK
    captured = capsys.readouterr()
    absolute = str(config.resolve())
    assert captured.out.startswith("# Written by `provreg export --to env`")
    assert (
        "export WORK_OPENAI__OPENAI_API_KEY="
        f'"$(provreg secret get work-openai --config {absolute})"' in captured.out
    )
    report = captured.err.splitlines()
    assert (
        f'work-openai: api_key -> WORK_OPENAI__OPENAI_API_KEY="$(provreg secret get work-openai '
        f'--config {absolute})" (command)' in report
    )
    assert (
        'home-openai: api_key -> HOME_OPENAI__OPENAI_API_KEY="${HOME_OPENAI_KEY}" (env)' in report
    )
    assert "  set HOME_OPENAI_KEY before sourcing the file" in report
    assert 'claude: api_key -> ANTHROPIC_API_KEY="$(cat "$HOME"/keys/claude)" (file)' in report
    assert any(line.startswith("  not expressible in env: default_model") for line in report)
    assert any(line.startswith("acme: skipped: provider 'acme' has no field") for line in report)
    assert report[-1] == "3 instances exported to env, 1 skipped (on stdout)"


def test_only_the_ids_given_and_a_misspelt_one_is_refused_with_a_suggestion(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(export(config, "--to", "fake", "claude")) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert list(data["providers"]) == ["claude"]
    assert main(export(config, "--to", "fake", "work-opneai")) == ExitCode.FINDINGS
    assert capsys.readouterr().err == (
        "provreg: no provider instance with id 'work-opneai' (did you mean 'work-openai'?)\n"
    )
    # An instance the tool cannot express, asked for by name, is a failure (exit 1).
    assert main(export(config, "--to", "fake", "acme")) == ExitCode.FINDINGS
    assert "acme: skipped: the fake tool speaks no such API" in capsys.readouterr().err


def test_an_unknown_tool_is_named_with_a_suggestion(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(export(config, "--to", "crsh")) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err.startswith("provreg: unknown tool 'crsh' (did you mean 'crush'?); tools: litellm")


def test_o_writes_a_new_file_and_never_overwrites_one(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fake.json"
    assert main(export(config, "--to", "fake", "-o", str(target))) == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.splitlines()[-1] == f"3 instances exported to fake, 1 skipped; wrote {target}"
    )
    written = target.read_bytes()
    assert set(json.loads(written)["providers"]) == {"work-openai", "home-openai", "claude"}

    assert main(export(config, "--to", "fake", "-o", str(target))) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err.startswith(f"provreg: {target} exists; provreg does not overwrite it")
    assert f"--merge {target}" in err
    assert target.read_bytes() == written


def test_merge_keeps_the_rest_keeps_the_mode_and_makes_a_backup(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / ".envrc"
    original = (
        "# my direnv setup\n"
        "export EDITOR=vim\n\n"
        "# >>> provreg: claude\n# Claude\nexport ANTHROPIC_API_KEY=old-reference\n"
        "# <<< provreg: claude\n"
    )
    target.write_text(original)
    target.chmod(0o640)
    assert main(export(config, "--to", "env", "claude", "--merge", str(target))) == ExitCode.OK
    captured = capsys.readouterr()
    backup = Path(f"{target}.provreg-bak")
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == (
        f"1 instance exported to env; merged into {target} (the previous version is in {backup})"
    )
    merged = target.read_text()
    assert merged.startswith("# my direnv setup\nexport EDITOR=vim\n\n# >>> provreg: claude\n")
    assert "old-reference" not in merged
    assert 'export ANTHROPIC_API_KEY="$(cat "$HOME"/keys/claude)"' in merged
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert backup.read_text() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    # Nothing new: not written again, the backup stays the first original.
    before = target.stat().st_mtime_ns
    assert main(export(config, "--to", "env", "claude", "--merge", str(target))) == ExitCode.OK
    assert "already up to date, not written" in capsys.readouterr().err
    assert target.stat().st_mtime_ns == before
    assert backup.read_text() == original


def test_merge_into_a_missing_or_unreadable_file_is_refused(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert main(export(config, "--to", "fake", "--merge", str(missing))) == ExitCode.FINDINGS
    assert f"use -o {missing}" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"providers": {\n  "x": sk-pasted-value\n}\n')
    assert main(export(config, "--to", "fake", "--merge", str(broken))) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err == f"provreg: {broken}:2:8: not JSON (nothing was written)\n"
    assert not Path(f"{broken}.provreg-bak").exists()
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"providers": {}}\n\xff\xfe\n')
    assert main(export(config, "--to", "fake", "--merge", str(binary))) == ExitCode.FINDINGS
    assert capsys.readouterr().err == f"provreg: {binary}:2: not UTF-8 text (byte 18)\n"


def test_dry_run_prints_the_diff_and_writes_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fake.json"
    original = '{\n  "providers": {\n    "mine": {"type": "openai"}\n  }\n}\n'
    target.write_text(original)
    argv = export(config, "--to", "fake", "claude", "--merge", str(target), "--dry-run")
    assert main(argv) == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out.startswith(f"--- {target} (now)\n+++ {target} (after export)\n")
    assert '+    "claude": {' in captured.out
    assert '+      "api_key": "$(provreg secret get claude --config ' in captured.out
    assert "dry run" in captured.err.splitlines()[-1]
    assert target.read_text() == original
    assert not Path(f"{target}.provreg-bak").exists()
    assert main(export(config, "--to", "fake", "--dry-run")) == ExitCode.FINDINGS
    assert "--dry-run shows what -o FILE or --merge FILE would write" in capsys.readouterr().err


def test_json_report_has_references_and_no_key_is_ever_read(
    secret_service: SecretServiceDaemon, config_files: ConfigFiles, tmp_path: Path
) -> None:
    """A key in the real Secret Service, its variable in the environment: neither
    value reaches the output, and no read is audited (nothing was resolved)."""
    instance_id = f"t-{secrets.token_hex(4)}"
    config = config_files(
        {
            "providers.yaml": f"""\
version: 1
providers:
  - id: {instance_id}
    name: Keyring one
    provider: openai
  - id: {instance_id}-env
    name: Env one
    provider: anthropic
    api_key: {{env: EXPORT_TEST_KEY}}
"""
        }
    )
    key, env_key = canary_value(), canary_value()
    env = cli_env(SECRET_SERVICE_BACKEND, EXPORT_TEST_KEY=env_key)
    stored = run_cli("secret", "set", instance_id, "--config", str(config), input=key, env=env)
    assert stored.returncode == 0, stored.output
    audit = state_dir() / "audit.jsonl"
    audit_before = audit.read_bytes()
    done = run_cli("export", "--to", "env", "--json", "--config", str(config), env=env)
    assert done.returncode == 0, done.output
    assert key not in done.output and env_key not in done.output
    report = json.loads(done.stdout)
    assert report["tool"] == "env" and report["target"] is None
    secrets_written = {e["instance_id"]: e["secrets"] for e in report["exported"]}
    assert secrets_written[instance_id] == [
        {
            "field": "api_key",
            "choice": "command",
            "written": f'OPENAI_API_KEY="$(provreg secret get {instance_id} --config '
            f'{config.resolve()})"',
            "hint": f"read by `provreg secret get {instance_id} --config {config.resolve()}` "
            "each time the file is sourced",
        }
    ]
    assert secrets_written[f"{instance_id}-env"][0]["written"] == (
        'ANTHROPIC_API_KEY="${EXPORT_TEST_KEY}"'
    )
    assert report["skipped"] == []
    assert report["text"].startswith("# Written by `provreg export --to env`")
    assert f"provreg secret get {instance_id} " in report["text"]
    assert audit.read_bytes() == audit_before  # no secret-read: nothing was resolved
    assert key not in audit.read_text()


def test_o_and_merge_together_are_refused(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = export(config, "--to", "env", "-o", str(tmp_path / "a"), "--merge", str(tmp_path / "b"))
    assert main(argv) == ExitCode.FINDINGS
    assert "not both" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["config"]


def test_instances_left_out_by_config_errors_are_said(
    config_files: ConfigFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    # `bad` lacks openai-compatible's required default_model: it is not loaded,
    # so it cannot be exported; the export says so instead of leaving it out quietly.
    config = config_files(
        {
            "providers.yaml": "version: 1\nproviders:\n"
            "  - {id: ok, name: OK, provider: openai}\n"
            "  - {id: bad, name: Bad, provider: openai-compatible, base_url: 'http://x:1/v1'}\n"
        }
    )
    assert main(export(config, "--to", "crush")) == ExitCode.OK
    report = capsys.readouterr().err.splitlines()
    assert report[-2] == (
        "note: the config has 1 error; an instance with an error is not loaded, so not "
        "exported (`provreg --check` shows them)"
    )
    assert report[-1] == "1 instance exported to crush (on stdout)"
