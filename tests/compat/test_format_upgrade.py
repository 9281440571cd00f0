"""Format versions: `provreg migrate --upgrade` on legacy-layout files, against golden files.

tests/fixtures/compat/upgrade/<case>/input.yaml is a file in the old app's
layout (version 0); expected.yaml is what the upgrade must write, byte for
byte (hand-checked: comments, quotes, blank lines, CRLF and BOM kept). Each
upgrade leaves `<file>.v0.bak` identical to the input, moves plaintext keys
to the keyring (the real plaintext-file backend of the test), is refused by
`--check` before (E106) and accepted after, writes nothing on `--dry-run`,
and changes nothing when run again.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from helpers.cli import run_provreg
from helpers.files import files_containing, tree
from helpers.keyrings import keyring_get
from helpers.paths import FIXTURES
from ruamel.yaml import YAML

from provreg.cli import main
from provreg.config.edit.migrations import STEPS, UpgradeResult, upgrade_0_to_1, upgrade_text
from provreg.config.read.load_set import load_paths
from provreg.config.read.reading import CURRENT_VERSION, detect_version

UPGRADE = FIXTURES / "compat" / "upgrade"
CASES = sorted(p.name for p in UPGRADE.iterdir() if p.is_dir() and p.name != "current")

# Plaintext keys in the inputs, by the id their entry gets.
KEYS = {
    "top-level-list": {
        "work-openai": "sk-proj-UpgradeWork0000000001",
        "claude-gateway": "sk-ant-UpgradeGateway000002",
    },
    "providers-list": {
        "work": "sk-UpgradeProviders00000003",
        "claude": "sk-ant-UpgradeProviders0004",
    },
    "crlf": {
        "work-openai": "sk-UpgradeCrlf0000000005",
        "claude-proxy": "sk-ant-UpgradeCrlf00000006",
    },
    "bom": {"groq-fast": "gsk_UpgradeBom00000000007"},
    "dropped-line-comments": {},
}


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(isolated_environment: Path) -> Path:
    return isolated_environment


def config_with(case: str, tmp_path: Path) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    (config / "providers.yaml").write_bytes((UPGRADE / case / "input.yaml").read_bytes())
    return config


def test_every_case_has_its_keys_listed() -> None:
    assert set(CASES) == set(KEYS)
    for case in CASES:
        assert (UPGRADE / case / "expected.yaml").is_file()


@pytest.mark.parametrize("case", CASES)
def test_upgrade_matches_the_golden_file(
    case: str, tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_with(case, tmp_path)
    target = config / "providers.yaml"
    original = target.read_bytes()

    code, out, _ = run("--check", str(config), capsys=capsys)
    assert code == 1 and "error[E106]" in out

    before = tree(home, tmp_path)
    code, out, _ = run("migrate", "--upgrade", str(config), "--dry-run", capsys=capsys)
    assert code == 0 and "version 0 -> 1" in out and "dry run: nothing was written" in out
    assert tree(home, tmp_path) == before  # no file, no backup, no key, no lock

    code, out, err = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 0, err
    assert target.read_bytes() == (UPGRADE / case / "expected.yaml").read_bytes()

    backup = config / "providers.yaml.v0.bak"
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert f"backup: {backup}" in out

    for instance_id, key in KEYS[case].items():
        assert keyring_get(f"{instance_id}/api_key") == key
        assert files_containing(key, target) == []
        assert files_containing(key, home / ".local" / "state") == []
    if KEYS[case]:
        assert "the backup still holds the plaintext keys" in out

    code, out, _ = run("--check", str(config), capsys=capsys)
    assert code == 0, out
    assert "E106" not in out
    loaded = load_paths([str(config)])
    assert {i.id for i in loaded.instances} >= set(KEYS[case])

    after = tree(home, tmp_path)
    code, out, _ = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 0 and "every file is at the current version" in out
    assert tree(home, tmp_path) == after  # a second run changes nothing


def test_a_current_file_is_left_alone(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_with("current", tmp_path)
    before = tree(config)
    code, out, _ = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 0 and "every file is at the current version" in out
    assert tree(config) == before
    assert (UPGRADE / "current" / "expected.yaml").read_bytes() == (
        UPGRADE / "current" / "input.yaml"
    ).read_bytes()


def test_ids_are_unique_across_the_files_upgraded_together(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two legacy files with a "Work OpenAI" entry: the second must not take the first's
    id, or its key would overwrite the first one's in the keyring."""
    config = tmp_path / "config"
    (config / "team").mkdir(parents=True)
    (config / "a.yaml").write_text(
        "- customName: Work OpenAI\n  provider: openai\n  apiKey: sk-first-0001\n"
    )
    (config / "team" / "b.yaml").write_text(
        "- customName: Work OpenAI\n  provider: openai\n  apiKey: sk-second-0002\n"
        "- customName: Kept\n  provider: openai\n  id: kept\n"
    )
    (config / "c.yaml").write_text("version: 1\nproviders:\n  - name: Kept\n    provider: openai\n")
    code, _, err = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 0, err
    loaded = load_paths([str(config)])
    ids = sorted(i.id for i in loaded.instances)
    assert ids == ["kept", "kept-2", "work-openai", "work-openai-2"]
    assert not [d for d in loaded.diagnostics if d.code == "E213"]
    assert keyring_get("work-openai/api_key") == "sk-first-0001"
    assert keyring_get("work-openai-2/api_key") == "sk-second-0002"


