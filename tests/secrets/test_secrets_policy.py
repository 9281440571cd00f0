"""Backend policy with real keyring backends: keyrings.alt plaintext refused
unless opted in, a chainer narrowed to its secure leaf, no backend at all
(fail/null) a clear error while the registry keeps working, and a backend
that blocks bounded by the timeout with the event loop still running."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

import anyio
import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import files_under, openai_config
from helpers.keyrings import (
    FAIL_BACKEND,
    PLAINTEXT_BACKEND,
    SECRET_SERVICE_BACKEND,
    BlockingKeyring,
    CountingKeyring,
)
from helpers.secret_service import SecretServiceDaemon
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer, fail, null
from keyrings.alt.file import PlaintextKeyring
from pydantic import SecretStr

from provreg.check import run_check
from provreg.registry import ProviderRegistry
from provreg.secrets import (
    SecretBackendError,
    SecretMissingError,
    SecretStore,
    SecretTimeoutError,
)

pytestmark = pytest.mark.anyio


def assert_names_the_options(message: str, *, opt_in: bool = True) -> None:
    """The refusal says what to do; the opt-in only where it would help (an insecure
    backend, not the fail/null ones, where there is nothing to opt in to)."""
    assert "Secret Service" in message
    assert "gnome-keyring" in message
    assert "{env: VAR}" in message and "{file: PATH}" in message
    assert ("PROVREG_ALLOW_INSECURE_KEYRING=1" in message) is opt_in


# --------------------------------------------------------------------------- keyrings.alt


async def test_plaintext_keyring_refused_by_default(config_dir: Path, instance_id: str) -> None:
    openai_config(config_dir, instance_id)
    plaintext = PlaintextKeyring()
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=plaintext)
    )

    with pytest.raises(SecretBackendError) as caught:
        await registry.set_secret(instance_id, "api_key", SecretStr(canary_value()))
    assert "keyrings.alt.file.PlaintextKeyring" in str(caught.value)
    assert "not secure" in str(caught.value)
    assert_names_the_options(str(caught.value))
    with pytest.raises(SecretBackendError):
        await registry.resolve_secret(instance_id)
    assert not os.path.exists(plaintext.file_path)


async def test_plaintext_keyring_accepted_with_opt_in(config_dir: Path, instance_id: str) -> None:
    os.environ["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    openai_config(config_dir, instance_id)
    plaintext = PlaintextKeyring()
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=plaintext)
    )
    value = canary_value()
    await registry.set_secret(instance_id, "api_key", SecretStr(value))
    assert os.path.exists(plaintext.file_path)
    assert plaintext.get_password("provreg", f"{instance_id}/api_key") == value
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == value
    # The opt-in is explicit in the argument too, whatever the environment says.
    refused = SecretStore(backend=plaintext, allow_insecure=False)
    with pytest.raises(SecretBackendError):
        refused.backend()


def test_plaintext_keyring_via_cli(config_dir: Path, instance_id: str) -> None:
    openai_config(config_dir, instance_id)
    cfg = ["--config", str(config_dir)]
    refused = run_cli(
        "secret", "set", instance_id, *cfg, input=canary_value(), env=cli_env(PLAINTEXT_BACKEND)
    )
    assert refused.returncode == 1
    assert_names_the_options(refused.stderr)
    assert not os.path.exists(PlaintextKeyring().file_path)

    opted_in = cli_env(PLAINTEXT_BACKEND, PROVREG_ALLOW_INSECURE_KEYRING="1")
    stored = run_cli("secret", "set", instance_id, *cfg, input="sk-plain", env=opted_in)
    assert stored.returncode == 0, stored.output
    status = run_cli("secret", "status", "--json", *cfg, env=opted_in)
    assert json.loads(status.stdout)[0]["backend"] == PLAINTEXT_BACKEND


def test_keyrings_own_choice_without_a_secret_service_is_refused(
    config_dir: Path, instance_id: str
) -> None:
    """Over SSH with no Secret Service, keyring falls back to keyrings.alt when it is
    installed (it is, in the test group): provreg must not quietly use that file."""
    openai_config(config_dir, instance_id)
    env = cli_env()
    env.pop("PYTHON_KEYRING_BACKEND")
    value = canary_value()
    done = run_cli("secret", "set", instance_id, "--config", str(config_dir), input=value, env=env)
    assert done.returncode == 1
    assert_names_the_options(done.stderr)
    for path in files_under(os.environ["HOME"]):
        assert value not in path.read_text(errors="replace"), path


class FixedChainer(chainer.ChainerBackend):
    """keyring's own chainer code, chaining a fixed list of real backends."""

    backends = [SecretService.Keyring(), PlaintextKeyring()]


