"""After each reload of externally edited files, the YAML directory backend's
state equals a fresh load.

A reload re-reads only the files named and reuses the rest: the results of
unchanged files, and the collected user definitions when no definition entry
changed. Every step below edits files as an editor would (whole new bytes),
reloads them, and compares the state, catalog included, with a new backend's.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from provreg.storage.backend import StoredState
from provreg.storage.yaml_dir import YamlDirectoryStorage

DEFINITIONS = """\
version: 1
definitions:
  - id: acme-gateway
    name: ACME LLM Gateway
    fields:
      - {{id: base_url, type: url, required: true, default: "https://llm.acme.internal/v1"}}
      - {{id: team, type: choice, choices: [{choices}]}}
providers:
  - id: gw
    name: Gateway
    provider: acme-gateway
    team: platform
"""

USERS = """\
version: 1
{definitions}providers:
  - id: research
    name: Research
    provider: acme-gateway
    team: research
  - id: other
    name: Other
    provider: {other}
"""

OTHER_DEFINITION = """\
definitions:
  - id: other-gateway
    name: Other gateway
    fields:
      - {id: region, type: text}
"""

PLAIN = """\
version: 1
providers:
  - id: local
    name: {name}
    provider: ollama
"""


def comparable(state: StoredState) -> tuple[object, ...]:
    files = [
        (r.display, r.fingerprint, r.instances, r.definitions, r.diagnostics) for r in state.files
    ]
    return files, list(state.catalog)


def test_state_after_each_reload_equals_a_fresh_load(config_dir: Path) -> None:
    defs, users, plain = (config_dir / name for name in ("defs.yaml", "users.yaml", "plain.yaml"))
    added = config_dir / "sub" / "added.yaml"
    defs.write_text(DEFINITIONS.format(choices="platform, research"))
    users.write_text(USERS.format(definitions="", other="ollama"))
    plain.write_text(PLAIN.format(name="Local"))

    def add_file() -> None:
        added.parent.mkdir()
        added.write_text(PLAIN.format(name="Added").replace("local", "added"))

    steps = [
        ([plain], lambda: plain.write_text(PLAIN.format(name="Local renamed"))),
        # `research` is no longer a choice: the instance in users.yaml turns invalid.
        ([defs], lambda: defs.write_text(DEFINITIONS.format(choices="platform"))),
        ([users], lambda: users.write_text(USERS.format(definitions="", other="other-gateway"))),
        (
            [users],
            lambda: users.write_text(
                USERS.format(definitions=OTHER_DEFINITION, other="other-gateway")
            ),
        ),
        # Lines above the definition move: its diagnostics and positions must follow.
        ([defs], lambda: defs.write_text("\n\n" + DEFINITIONS.format(choices="platform"))),
        ([plain], lambda: plain.write_text(PLAIN.format(name="Local again"))),
        ([added], add_file),
        ([users], lambda: users.write_text(USERS.format(definitions="", other="other-gateway"))),
        ([defs], lambda: defs.write_text("version: 1\ndefinitions: [\n")),  # no longer parses
        (
            [defs, plain],
            lambda: (defs.write_text(DEFINITIONS.format(choices="research")), plain.unlink()),
        ),
        ([added], lambda: added.write_text("version: 1\nproviders: []\n")),
    ]

    async def main() -> None:
        storage = YamlDirectoryStorage([str(config_dir)])
        await storage.load_all()
        for number, (paths, edit) in enumerate(steps):
            edit()
            state = await storage.reload([str(path) for path in paths])
            expected = await YamlDirectoryStorage([str(config_dir)]).load_all()
            assert comparable(state) == comparable(expected), f"step {number}"
            assert comparable(storage.state()) == comparable(expected), f"step {number}"

    anyio.run(main)
