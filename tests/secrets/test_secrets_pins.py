"""Pins belong to the key, not to the instance that stored it.

The adversarial trial's holes, each as it was found: a second instance
naming another's keyring entry with an attacker's base URL, a `{file: ...}`
key (an SSH private key, /proc/self/environ, a FIFO) released to any host,
and deleting a key that another instance still uses. Most of these run the
real CLI against a real Secret Service, as the trial did.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import state_dir, write_config
from helpers.keyrings import SECRET_SERVICE_BACKEND, CountingKeyring
from helpers.secret_service import SecretServiceDaemon
from pydantic import SecretStr

from provreg.registry import ProviderRegistry
from provreg.secrets import SecretError, SecretStore

pytestmark = pytest.mark.anyio

ATTACKER = "https://attacker.example.org/v1"
CHECK = ["--", "sh", "-c", 'test -n "$OPENAI_API_KEY" && echo released']


def two_instances(config_dir: Path, *, second_url: str = ATTACKER) -> None:
    """`kr-inst` with its own key; `second` naming kr-inst's keyring entry."""
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: kr-inst
            name: Keyring instance
            provider: openai
            base_url: https://api.openai.com/v1
          - id: second
            name: Second
            provider: openai
            base_url: {second_url}
            api_key: {{keyring: kr-inst/api_key}}
        """,
    )


# --------------------------------------------------------------------------- defect 1


def test_a_named_keyring_reference_does_not_carry_the_key_to_another_host(
    secret_service: SecretServiceDaemon, config_dir: Path
) -> None:
    two_instances(config_dir)
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = canary_value()
    assert run_cli("secret", "set", "kr-inst", *cfg, input=value, env=env).returncode == 0
    assert run_cli("exec", "kr-inst", *cfg, *CHECK, env=env).stdout == "released\n"

    refused = run_cli("exec", "second", *cfg, *CHECK, env=env)
    assert refused.returncode == 1, refused.output
    assert "released" not in refused.stdout and value not in refused.output
    # The message says where the key may go, where it was asked to go, and how to allow it.
    assert "pinned to 'api.openai.com'" in refused.stderr
    assert "'attacker.example.org'" in refused.stderr
    assert "provreg secret confirm second" in refused.stderr

    status = run_cli("secret", "status", "second", "--json", *cfg, env=env)
    [row] = json.loads(status.stdout)
    assert row["present"] is True and "pinned to 'api.openai.com'" in row["problem"]

    confirmed = run_cli("secret", "confirm", "second", *cfg, env=env)
    assert confirmed.returncode == 0 and "1 stored key" in confirmed.stdout
    assert run_cli("exec", "second", *cfg, *CHECK, env=env).stdout == "released\n"
    # The first instance still has its key: a confirmation adds a host, takes none away.
    assert run_cli("exec", "kr-inst", *cfg, *CHECK, env=env).stdout == "released\n"


async def test_a_same_host_instance_shares_the_key_without_a_question(
    config_dir: Path,
) -> None:
    two_instances(config_dir, second_url="https://api.openai.com/v2")
    backend = CountingKeyring()
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret("kr-inst", "api_key", SecretStr("sk-shared"))
    assert (await registry.resolve_secret("second")).get_secret_value() == "sk-shared"


def private_file(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(0o600)
    return path


def file_instances(config_dir: Path, key_path: str) -> None:
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: mine
            name: Mine
            provider: openai
            base_url: https://api.openai.com/v1
            api_key: {{file: {key_path}}}
          - id: theirs
            name: Theirs
            provider: openai
            base_url: {ATTACKER}
            api_key: {{file: {key_path}}}
        """,
    )


