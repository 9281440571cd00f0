"""`provreg secret import`: plaintext keys found in YAML move into the real
Secret Service; only their lines change (to `{keyring: true}`), comments
stay, `id:` is written where it was missing; `--dry-run` changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from helpers.cli import cli_env, run_cli
from helpers.files import state_dir, write_config
from helpers.keyrings import FAIL_BACKEND, SECRET_SERVICE_BACKEND, CountingKeyring
from helpers.secret_service import SecretServiceDaemon

from provreg.registry.secret_import import import_plaintext
from provreg.secrets import SecretStore
from provreg.secrets.index import SecretIndex

PLAINTEXT_YAML = """
version: 1
# Team providers (this comment stays)
providers:
  - id: {a}
    name: Work {a}
    provider: openai
    api_key: {key_a}   # pasted by mistake
    default_model: gpt-4o
  # the second entry has no id
  - name: Personal {b}
    provider: anthropic
    base_url: https://api.anthropic.com
    api_key: "{key_b}"
"""


@pytest.fixture
def plaintext_config(config_dir: Path, instance_id: str) -> tuple[Path, dict[str, str]]:
    keys = {"a": f"sk-plain-{instance_id}-a", "b": f"sk-ant-plain-{instance_id}-b"}
    path = write_config(
        config_dir,
        PLAINTEXT_YAML.format(a=instance_id, b=instance_id, key_a=keys["a"], key_b=keys["b"]),
    )
    return path, keys


def test_dry_run_changes_nothing(
    secret_service: SecretServiceDaemon,
    config_dir: Path,
    instance_id: str,
    plaintext_config: tuple[Path, dict[str, str]],
) -> None:
    path, keys = plaintext_config
    before = path.read_bytes()
    done = run_cli(
        "secret",
        "import",
        "--dry-run",
        "--config",
        str(config_dir),
        env=cli_env(SECRET_SERVICE_BACKEND),
    )
    assert done.returncode == 0, done.output
    assert done.stdout.count("would move") == 2
    assert f"{instance_id}.api_key" in done.stdout
    assert f"personal-{instance_id}.api_key" in done.stdout
    assert path.read_bytes() == before
    assert secret_service.lookup(f"{instance_id}/api_key") is None
    assert secret_service.lookup(f"personal-{instance_id}/api_key") is None
    assert not (state_dir() / "secrets-index.json").exists()
    for value in keys.values():
        assert value not in done.output


def test_import_moves_keys_and_rewrites_only_those_lines(
    secret_service: SecretServiceDaemon,
    config_dir: Path,
    instance_id: str,
    plaintext_config: tuple[Path, dict[str, str]],
) -> None:
    path, keys = plaintext_config
    env = cli_env(SECRET_SERVICE_BACKEND)
    before = path.read_text()
    done = run_cli("secret", "import", "--config", str(config_dir), env=env)
    assert done.returncode == 0, done.output
    assert done.stdout.count("moved") == 2
    for value in keys.values():
        assert value not in done.output

    assert secret_service.lookup(f"{instance_id}/api_key") == keys["a"]
    assert secret_service.lookup(f"personal-{instance_id}/api_key") == keys["b"]
    expected = (
        before.replace(f"api_key: {keys['a']}   #", "api_key: {keyring: true}   #")
        .replace(f'api_key: "{keys["b"]}"', "api_key: {keyring: true}")
        .replace(
            f"  - name: Personal {instance_id}",
            f"  - id: personal-{instance_id}\n    name: Personal {instance_id}",
        )
    )
    assert path.read_text() == expected
    assert "# Team providers (this comment stays)" in expected

    hosts = {e.instance_id: e.hosts for e in SecretIndex().entries()}
    assert hosts == {
        instance_id: ("api.openai.com",),
        f"personal-{instance_id}": ("api.anthropic.com",),
    }
    lines = (state_dir() / "audit.jsonl").read_text().splitlines()
    audit = [e for e in map(json.loads, lines) if "record" not in e]  # changes, not intents
    assert {(e["action"], e["instance_id"]) for e in audit} == {
        ("secret-import", instance_id),
        ("secret-import", f"personal-{instance_id}"),
    }

    # The files now validate, and the keys resolve through the references.
    assert run_cli("check", str(config_dir), env=env).returncode == 0
    same = run_cli(
        "exec",
        f"personal-{instance_id}",
        "--config",
        str(config_dir),
        "--",
        "sh",
        "-c",
        f'test "$ANTHROPIC_API_KEY" = "{keys["b"]}"',
        env=env,
    )
    assert same.returncode == 0, same.output

    again = run_cli("secret", "import", "--config", str(config_dir), env=env)
    assert again.stdout == "no plaintext secrets found\n"


def test_import_with_no_keyring_or_read_only_leaves_the_file(
    config_dir: Path, plaintext_config: tuple[Path, dict[str, str]]
) -> None:
    path, keys = plaintext_config
    before = path.read_bytes()
    refused = run_cli("secret", "import", "--config", str(config_dir), env=cli_env(FAIL_BACKEND))
    assert refused.returncode == 1
    assert "no usable keyring backend" in refused.stderr
    read_only = run_cli(
        "secret",
        "import",
        "--read-only",
        "--config",
        str(config_dir),
        env=cli_env(SECRET_SERVICE_BACKEND),
    )
    assert read_only.returncode == 1 and "read-only" in read_only.stderr
    assert path.read_bytes() == before
    for value in keys.values():
        assert value not in refused.output + read_only.output


def test_import_never_takes_an_id_another_entry_states(config_dir: Path) -> None:
    """An entry without `id:` whose name slugifies to another entry's id gets the id the
    loader derives (`work-openai-2`), so the other instance's key is not overwritten."""
    path = write_config(
        config_dir,
        """
        version: 1
        providers:
          - id: work-openai
            name: Personal
            provider: openai
          - name: Work OpenAI
            provider: openai
            api_key: sk-pasted-for-work
        """,
    )
    backend = CountingKeyring()
    backend.values[("provreg", "work-openai/api_key")] = "sk-personal-untouched"
    store = SecretStore(backend=backend)
    moved = anyio.run(lambda: import_plaintext([str(config_dir)], store=store))
    assert [(m.instance_id, m.field) for m in moved] == [("work-openai-2", "api_key")]
    assert backend.values == {
        ("provreg", "work-openai/api_key"): "sk-personal-untouched",
        ("provreg", "work-openai-2/api_key"): "sk-pasted-for-work",
    }
    assert "  - id: work-openai-2\n    name: Work OpenAI\n" in path.read_text()
    assert "api_key: {keyring: true}" in path.read_text()