def test_a_different_key_already_in_the_keyring_is_never_overwritten(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import keyring

    keyring.set_password("provreg", "work/api_key", "sk-someone-elses")
    config = tmp_path / "config"
    config.mkdir()
    legacy = config / "old.yaml"
    legacy.write_text("- customName: Work\n  provider: openai\n  apiKey: sk-mine-0001\n")
    before = legacy.read_bytes()
    code, out, _ = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 1
    assert "not upgraded: the keyring already holds a different key for work/api_key" in out
    assert legacy.read_bytes() == before
    assert not (config / "old.yaml.v0.bak").exists()
    assert keyring_get("work/api_key") == "sk-someone-elses"

    # The same key already there (an interrupted earlier run) is fine.
    keyring.set_password("provreg", "work/api_key", "sk-mine-0001")
    code, out, _ = run("migrate", "--upgrade", str(config), capsys=capsys)
    assert code == 0
    assert "api_key: {keyring: true}" in legacy.read_text()


def test_read_only_refuses_to_upgrade(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_with("providers-list", tmp_path)
    before = tree(home, tmp_path)
    code, _, err = run("migrate", "--upgrade", str(config), "--read-only", capsys=capsys)
    assert code == 1 and "read-only" in err
    assert tree(home, tmp_path) == before


def test_upgrade_and_check_through_the_cli(tmp_path: Path, home: Path) -> None:
    """The same, end to end in a subprocess (PYTHON_KEYRING_BACKEND selects the backend)."""
    config = config_with("top-level-list", tmp_path)
    check = run_provreg("--check", str(config))
    assert check.returncode == 1 and "E106" in check.stdout
    upgraded = run_provreg("migrate", "--upgrade", str(config))
    assert upgraded.returncode == 0, upgraded.stderr
    assert (config / "providers.yaml").read_bytes() == (
        UPGRADE / "top-level-list" / "expected.yaml"
    ).read_bytes()
    assert keyring_get("claude-gateway/api_key") == "sk-ant-UpgradeGateway000002"
    assert run_provreg("--check", str(config)).returncode == 0


# --------------------------------------------------------------------------- the steps


def rt_load(text: str) -> object:
    return YAML(typ="rt").load(text)


def test_there_is_a_step_for_every_version_below_current() -> None:
    assert sorted(STEPS) == list(range(CURRENT_VERSION))
    assert STEPS[0] is upgrade_0_to_1


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("- customName: A\n  provider: openai\n", 0),
        ("providers:\n  - customName: A\n    provider: openai\n", 0),
        ("providers:\n  - name: A\n    provider: openai\n    apiKey: x\n", 0),
        ("providers:\n  - name: A\n    provider: openai\n", CURRENT_VERSION),
        ("version: 1\nproviders: []\n", 1),
        ("providers: []\n", CURRENT_VERSION),
        ("[]\n", CURRENT_VERSION),
    ],
)
def test_detect_version(text: str, version: int) -> None:
    assert detect_version(YAML(typ="safe").load(text)) == version


def test_step_0_to_1_on_a_document() -> None:
    document = rt_load(
        "providers:\n"
        "  - customName: Work\n    provider: openai\n    apiKey: sk-1\n    useAuthHeader: false\n"
        "  - customName: Work\n    provider: anthropic\n    useAuthHeader: true\n"
        "  - customName: Plain\n    provider: openai\n    apiKey: ''\n"
    )
    result = UpgradeResult(None, 0, taken_ids={"work"})
    upgraded = upgrade_0_to_1(document, result)
    assert list(upgraded) == ["version", "providers"] and upgraded["version"] == 1
    entries = [dict(e) for e in upgraded["providers"]]
    assert entries[0] == {
        "id": "work-2",
        "name": "Work",
        "provider": "openai",
        "api_key": {"keyring": True},
    }
    assert entries[1] == {
        "id": "work-3",
        "name": "Work",
        "provider": "anthropic",
        "use_auth_header": True,
    }
    assert entries[2] == {"id": "plain", "name": "Plain", "provider": "openai", "api_key": ""}
    assert result.secrets == [("work-2", "api_key", "sk-1", None, "openai")]
    assert result.taken_ids == {"work", "work-2", "work-3", "plain"}


def test_upgrade_text_keeps_current_text_and_refuses_broken_yaml() -> None:
    text = "version: 1\nproviders: []\n"
    assert upgrade_text(text)[0] is text
    with pytest.raises(ValueError, match="does not parse"):
        upgrade_text("- customName: [unclosed\n")


def test_the_upgraded_text_never_holds_the_key() -> None:
    text, result = upgrade_text("- customName: K\n  provider: openai\n  apiKey: sk-secret-9\n")
    assert "sk-secret-9" not in text
    assert [s[2] for s in result.secrets] == ["sk-secret-9"]
    assert "sk-secret-9" not in " ".join(result.notes)


@pytest.mark.parametrize("name", ["No", "On", "Yes", "Null", "Off", "y"])
def test_an_id_yaml_would_read_as_another_type_is_written_quoted(tmp_path: Path, name: str) -> None:
    """A legacy entry named "No" got the id `no`, written plain: provreg reads
    YAML as version 1.1, where `no` is false, so the upgraded file did not load
    (found by test_upgrade_properties)."""
    text, _ = upgrade_text(f"- customName: '{name}'\n  provider: openai\n", set())
    path = tmp_path / "upgraded.yaml"
    path.write_text(text)
    loaded = load_paths([str(path)])
    assert [d.message for d in loaded.diagnostics] == []
    assert [i.id for i in loaded.instances] == [name.lower()]
