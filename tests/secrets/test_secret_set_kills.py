"""kill -9 during `provreg secret set`, at each of its steps, on a real Secret Service.

The trial killed `secret set` 83 times between storing the key and pinning
it: 82 left a key with no pin, which a changed base_url then received. The
pin is now recorded first, so whatever step the kill hits, a key in the
keyring always has a pin, and a key with no pin is released nowhere.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import openai_config, state_dir
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon

from provreg.faults import KILL_AT_ENV, SECRET_SET_AFTER_PIN, SECRET_SET_AFTER_STORE

CHECK = ["--", "sh", "-c", 'test -n "$OPENAI_API_KEY" && echo released']


def pins() -> dict[str, list[str | None]]:
    path = state_dir() / "secrets-index.json"
    if not path.exists():
        return {}
    return {e["name"]: e["hosts"] for e in json.loads(path.read_text())["entries"]}


@pytest.mark.parametrize("point", [SECRET_SET_AFTER_PIN, SECRET_SET_AFTER_STORE])
def test_a_kill_at_any_step_never_leaves_a_key_without_a_pin(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str, point: str
) -> None:
    openai_config(config_dir, instance_id)
    cfg = ["--config", str(config_dir)]
    env = cli_env(SECRET_SERVICE_BACKEND)
    user = f"{instance_id}/api_key"
    value = canary_value()

    killed = run_cli(
        "secret", "set", instance_id, *cfg, input=value, env={**env, KILL_AT_ENV: point}
    )
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.output}"

    stored = secret_service.lookup(user)
    # The invariant: a key in the keyring has a pin; a pin may lack its key.
    assert pins().get(user) == ["api.openai.com"]
    assert stored in (None, value)
    assert (stored is not None) == (point == SECRET_SET_AFTER_STORE)

    # Whatever was left, a changed host gets nothing, and the message is no traceback.
    openai_config(config_dir, instance_id, base_url="https://collector.evil.example/v1")
    moved = run_cli("exec", instance_id, *cfg, *CHECK, env=env)
    assert moved.returncode == 1 and "released" not in moved.stdout
    assert "Traceback" not in moved.stderr and value not in moved.output

    # Run again to the end: the key works for the host it was pinned to.
    openai_config(config_dir, instance_id)
    assert run_cli("secret", "set", instance_id, *cfg, input=value, env=env).returncode == 0
    assert run_cli("exec", instance_id, *cfg, *CHECK, env=env).stdout == "released\n"
    assert pins().get(user) == ["api.openai.com"]