@pytest.mark.parametrize("opt_in", [False, True])
async def test_chainer_uses_secret_service_never_the_plaintext_file(
    secret_service: SecretServiceDaemon, config_dir: Path, instance_id: str, opt_in: bool
) -> None:
    if opt_in:
        os.environ["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    openai_config(config_dir, instance_id)
    user = f"{instance_id}/api_key"
    plaintext = PlaintextKeyring()
    plaintext.set_password("provreg", user, "sk-decoy-from-the-plaintext-file")
    before = Path(plaintext.file_path).read_bytes()
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=FixedChainer())
    )

    # Not in the Secret Service: missing, even though the plaintext file has one.
    with pytest.raises(SecretMissingError):
        await registry.resolve_secret(instance_id)

    value = canary_value()
    await registry.set_secret(instance_id, "api_key", SecretStr(value))
    assert secret_service.lookup(user) == value
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == value
    [status] = await registry.secret_status(instance_id)
    assert status.backend == SECRET_SERVICE_BACKEND
    assert await registry.remove_secret(instance_id, "api_key") is True
    assert secret_service.lookup(user) is None

    assert Path(plaintext.file_path).read_bytes() == before


def test_chainer_of_only_insecure_backends_is_refused() -> None:
    class OnlyPlaintext(chainer.ChainerBackend):
        backends = [PlaintextKeyring(), fail.Keyring()]

    with pytest.raises(SecretBackendError) as caught:
        SecretStore(backend=OnlyPlaintext()).backend()
    assert "PlaintextKeyring" in str(caught.value)


# --------------------------------------------------------------------------- no backend


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
async def test_no_backend_is_a_clear_error_and_the_registry_works(
    config_dir: Path, instance_id: str, backend: KeyringBackend
) -> None:
    openai_config(config_dir, instance_id)
    registry = await ProviderRegistry.open([str(config_dir)], secrets=SecretStore(backend=backend))
    assert [i.id for i in registry.instances()] == [instance_id]
    assert not any(registry.snapshot().diagnostics.values())

    with pytest.raises(SecretBackendError) as caught:
        await registry.resolve_secret(instance_id)
    message = str(caught.value)
    assert "no usable keyring backend" in message
    assert_names_the_options(message, opt_in=False)
    with pytest.raises(SecretBackendError):
        await registry.set_secret(instance_id, "api_key", SecretStr("sk-x"))

    [status] = await registry.secret_status(instance_id)
    assert status.present is None and status.problem is not None
    assert status.backend is not None and status.backend.endswith("(refused)")

    # The registry still edits, and env references still resolve.
    os.environ["WORK_KEY"] = "sk-from-env"
    await registry.update(instance_id, {"default_model": "gpt-5"})
    from provreg.model import SecretRef

    await registry.update(instance_id, {"api_key": SecretRef(kind="env", name="WORK_KEY")})
    assert (await registry.resolve_secret(instance_id)).get_secret_value() == "sk-from-env"


