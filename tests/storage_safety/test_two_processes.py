"""Two real provreg processes update different instances of the same file at
once, through the lock and the storage's optimistic concurrency: no update is
lost and the file stays clean (docs/architecture.md, "Writes"; issue 3 "Must show")."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import yaml
from helpers.cli import spawn
from helpers.files import TEAM_YAML, temp_files

from provreg.registry.registry import ProviderRegistry

HERE = Path(__file__).resolve().parent

N = 25
TIMEOUT = 60


def test_two_processes_updating_one_file_lose_nothing(team_dir: Path) -> None:
    path = team_dir / "team.yaml"
    children = [
        spawn(HERE / "_registry_writer.py", str(team_dir), name, str(N))
        for name in ("alpha", "beta")
    ]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line == "ready\n", child.stderr.read() if child.stderr else line
        for child in children:  # both have loaded the file: go
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=TIMEOUT) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    for child, (_out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    results = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]

    for result in results:
        assert result["lost"] == [], result
        # A different instance changed: the storage re-applies, it never conflicts.
        assert result["conflicts"] == 0, result
    # Both loaded before either wrote, so whoever wrote second saw a moved file.
    assert sum(result["reapplied"] for result in results) >= 1, results

    # Byte for byte: only the two values changed; comments, gamma and layout survive.
    expected = TEAM_YAML.replace(
        b"default_model: llama3.2   #", f"default_model: alpha-{N - 1}   #".encode()
    ).replace(b"default_model: qwen3\n", f"default_model: beta-{N - 1}\n".encode())
    assert path.read_bytes() == expected
    assert yaml.safe_load(expected)["providers"][2]["keep_alive"] == "10m"
    assert temp_files(team_dir) == []

    async def fresh() -> None:
        registry = await ProviderRegistry.open([str(team_dir)], audit=False)
        snapshot = registry.snapshot()
        assert [d for diags in snapshot.diagnostics.values() for d in diags] == []
        assert registry.get("alpha").values["default_model"] == f"alpha-{N - 1}"
        assert registry.get("beta").values["default_model"] == f"beta-{N - 1}"
        assert registry.get("gamma").values == {"keep_alive": "10m"}

    anyio.run(fresh)
