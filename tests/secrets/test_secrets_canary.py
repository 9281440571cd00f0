"""The canary: a key `sk-canary-<random>` stored through the CLI must never
appear in any command's stdout or stderr, in any file under the config dir,
the state dir (audit log, index), or anywhere else under the test's HOME; nor
in `repr`/`str` of values and of every exception the secret paths raise."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import CliResult, canary_value, cli_env, run_cli
from helpers.files import files_under, state_dir, write_config
from helpers.keyrings import SECRET_SERVICE_BACKEND, BlockingKeyring, CountingKeyring
from helpers.secret_service import SecretServiceDaemon
from keyring.backend import KeyringBackend
from pydantic import SecretStr

from provreg.registry import ProviderRegistry
from provreg.secrets import (
    InsecureSecretFileError,
    OriginChangedError,
    SecretBackendError,
    SecretError,
    SecretMissingError,
    SecretStore,
    SecretTimeoutError,
    UnpinnedKeyError,
)

pytestmark = pytest.mark.anyio


def canary_config(config_dir: Path, instance_id: str) -> None:
    write_config(
        config_dir,
        f"""
        version: 1
        # canary test
        providers:
          - id: {instance_id}
            name: Canary {instance_id}
            provider: openai
            default_model: gpt-4o
          - id: other
            name: Other
            provider: anthropic
            api_key: {{env: OTHER_KEY}}
        """,
    )


def watch(config_dir: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "provreg", "watch", str(config_dir), *extra],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_available(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    return "".join(iter(process.stdout.readline, ""))


def stop(process: subprocess.Popen[str], seen: str) -> CliResult:
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    return CliResult(tuple(process.args), process.returncode, seen + (out or ""), err or "")  # type: ignore[arg-type]


def test_canary_never_leaks(
    secret_service: SecretServiceDaemon, tmp_path: Path, config_dir: Path, instance_id: str
) -> None:
    canary = canary_value()
    second = canary_value()
    canary_config(config_dir, instance_id)
    env = cli_env(SECRET_SERVICE_BACKEND, OTHER_KEY="sk-other")
    cfg = ["--config", str(config_dir)]
    results: list[CliResult] = []

    def run(*args: str, input: str | None = None) -> CliResult:
        done = run_cli(*args, input=input, env=env)
        assert done.returncode == 0, done
        results.append(done)
        return done

    run("secret", "set", instance_id, *cfg, input=canary + "\n")
    assert secret_service.lookup(f"{instance_id}/api_key") == canary

    # Every read-only command, with and without --json where it has one.
    readers: list[tuple[str, ...]] = [
        ("list", *cfg),
        ("list", "--json", *cfg),
        ("show", instance_id, *cfg),
        ("show", instance_id, "--json", *cfg),
        ("check", str(config_dir)),
        ("check", "--format", "json", str(config_dir)),
        ("--check", "--secrets", str(config_dir)),
        ("check", "--secrets", "--format", "json", str(config_dir)),
        ("check", "--secrets", "--format", "github", str(config_dir)),
        ("show-registry", str(config_dir)),
        ("schema", *cfg),
        ("catalog", *cfg),
        ("catalog", "--json", *cfg),
        ("secret", "status", *cfg),
        ("secret", "status", "--json", *cfg),
        ("secret", "prune", *cfg),
        ("secret", "prune", "--json", *cfg),
        ("secret", "import", "--dry-run", *cfg),
        ("secret", "confirm", instance_id, *cfg),
        ("exec", instance_id, *cfg, "--", "sh", "-c", 'echo "key length ${#OPENAI_API_KEY}"'),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:  # read-only: safe side by side
        for done in pool.map(lambda args: run_cli(*args, env=env), readers):
            assert done.returncode == 0, done
            results.append(done)
    assert results[-1].stdout == f"key length {len(canary)}\n"  # the exec saw the key

    # watch (text and --json) reports changes to the files, then is interrupted. The
    # watchers start asynchronously, so the file is changed until both have seen it.
    watchers = [watch(config_dir, env), watch(config_dir, env, "--json")]
    seen = ["", ""]
    try:
        yaml_file = config_dir / "providers.yaml"
        original = yaml_file.read_text()
        deadline = time.monotonic() + 20
        n = 0
        while time.monotonic() < deadline and not all(instance_id in text for text in seen):
            n += 1
            yaml_file.write_text(original.replace("gpt-4o", f"gpt-4o-{n}"))
            time.sleep(0.3)
            seen = [text + read_available(w) for text, w in zip(seen, watchers, strict=True)]
        yaml_file.write_text(original)
    finally:
        stopped = [stop(w, s) for w, s in zip(watchers, seen, strict=True)]
    results.extend(stopped)
    for result in stopped:
        assert instance_id in result.stdout, result
    run("edit", instance_id, "--set", "default_model=gpt-5", *cfg)
    run("edit", instance_id, "--set", "default_model=gpt-4.1", "--json", *cfg)
    run("add", "openai", "--name", "Second", "--id", "second", "--ref", "api_key=keyring", *cfg)
    run("add", "anthropic", "--name", "Third", "--json", *cfg)
    run("secret", "set", "second", "api_key", *cfg, input=second)
    run("secret", "status", "second", *cfg)
    run("secret", "rm", "second", "api_key", *cfg)
    assert secret_service.lookup("second/api_key") is None
    run("rm", "second", "--yes", *cfg)
    run("rm", "third", "--yes", "--json", *cfg)
    # `rm` removes the key provreg stored for the instance; an instance deleted
    # behind provreg's back (its YAML edited) leaves an orphan that prune removes.
    third_party = "orphan"
    run("add", "openai", "--name", "Orphan", "--id", third_party, *cfg)
    run("secret", "set", third_party, "api_key", *cfg, input=second)
    from provreg.config.edit import InstanceKey, delete_instance

    for path in config_dir.rglob("*.yaml"):
        text = path.read_text()
        if f"id: {third_party}" in text:  # as an editor would: the entry's lines go
            path.write_text(delete_instance(text, InstanceKey(third_party, "Orphan")))
    assert third_party in run("secret", "prune", *cfg).stdout
    run("secret", "prune", "--yes", "--json", *cfg)
    assert secret_service.lookup(f"{third_party}/api_key") is None
    run("rm", instance_id, "--yes", *cfg)
    assert secret_service.lookup(f"{instance_id}/api_key") is None
    assert "no orphaned" in run("secret", "prune", *cfg).stdout
    run("log")
    run("log", "--json")

    for value in (canary, second):
        for result in results:
            assert value not in result.stdout, f"stdout of {result.args}"
            assert value not in result.stderr, f"stderr of {result.args}"
        audit = state_dir() / "audit.jsonl"
        assert audit.exists() and value not in audit.read_text()
        scanned = list(files_under(config_dir, state_dir(), os.environ["HOME"], tmp_path))
        assert any(p.name == "secrets-index.json" for p in scanned)
        for path in scanned:
            assert value.encode() not in path.read_bytes(), path


# --------------------------------------------------------------------------- in process


class LeakyKeyring(KeyringBackend):
    """A real (if careless) backend whose errors quote what it was given."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"cannot read {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise ValueError(f"backend rejected the password {password!r}\nsecond line")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("cannot delete")


def texts_of(error: BaseException) -> Iterator[str]:
    yield str(error)
    yield repr(error)
    yield "".join(traceback.format_exception(error))
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            yield from texts_of(linked)


async def test_values_and_exceptions_never_show_the_canary(
    config_dir: Path, instance_id: str
) -> None:
    canary = canary_value()
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: In process
            provider: openai
          - id: by-env
            name: By env
            provider: openai
            api_key: {{env: CANARY_ENV}}
          - id: by-file
            name: By file
            provider: openai
            api_key: {{file: ~/canary.key}}
        """,
    )
    backend = CountingKeyring()
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret(instance_id, "api_key", SecretStr(canary))
    resolved = await registry.resolve_secret(instance_id)
    os.environ["CANARY_ENV"] = canary
    from_env = await registry.resolve_secret("by-env")
    key = Path(os.environ["HOME"]) / "canary.key"
    key.write_text(canary)
    key.chmod(0o600)
    await collect_unpinned(registry.resolve_secret("by-file"), canary)
    await registry.confirm_origin("by-file")
    from_file = await registry.resolve_secret("by-file")
    for secret in (resolved, from_env, from_file):
        assert secret.get_secret_value() == canary
        for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}"):
            assert canary not in text
    for status in await registry.secret_status():
        assert canary not in repr(status)

    errors: list[BaseException] = []

    async def collect(call: object, *args: object) -> None:
        try:
            await call(*args)  # type: ignore[operator]
        except SecretError as exc:
            errors.append(exc)
        else:
            raise AssertionError(f"{call} did not fail")

    key.chmod(0o644)
    registry.secret_store().invalidate()
    await collect(registry.resolve_secret, "by-file")  # insecure file
    os.environ["CANARY_ENV"] = ""
    await collect(registry.resolve_secret, "by-env")  # empty variable
    key.unlink()
    await collect(registry.resolve_secret, "by-file")  # missing file
    leaky = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=LeakyKeyring())
    )
    await collect(leaky.set_secret, instance_id, "api_key", SecretStr(canary))
    await collect(leaky.resolve_secret, instance_id)
    await registry.update(instance_id, {"base_url": "https://elsewhere.example/v1"})
    await collect(registry.resolve_secret, instance_id)  # origin changed

    blocking = BlockingKeyring()
    slow = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=blocking, timeout=0.2)
    )
    try:
        await collect(slow.set_secret, instance_id, "api_key", SecretStr(canary))
    finally:
        blocking.release.set()

    kinds = [type(e) for e in errors]
    assert kinds == [
        InsecureSecretFileError,
        SecretMissingError,
        SecretMissingError,
        SecretBackendError,
        SecretBackendError,
        OriginChangedError,
        SecretTimeoutError,
    ]
    assert "ValueError" in str(errors[3])  # the backend's failure is named, not quoted
    for error in errors:
        for text in texts_of(error):
            assert canary not in text, (type(error).__name__, text)


async def test_logging_records_are_redacted(config_dir: Path, instance_id: str) -> None:
    """Once resolved, a value is redacted from any log record (whatever the logger or
    handler); a mapping argument's secret-named keys are redacted even unresolved."""
    from provreg.secrets.redaction import install_redaction

    canary, unresolved = canary_value(), canary_value()
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: Logged
            provider: openai
            api_key: {{env: LOGGED_KEY}}
        """,
    )
    os.environ["LOGGED_KEY"] = canary
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    for name in ("provreg.secrets", "httpx"):
        logging.getLogger(name).addHandler(handler)
    try:
        install_redaction()
        registry = await ProviderRegistry.open(
            [str(config_dir)], secrets=SecretStore(backend=CountingKeyring())
        )
        secret = await registry.resolve_secret(instance_id)
        log, third_party = logging.getLogger("provreg.secrets"), logging.getLogger("httpx")
        log.warning("request failed: api_key=%s", secret.get_secret_value())
        log.warning(f"header Authorization: Bearer {secret.get_secret_value()}")
        third_party.warning("sending %s", {"api_key": unresolved, "base_url": "https://x"})
        third_party.warning("%s", [secret.get_secret_value()])
    finally:
        for name in ("provreg.secrets", "httpx"):
            logging.getLogger(name).removeHandler(handler)
    output = stream.getvalue()
    assert output.count("***") == 4, output
    assert "api_key" in output and "https://x" in output
    assert canary not in output and unresolved not in output


async def collect_unpinned(resolving: Any, canary: str) -> None:
    """A key with no pin is refused, and the refusal never shows the key."""
    try:
        await resolving
    except UnpinnedKeyError as exc:
        assert canary not in str(exc) and canary not in repr(exc)
    else:
        raise AssertionError("an unpinned key was released")


async def test_canary_behind_a_command_reference(
    config_dir: Path, instance_id: str, tmp_path: Path
) -> None:
    """A canary key a `{command: ...}` program prints: on stdout (the key), echoed on
    stderr by a failing program, printed on stdout by one that then fails. It is
    never in a value's text, a status, an exception (with its chain and traceback)
    or a log record. tests/secrets/test_secrets_command.py covers the CLI side."""
    canary = canary_value()
    program = tmp_path / "bin" / "secret-tool-standin"
    program.parent.mkdir()
    (tmp_path / "key").write_text(canary)
    (tmp_path / "mode").write_text("ok")
    program.write_text(
        "#!/bin/sh\n"
        f'd="{tmp_path}"\n'
        'case "$(cat "$d/mode")" in\n'
        '  ok) cat "$d/key" ;;\n'
        '  echo) echo "denied: $(cat "$d/key")" >&2; exit 1 ;;\n'
        '  stdout) cat "$d/key"; exit 2 ;;\n'
        "esac\n"
    )
    program.chmod(0o755)
    path = write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: By command
            provider: openai
            api_key: {{command: [{program}, read, item], cache: 0.01}}
        """,
    )
    path.chmod(0o600)
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=CountingKeyring())
    )
    errors: list[BaseException] = []
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        for mode in ("echo", "stdout"):  # before the key was ever read in this process
            (tmp_path / "mode").write_text(mode)
            await collect_unpinned(registry.resolve_secret(instance_id), canary)
        await registry.confirm_origin(instance_id)
        for mode in ("echo", "stdout"):
            (tmp_path / "mode").write_text(mode)
            try:
                await registry.resolve_secret(instance_id)
            except SecretError as exc:
                errors.append(exc)
                logging.getLogger("provreg.test").warning("failed: %s", exc)
        (tmp_path / "mode").write_text("ok")
        secret = await registry.resolve_secret(instance_id)
        assert secret.get_secret_value() == canary
        for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}"):
            assert canary not in text
        for status in await registry.secret_status():
            assert canary not in repr(status)
        time.sleep(0.05)
        (tmp_path / "mode").write_text("echo")  # now the key is known: redacted by value
        try:
            await registry.resolve_secret(instance_id)
        except SecretError as exc:
            errors.append(exc)
    finally:
        logging.getLogger().removeHandler(handler)
    assert len(errors) == 3
    assert all("'secret-tool-standin'" in str(e) for e in errors)
    for error in errors:
        for text in texts_of(error):
            assert canary not in text, (type(error).__name__, text)
    assert records and not [r for r in records if canary in r]
