"""`provreg migrate --from-json` on a realistic old config directory, run through the
CLI in a subprocess, keys going to a real keyring backend (keyrings.alt's
plaintext file under the test's XDG_DATA_HOME), read back in-process.

tests/fixtures/compat/old_app/README.md describes the fixture.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.cli import cli_env, run_provreg
from helpers.files import files_containing, tree
from helpers.keyrings import keyring_get
from helpers.paths import FIXTURES

from provreg.cli import main
from provreg.compat import LlmConfigRepository
from provreg.compat.legacy_json import MigrationError, key_env_name, plan_migration, read_keys
from provreg.config.read.load_set import load_paths
from provreg.registry import ProviderRegistry

OLD_APP = FIXTURES / "compat" / "old_app"

WORK, PERSONAL, LITELLM, EU_PROXY, DUPLICATE, SCRATCH = (
    "3f1c2a9e-7b4d-4e8a-9c51-0d2e6f8a1b23",
    "a7e4b1c0-5d92-4f3e-8b16-2c9d7e0f4a58",
    "c2d9f6e1-3a47-4b8c-a5e0-9f1b2d3c4e75",
    "5b8e0d3f-9c16-4a27-b4f9-e6a1c7d2b380",
    "e9a0c4b7-2f58-4d61-9e3a-71b5d8c6f0a4",
    "0d4b7e2a-8c35-4f19-b6d0-3e9a1c5f7b62",
)
FILE_KEYS = json.loads((OLD_APP / "keys.json").read_text())
LITELLM_KEY = "sk-ant-K3yLiteLLM0000000000003"
ALL_KEYS = [*FILE_KEYS.values(), LITELLM_KEY]
DUPLICATE_KEY = FILE_KEYS[f"llm_api_key_{DUPLICATE}"]
EXPECTED_KEYS = {
    "work-openai": FILE_KEYS[f"llm_api_key_{WORK}"],
    "personal-claude": FILE_KEYS[f"llm_api_key_llm_api_key_{PERSONAL}"],  # doubled prefix
    "claude-via-litellm": LITELLM_KEY,  # from the environment
    "openai-proxy-eu": FILE_KEYS[f"llm_api_key_{EU_PROXY}"],
    "scratch-openai": None,  # none anywhere: listed
}


@dataclass
class OldApp:
    """The user's machine: the old app's files, and provreg's XDG dirs."""

    json: Path
    keys: Path
    config: Path
    state: Path
    data: Path
    home: Path

    def migrate(
        self, *extra: str, json_path: Path | None = None, in_process: bool = False
    ) -> tuple[int, str, str]:
        """`provreg migrate --from-json JSON --keys KEYS EXTRA...`: in a subprocess, or
        (for the many bad-input cases, to stay fast) through `cli.main` in this process."""
        args = ["migrate", "--from-json", str(json_path or self.json), "--keys", str(self.keys)]
        env = cli_env(**{key_env_name(LITELLM): LITELLM_KEY})
        if not in_process:
            result = run_provreg(*args, *extra, env=env)
            return result.returncode, result.stdout, result.stderr
        os.environ.update(env)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, *extra])
        return code, out.getvalue(), err.getvalue()

    def everything(self) -> dict[str, bytes]:
        """Every file provreg could have written: config, state, data (keyring), cache."""
        return tree(self.home)

    def keyring_file(self) -> Path:
        return self.data / "python_keyring" / "keyring_pass.cfg"


@pytest.fixture
def old_app(isolated_environment: Path, tmp_path: Path) -> Iterator[OldApp]:
    source = tmp_path / "old-app-data"
    shutil.copytree(OLD_APP, source)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "provreg"
    config.mkdir(parents=True)
    yield OldApp(
        json=source / "llm_config.json",
        keys=source / "keys.json",
        config=config,
        state=Path(os.environ["XDG_STATE_HOME"]) / "provreg",
        data=Path(os.environ["XDG_DATA_HOME"]),
        home=isolated_environment,
    )


