"""`provreg import --from TOOL`: entries matched by provider, base URL and key;
created / merged / unchanged / skipped, each said; pasted keys moved into the
real Secret Service and nowhere else; idempotent; `--dry-run` writes nothing;
`--scrub` leaves references and a backup; a failure part-way loses no key."""

from __future__ import annotations

import json
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import ConfigFiles, state_dir
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon
from pydantic import SecretStr

from provreg.catalog import builtin_catalog
from provreg.cli import main
from provreg.commands.import_plan import (
    effective_base_url,
    merge_models,
    plan_import,
)
from provreg.config.read.load_set import load_paths
from provreg.config.read.validation import parse_secret_ref
from provreg.exit_codes import ExitCode
from provreg.interop import tools
from provreg.interop.base import ImportedEntry, ImportedSecret
from provreg.interop.key_handoff import helper_target
from provreg.model import ModelSpec, ProviderInstance, SecretRef
from provreg.secrets import SecretBackendError
from provreg.secrets.index import SecretIndex

TESTS_DIR = Path(__file__).resolve().parent.parent

RUNNER = f"""\
import sys
sys.path.insert(0, {str(TESTS_DIR)!r})
from provreg.interop import tools
tools.ADAPTER_MODULES["fake"] = "interop.fake_tool"
from provreg.cli import main
raise SystemExit(main(sys.argv[1:]))
"""
"""`python -m provreg` with the test adapter registered as `fake`, for subprocess runs."""


@pytest.fixture(autouse=True)
def fake_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tools.ADAPTER_MODULES, "fake", "interop.fake_tool")


def tool_json(providers: dict[str, object]) -> str:
    return json.dumps({"providers": providers}, indent=2) + "\n"


def tree(*roots: Path) -> dict[str, bytes]:
    found = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found.update({str(path): path.read_bytes() for path in paths})
    return found


