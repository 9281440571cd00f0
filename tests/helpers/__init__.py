"""What the tests share. Import from its modules; add here what a second folder needs.

- `paths`: REPO_ROOT, SAMPLE_CONFIGS, SAMPLE_IDS, FIXTURES.
- `files`: writing config files (`write_config`, `write_files`, `copy_samples`,
  TEAM_YAML) and reading a tree back (`read_tree`, `snapshot_files`, `tree`,
  `files_containing`, `temp_files`, `changed_lines`).
- `cli`: `python -m provreg` in a subprocess (`run_provreg`, `run_cli`, `cli_env`).
- `keyrings`: backend names, the plaintext keyring opt-in, counting backends.
- `secret_service`: gnome-keyring on a private D-Bus session bus.
- `dashboard`: driving the real Textual app (`running_dashboard`, waits, keys,
  screen text, the `Notes` notification collector).
- `registry`: comparing a registry with a fresh load of its files.
- `sync_data`: the sync engine tests' config files (A_YAML, B_YAML, C_YAML).
- `fake_providers`: loopback HTTP servers answering like each provider's model
  API (`FakeProvider`, `serving`, `free_port`), for `provreg probe`.
- `pydantic_field_oracle`: the pydantic model field validation used to be
  (`oracle_check_fields`), the reference its hand-written rules are compared with.
- `fixtures`: the shared pytest fixtures (loaded by tests/conftest.py), among
  them `config_dir`, `config_files`, `sample_dir`, `cfg`, `run_dashboard`,
  `secret_service`.

tests/ is on sys.path under pytest (its conftest.py is not in a package), so
tests import this as `helpers`. A new dashboard test, for example
(`pytestmark = pytest.mark.anyio` in its module):

    async def test_x(cfg: Path, run_dashboard: RunDashboard) -> None:
        async with run_dashboard() as (app, pilot, notes):  # 80x24, rows loaded
            await pilot.press("a")

and a test over files of its own:

    def test_y(config_files: ConfigFiles) -> None:
        config = config_files({"providers.yaml": "version: 1\nproviders: []\n"})
"""
