"""`{command: ...}` references, with REAL subprocesses: small stand-in scripts
that behave like `op read`, `pass show`, `vault kv get -field=...` and the other
recipes of docs/secrets.md (same arguments; success, "not signed in", too
slow, the key echoed on stderr, empty output, program missing).

Each stand-in appends one line to a log when it runs, so the tests can say
exactly when a program ran: only when the key is read, once per cache period,
never on load, `--check`, `list` or the table.
"""

from __future__ import annotations

import os
import stat
import textwrap
import time
import traceback
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import files_under, state_dir, write_config
from helpers.keyrings import CountingKeyring

from provreg.config.read.validation import (
    FieldValueError,
    parse_command_ref,
    parse_secret_ref,
)
from provreg.registry import ProviderRegistry
from provreg.secrets import SecretCommandError, SecretStore, UnpinnedKeyError

pytestmark = pytest.mark.anyio

EXPECTED_ARGS = {
    "op": "read op://Work/OpenAI/credential",
    "pass": "show openai/work",
    "gopass": "show --password openai/work",
    "bw": "get password OpenAI work",
    "vault": "kv get -field=api_key secret/openai",
    "aws": "secretsmanager get-secret-value --secret-id openai/work --query SecretString "
    "--output text",
    "security": "find-generic-password -s openai-work -w",
    "gcloud": "auth print-access-token",
}
"""What each stand-in accepts (its real program's recipe in docs/secrets.md)."""

RECIPES = {
    "op": '[op, read, "op://Work/OpenAI/credential"]',
    "pass": "[pass, show, openai/work]",
    "gopass": "[gopass, show, --password, openai/work]",
    "bw": '[bw, get, password, "OpenAI work"]',
    "vault": "[vault, kv, get, -field=api_key, secret/openai]",
    "aws": "[aws, secretsmanager, get-secret-value, --secret-id, openai/work, "
    "--query, SecretString, --output, text]",
    "security": "[security, find-generic-password, -s, openai-work, -w]",
    "gcloud": "[gcloud, auth, print-access-token], cache: 3000",
}

STANDIN = """\
#!/bin/sh
# Stand-in for {program}: behaves as the real one for the recipe's arguments.
echo "{program} $*" >> "$STANDIN_DIR/runs.log"
if [ "$*" != "{expected}" ]; then
  echo "{program}: unknown arguments" >&2
  exit 64
fi
mode=$(cat "$STANDIN_DIR/mode")
case "$mode" in
  ok) cat "$STANDIN_DIR/key"; echo ;;
  signed-out)
    echo "[ERROR] 2026/12/06 10:00:00 you are not currently signed in. Please run 'op signin'" >&2
    echo "second line that must not be shown" >&2
    exit 1 ;;
  slow) sleep 60 & echo $! > "$STANDIN_DIR/child.pid"; wait ;;
  echo-key)
    echo "error: the credential $(cat "$STANDIN_DIR/key") was rejected" >&2
    exit 2 ;;
  key-on-stdout-then-fail) cat "$STANDIN_DIR/key"; echo "failed" >&2; exit 3 ;;
  empty) echo "warning: item has no password" >&2 ;;
  stdin) cat ;;
  tty)
    # Like `op` asking to sign in: works only with a terminal on stdin.
    if [ ! -t 0 ]; then echo "no terminal to sign in" >&2; exit 1; fi
    cat "$STANDIN_DIR/key"; echo ;;
esac
"""


class StandIns:
    def __init__(self, root: Path, key: str) -> None:
        self.dir = root / "standin"
        self.bin = root / "bin"
        self.dir.mkdir()
        self.bin.mkdir()
        for program, expected in EXPECTED_ARGS.items():
            script = self.bin / program
            script.write_text(STANDIN.format(program=program, expected=expected))
            script.chmod(0o755)
        (self.dir / "key").write_text(key)
        self.mode("ok")
        os.environ["STANDIN_DIR"] = str(self.dir)
        os.environ["PATH"] = f"{self.bin}{os.pathsep}{os.environ['PATH']}"

    def mode(self, mode: str) -> None:
        (self.dir / "mode").write_text(mode)

    def runs(self) -> list[str]:
        log = self.dir / "runs.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def key() -> str:
    return canary_value()


@pytest.fixture
def standins(tmp_path: Path, key: str) -> StandIns:
    return StandIns(tmp_path, key)