def test_no_backend_cli_loads_lists_and_validates(config_dir: Path, instance_id: str) -> None:
    openai_config(config_dir, instance_id)
    env = cli_env(FAIL_BACKEND)
    cfg = ["--config", str(config_dir)]
    listed = run_cli("list", "--json", *cfg, env=env)
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["id"] == instance_id
    checked = run_cli("check", str(config_dir), env=env)
    assert checked.returncode == 0, checked.output
    status = run_cli("secret", "status", *cfg, env=env)
    assert status.returncode == 0 and "? unknown" in status.stdout
    refused = run_cli("secret", "set", instance_id, *cfg, input="sk-x", env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("provreg: ") and "Traceback" not in refused.stderr
    assert_names_the_options(refused.stderr, opt_in=False)
    secrets_check = run_cli("check", "--secrets", str(config_dir), env=env)
    assert secrets_check.returncode == 1 and "E401" in secrets_check.stdout


def test_loading_listing_and_check_never_touch_the_keyring(
    config_dir: Path, instance_id: str
) -> None:
    import keyring

    backend = CountingKeyring()
    keyring.set_keyring(backend)
    openai_config(config_dir, instance_id)

    async def load_and_list() -> None:
        registry = await ProviderRegistry.open([str(config_dir)])
        registry.instances()
        await registry.secret_status(check_keyring=False)

    anyio.run(load_and_list)
    out = io.StringIO()
    assert run_check([str(config_dir)], output_format="json", out=out, err=out) == 0
    assert backend.calls == []
    # ... while `--secrets` does ask it (so the counter above counts).
    run_check([str(config_dir)], secrets=True, out=out, err=out)
    assert backend.calls == [("get", f"{instance_id}/api_key")]


# --------------------------------------------------------------------------- timeout


async def test_blocking_backend_times_out_and_the_loop_stays_responsive(
    config_dir: Path, instance_id: str
) -> None:
    openai_config(config_dir, instance_id)
    backend = BlockingKeyring()
    registry = await ProviderRegistry.open(
        [str(config_dir)], secrets=SecretStore(backend=backend, timeout=0.5)
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            started = time.monotonic()
            with pytest.raises(SecretTimeoutError) as caught:
                await registry.resolve_secret(instance_id)
            elapsed = time.monotonic() - started
            group.cancel_scope.cancel()
        assert 0.45 <= elapsed < 2.0
        assert ticks >= 20  # ~50 expected: the loop kept running while the keyring hung
        assert "0.5 s" in str(caught.value) and "{env: ...}" in str(caught.value)

        # Status of every field does not hang either; it reports the silence.
        [status] = await registry.secret_status(instance_id)
        assert status.present is None and "did not answer" in (status.problem or "")
    finally:
        backend.release.set()


SLOW_BACKEND_MODULE = """
import time
from keyring.backend import KeyringBackend

class Keyring(KeyringBackend):
    priority = 1
    def get_password(self, service, username):
        time.sleep(20)
        return "sk-too-late"
    def set_password(self, service, username, password):
        time.sleep(20)
    def delete_password(self, service, username):
        time.sleep(20)
"""


@pytest.mark.parametrize(
    "args",
    [("exec", "{id}", "--", "true"), ("secret", "status"), ("check", "--secrets")],
    ids=["exec", "status", "check"],
)
def test_cli_returns_after_the_timeout(
    tmp_path: Path, config_dir: Path, instance_id: str, args: tuple[str, ...]
) -> None:
    """The process ends at the timeout; a hung keyring thread does not keep it alive."""
    (tmp_path / "slow_keyring.py").write_text(SLOW_BACKEND_MODULE)
    openai_config(config_dir, instance_id)
    env = cli_env(
        "slow_keyring.Keyring",
        PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]),
        PROVREG_SECRET_TIMEOUT="0.5",
    )
    argv = [a.format(id=instance_id) for a in args]
    argv = argv + [str(config_dir)] if argv[0] == "check" else argv + ["--config", str(config_dir)]
    if argv[0] == "exec":
        argv = ["exec", instance_id, "--config", str(config_dir), "--", "true"]
    started = time.monotonic()
    done = run_cli(*argv, env=env, timeout=15)
    assert time.monotonic() - started < 8, "the CLI waited for the hung keyring"
    assert "0.5 s" in done.output
    assert done.returncode == (0 if argv[0] == "secret" else 1), done.output


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("no", False)]
    + [("maybe", False), ("2", False), ("enable", False)],
)
def test_the_insecure_opt_in_takes_only_a_documented_yes(
    config_dir: Path, instance_id: str, value: str, accepted: bool
) -> None:
    """Any non-empty value used to opt in (`=maybe`, `=2`); now only the yes words
    docs/cli.md lists do, and an unclear value is named in the refusal."""
    openai_config(config_dir, instance_id)
    env = cli_env(PLAINTEXT_BACKEND, PROVREG_ALLOW_INSECURE_KEYRING=value)
    done = run_cli("secret", "set", instance_id, "--config", str(config_dir), input="sk-x", env=env)
    assert (done.returncode == 0) is accepted, done.output
    if not accepted:
        assert "not secure" in done.stderr
        unclear = value not in ("0", "no")
        assert (f"PROVREG_ALLOW_INSECURE_KEYRING='{value}' is neither" in done.stderr) is unclear


def test_encrypted_keyring_without_its_package_says_which_package(
    config_dir: Path, instance_id: str
) -> None:
    try:
        import Crypto  # noqa: F401
    except ImportError:
        pass
    else:  # the package is there: the backend would start, nothing to show
        pytest.fail("pycryptodome is installed here; this test needs an environment without it")
    openai_config(config_dir, instance_id)
    env = cli_env("keyrings.alt.file.EncryptedKeyring", PROVREG_ALLOW_INSECURE_KEYRING="1")
    done = run_cli("exec", instance_id, "--config", str(config_dir), "--", "true", env=env)
    assert done.returncode == 1
    assert "needs the optional package pycryptodome" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