def test_a_file_key_goes_to_no_host_until_confirmed_and_then_only_there(
    config_dir: Path,
) -> None:
    """Any 0600 file (an SSH private key) was released to any host."""
    home = Path(os.environ["HOME"])
    secret = "-----BEGIN OPENSSH PRIVATE KEY----- " + canary_value()
    private_file(home / ".ssh" / "id_ed25519", secret)
    file_instances(config_dir, "~/.ssh/id_ed25519")
    cfg = ["--config", str(config_dir)]

    for instance in ("mine", "theirs"):
        refused = run_cli("exec", instance, *cfg, *CHECK)
        assert refused.returncode == 1, refused.output
        assert "not confirmed for any host" in refused.stderr
        assert f"provreg secret confirm {instance}" in refused.stderr
        assert secret not in refused.output

    assert run_cli("secret", "confirm", "mine", *cfg).returncode == 0
    assert run_cli("exec", "mine", *cfg, *CHECK).stdout == "released\n"
    theirs = run_cli("exec", "theirs", *cfg, *CHECK)
    assert theirs.returncode == 1 and "pinned to 'api.openai.com'" in theirs.stderr

    # The pin follows the real file: another path to it (a symlink) is the same key.
    (home / "link-to-key").symlink_to(home / ".ssh" / "id_ed25519")
    file_instances(config_dir, "~/link-to-key")
    assert run_cli("exec", "mine", *cfg, *CHECK).stdout == "released\n"
    assert run_cli("exec", "theirs", *cfg, *CHECK).returncode == 1


# --------------------------------------------------------------------------- item 11


def test_a_key_file_with_a_nul_byte_is_refused_not_a_traceback(config_dir: Path) -> None:
    """`{file: /proc/self/environ}` crashed exec with `ValueError: embedded null byte`."""
    cfg = ["--config", str(config_dir)]
    for path in ("/proc/self/environ", str(Path(os.environ["HOME"]) / "nul.key")):
        if path.endswith("nul.key"):
            private_file(Path(path), "sk-before\x00after")
        file_instances(config_dir, path)
        assert run_cli("secret", "confirm", "mine", *cfg).returncode == 0
        done = run_cli("exec", "mine", *cfg, *CHECK)
        assert done.returncode == 1, done.output
        assert "Traceback" not in done.stderr
        assert "holds a NUL byte, so it is not a key" in done.stderr, done.stderr


def test_a_fifo_key_file_is_refused_at_once(config_dir: Path) -> None:
    """A FIFO waited 5 s, then the error blamed the keyring."""
    fifo = Path(os.environ["HOME"]) / "key.fifo"
    os.mkfifo(fifo, 0o600)
    file_instances(config_dir, str(fifo))
    cfg = ["--config", str(config_dir)]
    assert run_cli("secret", "confirm", "mine", *cfg).returncode == 0
    started = time.monotonic()
    done = run_cli("exec", "mine", *cfg, *CHECK, timeout=20)
    waited = time.monotonic() - started
    assert done.returncode == 1, done.output
    assert "not a regular file (a FIFO)" in done.stderr, done.stderr
    assert "keyring" not in done.stderr
    # Not a timing assertion: a FIFO read would block until the 5 s keyring timeout.
    assert waited < 5, waited


# --------------------------------------------------------------------------- defect 4