def ref(program: str) -> str:
    return f"{{command: {RECIPES[program]}}}"


def command_config(config_dir: Path, instance_id: str, reference: str) -> Path:
    path = write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: Test {instance_id}
            provider: openai
            api_key: {reference}
        """,
    )
    path.chmod(0o600)
    return path


async def open_registry(config_dir: Path) -> ProviderRegistry:
    return await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=CountingKeyring())
    )


async def confirmed(config_dir: Path, instance_id: str) -> ProviderRegistry:
    registry = await open_registry(config_dir)
    assert await registry.confirm_origin(instance_id) == 1
    return registry


# --------------------------------------------------------------------------- the model


def test_list_and_string_forms_round_trip() -> None:
    listed = parse_secret_ref({"command": ["op", "read", "op://Work/OpenAI/credential"]})
    assert listed.argv == ("op", "read", "op://Work/OpenAI/credential")
    assert listed.describe() == "command op"
    assert parse_secret_ref(listed.to_yaml()) == listed
    text = parse_secret_ref(
        {"command": "pass show 'openai/work key'", "timeout": 3, "cache": 60, "interactive": True}
    )
    assert text.argv == ("pass", "show", "openai/work key")
    assert (text.timeout, text.cache, text.interactive) == (3.0, 60.0, True)
    assert text.to_yaml() == {
        "command": "pass show 'openai/work key'",
        "timeout": 3,
        "cache": 60,
        "interactive": True,
    }
    assert parse_secret_ref(text.to_yaml()) == text
    assert parse_secret_ref({"command": ["/usr/local/bin/op", "read", "x"]}).describe() == (
        "command op"
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({"command": []}, "the command is empty"),
        ({"command": "  "}, "the command is empty"),
        ({"command": ["op", 3]}, "must be a string"),
        ({"command": ["op"], "timeout": -1}, "timeout takes a positive number"),
        ({"command": ["op"], "timeout": 601}, "up to 600"),
        ({"command": ["op"], "timeout": 10**400}, "up to 600"),
        ({"command": ["op"], "cache": -(10**400)}, "cache takes a positive number"),
        ({"command": ["op"], "cache": "1h"}, "cache takes a positive number"),
        ({"command": ["op"], "interactive": "yes"}, "interactive takes true or false"),
        ({"command": ["op"], "shell": True}, "unknown key 'shell'"),
        ({"command": "pass show 'unclosed"}, "cannot be split"),
        ({"command": {"op": 1}}, "a list of words or a string"),
    ],
)
def test_malformed_command_refs_are_refused(reference: dict[str, object], message: str) -> None:
    with pytest.raises(FieldValueError) as caught:
        parse_command_ref(reference)
    assert caught.value.kind == "command_ref"
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message


def test_check_reports_malformed_command_refs_with_positions(config_dir: Path) -> None:
    path = write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: empty
            name: Empty
            provider: openai
            api_key: {command: []}
          - id: number
            name: Number
            provider: openai
            api_key:
              command: [op, read, 42]
          - id: slow
            name: Slow
            provider: openai
            api_key: {command: [op, read, x], timeout: 0}
        """,
    )
    path.chmod(0o600)
    done = run_cli("--check", str(path), env=cli_env())
    assert done.returncode == 1, done
    assert f"{path}:6:14: error[E217]: field 'api_key': the command is empty" in done.stdout
    assert f"{path}:11:7: error[E217]: field 'api_key': every item" in done.stdout
    assert f"{path}:15:14: error[E217]: field 'api_key': timeout takes" in done.stdout


# --------------------------------------------------------------------------- laziness


async def test_runs_only_when_the_key_is_read_once_per_process(
    standins: StandIns, config_dir: Path, instance_id: str, key: str
) -> None:
    path = command_config(config_dir, instance_id, ref("op"))
    assert run_cli("--check", str(path), env=cli_env()).returncode == 0
    assert run_cli("list", "--config", str(config_dir), env=cli_env()).returncode == 0
    registry = await confirmed(config_dir, instance_id)
    statuses = await registry.secret_status(check_keyring=False)
    statuses += await registry.secret_status()
    assert [(s.kind, s.target, s.present) for s in statuses] == [("command", "op", None)] * 2
    assert "not checked" in (statuses[0].problem or "")
    assert standins.runs() == []  # load, --check, list, status, confirm: nothing ran
    secret = await registry.resolve_secret(instance_id, "api_key")
    assert secret.get_secret_value() == key
    assert await registry.resolve_secret(instance_id, "api_key") == secret
    assert standins.runs() == ["op read op://Work/OpenAI/credential"]


