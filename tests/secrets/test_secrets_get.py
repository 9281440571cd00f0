"""`provreg secret get ID [FIELD]`: a key printed for a program's key helper.

Against a real Secret Service (gnome-keyring on a private session bus): the
key goes to a pipe (exit 0), never to a terminal without `--show` (tested in a
pty), never to an unconfirmed host, never when helpers are off (exit 3); a
missing one is exit 1. Every read and every refusal of a known instance is one
audit line, which never holds the value."""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import openai_config, state_dir, write_config
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon


def audit_lines() -> list[dict[str, Any]]:
    path = state_dir() / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def audit_text() -> str:
    path = state_dir() / "audit.jsonl"
    return path.read_text() if path.exists() else ""


def reads() -> list[tuple[str, str, list[str], str | None]]:
    """(action, instance, fields, reason) of the audit's secret-read lines."""
    return [
        (e["action"], e["instance_id"], e["fields"], e.get("reason"))
        for e in audit_lines()
        if e["action"].startswith("secret-read")
    ]


def provreg_argv() -> list[str]:
    return [sys.executable, "-m", "provreg"]


def stored_key(config_dir: Path, instance_id: str, env: dict[str, str]) -> str:
    """An instance with a key stored through `provreg secret set` (so pinned to its host)."""
    openai_config(config_dir, instance_id)
    value = canary_value()
    done = run_cli("secret", "set", instance_id, "--config", str(config_dir), input=value, env=env)
    assert done.returncode == 0, done.output
    return value


