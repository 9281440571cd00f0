"""What the tests share. Import from here; add here what a second folder needs.

- `paths`: REPO_ROOT, SAMPLE_CONFIGS, SAMPLE_IDS, FIXTURES.
- `files`: writing config files (`write_config`, `write_files`, `copy_samples`,
  TEAM_YAML) and reading a tree back (`read_tree`, `snapshot_files`, `tree`,
  `files_containing`, `temp_files`, `changed_lines`).
- `cli`: `python -m provreg` in a subprocess (`run_provreg`, `run_cli`, `cli_env`).
- `keyrings`: backend names, the plaintext keyring opt-in, counting backends.
- `secret_service`: gnome-keyring on a private D-Bus session bus.
- `dashboard`: driving the real Textual app (waits, keys, screen text, `Notes`).
- `registry`: comparing a registry with a fresh load of its files.
- `fixtures`: the shared pytest fixtures (loaded by tests/conftest.py), among
  them `config_dir`, `config_files`, `sample_dir`, `cfg`, `run_dashboard`,
  `secret_service`.

tests/ is on sys.path under pytest (its conftest.py is not in a package), so
tests import this as `helpers`.
"""
