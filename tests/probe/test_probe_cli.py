"""`provreg probe` end to end: the report, exit codes, `--json`, `--discover`
(real files, comments kept, audited) and `provreg --check --live`; a canary key
across every outcome never reaches output, logs, the audit log or any file."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from conftest import KEY_ENV, instance_yaml, write_config
from helpers.cli import canary_value, cli_env, run_cli
from helpers.fake_providers import FakeProvider, free_port, serving

from provreg.cli import main


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = canary_value()
    monkeypatch.setenv(KEY_ENV, value)
    return value


def test_report_and_exit_code(key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeProvider("openai", key=key, models=["model-a", "model-b"])
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai", fake.url, instance_id="good"))
        assert main(["probe", "--config", str(config), "--all"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("good  ok ")
        assert out.rstrip().endswith("probed 1: 1 ok, 0 not ok")

        fake.mode = "401"
        assert main(["probe", "--config", str(config), "good", "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
    (result,) = report["results"]
    assert result["id"] == "good"
    assert result["status"] == "auth-failed"
    assert result["summary"] == "auth failed: HTTP 401: Incorrect API key provided"
    # Times as every command prints them: ISO 8601, local, with the offset.
    assert datetime.fromisoformat(result["checked_at"]).utcoffset() is not None


def test_usage_mistakes(key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(
        tmp_path, instance_yaml("openai", "http://127.0.0.1:1", instance_id="good")
    )
    assert main(["probe", "--config", str(config)]) == 2
    assert "give their ids, or --all" in capsys.readouterr().err
    assert main(["probe", "--config", str(config), "--yes", "--all"]) == 2
    assert "--yes only goes with --discover" in capsys.readouterr().err
    assert main(["probe", "--config", str(config), "good", "--all"]) == 2
    assert main(["probe", "--config", str(config), "godo"]) == 1
    assert "did you mean 'good'" in capsys.readouterr().err


def test_canary_never_shows_across_every_outcome(tmp_path: Path) -> None:
    key = canary_value()
    servers = {
        "ok": FakeProvider("openai", key=key),
        "unauthorized": FakeProvider("openai", key=key, mode="401"),
        "forbidden": FakeProvider("anthropic", key=key, mode="403"),
        "limited": FakeProvider("gemini", key=key, mode="429"),
        "echoing": FakeProvider("openai", key=key, mode="echo"),
        "slow": FakeProvider("openai", key=key, mode="slow", delay=3),
        "redirecting": FakeProvider("openai", key=key, mode="redirect"),
        "echoed-model": FakeProvider("openai", key=key, models=[f"x-{key}"]),
    }
    kinds = {"forbidden": "anthropic", "limited": "google-gemini"}
    from contextlib import ExitStack

    with ExitStack() as stack:
        for fake in servers.values():
            stack.enter_context(serving(fake))
        servers["redirecting"].redirect_to = servers["ok"].url.replace("127.0.0.1", "localhost")
        config_dir = tmp_path / "config"
        config_dir.mkdir()
        entries = [
            instance_yaml(kinds.get(name, "openai"), fake.url, instance_id=name)
            for name, fake in servers.items()
        ]
        entries.append(
            instance_yaml("openai", f"http://127.0.0.1:{free_port()}", instance_id="refused")
        )
        entries.append(instance_yaml("openai", "http://probe.invalid", instance_id="plain"))
        config = write_config(config_dir, *entries)
        env = cli_env(**{KEY_ENV: key, "PROVREG_LOG_LEVEL": "DEBUG"})
        runs = [
            run_cli("probe", "--config", str(config), "--all", "--timeout", "1", env=env),
            run_cli("probe", "--config", str(config), "--all", "--json", "--timeout", "1", env=env),
            run_cli(
                "probe",
                "--config",
                str(config),
                "--all",
                "--discover",
                "--yes",
                "--timeout",
                "1",
                env=env,
            ),
            run_cli("--check", "--live", "--timeout", "1", str(config), env=env),
        ]
    statuses = {r["id"]: r["status"] for r in json.loads(runs[1].stdout)["results"]}
    assert statuses == {
        "ok": "ok",
        "unauthorized": "auth-failed",
        "forbidden": "auth-failed",
        "limited": "rate-limited",
        "echoing": "auth-failed",
        "slow": "unreachable",
        "redirecting": "unexpected",
        "echoed-model": "model-not-offered",
        "refused": "unreachable",
        "plain": "refused",
    }
    for run in runs:
        assert run.returncode == 1, run.output
        assert "Traceback" not in run.output
        assert key not in run.output and key[10:] not in run.output
    assert "wrote models: of ok" in runs[2].stdout
    # Nothing on disk holds it: config, audit log, state, caches.
    home = Path(os.environ["HOME"])
    for root in (tmp_path, home):
        for path in root.rglob("*"):
            if path.is_file():
                assert key[10:].encode() not in path.read_bytes(), path
    # The echoed id is no model: --discover did not write it.
    assert "***" not in config.read_text()
    assert "wrote models: of echoed-model" not in runs[2].stdout


DISCOVER_YAML = """\
version: 1
# Our team's gateway. Keep this comment.
providers:
  - id: gw
    name: Gateway
    provider: openai-compatible
    base_url: {url}/v1
    api_key: {{env: PROBE_TEST_KEY}}
    default_model: model-a   # what the app asks for
    models:
      - {{id: model-a, context_window: 32768}}
      - retired-model
"""


def test_discover_writes_models_keeping_limits_and_comments(
    key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeProvider("openai", key=key, models=["model-a", "model-new"])
    with serving(fake):
        config = tmp_path / "providers.yaml"
        config.write_text(DISCOVER_YAML.format(url=fake.url))
        before = config.read_text()
        # No terminal and no --yes: the change is shown, nothing is written.
        code = main(["probe", "--config", str(config), "gw", "--discover"])
        captured = capsys.readouterr()
        assert code == 1
        assert "  + model-new\n  - retired-model\n" in captured.out
        assert "without --yes" in captured.err
        assert config.read_text() == before

        assert main(["probe", "--config", str(config), "gw", "--discover", "--yes"]) == 0
        out = capsys.readouterr().out
        assert f"wrote models: of gw in {config}" in out
        text = config.read_text()
        assert "# Our team's gateway. Keep this comment." in text
        assert "# what the app asks for" in text
        assert "context_window: 32768" in text
        assert "model-new" in text and "retired-model" not in text

        # Once more: nothing to change.
        assert main(["probe", "--config", str(config), "gw", "--discover", "--yes"]) == 0
        assert "already matches" in capsys.readouterr().out
    assert main(["log", "-n", "5"]) == 0
    log = capsys.readouterr().out
    assert "gw" in log and "models" in log


def test_check_live(key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeProvider("openai", key=key, models=["model-a"])
    with serving(fake):
        config = write_config(tmp_path, instance_yaml("openai", fake.url, instance_id="good"))
        assert main(["--check", str(config)]) == 0
        assert fake.seen == []  # --check alone sends nothing
        capsys.readouterr()
        assert main(["--check", "--live", str(config)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("checked 1 file, 1 instance")
        assert "good  ok " in out
        fake.mode = "401"
        assert main(["--check", "--live", str(config)]) == 1
        assert "good  auth failed: HTTP 401" in capsys.readouterr().out
        assert main(["--check", "--live", "--format", "json", str(config)]) == 1
        captured = capsys.readouterr()
        json.loads(captured.out)  # stdout stays one JSON document
        assert "good  auth failed" in captured.err