def test_get_prints_the_key_to_a_pipe_and_audits_the_read(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    env = cli_env(SECRET_SERVICE_BACKEND)
    value = stored_key(config_dir, instance_id, env)

    done = subprocess.run(
        [*provreg_argv(), "secret", "get", instance_id, "--config", str(config_dir)],
        stdin=subprocess.DEVNULL,
        capture_output=True,  # stdout is a pipe, as for a program that runs a helper
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (value + "\n").encode()  # the value and a newline, nothing else
    assert done.stderr == b""

    line = audit_lines()[-1]
    assert (line["action"], line["instance_id"], line["fields"], line["source"]) == (
        "secret-read",
        instance_id,
        ["api_key"],
        "cli",
    )
    # The asking program: this test's process, by its name in /proc and its pid.
    assert line["parent_pid"] == os.getpid()
    assert line["parent"] == Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    assert "reason" not in line
    assert value not in audit_text()
    logged = run_cli("log", env=env)
    assert "secret-read" in logged.stdout and value not in logged.output
    assert f"(api_key to {line['parent']})" in logged.stdout


def read_pty(master: int) -> bytes:
    """Everything the child wrote to the terminal (until its side is closed)."""
    data = b""
    while True:
        ready, _, _ = select.select([master], [], [], 10)
        if not ready:
            return data
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every slave descriptor is closed
            return data
        if not chunk:
            return data
        data += chunk


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes, str]:
    """Run provreg with its stdout on a pty: (exit code, what the terminal got, stderr)."""
    master, slave = os.openpty()
    try:
        child = subprocess.Popen(
            [*provreg_argv(), *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.close(slave)
        slave = -1
        screen = read_pty(master)
        _, err = child.communicate(timeout=60)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    return child.returncode, screen, err.decode()


def test_get_refuses_a_terminal_unless_show(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    env = cli_env(SECRET_SERVICE_BACKEND)
    value = stored_key(config_dir, instance_id, env)
    before = len(audit_lines())

    code, screen, err = run_on_a_terminal(
        ["secret", "get", instance_id, "--config", str(config_dir)], env
    )
    assert code == 3, err
    assert value.encode() not in screen and screen == b""
    assert "stdout is a terminal" in err and "--show" in err and "pipe" in err
    assert value not in err
    # Refused before anything was opened: no read, nothing audited.
    assert len(audit_lines()) == before

    code, screen, err = run_on_a_terminal(
        ["secret", "get", instance_id, "--show", "--config", str(config_dir)], env
    )
    assert code == 0, err
    assert screen.replace(b"\r\n", b"\n") == (value + "\n").encode()
    assert reads()[-1] == ("secret-read", instance_id, ["api_key"], None)


def test_get_refuses_an_unconfirmed_host(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    openai_config(config_dir, instance_id)
    value = canary_value()
    # Stored by another tool: no pin, so it goes to no host until confirmed.
    secret_service.store(f"{instance_id}/api_key", value)

    refused = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert refused.returncode == 3
    assert refused.stdout == ""
    assert f"provreg secret confirm {instance_id}" in refused.stderr
    assert value not in refused.output
    assert reads()[-1] == ("secret-read-refused", instance_id, ["api_key"], "unconfirmed-host")

    assert run_cli("secret", "confirm", instance_id, *cfg, env=env).returncode == 0
    allowed = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert (allowed.returncode, allowed.stdout) == (0, value + "\n"), allowed.stderr

    # The host changes (a pulled config): refused again until confirmed.
    openai_config(config_dir, instance_id, base_url="https://llm-proxy.example.net/v1")
    moved = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert moved.returncode == 3 and moved.stdout == ""
    assert "llm-proxy.example.net" in moved.stderr
    assert f"provreg secret confirm {instance_id}" in moved.stderr
    assert value not in audit_text()


def test_get_refuses_when_helpers_are_off(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = stored_key(config_dir, instance_id, env)
    for setting in ("0", "off", "maybe"):
        done = run_cli("secret", "get", instance_id, *cfg, env={**env, "PROVREG_HELPERS": setting})
        assert (done.returncode, done.stdout) == (3, ""), done.output
        assert "helpers are turned off" in done.stderr and "provreg exec" in done.stderr
        assert reads()[-1] == ("secret-read-refused", instance_id, ["api_key"], "helpers-off")
    for setting in ("1", ""):
        done = run_cli("secret", "get", instance_id, *cfg, env={**env, "PROVREG_HELPERS": setting})
        assert (done.returncode, done.stdout) == (0, value + "\n"), done.output
    # `exec` is the way that stays open.
    through_exec = run_cli(
        "exec",
        instance_id,
        *cfg,
        "--",
        "sh",
        "-c",
        'printf "%s" "${#OPENAI_API_KEY}"',
        env={**env, "PROVREG_HELPERS": "0"},
    )
    assert (through_exec.returncode, through_exec.stdout) == (0, str(len(value)))


def test_get_missing_is_exit_1(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    openai_config(config_dir, instance_id)
    no_key = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert (no_key.returncode, no_key.stdout) == (1, "")
    assert "no secret found" in no_key.stderr
    unknown = run_cli("secret", "get", "no-such-instance", *cfg, env=env)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "no-such-instance" in unknown.stderr
    not_secret = run_cli("secret", "get", instance_id, "base_url", *cfg, env=env)
    assert (not_secret.returncode, not_secret.stdout) == (1, "")
    assert "not a secret field" in not_secret.stderr
    usage = run_cli("secret", "get", env=env)
    assert usage.returncode == 2
    assert reads() == []


def test_get_env_and_file_references(config_dir: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "claude.key"
    key_file.write_text("sk-ant-from-file\n")
    key_file.chmod(0o600)
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: work
            name: Work
            provider: openai
            api_key: {{env: WORK_KEY}}
          - id: claude
            name: Claude
            provider: anthropic
            api_key: {{file: {key_file}}}
        """,
    )
    env = cli_env(WORK_KEY="sk-work-from-env")
    cfg = ["--config", str(config_dir)]
    from_env = run_cli("secret", "get", "work", *cfg, env=env)
    assert (from_env.returncode, from_env.stdout) == (0, "sk-work-from-env\n"), from_env.output
    # A file key is pinned like a keyring one: confirmed first.
    assert run_cli("secret", "get", "claude", *cfg, env=env).returncode == 3
    assert run_cli("secret", "confirm", "claude", *cfg, env=env).returncode == 0
    from_file = run_cli("secret", "get", "claude", *cfg, env=env)
    assert (from_file.returncode, from_file.stdout) == (0, "sk-ant-from-file\n")
    assert "sk-ant-from-file" not in audit_text() and "sk-work-from-env" not in audit_text()


STAND_IN = textwrap.dedent(
    """
    # Behaves like Claude Code's apiKeyHelper: reads its settings, runs the helper
    # through the shell, takes stdout (trimmed) as the key. Prints only its length.
    import json, subprocess, sys

    settings = json.load(open(sys.argv[1]))
    done = subprocess.run(
        settings["apiKeyHelper"], shell=True, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
    )
    if done.returncode != 0:
        print(f"apiKeyHelper failed with exit code {done.returncode}")
        sys.exit(1)
    print(f"key length: {len(done.stdout.strip())}")
    """
)


def test_tried_as_a_new_user_claude_style_api_key_helper(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str, tmp_path: Path
) -> None:
    """The docs' recipe: `"apiKeyHelper": "provreg secret get ID"` in Claude Code's
    settings; a stand-in runs it as Claude Code does and sees the key, and nothing
    it prints holds the key."""
    env = cli_env(SECRET_SERVICE_BACKEND)
    value = stored_key(config_dir, instance_id, env)
    provreg = shutil.which("provreg", path=os.path.dirname(sys.executable)) or shlex.join(
        provreg_argv()
    )
    settings = tmp_path / "settings.json"
    helper = f"{provreg} secret get {instance_id} --config {shlex.quote(str(config_dir))}"
    settings.write_text(json.dumps({"apiKeyHelper": helper}))
    script = tmp_path / "claude_stand_in.py"
    script.write_text(STAND_IN)

    done = subprocess.run(
        [sys.executable, str(script), str(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"key length: {len(value)}\n"), done.stderr
    assert value not in done.stdout + done.stderr
    line = audit_lines()[-1]
    assert (line["action"], line["instance_id"]) == ("secret-read", instance_id)
    # The helper ran through a shell, whose name is what the audit line shows.
    assert line["parent"] == "sh" or line["parent"].startswith(("python", "bash", "dash"))

    # Helpers turned off: the stand-in sees the failure, still no key anywhere.
    off = subprocess.run(
        [sys.executable, str(script), str(settings)],
        capture_output=True,
        text=True,
        env={**env, "PROVREG_HELPERS": "0"},
        timeout=120,
        check=False,
    )
    assert (off.returncode, off.stdout) == (1, "apiKeyHelper failed with exit code 3\n")
    assert value not in off.stdout + off.stderr


def test_get_audit_never_holds_the_value_even_when_refused(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    field = "api_key"
    env = cli_env(SECRET_SERVICE_BACKEND)
    value = stored_key(config_dir, instance_id, env)
    cfg = ["--config", str(config_dir)]
    run_cli("secret", "get", instance_id, field, *cfg, env=env)
    run_cli("secret", "get", instance_id, field, *cfg, env={**env, "PROVREG_HELPERS": "0"})
    assert [r[0] for r in reads()] == ["secret-read", "secret-read-refused"]
    assert value not in audit_text()
    assert value not in run_cli("log", "--json", env=env).stdout


def test_get_refuses_an_instance_with_helpers_false(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str
) -> None:
    """`helpers: false` in the YAML: `secret get` refuses (3, audited), `exec` works,
    `--check` accepts it, and an edit of another field keeps it."""
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = stored_key(config_dir, instance_id, env)
    path = config_dir / "providers.yaml"
    path.write_text(path.read_text() + "    helpers: false\n")
    assert run_cli("--check", str(config_dir), env=env).returncode == 0

    refused = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert (refused.returncode, refused.stdout) == (3, ""), refused.output
    assert "helpers: false" in refused.stderr and "provreg exec" in refused.stderr
    assert reads()[-1] == ("secret-read-refused", instance_id, ["api_key"], "helpers-off")
    # Not even with --show: the setting is about the key leaving provreg at all.
    shown = run_cli("secret", "get", instance_id, "--show", *cfg, env=env)
    assert shown.returncode == 3 and value not in shown.output

    through_exec = run_cli(
        "exec", instance_id, *cfg, "--", "sh", "-c", 'printf "%s" "${#OPENAI_API_KEY}"', env=env
    )
    assert (through_exec.returncode, through_exec.stdout) == (0, str(len(value)))
    shown_helpers = run_cli("show", instance_id, *cfg, env=env).stdout
    assert re.search(r"^  helpers +false  \(", shown_helpers, re.MULTILINE)

    edited = run_cli("edit", instance_id, "--set", "default_model=gpt-5", *cfg, env=env)
    assert edited.returncode == 0, edited.output
    assert "helpers: false" in path.read_text()
    assert run_cli("secret", "get", instance_id, *cfg, env=env).returncode == 3

    unset = run_cli("edit", instance_id, "--unset", "helpers", *cfg, env=env)
    assert unset.returncode == 0, unset.output
    again = run_cli("secret", "get", instance_id, *cfg, env=env)
    assert (again.returncode, again.stdout) == (0, value + "\n")
    assert value not in audit_text()


def test_helpers_must_be_a_boolean(config_dir: Path) -> None:
    """A `helpers` that is not true/false is E204 and leaves the instance out (never
    read as the default, which would hand the key out)."""
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: work
            name: Work
            provider: openai
            helpers: "no"
            api_key: {env: WORK_KEY}
          - id: empty
            name: Empty
            provider: openai
            helpers:
        """,
    )
    env = cli_env(WORK_KEY="sk-work")
    check = run_cli("--check", str(config_dir), env=env)
    assert check.returncode == 1
    assert "error[E204]: 'helpers' must be true or false, not text" in check.stdout
    assert "1 error" in check.stdout
    done = run_cli("secret", "get", "work", "--config", str(config_dir), env=env)
    assert (done.returncode, done.stdout) == (1, "")
    assert "no provider instance with id 'work'" in done.stderr


def test_schema_knows_helpers() -> None:
    from provreg.config.read.schema import build_schema

    schema = build_schema()
    assert schema["$defs"]["provider_openai"]["properties"]["helpers"] == {
        "$ref": "#/$defs/helpers"
    }
    assert {"type": "boolean"} in schema["$defs"]["helpers"]["anyOf"]


def test_a_read_that_cannot_be_audited_is_refused(config_dir: Path) -> None:
    """No key leaves without its audit line: an audit log that cannot be written
    (here a directory in its place) refuses the read, exit 1, nothing on stdout."""
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: work
            name: Work
            provider: openai
            api_key: {env: WORK_KEY}
        """,
    )
    (state_dir() / "audit.jsonl").mkdir(parents=True)
    done = run_cli(
        "secret", "get", "work", "--config", str(config_dir), env=cli_env(WORK_KEY="sk-w")
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert "cannot write the audit log" in done.stderr and "sk-w" not in done.stderr


def test_reads_are_not_changes_for_instance_times(tmp_path: Path) -> None:
    """`times_for` (the compat API's created/updated) ignores secret-read lines."""
    from provreg.registry.audit import AuditLog

    log = AuditLog(str(tmp_path / "audit.jsonl"), clock=iter([1.0, 2.0, 3.0]).__next__)
    log.record(source="cli", action="create", instance_id="w", file="f.yaml")
    log.record(
        source="cli", action="secret-read", instance_id="w", file="f.yaml", fields=["api_key"]
    )
    log.record(
        source="cli",
        action="secret-read-refused",
        instance_id="w",
        file="f.yaml",
        details={"reason": "helpers-off"},
    )
    created, updated = log.times_for("w")
    assert created == updated == "1970-01-01T00:00:01.000+00:00"


def test_helpers_set_and_unset_from_the_command_line(config_dir: Path) -> None:
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: work
            name: Work
            provider: openai
            api_key: {env: WORK_KEY}
        """,
    )
    env = cli_env(WORK_KEY="sk-work")
    cfg = ["--config", str(config_dir)]
    assert run_cli("edit", "work", "--set", "helpers=off", *cfg, env=env).returncode == 0
    assert "helpers: false" in (config_dir / "providers.yaml").read_text()
    assert run_cli("secret", "get", "work", *cfg, env=env).returncode == 3
    bad = run_cli("edit", "work", "--set", "helpers=maybe", *cfg, env=env)
    assert bad.returncode == 1 and "'helpers' takes true or false" in bad.stderr
    assert run_cli("edit", "work", "--unset", "helpers", *cfg, env=env).returncode == 0
    assert run_cli("secret", "get", "work", *cfg, env=env).stdout == "sk-work\n"