def run_fake(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a new process, the Secret Service as its keyring."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        env=cli_env(SECRET_SERVICE_BACKEND),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --------------------------------------------------------------------------- the plan


def test_merge_models_keeps_order_and_fills_missing_limits_only() -> None:
    existing = (ModelSpec(id="a", context_window=100), ModelSpec(id="b"))
    incoming = (
        ModelSpec(id="c"),
        ModelSpec(id="b", context_window=50, max_output_tokens=10),
        ModelSpec(id="a", context_window=999, max_output_tokens=7),
    )
    assert merge_models(existing, incoming) == (
        ModelSpec(id="a", context_window=100, max_output_tokens=7),
        ModelSpec(id="b", context_window=50, max_output_tokens=10),
        ModelSpec(id="c"),
    )
    assert merge_models(existing, existing) == existing
    assert merge_models((), ()) == ()


def test_effective_base_url_applies_the_default_and_ignores_slashes_and_case() -> None:
    openai = builtin_catalog().get("openai")
    assert openai is not None
    assert effective_base_url({}, openai) == "https://api.openai.com/v1"
    assert effective_base_url({"base_url": "HTTPS://API.OpenAI.com/v1/"}, openai) == (
        "https://api.openai.com/v1"
    )
    assert effective_base_url({"base_url": "http://box:8000/V1"}, openai) == "http://box:8000/V1"


def test_a_provreg_helper_command_points_back_at_its_instance() -> None:
    def target(argv: list[str]) -> tuple[str, str] | None:
        return helper_target(parse_secret_ref({"command": argv}))

    assert target(["provreg", "secret", "get", "work"]) == ("work", "api_key")
    assert target(["/usr/bin/provreg", "secret", "get", "work", "token", "--config", "/c"]) == (
        "work",
        "token",
    )
    assert target(["provreg", "secret", "get", "work", "--config", "/c"]) == ("work", "api_key")
    assert target(["pass", "show", "work"]) is None
    assert helper_target(parse_secret_ref({"env": "X"})) is None


def compat(
    instance_id: str, name: str, models: tuple[ModelSpec, ...] = (), **values: object
) -> ProviderInstance:
    """An instance as loaded (its `models` set directly: file validation of them is
    the lead's part, so the plan is tested on values)."""
    return ProviderInstance(
        id=instance_id,
        name=name,
        provider="openai-compatible",
        values={"base_url": "http://gw:4000/v1", "default_model": "a", **values, "models": models},
    )


def entry(label: str, secret: ImportedSecret | None, *models: ModelSpec) -> ImportedEntry:
    return ImportedEntry(
        label=label,
        name=label.title(),
        provider="openai-compatible",
        values={"base_url": "http://GW:4000/v1/", "default_model": "a"},
        secrets={} if secret is None else {"api_key": secret},
        models=models,
    )


class Keys:
    """The instances' keys as `registry.resolve_secret` would give them, counting reads."""

    def __init__(self, keys: dict[str, str | Exception]) -> None:
        self.keys = keys
        self.reads: list[str] = []

    async def __call__(self, instance_id: str, field: str) -> SecretStr:
        self.reads.append(instance_id)
        found = self.keys[instance_id]
        if isinstance(found, Exception):
            raise found
        return SecretStr(found)


@pytest.mark.anyio
async def test_the_plan_merges_models_into_matches_and_entries_into_each_other() -> None:
    a, b, c = ModelSpec(id="a"), ModelSpec(id="b", context_window=10), ModelSpec(id="c")
    gw = compat("gw", "Gw", (a,), api_key=SecretRef(kind="env", name="GW"))
    env_gw = ImportedSecret("api_key", ref=SecretRef(kind="env", name="GW"))
    pasted = ImportedSecret("api_key", plaintext=SecretStr("sk-new"))
    keys = Keys({"gw": "sk-in-the-GW-variable"})
    plan = await plan_import(
        [
            entry("one", env_gw, a, b),  # adds b
            entry("two", env_gw, ModelSpec(id="b", max_output_tokens=5)),  # fills b's limit
            entry("three", env_gw, a),  # nothing new
            entry("four", pasted, c),  # another key: created
            entry("five", pasted, a),  # the same pasted key: into four
        ],
        [gw],
        builtin_catalog(),
        keys,
        {"gw"},
    )
    got = [(p.entry.label, p.outcome, p.instance_id, p.models_added) for p in plan.entries]
    assert got == [
        ("one", "merged", "gw", ("b",)),
        ("two", "merged", "gw", ()),
        ("three", "unchanged", "gw", ()),
        ("four", "created", "four", ("c", "a")),
        ("five", "merged", "four", ("a",)),
    ]
    assert plan.entries[1].models == (a, ModelSpec(id="b", context_window=10, max_output_tokens=5))
    assert plan.entries[3].models == (c, a)  # the creation carries the union
    assert plan.entries[3].keys == {"api_key": SecretRef(kind="keyring")}
    assert plan.entries[3].pasted["api_key"].get_secret_value() == "sk-new"
    # References compare as references; each pasted key is compared with the value
    # of gw's key (a pasted key may be what $GW holds), never written anywhere.
    assert keys.reads == ["gw", "gw"]


@pytest.mark.anyio
async def test_a_pasted_key_is_compared_with_the_instances_key_unreadable_skips() -> None:
    keyed = compat("keyed", "Keyed")  # api_key left out: the keyring default
    pasted = ImportedSecret("api_key", plaintext=SecretStr("sk-same"))
    same = await plan_import(
        [entry("e", pasted)], [keyed], builtin_catalog(), Keys({"keyed": "sk-same"}), set()
    )
    assert [(p.outcome, p.instance_id) for p in same.entries] == [("unchanged", "keyed")]
    other = await plan_import(
        [entry("e", pasted)], [keyed], builtin_catalog(), Keys({"keyed": "sk-other"}), set()
    )
    assert [(p.outcome, p.instance_id) for p in other.entries] == [("created", "e")]
    locked = Keys({"keyed": SecretBackendError("the keyring is locked")})
    unread = await plan_import([entry("e", pasted)], [keyed], builtin_catalog(), locked, set())
    assert unread.entries[0].outcome == "skipped"
    assert "could not be read to compare" in unread.entries[0].reason
    assert "sk-same" not in unread.entries[0].reason


# --------------------------------------------------------------------------- outcomes

EXISTING = """\
version: 1
providers:
  - id: box
    name: Box
    provider: openai-compatible
    base_url: http://box:8000/v1
    api_key: {env: BOX_KEY}
    default_model: m
"""

ENTRIES = {
    "box": {
        "type": "openai-compatible",
        "name": "Box",
        "base_url": "http://BOX:8000/v1/",
        "api_key": "$BOX_KEY",
        "default_model": "m",
    },
    "other": {
        "type": "openai-compatible",
        "name": "Box",
        "base_url": "http://box:8000/v1",
        "api_key": "$OTHER_KEY",
        "default_model": "m",
        "theme": "dark",
    },
    "again": {
        "type": "openai-compatible",
        "name": "Box again",
        "base_url": "http://box:8000/v1/",
        "api_key": "$OTHER_KEY",
        "default_model": "m",
    },
    "mystery": {"type": "nope", "name": "Mystery"},
    "incomplete": {"type": "openai-compatible", "name": "Incomplete", "api_key": "$X"},
    "junk": "not an entry",
}


def test_each_entry_is_created_merged_unchanged_or_skipped_and_said(
    config_files: ConfigFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_files({"providers.yaml": EXISTING})
    source = tmp_path / "fake.json"
    source.write_text(tool_json(ENTRIES))
    source_bytes = source.read_bytes()
    argv = ["import", "--from", "fake", str(source), "--config", str(config)]
    assert main(argv) == ExitCode.FINDINGS  # two entries skipped
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"import from fake: {source}"
    assert "unchanged: providers.box -> box" in lines
    # Same endpoint, another key: a new instance; the name is taken, so it is numbered.
    assert "created: providers.other -> box-2 (Box (2))" in lines
    assert "  api_key: env OTHER_KEY" in lines
    assert "  not kept: theme (a fake-tool setting)" in lines
    assert "unchanged: providers.again -> box-2" in lines
    assert "  same endpoint and key as providers.other" in lines
    assert "skipped: providers.mystery: provreg has no provider 'nope'" in lines
    assert any(line.startswith("skipped: providers.incomplete: ") for line in lines)
    assert "not a provider: providers.junk: not a provider entry (no `type`)" in lines
    assert lines[-1] == "1 created, 2 unchanged, 2 skipped"
    text = (config / "providers.yaml").read_text()
    assert "id: box-2" in text and "name: Box (2)" in text
    assert "api_key: {env: OTHER_KEY}" in text
    assert source.read_bytes() == source_bytes  # the tool's file is never touched

    # Idempotent: the second run changes no byte and says so.
    before = tree(config, source)
    assert main(argv) == ExitCode.FINDINGS
    lines = capsys.readouterr().out.splitlines()
    assert "unchanged: providers.other -> box-2" in lines
    assert lines[-1] == "3 unchanged, 2 skipped"
    assert tree(config, source) == before


def test_json_report(
    config_files: ConfigFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_files({"providers.yaml": EXISTING})
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"box": ENTRIES["box"], "other": ENTRIES["other"]}))
    argv = ["import", "--from", "fake", str(source), "--json", "--config", str(config)]
    assert main([*argv, "--dry-run"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True
    assert [(e["label"], e["outcome"], e["instance_id"]) for e in report["entries"]] == [
        ("providers.box", "unchanged", "box"),
        ("providers.other", "created", "box-2"),
    ]
    assert report["entries"][1]["keys"] == {"api_key": "env OTHER_KEY"}
    assert report["entries"][1]["lost"] == ["theme (a fake-tool setting)"]
    assert "box-2" not in (config / "providers.yaml").read_text()


def test_a_matching_entry_adds_the_models_the_instance_lacks(
    config_files: ConfigFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_files(
        {
            "providers.yaml": EXISTING.replace(
                "default_model: m\n", "default_model: m\n    models: [m]\n"
            )
        }
    )
    source = tmp_path / "fake.json"
    entry = dict(ENTRIES["box"], models=[{"id": "m", "context_window": 8192}, "n"])
    source.write_text(tool_json({"box": entry, "copy": dict(entry, name="Copy")}))
    argv = ["import", "--from", "fake", str(source), "--config", str(config)]
    assert main(argv) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert "merged: providers.box -> box" in lines
    assert "  models added: n" in lines
    assert "unchanged: providers.copy -> box" in lines
    text = (config / "providers.yaml").read_text()
    assert "context_window: 8192" in text and "n" in text
    before = tree(config)
    assert main(argv) == ExitCode.OK
    assert capsys.readouterr().out.splitlines()[-1] == "2 unchanged"
    assert tree(config) == before


def test_entries_of_one_import_for_one_endpoint_become_one_instance_with_both_models(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "fake.json"
    base = {"type": "openai-compatible", "base_url": "http://gw:4000/v1", "api_key": "$GW"}
    source.write_text(
        tool_json(
            {
                "gw-a": dict(base, name="Gateway", default_model="a", models=["a"]),
                "gw-b": dict(base, name="Gateway B", default_model="b", models=["b"]),
            }
        )
    )
    assert main(["import", "--from", "fake", str(source), "--config", str(config_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "created: providers.gw-a -> gateway (Gateway)" in lines
    assert "merged: providers.gw-b -> gateway" in lines
    (instance,) = load_paths([str(config_dir)]).instances
    assert [model.id for model in instance.models] == ["a", "b"]


# --------------------------------------------------------------------------- the tool's file


def test_the_tools_file_problems_are_one_line_never_a_traceback_nor_its_content(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["import", "--from", "fake", "--config", str(config_dir)]
    broken = tmp_path / "broken.json"
    broken.write_text('{"providers": {\n  "x": sk-pasted-secret\n}}\n')
    assert main([*base, str(broken)]) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err == f"provreg: {broken}:2:8: not JSON\n"
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"providers": {"x": "sk-\xff"}}\n')
    assert main([*base, str(binary)]) == ExitCode.FINDINGS
    assert capsys.readouterr().err == f"provreg: {binary}:1: not UTF-8 text (byte 24)\n"
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    assert main([*base, str(huge)]) == ExitCode.FINDINGS
    assert "larger than 4 MiB" in capsys.readouterr().err
    assert main([*base, str(tmp_path / "missing.json")]) == ExitCode.FINDINGS
    assert "missing.json: no such file" in capsys.readouterr().err


def test_an_adapter_that_breaks_is_one_line_that_never_quotes_the_file(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = canary_value()
    source = tmp_path / "fake.json"
    source.write_text(json.dumps({"explode": True, "providers": {"x": {"api_key": key}}}))
    argv = ["import", "--from", "fake", str(source), "--config", str(config_dir)]
    assert main(argv) == ExitCode.FINDINGS
    err = capsys.readouterr().err
    assert err == (
        f"provreg: {source}: provreg's fake adapter failed on this file (ValueError); nothing "
        "was written. Please report it (the details are withheld: they may quote the file)\n"
    )
    assert key not in err


def test_without_a_path_the_tools_usual_place_is_read(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["import", "--from", "fake", "--dry-run", "--config", str(config_dir)]
    assert main(base) == ExitCode.FINDINGS
    assert capsys.readouterr().err == (
        "provreg: no Fake tool file found (looked at ~/.config/fake-tool/fake.json); "
        "give its PATH\n"
    )
    usual = Path.home() / ".config" / "fake-tool" / "fake.json"
    usual.parent.mkdir(parents=True)
    usual.write_text(tool_json({"box": ENTRIES["box"]}))
    assert main(base) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith(f"import from fake: {usual}\n")
    assert "would create: providers.box -> box (Box)" in out


def test_read_only_refuses_before_reading(
    config_files: ConfigFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_files({"providers.yaml": EXISTING})
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"other": ENTRIES["other"]}))
    before = tree(config)
    argv = ["import", "--from", "fake", str(source), "--read-only", "--config", str(config)]
    assert main(argv) == ExitCode.FINDINGS
    assert "read-only" in capsys.readouterr().err
    assert tree(config) == before


# --------------------------------------------------------------------------- pasted keys


def pasted_entry(name: str, key: str, host: str = "llm.example:9000") -> dict[str, object]:
    return {
        "type": "openai-compatible",
        "name": name,
        "base_url": f"http://{host}/v1",
        "api_key": key,
        "default_model": "m",
    }


def no_canary_anywhere(key: str, *texts: str, roots: tuple[Path, ...]) -> None:
    for text in texts:
        assert key not in text
    for name, data in tree(*roots).items():
        assert key.encode() not in data, name


def test_a_pasted_key_goes_to_the_secret_service_and_nowhere_else(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    key = canary_value()
    token = secrets.token_hex(4)
    instance_id = f"canary-{token}"
    source = tmp_path / "fake.json"
    source.write_text(
        tool_json(
            {
                "first": pasted_entry(f"Canary {token}", key),
                # the same endpoint and key under another name: one instance
                "second": pasted_entry(f"Canary {token} bis", key),
            }
        )
    )
    source_bytes = source.read_bytes()
    done = run_fake("import", "--from", "fake", str(source), "--config", str(config_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"created: providers.first -> {instance_id} (Canary {token})" in lines
    assert f"  api_key: pasted key -> keyring ({instance_id}/api_key)" in lines
    assert f"unchanged: providers.second -> {instance_id}" in lines
    assert secret_service.lookup(f"{instance_id}/api_key") == key
    text = (config_dir / "providers.yaml").read_text()
    assert f"id: {instance_id}" in text and "api_key: {keyring: true}" in text
    assert source.read_bytes() == source_bytes
    log = run_cli("log", env=cli_env(SECRET_SERVICE_BACKEND))
    assert log.returncode == 0, log.stderr
    lines = (state_dir() / "audit.jsonl").read_text().splitlines()
    audit = [e for e in map(json.loads, lines) if "record" not in e]  # changes, not intents
    assert [(e["action"], e["instance_id"]) for e in audit] == [
        ("secret-import", instance_id),
        ("create", instance_id),
    ]
    assert any("secret-import" in line and instance_id in line for line in log.stdout.splitlines())
    hosts = {e.instance_id: e.hosts for e in SecretIndex().entries()}
    assert hosts == {instance_id: ("llm.example:9000",)}
    no_canary_anywhere(key, done.stdout, done.stderr, log.output, roots=(config_dir, state_dir()))
    # The key was pinned to the entry's host: a helper read gets it.
    got = run_cli(
        "secret",
        "get",
        instance_id,
        "--config",
        str(config_dir),
        env=cli_env(SECRET_SERVICE_BACKEND),
    )
    assert got.returncode == 0, got.stderr
    assert got.stdout == key + "\n"

    # Idempotent: nothing changes, in any file or in the keyring.
    before = tree(config_dir, source)
    again = run_fake("import", "--from", "fake", str(source), "--config", str(config_dir))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "2 unchanged"
    assert tree(config_dir, source) == before
    assert secret_service.lookup(f"{instance_id}/api_key") == key
    no_canary_anywhere(key, again.stdout, again.stderr, roots=(config_dir,))


def test_a_pasted_key_equal_to_an_instances_key_matches_it(
    secret_service: SecretServiceDaemon, config_files: ConfigFiles, tmp_path: Path
) -> None:
    instance_id = f"t-{secrets.token_hex(4)}"
    config = config_files(
        {
            "providers.yaml": f"""\
version: 1
providers:
  - id: {instance_id}
    name: Existing {instance_id}
    provider: openai-compatible
    base_url: http://llm.example:9000/v1
    default_model: m
"""
        }
    )
    key, other = canary_value(), canary_value()
    stored = run_cli(
        "secret",
        "set",
        instance_id,
        "--config",
        str(config),
        input=key,
        env=cli_env(SECRET_SERVICE_BACKEND),
    )
    assert stored.returncode == 0, stored.output
    source = tmp_path / "fake.json"
    source.write_text(
        tool_json(
            {
                "same": pasted_entry("Same key", key),
                "other": pasted_entry(f"Other {instance_id}", other),
            }
        )
    )
    done = run_fake("import", "--from", "fake", str(source), "--config", str(config))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"unchanged: providers.same -> {instance_id}" in lines
    assert f"  api_key: pasted key, the same as {instance_id}'s" in lines
    assert f"created: providers.other -> other-{instance_id} (Other {instance_id})" in lines
    assert secret_service.lookup(f"other-{instance_id}/api_key") == other
    assert secret_service.lookup(f"{instance_id}/api_key") == key
    no_canary_anywhere(
        key, done.output if hasattr(done, "output") else done.stdout, roots=(config,)
    )
    no_canary_anywhere(other, done.stdout, done.stderr, roots=(config,))


def test_scrub_leaves_references_and_a_private_backup(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    key = canary_value()
    token = secrets.token_hex(4)
    instance_id = f"scrub-{token}"
    source = tmp_path / "fake.json"
    source.write_text(
        tool_json(
            {
                "mine": pasted_entry(f"Scrub {token}", key),
                "env-one": dict(pasted_entry(f"Env {token}", "$SOME_KEY", "env.example")),
            }
        )
    )
    source.chmod(0o644)
    original = source.read_bytes()
    argv = ["import", "--from", "fake", str(source), "--scrub", "--config", str(config_dir)]
    done = run_fake(*argv)
    assert done.returncode == 0, done.stderr
    backup = Path(f"{source}.provreg-bak")
    assert done.stdout.splitlines()[-2] == (
        f"scrubbed 1 pasted key(s) in {source}; the original is in {backup}: it still "
        "holds the keys, delete it once the tool works"
    )
    scrubbed = json.loads(source.read_text())["providers"]
    assert scrubbed["mine"]["api_key"] == (
        f"$(provreg secret get {instance_id} --config {config_dir.resolve()})"
    )
    assert scrubbed["env-one"]["api_key"] == "$SOME_KEY"
    assert key not in source.read_text()
    assert stat.S_IMODE(source.stat().st_mode) == 0o644
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert secret_service.lookup(f"{instance_id}/api_key") == key
    no_canary_anywhere(key, done.stdout, done.stderr, roots=(config_dir,))

    # The scrubbed file imports as the same instances: nothing changes.
    before = tree(config_dir, source, backup)
    again = run_fake(*argv)
    assert again.returncode == 0, again.stderr
    assert f"unchanged: providers.mine -> {instance_id}" in again.stdout.splitlines()
    assert "nothing to scrub" in again.stdout
    assert tree(config_dir, source, backup) == before


def test_dry_run_writes_nothing_and_stores_no_key(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    key = canary_value()
    token = secrets.token_hex(4)
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"mine": pasted_entry(f"Dry {token}", key)}))
    before = tree(config_dir, source)
    done = run_fake(
        "import", "--from", "fake", str(source), "--dry-run", "--scrub", "--config", str(config_dir)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"would create: providers.mine -> dry-{token} (Dry {token})" in lines
    assert f"would scrub 1 pasted key(s) in {source} (backup {source}.provreg-bak)" in lines
    assert lines[-1] == "1 created; dry run: nothing was written"
    assert tree(config_dir, source) == before
    assert not Path(f"{source}.provreg-bak").exists()
    assert secret_service.lookup(f"dry-{token}/api_key") is None
    # No pin, no audit line: nothing of provreg's own state was written either.
    assert not (state_dir() / "secrets-index.json").exists()
    assert not (state_dir() / "audit.jsonl").exists()
    assert key not in done.stdout + done.stderr


def test_a_failure_after_the_key_is_stored_keeps_it_and_says_so(
    secret_service: SecretServiceDaemon, config_files: ConfigFiles, tmp_path: Path
) -> None:
    """The file new instances go to has errors: the instance is not written, the
    key is in the keyring (and still in the tool's file, which is not scrubbed)."""
    config = config_files({"broken.yaml": "version: 1\nproviders:\n  - id: x\n    provider: [\n"})
    key = canary_value()
    token = secrets.token_hex(4)
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"mine": pasted_entry(f"Fail {token}", key)}))
    original = source.read_bytes()
    done = run_fake(
        "import",
        "--from",
        "fake",
        str(source),
        "--scrub",
        "--file",
        str(config / "broken.yaml"),
        "--config",
        str(config),
    )
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    lines = done.stdout.splitlines()
    failed = [line for line in lines if line.startswith("failed: providers.mine: not created: ")]
    assert failed and f"its key is in the keyring (fail-{token}/api_key)" in failed[0]
    assert "not scrubbed: some entries were not imported (see above)" in lines
    assert secret_service.lookup(f"fail-{token}/api_key") == key
    assert source.read_bytes() == original
    no_canary_anywhere(key, done.stdout, done.stderr, roots=(config,))


def test_a_different_key_already_in_the_keyring_under_the_new_id_is_never_overwritten(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    token = secrets.token_hex(4)
    secret_service.store(f"clash-{token}/api_key", "sk-someone-elses")
    key = canary_value()
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"mine": pasted_entry(f"Clash {token}", key)}))
    done = run_fake("import", "--from", "fake", str(source), "--config", str(config_dir))
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert (
        f"failed: providers.mine: not created: the key could not be stored in the keyring: "
        f"it already holds a different key for clash-{token}/api_key"
    ) in done.stdout
    assert secret_service.lookup(f"clash-{token}/api_key") == "sk-someone-elses"
    assert not (config_dir / "providers.yaml").exists()
    assert key not in done.stdout + done.stderr


def test_importing_what_was_just_exported_changes_nothing(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export and import agree: every exported entry (keyring keys as `provreg secret
    get` helpers, env references as variables) is its own instance again."""
    exported = tmp_path / "fake.json"
    assert main(["export", "--to", "fake", "-o", str(exported), "--config", str(sample_dir)]) == 0
    names = list(json.loads(exported.read_text())["providers"])
    capsys.readouterr()
    before = tree(sample_dir)
    argv = ["import", "--from", "fake", str(exported), "--config", str(sample_dir)]
    assert main(argv) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines[1:-1] if not line.startswith("  ")] == [
        f"unchanged: providers.{name} -> {name}" for name in names
    ]
    assert lines[-1] == f"{len(names)} unchanged"
    assert tree(sample_dir) == before


def test_a_new_id_avoids_ids_declared_in_files_with_errors(
    config_files: ConfigFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Their instances (and keyring entries) are the user's: a moved key must not
    land on one of them."""
    config = config_files(
        {"broken.yaml": "version: 1\nproviders:\n  - id: gateway\n    provider: [\n"}
    )
    source = tmp_path / "fake.json"
    source.write_text(tool_json({"gw": pasted_entry("Gateway", "sk-x", "gw.example")}))
    argv = ["import", "--from", "fake", str(source), "--dry-run", "--config", str(config)]
    assert main(argv) == ExitCode.OK
    assert "would create: providers.gw -> gateway-2 (Gateway)" in capsys.readouterr().out


# --------------------------------------------------------------------------- matching rules


@pytest.mark.anyio
async def test_an_entry_that_says_nothing_of_its_key_matches_by_endpoint() -> None:
    # Zed keeps keys in the OS keychain: its entries carry no key at all.
    one = compat("one", "One")
    lone = await plan_import(
        [entry("zed", None, ModelSpec(id="z"))], [one], builtin_catalog(), Keys({}), set()
    )
    assert [(p.outcome, p.instance_id) for p in lone.entries] == [("merged", "one")]
    two = compat("two", "Zed")
    by_name = await plan_import(
        [entry("zed", None)], [one, two], builtin_catalog(), Keys({}), set()
    )
    assert [(p.outcome, p.instance_id) for p in by_name.entries] == [("unchanged", "two")]
    three = compat("three", "Three")
    ambiguous = await plan_import(
        [entry("other", None)], [one, three], builtin_catalog(), Keys({}), set()
    )
    (planned,) = ambiguous.entries
    assert planned.outcome == "skipped"
    assert "several instances use this endpoint (one, three)" in (planned.reason or "")


@pytest.mark.anyio
async def test_a_new_instance_takes_the_files_id_and_shares_another_instances_key() -> None:
    helper = ImportedSecret(
        "api_key", ref=SecretRef(kind="command", argv=("provreg", "secret", "get", "gw"))
    )
    new = ImportedEntry(
        label="providers.team-gw",
        name="Team gateway",
        id="team-gw",
        provider="openai-compatible",
        values={"base_url": "http://other:4000/v1", "default_model": "a"},
        secrets={"api_key": helper},
    )
    plan = await plan_import([new], [], builtin_catalog(), Keys({}), set())
    (created,) = plan.entries
    assert (created.outcome, created.instance_id) == ("created", "team-gw")
    # `provreg secret get gw` in the tool's file: the new instance uses gw's key
    # entry (one key, one pin), never a command that calls provreg.
    assert created.keys == {"api_key": SecretRef(kind="keyring", name="gw/api_key")}
    taken = await plan_import([new], [], builtin_catalog(), Keys({}), {"team-gw"})
    assert taken.entries[0].instance_id == "team-gateway"  # the file's id is in use


@pytest.mark.anyio
async def test_a_custom_type_that_speaks_openai_is_matched_by_an_openai_compatible_entry() -> None:
    from provreg.model import FieldSpec, FieldType, ProviderDefinition

    gateway = ProviderDefinition(
        id="acme",
        name="Acme",
        api="openai",
        fields=(
            FieldSpec(id="base_url", type=FieldType.URL),
            FieldSpec(id="api_key", type=FieldType.SECRET),
        ),
    )
    catalog = builtin_catalog().with_definitions([gateway])
    acme = ProviderInstance(
        id="acme-gw",
        name="Acme GW",
        provider="acme",
        values={"base_url": "http://gw:4000/v1", "api_key": SecretRef(kind="env", name="GW")},
    )
    env_gw = ImportedSecret("api_key", ref=SecretRef(kind="env", name="GW"))
    plan = await plan_import([entry("e", env_gw)], [acme], catalog, Keys({}), set())
    assert [(p.outcome, p.instance_id) for p in plan.entries] == [("unchanged", "acme-gw")]