def assert_no_key_in_files(app: OldApp) -> None:
    for key in ALL_KEYS:
        assert files_containing(key, app.config, app.state) == [], "a key was written to a file"


def test_duplicate_name_imports_nothing_without_partial(old_app: OldApp) -> None:
    before = old_app.everything()
    code, out, err = old_app.migrate()
    assert code == 1
    assert (
        f"entry 5 ({DUPLICATE}): customName 'work openai' is already used (names ignore case)"
        in err
    )
    assert "nothing imported" in err and "--partial" in err
    assert "would import" in out and "\nimport " not in "\n" + out  # no false promise
    assert old_app.everything() == before  # no YAML, no key, no state
    assert not old_app.keyring_file().exists()


@pytest.mark.anyio
async def test_partial_import_writes_the_yaml_and_keys_and_nothing_else(old_app: OldApp) -> None:
    code, out, err = old_app.migrate("--partial")
    assert code == 1, err  # the duplicate is still reported
    assert f"entry 5 ({DUPLICATE})" in out
    assert "5 imported, 0 already there" in out
    assert "no key: run `provreg secret set scratch-openai api_key`" in out

    # The YAML: slugs of the names as ids, names, providers, base_url only where
    # given, use_auth_header only where true. Byte for byte.
    written = sorted(p.name for p in old_app.config.iterdir())
    assert written == ["providers.yaml"]
    assert (old_app.config / "providers.yaml").read_bytes() == (
        OLD_APP / "expected" / "providers.yaml"
    ).read_bytes()
    loaded = load_paths([str(old_app.config)])
    assert not loaded.diagnostics
    assert [(i.id, i.provider) for i in loaded.instances] == [
        ("work-openai", "openai"),
        ("personal-claude", "anthropic"),
        ("claude-via-litellm", "anthropic"),
        ("openai-proxy-eu", "openai"),
        ("scratch-openai", "openai"),
    ]

    # The keys: in the keyring backend, and in no file of provreg's.
    for instance_id, key in EXPECTED_KEYS.items():
        assert keyring_get(f"{instance_id}/api_key") == key
    assert files_containing(DUPLICATE_KEY, old_app.home) == []  # not imported: not stored
    assert_no_key_in_files(old_app)
    assert files_containing(LITELLM_KEY, old_app.home) == [str(old_app.keyring_file())]

    # The old uuids are recorded (state dir) for reruns; the old times in the audit log.
    mapping = json.loads((old_app.state / "migrated-ids.json").read_text())
    assert mapping == {
        WORK: "work-openai",
        PERSONAL: "personal-claude",
        LITELLM: "claude-via-litellm",
        EU_PROXY: "openai-proxy-eu",
        SCRATCH: "scratch-openai",
    }
    audit = [json.loads(line) for line in (old_app.state / "audit.jsonl").read_text().splitlines()]
    imports = {e["instance_id"]: e for e in audit if e["action"] == "import"}
    assert imports["work-openai"]["legacy_created_at"] == "2024-03-01T09:15:00.000Z"
    assert imports["work-openai"]["legacy_updated_at"] == "2024-05-20T17:42:10.123Z"

    # Old call sites see the configs as the old app had them, times included.
    repo = LlmConfigRepository(await ProviderRegistry.open([str(old_app.config)]))
    work = await repo.read("work-openai")
    assert work is not None
    assert (work.customName, work.provider, work.baseUrl, work.useAuthHeader) == (
        "Work OpenAI",
        "openai",
        "https://api.openai.com/v1",
        False,
    )
    assert (work.createdAt, work.updatedAt) == (
        "2024-03-01T09:15:00.000Z",
        "2024-05-20T17:42:10.123Z",
    )
    assert work.apiKey == EXPECTED_KEYS["work-openai"]
    litellm = await repo.read("claude-via-litellm")
    assert litellm is not None
    assert (litellm.baseUrl, litellm.useAuthHeader) == ("https://litellm.corp.example.com", True)
    assert litellm.apiKey == LITELLM_KEY
    personal = await repo.read("personal-claude")
    assert personal is not None and personal.baseUrl is None