async def test_cache_period_runs_it_again(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(config_dir, instance_id, "{command: [pass, show, openai/work], cache: 0.5}")
    registry = await confirmed(config_dir, instance_id)
    await registry.resolve_secret(instance_id, "api_key")
    await registry.resolve_secret(instance_id, "api_key")
    assert len(standins.runs()) == 1
    time.sleep(0.6)
    await registry.resolve_secret(instance_id, "api_key")
    assert len(standins.runs()) == 2


async def test_unconfirmed_command_key_is_refused_before_it_runs(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(config_dir, instance_id, ref("op"))
    registry = await open_registry(config_dir)
    with pytest.raises(UnpinnedKeyError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert "the command `op read op://Work/OpenAI/credential`" in str(caught.value)
    assert standins.runs() == []


async def test_pinned_by_argv_a_changed_argument_is_a_new_key(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(config_dir, instance_id, ref("op"))
    await confirmed(config_dir, instance_id)
    command_config(config_dir, instance_id, '{command: [op, read, "op://Other/Item/credential"]}')
    registry = await open_registry(config_dir)
    with pytest.raises(UnpinnedKeyError):
        await registry.resolve_secret(instance_id, "api_key")
    assert standins.runs() == []


@pytest.mark.parametrize("program", sorted(RECIPES))
async def test_recipes(
    standins: StandIns, config_dir: Path, instance_id: str, key: str, program: str
) -> None:
    command_config(config_dir, instance_id, f"{{command: {RECIPES[program]}}}")
    registry = await confirmed(config_dir, instance_id)
    assert (await registry.resolve_secret(instance_id, "api_key")).get_secret_value() == key
    assert standins.runs() == [f"{program} {EXPECTED_ARGS[program]}"]


async def test_string_form_is_split_without_a_shell(
    standins: StandIns, config_dir: Path, instance_id: str, key: str, tmp_path: Path
) -> None:
    marker = tmp_path / "shell-ran"
    command_config(
        config_dir, instance_id, f'{{command: "bw get password \\"OpenAI work\\"; touch {marker}"}}'
    )
    registry = await confirmed(config_dir, instance_id)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert "exit status 64" in str(caught.value)  # `;` and `touch` reached bw as arguments
    assert not marker.exists()
    command_config(config_dir, instance_id, '{command: "bw get password \\"OpenAI work\\""}')
    registry = await confirmed(config_dir, instance_id)
    assert (await registry.resolve_secret(instance_id, "api_key")).get_secret_value() == key


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            "signed-out",
            "failed (exit status 1): [ERROR] 2026/12/06 10:00:00 you are not currently "
            "signed in. Please run 'op signin'",
        ),
        ("empty", "printed nothing on standard output: warning: item has no password"),
        ("stdin", "printed nothing on standard output"),  # stdin is /dev/null, not a TTY
    ],
)
async def test_failures_name_instance_field_and_program(
    standins: StandIns, config_dir: Path, instance_id: str, mode: str, expected: str
) -> None:
    command_config(config_dir, instance_id, ref("op"))
    registry = await confirmed(config_dir, instance_id)
    standins.mode(mode)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert str(caught.value) == f"{instance_id}.api_key: the command 'op' {expected}"
    assert "second line" not in str(caught.value)


async def test_missing_program(standins: StandIns, config_dir: Path, instance_id: str) -> None:
    command_config(config_dir, instance_id, "{command: [no-such-secret-tool, read, x]}")
    registry = await confirmed(config_dir, instance_id)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert str(caught.value) == (
        f"{instance_id}.api_key: the command 'no-such-secret-tool' was not found "
        "(is it installed and on PATH?)"
    )


async def test_timeout_kills_the_process_group(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(
        config_dir,
        instance_id,
        "{command: [vault, kv, get, -field=api_key, secret/openai], timeout: 1}",
    )
    registry = await confirmed(config_dir, instance_id)
    standins.mode("slow")
    started = time.monotonic()
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert time.monotonic() - started < 8
    assert str(caught.value) == (
        f"{instance_id}.api_key: the command 'vault' did not finish within 1 s and was stopped"
    )
    child = int((standins.dir / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child), "the program's child (its process group) was not killed"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("mode", ["echo-key", "key-on-stdout-then-fail"])
async def test_key_printed_by_a_failing_program_is_redacted(
    standins: StandIns, config_dir: Path, instance_id: str, key: str, mode: str
) -> None:
    command_config(config_dir, instance_id, ref("op"))
    registry = await confirmed(config_dir, instance_id)
    standins.mode(mode)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    texts = [str(caught.value), repr(caught.value), *traceback.format_exception(caught.value)]
    assert not any(key in text for text in texts), texts
    if mode == "echo-key":
        assert str(caught.value).endswith(
            "failed (exit status 2): error: the credential *** was rejected"
        )
    # The key the program printed on stdout before failing is not in the message either.
    assert key[:12] not in str(caught.value)


# --------------------------------------------------------------------------- files others can write


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o660])
async def test_file_others_can_write_cannot_run_commands(
    standins: StandIns, config_dir: Path, instance_id: str, mode: int
) -> None:
    path = command_config(config_dir, instance_id, ref("op"))
    registry = await confirmed(config_dir, instance_id)
    path.chmod(mode)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert f"(mode {mode:04o})" in str(caught.value)
    assert str(path) in str(caught.value)
    status = (await registry.secret_status(check_keyring=False))[0]
    assert f"mode {mode:04o}" in (status.problem or "")
    done = run_cli("--check", str(config_dir), env=cli_env())
    assert done.returncode == 1
    assert (
        f"{path}:3:5: error[E218]: '{instance_id}' field 'api_key' runs command op, but {path} "
        f"is writable by" in done.stdout
    )
    assert f"(mode {mode:04o}); run `chmod go-w {path}`" in done.stdout
    done = run_cli("--check", "--secrets", str(config_dir), env=cli_env())
    assert "error[E401]" in done.stdout and "was not run" in done.stdout
    assert standins.runs() == []
    assert stat.S_IMODE(path.stat().st_mode) == mode


# --------------------------------------------------------------------------- --check --secrets


def test_check_secrets_runs_commands_and_reports_presence_only(
    standins: StandIns, config_dir: Path, instance_id: str, key: str
) -> None:
    command_config(config_dir, instance_id, ref("pass"))
    env = cli_env()
    cfg = ["--config", str(config_dir)]
    done = run_cli("--check", "--secrets", str(config_dir), env=env)
    assert done.returncode == 1  # present but not confirmed for any host
    assert "not confirmed" in done.stdout
    assert run_cli("secret", "confirm", instance_id, *cfg, env=env).returncode == 0
    runs = len(standins.runs())
    done = run_cli("--check", "--secrets", str(config_dir), env=env)
    assert done.returncode == 0, done
    assert len(standins.runs()) == runs + 1
    standins.mode("signed-out")
    done = run_cli("--check", "--secrets", "--format", "json", str(config_dir), env=env)
    assert done.returncode == 1
    assert "E401" in done.stdout and "exit status 1" in done.stdout
    assert run_cli("--check", str(config_dir), env=env).returncode == 0
    assert len(standins.runs()) == runs + 2  # plain --check ran nothing


# --------------------------------------------------------------------------- canary


def test_command_canary_never_leaks(
    standins: StandIns, config_dir: Path, instance_id: str, key: str
) -> None:
    command_config(config_dir, instance_id, ref("op"))
    env = cli_env()
    cfg = ["--config", str(config_dir)]
    outputs: list[str] = []

    def run(*args: str, code: int | None = 0) -> str:
        done = run_cli(*args, env=env)
        if code is not None:
            assert done.returncode == code, done
        outputs.extend([done.stdout, done.stderr])
        return done.stdout

    run("secret", "confirm", instance_id, *cfg)
    for args in [
        ("list", *cfg),
        ("list", "--json", *cfg),
        ("show", instance_id, *cfg),
        ("show", instance_id, "--json", *cfg),
        ("--check", "--secrets", str(config_dir)),
        ("check", "--secrets", "--format", "json", str(config_dir)),
        ("secret", "status", *cfg),
        ("secret", "status", "--json", *cfg),
    ]:
        run(*args)
    shown = run("exec", instance_id, *cfg, "--", "sh", "-c", 'echo "key length ${#OPENAI_API_KEY}"')
    assert shown == f"key length {len(key)}\n"  # the exec got the key
    standins.mode("echo-key")
    run("exec", instance_id, *cfg, "--", "true", code=None)
    run("--check", "--secrets", str(config_dir), code=1)
    standins.mode("key-on-stdout-then-fail")
    run("exec", instance_id, *cfg, "--", "true", code=None)
    run("check", "--secrets", "--format", "github", str(config_dir), code=1)
    assert not [text for text in outputs if key in text]
    assert "***" in "".join(outputs)
    for path in files_under(config_dir, state_dir(), Path(os.environ["HOME"])):
        assert key.encode() not in path.read_bytes(), path


def test_standin_script_is_plain_sh() -> None:
    # The stand-ins need only /bin/sh, cat and sleep: no test depends on a real manager.
    assert textwrap.dedent(STANDIN).startswith("#!/bin/sh")


# --------------------------------------------------------------------------- dashboard


async def test_table_and_details_never_run_commands(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    from provreg.registry.key_presence import instance_key_trouble
    from provreg.tui.widgets.detail_pane import presence_text

    command_config(config_dir, instance_id, ref("op"))
    registry = await open_registry(config_dir)
    trouble = instance_key_trouble(registry)
    assert instance_id not in trouble.missing
    assert instance_id in trouble.unconfirmed  # no host confirmed yet: flagged by its pin
    (status,) = await registry.secret_status(instance_id)  # what the Details pane asks
    reference = registry.get(instance_id).secret_ref("api_key")
    assert presence_text(reference, status, checking=False).plain == "command op – not checked"
    assert standins.runs() == []


# --------------------------------------------------------------------------- interactive


def _exec_on_a_terminal(config_dir: Path, instance_id: str) -> tuple[int, str]:
    """`provreg exec` with a pseudo-terminal as its stdin; its exit code and stdout."""
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "provreg", "exec", instance_id, "--config", str(config_dir)]
            + ["--", "sh", "-c", 'echo "key length ${#OPENAI_API_KEY}"'],
            stdin=follower,
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("interactive", [True, False])
def test_interactive_lets_the_cli_give_the_program_the_terminal(
    standins: StandIns, config_dir: Path, instance_id: str, key: str, interactive: bool
) -> None:
    option = ", interactive: true" if interactive else ""
    command_config(config_dir, instance_id, f"{{command: {RECIPES['op']}{option}}}")
    assert run_cli("secret", "confirm", instance_id, "--config", str(config_dir)).returncode == 0
    standins.mode("tty")
    code, output = _exec_on_a_terminal(config_dir, instance_id)
    if interactive:
        assert (code, output) == (0, f"key length {len(key)}\n")
    else:
        assert code != 0 and "no terminal to sign in" in output, output
    assert key not in output


async def test_interactive_is_not_honoured_outside_the_cli(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(config_dir, instance_id, f"{{command: {RECIPES['op']}, interactive: true}}")
    registry = await confirmed(config_dir, instance_id)  # as the dashboard opens it
    standins.mode("tty")
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert "no terminal to sign in" in str(caught.value)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
async def test_file_owned_by_another_user_cannot_run_commands(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    path = command_config(config_dir, instance_id, ref("op"))
    registry = await confirmed(config_dir, instance_id)
    os.chown(path, 12345, -1)
    with pytest.raises(SecretCommandError) as caught:
        await registry.resolve_secret(instance_id, "api_key")
    assert "owned by another user (uid 12345, mode 0600)" in str(caught.value)
    done = run_cli("--check", str(config_dir), env=cli_env())
    assert done.returncode == 1 and "error[E218]" in done.stdout
    assert standins.runs() == []


def test_secret_status_shows_the_program_and_not_checked(
    standins: StandIns, config_dir: Path, instance_id: str
) -> None:
    command_config(config_dir, instance_id, ref("vault"))
    done = run_cli("secret", "status", "--config", str(config_dir), env=cli_env())
    assert done.returncode == 0, done
    (row,) = [line for line in done.stdout.splitlines() if line.startswith(instance_id)]
    assert "command vault" in row and "not checked" in row
    assert standins.runs() == []
