"""`provreg exec ID -- CMD ...`: the instance's settings in the variables tools
read, secrets resolved at that moment, the exit code passed through, nothing
of a value printed."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import write_config

SHOW = 'printf "%s|%s|%s" "${#OPENAI_API_KEY}" "$OPENAI_BASE_URL" "${OPENAI_ORG_ID-unset}"'


def two_instances(config_dir: Path) -> None:
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: work
            name: Work
            provider: openai
            api_key: {env: WORK_KEY}
            organization: org-work
          - id: gateway
            name: Gateway
            provider: openai
            base_url: https://gateway.example.com/v1
            api_key: {env: GATEWAY_KEY}
          - id: claude
            name: Claude
            provider: anthropic
            api_key: {file: ~/claude.key}
        """,
    )


def test_exec_sets_the_variables_and_passes_the_exit_code(config_dir: Path) -> None:
    two_instances(config_dir)
    value = canary_value()
    env = cli_env(WORK_KEY=value, GATEWAY_KEY="sk-gw", OPENAI_ORG_ID="org-callers-own")
    cfg = ["--config", str(config_dir)]

    work = run_cli("exec", "work", *cfg, "--", "sh", "-c", SHOW + "; exit 3", env=env)
    assert work.returncode == 3
    assert work.stdout == f"{len(value)}|https://api.openai.com/v1|org-work"
    assert work.stderr == ""

    # The caller's OPENAI_ORG_ID does not mix into an instance that has none.
    gateway = run_cli("exec", "gateway", *cfg, "--", "sh", "-c", SHOW, env=env)
    assert (gateway.returncode, gateway.stdout) == (0, "5|https://gateway.example.com/v1|unset")


def test_exec_file_reference_and_other_providers(config_dir: Path) -> None:
    two_instances(config_dir)
    key = Path(os.environ["HOME"]) / "claude.key"
    key.write_text("sk-ant-from-file\n")
    key.chmod(0o600)
    confirmed = run_cli("secret", "confirm", "claude", "--config", str(config_dir))
    assert confirmed.returncode == 0, confirmed.output
    done = run_cli(
        "exec",
        "claude",
        "--config",
        str(config_dir),
        "--",
        "sh",
        "-c",
        'test "$ANTHROPIC_API_KEY" = sk-ant-from-file && printf "%s" "$ANTHROPIC_BASE_URL"',
    )
    assert (done.returncode, done.stdout) == (0, "https://api.anthropic.com"), done.output


def test_exec_signal_missing_command_and_option_like_words(config_dir: Path) -> None:
    two_instances(config_dir)
    env = cli_env(WORK_KEY="sk-work")
    cfg = ["--config", str(config_dir)]
    killed = run_cli("exec", "work", *cfg, "--", "sh", "-c", "kill -TERM $$", env=env)
    assert killed.returncode == 128 + 15
    missing = run_cli("exec", "work", *cfg, "--", "no-such-command-here", env=env)
    assert missing.returncode == 1
    assert "no-such-command-here: command not found" in missing.stderr
    words = run_cli(
        "exec",
        "work",
        *cfg,
        "--",
        "sh",
        "-c",
        'printf "%s " "$@"',
        "sh",
        "--config",
        "--json",
        env=env,
    )
    assert words.stdout == "--config --json ", words.output
    none = run_cli("exec", "work", *cfg, env=env)
    assert none.returncode != 0 and "give a command after --" in none.stderr


def test_exec_refuses_when_the_key_is_missing(config_dir: Path) -> None:
    two_instances(config_dir)
    env = cli_env()
    env.pop("WORK_KEY", None)
    done = run_cli(
        "exec", "work", "--config", str(config_dir), "--", "sh", "-c", "echo ran", env=env
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "work.api_key" in done.stderr and "WORK_KEY" in done.stderr