def shared_config(config_dir: Path) -> None:
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: first
            name: First
            provider: openai
            api_key: {keyring: shared}
          - id: second
            name: Second
            provider: openai
            api_key: {keyring: shared}
        """,
    )


def test_rm_keeps_a_key_another_instance_references(
    secret_service: SecretServiceDaemon, config_dir: Path
) -> None:
    shared_config(config_dir)
    env = cli_env(SECRET_SERVICE_BACKEND)
    cfg = ["--config", str(config_dir)]
    value = canary_value()
    assert run_cli("secret", "set", "first", *cfg, input=value, env=env).returncode == 0

    removed = run_cli("rm", "first", "--yes", *cfg, env=env)
    assert removed.returncode == 0, removed.output
    assert "kept the key shared ('second' still uses it)" in removed.stdout
    assert secret_service.lookup("shared") == value
    assert run_cli("exec", "second", *cfg, *CHECK, env=env).stdout == "released\n"

    # `secret rm` on the last user removes it; on a shared one it refuses.
    shared_config(config_dir)
    refused = run_cli("secret", "rm", "first", *cfg, env=env)
    assert refused.returncode == 1, refused.output
    assert "'second' still references it" in refused.stderr
    assert secret_service.lookup("shared") == value

    # prune: referenced keys are not orphans, whoever stored them.
    pruned = run_cli("secret", "prune", "--yes", *cfg, env=env)
    assert "no orphaned keyring entries" in pruned.stdout
    assert secret_service.lookup("shared") == value

    # With the last reference gone, the key goes with its instance.
    assert run_cli("rm", "second", "--yes", *cfg, env=env).returncode == 0
    last = run_cli("rm", "first", "--yes", "--json", *cfg, env=env)
    assert json.loads(last.stdout)["keys_removed"] == ["shared"]
    assert secret_service.lookup("shared") is None


async def test_prune_lists_only_keys_no_instance_references(config_dir: Path) -> None:
    shared_config(config_dir)
    backend = CountingKeyring()
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret("first", "api_key", SecretStr("sk-shared"))
    # Both instances move to env keys: the stored entry is now an orphan.
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - {id: first, name: First, provider: openai, api_key: {env: K}}
          - {id: second, name: Second, provider: openai, api_key: {env: K}}
        """,
    )
    await registry.reload()
    store = registry.secret_store()
    orphans = [pin.user for pin in store.index.stored_entries() if not registry.key_users(pin.key)]
    assert orphans == ["shared"]


async def test_secret_rm_of_a_shared_key_names_who_uses_it(config_dir: Path) -> None:
    shared_config(config_dir)
    backend = CountingKeyring()
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    await registry.set_secret("second", "api_key", SecretStr("sk-shared"))
    with pytest.raises(SecretError, match="'first' still references it"):
        await registry.remove_secret("second", "api_key")
    assert backend.values[("provreg", "shared")] == "sk-shared"


# --------------------------------------------------------------------------- defect 8


def test_migrate_upgrade_pins_moved_keys_to_the_providers_default_host(
    secret_service: SecretServiceDaemon, tmp_path: Path
) -> None:
    config = tmp_path / "legacy"
    config.mkdir()
    value = canary_value()
    (config / "old.yaml").write_text(
        f"- customName: Work\n  provider: openai\n  apiKey: {value}\n", encoding="utf-8"
    )
    env = cli_env(SECRET_SERVICE_BACKEND)
    upgraded = run_cli("migrate", "--upgrade", str(config), env=env)
    assert upgraded.returncode == 0, upgraded.output
    index = json.loads((state_dir() / "secrets-index.json").read_text())
    [entry] = index["entries"]
    assert entry["hosts"] == ["api.openai.com"], entry
    done = run_cli("exec", "work", "--config", str(config), *CHECK, env=env)
    assert done.stdout == "released\n", done.output
    audit = [json.loads(line) for line in (state_dir() / "audit.jsonl").read_text().splitlines()]
    assert ("secret-import", "work", ["api_key"]) in [
        (e["action"], e["instance_id"], e["fields"]) for e in audit
    ]


# --------------------------------------------------------------------------- target first


def test_secret_set_checks_its_target_before_asking_for_the_key(config_dir: Path) -> None:
    """It read stdin (or prompted) first, then refused; piped, it said `stdin was empty`."""
    write_config(
        config_dir,
        """
        version: 1
        providers:
          - {id: work, name: Work, provider: openai}
          - {id: gem, name: Gem, provider: google-gemini, api_key: {env: GEMINI_API_KEY}}
        """,
    )
    cfg = ["--config", str(config_dir)]
    for args, reason in (
        (("gem",), "references env GEMINI_API_KEY: provreg does not write there"),
        (("work", "base_url"), "'base_url' is not a secret field"),
        (("nobody",), "nobody"),
        (("work",), "no usable keyring backend"),  # the tests' default: keyring's fail backend
    ):
        done = run_cli("secret", "set", *args, *cfg, input="")
        assert done.returncode in (1, 2), done.output
        assert reason in done.stderr, done.stderr
        assert "stdin was empty" not in done.stderr
