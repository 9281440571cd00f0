"""The `env` adapter: a shell file of references, never values; clashing variable
names prefixed and reported; `--merge` touches only provreg's marked blocks;
reading is refused; and a file it wrote, sourced by a real shell, gives the key
that is in the real Secret Service."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import write_config
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon

from provreg.catalog import builtin_catalog
from provreg.config.read.validation import parse_secret_ref
from provreg.interop.base import ExportContext, ExportItem, ToolFileError
from provreg.interop.env_file import ADAPTER, variable_prefix
from provreg.interop.tools import adapter
from provreg.model import ProviderInstance


def item(instance_id: str, provider: str, **values: object) -> ExportItem:
    definition = builtin_catalog().get(provider)
    assert definition is not None
    parsed = {
        key: parse_secret_ref(value) if key == "api_key" and isinstance(value, dict) else value
        for key, value in values.items()
    }
    instance = ProviderInstance(
        id=instance_id, name=instance_id.title(), provider=provider, values=parsed
    )
    return ExportItem(instance, definition)


def test_the_tool_table_finds_it() -> None:
    assert adapter("env") is ADAPTER
    assert ADAPTER.name == "env" and ADAPTER.syntax == "env"


def test_each_reference_kind_becomes_a_shell_expression_never_a_value() -> None:
    items = [
        item("work", "openai", organization="org-acme"),  # keyring by default
        item("claude", "anthropic", api_key={"env": "MY_ANTHROPIC"}),
        item("gem", "google-gemini", api_key={"file": "~/keys/gemini key"}),
        item("groq", "groq", api_key={"command": ["pass", "show", "groq"]}),
    ]
    context = ExportContext(config_args=("--config", "/srv/my config"))
    outcome = ADAPTER.export(items, context)
    text = ADAPTER.render(outcome)
    assert "export OPENAI_API_KEY=\"$(provreg secret get work --config '/srv/my config')\"" in text
    assert "export OPENAI_ORG_ID=org-acme" in text
    assert "export OPENAI_BASE_URL=https://api.openai.com/v1" in text  # the default, as exec
    assert 'export ANTHROPIC_API_KEY="${MY_ANTHROPIC}"' in text
    assert 'export GEMINI_API_KEY="$(cat "$HOME"/\'keys/gemini key\')"' in text
    assert "export GROQ_API_KEY=\"$(provreg secret get groq --config '/srv/my config')\"" in text
    choices = {e.instance_id: [(s.field, s.choice) for s in e.secrets] for e in outcome.entries}
    assert choices == {
        "work": [("api_key", "command")],
        "claude": [("api_key", "env")],
        "gem": [("api_key", "file")],
        "groq": [("api_key", "command")],
    }
    written = {e.instance_id: e.secrets[0].written for e in outcome.entries}
    assert written["claude"] == 'ANTHROPIC_API_KEY="${MY_ANTHROPIC}"'
    assert "sourced" in (outcome.entries[0].secrets[0].hint or "")
    # Only what the instance states counts as lost (a default is not the user's setting).
    assert outcome.entries[0].lost == ()
    assert outcome.skipped == ()


def test_stated_fields_without_a_variable_are_reported_lost() -> None:
    outcome = ADAPTER.export(
        [item("work", "openai", default_model="gpt-5", timeout_seconds=30.0)], ExportContext()
    )
    assert outcome.entries[0].lost == ("default_model", "timeout_seconds")


def test_clashing_variables_get_the_instance_prefix_and_the_report_says_so() -> None:
    outcome = ADAPTER.export(
        [item("work-openai", "openai"), item("home.openai", "openai"), item("c", "anthropic")],
        ExportContext(),
    )
    text = ADAPTER.render(outcome)
    assert variable_prefix("work-openai") == "WORK_OPENAI__"
    assert 'export WORK_OPENAI__OPENAI_API_KEY="$(provreg secret get work-openai)"' in text
    assert 'export HOME_OPENAI__OPENAI_API_KEY="$(provreg secret get home.openai)"' in text
    assert 'export ANTHROPIC_API_KEY="$(provreg secret get c)"' in text  # no clash, no prefix
    assert "\nexport OPENAI_API_KEY=" not in text
    work = outcome.entries[0]
    assert work.secrets[0].written.startswith("WORK_OPENAI__OPENAI_API_KEY=")
    assert any("WORK_OPENAI__" in lost and "OPENAI_API_KEY" in lost for lost in work.lost)
    assert not any("prefix" in lost or "start with" in lost for lost in outcome.entries[2].lost)


def test_an_optional_key_left_at_the_default_is_not_exported() -> None:
    """A local server with no key: `$(provreg secret get ...)` would fail on every source."""
    keyless = item("vllm", "openai-compatible", base_url="http://box:8000/v1", default_model="m")
    keyed = item(
        "vllm2",
        "openai-compatible",
        base_url="http://box2:8000/v1",
        default_model="m",
        api_key={"keyring": True},
    )
    outcome = ADAPTER.export([keyless], ExportContext())
    assert outcome.entries[0].secrets == ()
    assert "OPENAI_API_KEY" not in ADAPTER.render(outcome)
    assert any(lost.startswith("api_key (optional") for lost in outcome.entries[0].lost)
    assert ADAPTER.export([keyed], ExportContext()).entries[0].secrets[0].choice == "command"


def test_an_instance_with_no_conventional_variable_is_skipped_with_why() -> None:
    from provreg.model import FieldSpec, FieldType, ProviderDefinition

    definition = ProviderDefinition(
        id="acme",
        name="Acme",
        fields=(FieldSpec(id="api_key", type=FieldType.SECRET),),
    )
    instance = ProviderInstance(id="acme-1", name="Acme 1", provider="acme")
    outcome = ADAPTER.export([ExportItem(instance, definition)], ExportContext())
    assert outcome.entries == ()
    assert outcome.skipped[0].subject == "acme-1"
    assert "env:" in outcome.skipped[0].message


def test_merge_replaces_provreg_blocks_and_keeps_everything_else() -> None:
    existing = (
        "# my own settings\n"
        "export EDITOR=vim\n"
        "\n"
        "# >>> provreg: work\n"
        "# Work\n"
        "export OPENAI_API_KEY=stale\n"
        "# <<< provreg: work\n"
        "export AFTER=1\n"
    )
    outcome = ADAPTER.export([item("work", "openai"), item("c", "anthropic")], ExportContext())
    merged = ADAPTER.merge(existing, outcome, ".envrc")
    assert merged.startswith("# my own settings\nexport EDITOR=vim\n\n# >>> provreg: work\n")
    assert "stale" not in merged
    assert 'export OPENAI_API_KEY="$(provreg secret get work)"' in merged
    assert "# <<< provreg: work\nexport AFTER=1\n\n# >>> provreg: c\n" in merged
    assert merged.count("# >>> provreg:") == 2
    # Merging again is a fixed point: nothing moves.
    assert ADAPTER.merge(merged, outcome, ".envrc") == merged


@pytest.mark.parametrize(
    "broken",
    [
        "# >>> provreg: work\nexport A=1\n",
        "# >>> provreg: a\n# >>> provreg: b\n# <<< provreg: b\n",
        "export A=1\n# <<< provreg: work\n",
    ],
    ids=["never-ends", "nested", "end-without-start"],
)
def test_merge_refuses_broken_markers(broken: str) -> None:
    outcome = ADAPTER.export([item("work", "openai")], ExportContext())
    with pytest.raises(ToolFileError) as caught:
        ADAPTER.merge(broken, outcome, ".envrc")
    assert caught.value.line >= 1
    assert "provreg block" in caught.value.message


def test_reading_an_env_file_is_refused_plainly() -> None:
    with pytest.raises(ToolFileError, match="not supported"):
        ADAPTER.read("OPENAI_API_KEY=sk-x\n", ".env")
    with pytest.raises(ToolFileError, match="not supported"):
        ADAPTER.scrub("OPENAI_API_KEY=sk-x\n", ".env", {}, ExportContext())


def test_import_from_env_says_it_plainly(config_dir: Path, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OPENAI_API_KEY=sk-pasted\n")
    done = run_cli("import", "--from", "env", str(env_file), "--config", str(config_dir))
    assert done.returncode == 1
    assert done.stderr.startswith("provreg: env: importing from an env file is not supported")
    assert "Traceback" not in done.output
    assert "sk-pasted" not in done.output


def test_a_sourced_export_gives_the_key_from_the_secret_service(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    instance_id = f"t-{secrets.token_hex(4)}"
    write_config(
        config_dir,
        f"""
        version: 1
        providers:
          - id: {instance_id}
            name: Work
            provider: openai
            organization: org-acme
        """,
    )
    key = canary_value()
    env = cli_env(SECRET_SERVICE_BACKEND)
    stored = run_cli("secret", "set", instance_id, "--config", str(config_dir), input=key, env=env)
    assert stored.returncode == 0, stored.output
    target = tmp_path / "provreg.env"
    done = run_cli("export", "--to", "env", "-o", str(target), "--config", str(config_dir), env=env)
    assert done.returncode == 0, done.output
    assert key not in target.read_text() and key not in done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"{instance_id}: api_key -> OPENAI_API_KEY=" in done.stderr
    # `provreg` on the PATH, as a user has it: a shim running this checkout.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "provreg"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m provreg "$@"\n')
    shim.chmod(0o755)
    script = (
        f'set -a; . "{target}"; set +a; '
        'printf %s "$OPENAI_API_KEY" | sha256sum | cut -c1-64; printf "%s\\n" "$OPENAI_ORG_ID"'
    )
    shell = subprocess.run(
        ["sh", "-c", script],
        env={**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    digest, org = shell.stdout.split()
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert org == "org-acme"