def test_rerun_creates_nothing_and_changes_no_byte(old_app: OldApp) -> None:
    old_app.migrate("--partial")
    before = old_app.everything()
    code, out, _ = old_app.migrate("--partial")
    assert code == 1  # the duplicate is still there to report
    assert "0 imported, 5 already there" in out
    assert out.count("skip ") == 5
    assert old_app.everything() == before

    # A dry run after the import plans nothing new and changes nothing either.
    code, out, _ = old_app.migrate("--partial", "--dry-run")
    assert out.count("skip ") == 5 and "would import" not in out
    assert old_app.everything() == before

    # Fixing the duplicate in the old file and rerunning imports just that entry.
    entries = json.loads(old_app.json.read_text())
    entries[4]["customName"] = "Work OpenAI (old account)"
    old_app.json.write_text(json.dumps(entries))
    code, out, err = old_app.migrate()
    assert code == 0, err
    assert "1 imported, 5 already there" in out
    assert keyring_get("work-openai-old-account/api_key") == DUPLICATE_KEY
    assert len(load_paths([str(old_app.config)]).instances) == 6
    assert_no_key_in_files(old_app)


def test_dry_run_changes_nothing(old_app: OldApp) -> None:
    before = old_app.everything()
    code, out, _ = old_app.migrate("--partial", "--dry-run")
    assert code == 1
    assert out.count("would import ") == 5
    assert "key from keys file" in out and f"key from ${key_env_name(LITELLM)}" in out
    assert "dry run: nothing was written" in out
    assert old_app.everything() == before
    assert not old_app.keyring_file().exists()


def test_an_encrypted_key_store_is_refused(old_app: OldApp) -> None:
    old_app.keys = old_app.keys.parent / "encrypted-keys.bin"
    before = old_app.everything()
    code, _, err = old_app.migrate("--partial", in_process=True)
    assert code == 1
    assert "encrypted key store" in err
    assert "cannot be read outside the old app" in err
    assert "provreg secret set" in err
    assert old_app.everything() == before


def test_encrypted_values_in_a_json_keys_file_are_refused() -> None:
    with pytest.raises(MigrationError) as exc:
        read_keys(str(OLD_APP / "encrypted-keys.json"))
    message = str(exc.value)
    assert "2 key(s) are not plaintext strings (encrypted?)" in message
    assert WORK in message and PERSONAL in message  # named, prefix removed
    assert "llm_api_key_" not in message
    assert "Q2lwaGVy" not in message  # no ciphertext echoed
    assert "provreg secret set" in message


def test_keys_file_problems_are_clear(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(MigrationError, match="cannot read keys"):
        read_keys(str(missing))
    array = tmp_path / "array.json"
    array.write_text('["sk-1"]')
    with pytest.raises(MigrationError, match="keys must be a JSON object"):
        read_keys(str(array))


def test_key_prefixes_once_twice_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                f"llm_api_key_{WORK}": "sk-1",
                f"llm_api_key_llm_api_key_{PERSONAL}": "sk-2",
                LITELLM: "sk-3",
            }
        )
    )
    keys = {name: value.get_secret_value() for name, value in read_keys(str(path)).items()}
    assert keys == {WORK: "sk-1", PERSONAL: "sk-2", LITELLM: "sk-3"}


# --------------------------------------------------------------------------- bad input

GOOD = {
    "id": WORK,
    "customName": "Work",
    "provider": "openai",
    "useAuthHeader": False,
    "createdAt": "2024-01-01T00:00:00.000Z",
    "updatedAt": "2024-01-01T00:00:00.000Z",
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00binary", "not JSON"),
        (b'{"llmConfigs": []}', "expected a JSON array of LLM configs"),
        (b'"just a string"', "expected a JSON array of LLM configs"),
    ],
    ids=["broken", "binary", "object", "string"],
)
@pytest.mark.anyio
async def test_unreadable_input_is_refused_whole(
    old_app: OldApp, content: bytes, message: str
) -> None:
    old_app.json.write_bytes(content)
    registry = await ProviderRegistry.open([str(old_app.config)])
    with pytest.raises(MigrationError) as exc:
        plan_migration(str(old_app.json), registry)
    assert message in str(exc.value) and str(old_app.json) in str(exc.value)


