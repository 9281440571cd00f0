"""`provreg --check --secrets`: E401 for each reference that does not resolve
(exit 1), without printing a value; exit 0 when every one resolves."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import write_config
from helpers.keyrings import FAIL_BACKEND, SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon


def refs_config(config_dir: Path, instance_id: str) -> None:
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: Keyring one
            provider: openai
          - id: by-env
            name: Env one
            provider: openai
            api_key: {{env: CHECK_KEY}}
          - id: by-file
            name: File one
            provider: anthropic
            api_key: {{file: ~/check.key}}
        """,
    )


def test_check_secrets_reports_e401_without_values(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    refs_config(config_dir, instance_id)
    file_value = canary_value()
    key = Path(os.environ["HOME"]) / "check.key"
    key.write_text(file_value)
    key.chmod(0o644)  # present but readable by others: refused
    env = cli_env(SECRET_SERVICE_BACKEND, CHECK_KEY="")

    text = run_cli("--check", "--secrets", str(config_dir), env=env)
    assert text.returncode == 1, text.output
    assert text.stdout.count("error[E401]") == 3
    assert f"'{instance_id}' field 'api_key': nothing found in keyring {instance_id}/api_key" in (
        text.stdout
    )
    assert "'by-env' field 'api_key': nothing found in env CHECK_KEY" in text.stdout
    assert f"run `chmod 600 {key}`" in text.stdout
    assert f"provreg secret set {instance_id} api_key" in text.stdout

    as_json = run_cli("check", "--secrets", "--format", "json", str(config_dir), env=env)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert sorted(d["instance_id"] for d in report["diagnostics"] if d["code"] == "E401") == sorted(
        [instance_id, "by-env", "by-file"]
    )
    github = run_cli("check", "--secrets", "--format", "github", str(config_dir), env=env)
    assert github.returncode == 1 and github.stdout.count("::error") == 3

    # Without --secrets the same files are clean: loading never asks for secrets.
    assert run_cli("--check", str(config_dir), env=env).returncode == 0

    for done in (text, as_json, github):
        assert file_value not in done.output

    # Every reference resolvable: exit 0, and still no value printed.
    env_value, keyring_value = canary_value(), canary_value()
    key.chmod(0o600)
    secret_service.store(f"{instance_id}/api_key", keyring_value)
    env["CHECK_KEY"] = env_value
    # Keys provreg did not store are pinned to no host: an error until confirmed.
    unconfirmed = run_cli("--check", "--secrets", str(config_dir), env=env)
    assert unconfirmed.returncode == 1
    assert unconfirmed.stdout.count("not confirmed for any host") == 2
    for confirmed_id in (instance_id, "by-file"):
        confirm = run_cli("secret", "confirm", confirmed_id, "--config", str(config_dir), env=env)
        assert confirm.returncode == 0, confirm.output
    clean = run_cli("--check", "--secrets", "--format", "json", str(config_dir), env=env)
    assert clean.returncode == 0, clean.output
    assert json.loads(clean.stdout)["diagnostics"] == []
    for value in (file_value, env_value, keyring_value):
        assert value not in clean.output


def test_check_secrets_with_no_keyring_backend(config_dir: Path, instance_id: str) -> None:
    refs_config(config_dir, instance_id)
    key = Path(os.environ["HOME"]) / "check.key"
    key.write_text("sk-file")
    key.chmod(0o600)
    confirm = ["secret", "confirm", "by-file", "--config", str(config_dir)]
    assert run_cli(*confirm, env=cli_env(FAIL_BACKEND)).returncode == 0
    done = run_cli(
        "--check", "--secrets", str(config_dir), env=cli_env(FAIL_BACKEND, CHECK_KEY="sk-env")
    )
    # Only the keyring reference fails, with the message saying what to do.
    assert done.returncode == 1
    assert done.stdout.count("error[E401]") == 1
    assert "no usable keyring backend" in done.stdout