def test_unreadable_input_through_the_cli(old_app: OldApp) -> None:
    old_app.json.write_text('{"llmConfigs": []}')
    before = old_app.everything()
    code, out, err = old_app.migrate("--partial", in_process=True)
    assert code == 1
    assert f"provreg: {old_app.json}: expected a JSON array of LLM configs" in err
    assert out == ""
    assert old_app.everything() == before


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("a string", "entry 2: not an object"),
        ({**GOOD, "id": "42"}, "entry 2: 'id' must be a uuid"),
        ({k: v for k, v in GOOD.items() if k != "id"}, "entry 2: 'id' must be a uuid"),
        (GOOD, f"entry 2 ({WORK}): the same id appears twice"),
        (
            {**GOOD, "id": PERSONAL, "customName": "Other", "provider": "cohere"},
            "unknown provider 'cohere'",
        ),
        ({**GOOD, "id": PERSONAL, "customName": None}, "needs customName and provider"),
        ({**GOOD, "id": PERSONAL, "provider": 7}, "needs customName and provider"),
        ({**GOOD, "id": PERSONAL, "useAuthHeader": "yes please"}, "useAuthHeader (true/false)"),
        ({**GOOD, "id": PERSONAL, "customName": "x" * 101}, "customName must be 1 to 100"),
        (
            {**GOOD, "id": PERSONAL, "customName": "Other", "baseUrl": "localhost:8080"},
            "baseUrl is not a valid URL",
        ),
        (
            {**GOOD, "id": PERSONAL, "customName": "Other", "useAuthHeader": True},
            "no use_auth_header",
        ),
    ],
    ids=[
        "not-object",
        "bad-uuid",
        "no-id",
        "duplicate-id",
        "unknown-provider",
        "no-name",
        "provider-not-text",
        "bad-bool",
        "long-name",
        "bad-url",
        "auth-header-openai",
    ],
)
@pytest.mark.anyio
async def test_bad_entries_get_their_own_message(
    old_app: OldApp, entry: object, message: str
) -> None:
    old_app.json.write_text(json.dumps([GOOD, entry]))
    registry = await ProviderRegistry.open([str(old_app.config)])
    plan = plan_migration(str(old_app.json), registry, map_path=str(old_app.state / "map.json"))
    assert [e.uuid for e in plan.entries] == [WORK]  # the good entry is still planned
    assert len(plan.errors) == 1 and message in plan.errors[0]
    assert plan.errors[0].startswith("entry 2")


def test_several_bad_entries_through_the_cli(old_app: OldApp) -> None:
    old_app.json.write_text(
        json.dumps(
            [
                GOOD,
                {**GOOD, "id": PERSONAL, "provider": "cohere", "customName": "Cohere"},
                {**GOOD, "id": "not-a-uuid"},
                {**GOOD, "id": SCRATCH, "customName": "work"},
            ]
        )
    )
    before = old_app.everything()
    code, out, err = old_app.migrate(in_process=True)
    assert code == 1
    assert f"entry 2 ({PERSONAL}): unknown provider 'cohere'" in err
    assert "entry 3: 'id' must be a uuid" in err
    assert f"entry 4 ({SCRATCH}): customName 'work' is already used" in err
    assert old_app.everything() == before

    code, out, err = old_app.migrate("--partial", in_process=True)
    assert code == 1
    assert "1 imported" in out
    assert [i.id for i in load_paths([str(old_app.config)]).instances] == ["work"]


def test_names_already_in_the_registry_count_as_duplicates(old_app: OldApp) -> None:
    (old_app.config / "mine.yaml").write_text(
        "version: 1\nproviders:\n  - id: mine\n    name: PERSONAL claude\n    provider: anthropic\n"
    )
    code, _, err = old_app.migrate(in_process=True)
    assert code == 1
    assert f"entry 2 ({PERSONAL}): customName 'Personal Claude' is already used" in err
