"""`provreg import` against hostile and careless tool files: wrong types
everywhere, keys pasted in the wrong place, names that would forge report
lines, files that are not files. Each must end in a clean report or a one-line
error with its place, never a traceback, and never a key anywhere but the
keyring (the real Secret Service here)."""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import state_dir, tree
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon

from provreg.cli import main
from provreg.exit_codes import ExitCode
from provreg.interop import tools
from provreg.interop.base import ToolFileError

EMPTY = "version: 1\n"


INFINITE = "__INFINITE__"
"""Written as `1e400` (JSON has no infinity; the number does not fit a float)."""


def write(path: Path, document: object) -> Path:
    text = json.dumps(document, indent=2).replace(json.dumps(INFINITE), "1e400")
    path.write_text(text + "\n")
    return path


def crush_entry(key: str, host: str = "llm.example:9000", **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": "Gateway",
        "type": "openai-compat",
        "base_url": f"http://{host}/v1",
        "api_key": key,
        "models": [{"id": "m"}],
    }
    entry.update(extra)
    return entry


def run_import(*args: str) -> tuple[int, str]:
    done = run_cli("import", *args, env=cli_env(SECRET_SERVICE_BACKEND))
    assert "Traceback" not in done.output
    return done.returncode, done.output


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("tool", "document", "lost"),
    [
        (
            "crush",
            {
                "providers": {
                    "x": {"type": "openai-compat", "base_url": "http://a:1/v1", "models": 5}
                }
            },
            "models (not a list)",
        ),
        (
            "crush",
            {
                "providers": {
                    "x": {
                        "type": "openai-compat",
                        "base_url": "http://a:1/v1",
                        "models": [{"id": ""}],
                    }
                }
            },
            "models[0] (not a model provreg can keep)",
        ),
        (
            "crush",
            {
                "providers": {
                    "x": {
                        "type": "openai-compat",
                        "base_url": "http://a:1/v1",
                        "models": [{"id": "m", "context_window": 10**30}, "junk"],
                    }
                }
            },
            "models[1] (not a model provreg can keep)",
        ),
        (
            "opencode",
            {
                "provider": {
                    "x": {
                        "npm": "@ai-sdk/openai-compatible",
                        "options": {"baseURL": "http://a:1/v1"},
                        "models": {"m": {"limit": {"context": INFINITE, "output": -5}}, "": {}},
                    }
                }
            },
            "models: entry 2 (not a model id provreg can keep)",
        ),
        (
            "zed",
            {"language_models": {"openai": {"api_url": "http://a:1/v1", "available_models": 5}}},
            "available_models (not a list)",
        ),
        (
            "zed",
            {
                "language_models": {
                    "openai": {
                        "api_url": "http://a:1/v1",
                        "available_models": [{"name": "m", "max_tokens": INFINITE}, {"name": " x"}],
                    }
                }
            },
            "available_models[1] (not a model provreg can keep)",
        ),
    ],
)
def test_wrong_types_are_said_not_a_crash(
    tool: str, document: object, lost: str, tmp_path: Path
) -> None:
    source = write(tmp_path / "tool.json", document)
    read = tools.adapter(tool).read(source.read_text(), str(source))
    (entry,) = read.entries
    assert lost in entry.lost
    # What could be kept is kept (model `m`), limits out of range or not whole dropped.
    assert [model.id for model in entry.models] in ([], ["m"])
    assert all(
        model.context_window is None and model.max_output_tokens is None for model in entry.models
    )


def test_wrong_types_through_the_cli_are_a_report_not_an_adapter_failure(
    config_files: object, config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                "x": {"type": "openai-compat", "base_url": "http://[::1/v1", "models": 5},
                "y": {"type": 5, "base_url": 7, "name": 3, "api_key": 9, "models": {"a": 1}},
                "z": [],
            }
        },
    )
    argv = ["import", "--from", "crush", str(source), "--dry-run", "--config", str(config_dir)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert "adapter failed" not in err, err
    assert code == ExitCode.FINDINGS  # the entries the registry refuses are skipped
    assert "skipped: providers.x:" in out
    assert "not a provider: providers.z: not an object" in out


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"providers": {"x": {"api_key": "sk-canary-0000000000000000"}}, /* x', 1, 65),
        ('{"providers": {"x": {"name": "\\ud800 lone", "api_key": "$A"}}}', 1, 30),
        ('{"providers": {"x": {"name": "\\udfff"}}}', 1, 30),
        ("[" * 3000, 1, 258),
        ("\n\n", 3, 1),
    ],
)
def test_unreadable_json_is_its_place_only(text: str, line: int, column: int) -> None:
    with pytest.raises(ToolFileError) as raised:
        tools.adapter("crush").read(text, "c.json")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert "sk-canary" not in str(raised.value) and "lone" not in str(raised.value)


def test_a_lone_surrogate_name_is_refused_at_its_place_not_a_misleading_write_error(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    source = tmp_path / "crush.json"
    source.write_text(
        '{"providers": {\n  "b": {"name": "\\ud800", "type": "openai-compat",'
        ' "base_url": "http://b:1/v1", "api_key": "$B", "models": [{"id": "m"}]}}}\n'
    )
    before = tree(config_dir)
    assert main(["import", "--from", "crush", str(source), "--config", str(config_dir)]) == 1
    err = capsys.readouterr().err
    assert err == f"provreg: {source}:2:17: a string holds an unpaired surrogate escape " + (
        "(\\uD800-\\uDFFF)\n"
    )
    assert tree(config_dir) == before


# --------------------------------------------------------------------------- not a file


def test_a_fifo_is_refused_without_hanging(config_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "crush.json"
    os.mkfifo(fifo)
    result: list[int] = []

    def run() -> None:
        result.append(main(["import", "--from", "crush", str(fifo), "--config", str(config_dir)]))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "w") as writer:
            writer.write("{}")
        worker.join(timeout=5)
        pytest.fail("import blocked on a FIFO")
    assert result == [ExitCode.FINDINGS]


def test_a_symlink_to_a_device_and_a_directory_are_one_line(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "crush.json"
    link.symlink_to("/dev/null")
    base = ["import", "--from", "crush", "--config", str(config_dir)]
    assert main([*base, str(link)]) == ExitCode.FINDINGS
    assert capsys.readouterr().err == (
        f"provreg: {link}: not a regular file (a device, FIFO or socket)\n"
    )
    assert main([*base, str(tmp_path)]) == ExitCode.FINDINGS
    assert capsys.readouterr().err == f"provreg: {tmp_path}: is a directory, not a file\n"


# --------------------------------------------------------------------------- report lines


def test_a_name_with_line_breaks_cannot_forge_report_lines(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    forged = "Box\n  api_key: pasted key -> keyring (box/api_key)\n\x1b[2J"
    source = write(
        tmp_path / "crush.json",
        # In the name (the new instance's) and in the entry's key (its label).
        {"providers": {forged: crush_entry("$BOX_KEY", name=forged)}},
    )
    argv = ["import", "--from", "crush", str(source), "--dry-run", "--config", str(config_dir)]
    assert main(argv) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5, lines  # header, the entry, its models, its key, the summary
    label = "providers.Box\\n  api_key: pasted key -> keyring (box/api_key)\\n\\x1b[2J"
    # The name is made one line (whitespace collapsed); the label is escaped.
    assert lines[1] == (
        f"would create: {label} -> box-api-key-pasted-key-keyring-box-api-key-2j "
        "(Box api_key: pasted key -> keyring (box/api_key) \\x1b[2J)"
    )
    assert "  api_key: pasted key -> keyring (box/api_key)" not in lines
    assert not any("\x1b" in line for line in lines)
    assert (config_dir / "providers.yaml").read_text() == EMPTY


def test_a_name_too_long_for_provreg_is_shortened_not_a_failure_after_the_key_is_stored(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    key = canary_value()
    token = secrets.token_hex(3)
    name = f"long{token}" + "x" * 5000
    source = write(
        tmp_path / "crush.json",
        {"providers": {f"k{token}": crush_entry(key, f"h{token}.example:9000", name=name)}},
    )
    code, output = run_import(
        "--from", "crush", str(source), "--scrub", "--config", str(config_dir)
    )
    assert code == ExitCode.OK, output
    assert "  its name is shortened to 95 characters" in output
    created = [line for line in output.splitlines() if line.startswith("created: ")]
    assert len(created) == 1 and f"({name[:95]})" in created[0]
    new_id = created[0].split(" -> ")[1].split(" ")[0]
    assert new_id == f"k{token}"  # the id crush's file gives it
    assert secret_service.lookup(f"{new_id}/api_key") == key
    assert key not in source.read_text()  # --scrub was not blocked by a failure
    canary_nowhere(key, output, config_dir, state_dir())


# ------------------------------------------------------------------------ keys in the wrong place


def canary_nowhere(key: str, output: str, *roots: Path) -> None:
    assert key not in output
    for name, data in tree(*roots).items():
        assert key.encode() not in data, name


@pytest.mark.parametrize(
    "place",
    [
        "object key",
        "setting name",
        "name",
        "model id",
        "base url",
        "opencode option",
        "command argument",
    ],
)
def test_a_key_pasted_in_the_wrong_place_is_never_repeated_nor_written(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path, place: str
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    key = canary_value()
    token = secrets.token_hex(3)
    tool = "crush"
    entry_key = f"gw-{token}"
    entry = crush_entry(key, host=f"h{token}.example:9000", name=entry_key)
    if place == "object key":
        entry_key = key
    elif place == "setting name":
        entry[key] = True
    elif place == "name":
        entry["name"] = f"My {key}"
    elif place == "model id":
        entry["models"] = [{"id": "m"}, {"id": key}]
    elif place == "base url":
        entry["base_url"] = f"http://h{token}.example:9000/v1?key={key}"
    elif place == "command argument":
        entry["api_key"] = f"$(echo {key})"  # a helper that is the key itself
    document: dict[str, object] = {"providers": {entry_key: entry}}
    if place == "opencode option":
        tool = "opencode"
        document = {
            "provider": {
                entry_key: {
                    "npm": "@ai-sdk/openai-compatible",
                    "options": {"baseURL": f"http://h{token}.example:9000/v1", "apiKey": key},
                    "models": {"m": {}},
                    key: 1,
                }
            }
        }
    source = write(tmp_path / f"{tool}.json", document)
    code, output = run_import("--from", tool, str(source), "--config", str(config_dir))
    json_code, json_output = run_import(
        "--from", tool, str(source), "--json", "--config", str(config_dir)
    )
    canary_nowhere(key, output + json_output, config_dir, state_dir())
    if place in ("setting name", "opencode option"):
        # Only a setting's name: the entry is imported, the name withheld from `not kept`.
        assert code == ExitCode.OK, output
        assert "[withheld: it may be a key]" in output
        assert secret_service.lookup(f"gw-{token}/api_key") == key
    else:
        assert code == ExitCode.FINDINGS, output
        assert "not only in its key field; nothing of it was imported" in output
        assert "already holds" not in output
        assert "created" not in output
        assert (config_dir / "providers.yaml").read_text() == EMPTY
    report = json.loads(json_output)
    assert [entry["outcome"] for entry in report["entries"]] in (["skipped"], ["unchanged"])


def test_a_key_only_in_an_entry_name_that_looks_like_a_key_is_not_made_a_name(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No pasted key to compare with: the vendor prefix is what gives it away.
    (config_dir / "providers.yaml").write_text(EMPTY)
    key = canary_value()
    source = write(tmp_path / "crush.json", {"providers": {key: crush_entry("$GW_KEY")}})
    argv = ["import", "--from", "crush", str(source), "--config", str(config_dir)]
    assert main(argv) == ExitCode.FINDINGS
    out = capsys.readouterr().out
    assert key not in out
    assert "skipped: providers.[withheld: it may be a key]: a key" in out
    assert (config_dir / "providers.yaml").read_text() == EMPTY


def test_a_key_pasted_as_a_key_and_in_a_not_provider_entry_is_withheld(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    key = f"canary-{secrets.token_hex(16)}"  # no vendor prefix: only the value gives it away
    token = secrets.token_hex(3)
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                f"gw-{token}": crush_entry(key, f"h{token}.example:9000", name=f"gw-{token}"),
                # the same key again, as the name of something that is no provider
                f"x-{key}": [],
            }
        },
    )
    code, output = run_import("--from", "crush", str(source), "--config", str(config_dir))
    assert code == ExitCode.OK, output
    assert "not a provider: providers.x-[withheld: it may be a key]: not an object" in output
    assert secret_service.lookup(f"gw-{token}/api_key") == key
    canary_nowhere(key, output, config_dir, state_dir())
    # Run again: nothing changes.
    before = tree(config_dir, source)
    again, output = run_import("--from", "crush", str(source), "--config", str(config_dir))
    assert again == ExitCode.OK and output.splitlines()[-1] == "1 unchanged"
    assert tree(config_dir, source) == before


# --------------------------------------------------------------------------- scrub


def test_scrub_refuses_a_backup_path_that_is_a_symlink_and_keeps_the_target(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    key = f"canary-{secrets.token_hex(16)}"  # no vendor prefix: only the value gives it away
    token = secrets.token_hex(3)
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                f"gw-{token}": crush_entry(key, f"h{token}.example:9000", name=f"gw-{token}")
            }
        },
    )
    victim = tmp_path / "precious.txt"
    victim.write_text("mine\n")
    victim.chmod(0o644)
    Path(str(source) + ".provreg-bak").symlink_to(victim)
    code, output = run_import(
        "--from", "crush", str(source), "--scrub", "--config", str(config_dir)
    )
    assert code == ExitCode.FINDINGS
    assert "not scrubbed: " in output and "is a symbolic link or not a file" in output
    assert victim.read_text() == "mine\n"
    assert key in source.read_text()  # not scrubbed: the key is still where it was
    assert secret_service.lookup(f"gw-{token}/api_key") == key  # but imported
    canary_nowhere(key, output, config_dir)


# --------------------------------------------------------------------------- semantics


def test_crush_dry_run_then_scrub_then_again_with_the_real_keyring(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    key, other = canary_value(), canary_value()
    token = secrets.token_hex(3)
    host = f"h{token}.example:9000"
    name = f"gw-{token}"
    source = tmp_path / "crush.json"
    source.write_text(
        "{\n  // my providers\n"
        + json.dumps({"providers": {name: crush_entry(key, host, name=name)}}, indent=2)[1:]
        + "\n"
    )
    original = source.read_bytes()
    base = ("--from", "crush", str(source), "--config", str(config_dir))

    # --dry-run --scrub: the plan, and not one byte or keyring entry anywhere.
    existed = state_dir().exists()
    before = tree(config_dir, tmp_path, *([state_dir()] if existed else []))
    code, output = run_import(*base, "--dry-run", "--scrub")
    assert code == ExitCode.OK, output
    assert f"would create: providers.{name} -> {name} ({name})" in output
    assert "would scrub 1 pasted key(s)" in output
    assert secret_service.lookup(f"{name}/api_key") is None
    assert source.read_bytes() == original
    assert not Path(str(source) + ".provreg-bak").exists()
    index = state_dir() / "secrets-index.json"
    assert not index.exists() or name not in index.read_text()
    if existed:
        assert tree(config_dir, tmp_path, state_dir()) == before
    else:
        assert tree(config_dir, tmp_path) == before
        assert not [p for p in tree(state_dir()) if "audit" in p or "index" in p]
    canary_nowhere(key, output, config_dir, tmp_path / "cfg")

    # --scrub: imported, the key moved, the file holds a reference and its comment.
    code, output = run_import(*base, "--scrub")
    assert code == ExitCode.OK, output
    assert secret_service.lookup(f"{name}/api_key") == key
    scrubbed = source.read_text()
    assert key not in scrubbed and "// my providers" in scrubbed
    helper = json.loads(scrubbed.split("\n", 2)[2].join(["{", ""]))["providers"][name]["api_key"]
    assert helper.startswith(f"$(provreg secret get {name} --config ")
    backup = Path(str(source) + ".provreg-bak")
    assert backup.read_bytes() == original
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".provreg-tmp-")]
    canary_nowhere(key, output, config_dir, state_dir())

    # Again: every entry unchanged, no byte changed, the keyring as it was.
    settled = tree(config_dir, source)
    code, output = run_import(*base, "--scrub")
    assert code == ExitCode.OK, output
    assert output.splitlines()[-1] == "1 unchanged"
    assert tree(config_dir, source) == settled

    # Same endpoint: the same key under another name matches; another key is another instance.
    again = write(
        tmp_path / "again.json",
        {
            "providers": {
                "same": crush_entry(key, host, name="Whatever"),
                f"{name}-other": crush_entry(other, host, name=name),
            }
        },
    )
    code, output = run_import("--from", "crush", str(again), "--config", str(config_dir))
    assert code == ExitCode.OK, output
    lines = output.splitlines()
    assert f"unchanged: providers.same -> {name}" in lines
    assert f"created: providers.{name}-other -> {name}-other ({name} (2))" in lines
    assert secret_service.lookup(f"{name}-other/api_key") == other
    assert secret_service.lookup(f"{name}/api_key") == key
    canary_nowhere(key, output, config_dir, state_dir())
    canary_nowhere(other, output, config_dir, state_dir())


@pytest.mark.parametrize("provider", ["openai-compatible", "openai"])
def test_opencode_after_scrub_a_second_import_changes_nothing(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path, provider: str
) -> None:
    # opencode has no command helper: --scrub writes `{env:VAR}` (run it under
    # `provreg exec`), and that must still be the instance it came from. The
    # ids opencode's file gives (`openai`, ...) are taken here, so the new
    # instance's id comes from its name (and the shared keyring stays apart).
    (config_dir / "providers.yaml").write_text(
        EMPTY
        + "providers:\n"
        + "".join(
            f"  - {{id: {taken}, name: Taken {taken}, provider: ollama}}\n"
            for taken in ("openai", "openai-compatible")
        )
    )
    key = canary_value()
    token = secrets.token_hex(3)
    entry: dict[str, object] = {"name": f"oc-{token}", "options": {"apiKey": key}}
    if provider == "openai-compatible":
        entry["npm"] = "@ai-sdk/openai-compatible"
        entry["options"] = {"baseURL": f"http://h{token}.example:9000/v1", "apiKey": key}
        entry["models"] = {"m": {}}
    source = write(tmp_path / "opencode.json", {"provider": {provider: entry}})
    base = ("--from", "opencode", str(source), "--config", str(config_dir))
    code, output = run_import(*base, "--scrub")
    assert code == ExitCode.OK, output
    assert f"created: provider.{provider} -> oc-{token}" in output
    assert key not in source.read_text()
    assert secret_service.lookup(f"oc-{token}/api_key") == key
    settled = tree(config_dir, source)
    code, output = run_import(*base, "--scrub")
    assert code == ExitCode.OK, output
    assert output.splitlines()[-1] == "1 unchanged", output
    assert tree(config_dir, source) == settled


def test_the_key_guard_never_shows_a_key_in_its_repr() -> None:
    from provreg.commands.import_cmd import KeyGuard

    key = canary_value()
    read = tools.adapter("crush").read(
        json.dumps({"providers": {"a": crush_entry(key)}}), "crush.json"
    )
    guard = KeyGuard.of(read)
    assert guard.holds_key(f"x{key}x")
    assert key not in repr(guard) and key not in repr(read)


@pytest.mark.parametrize(
    ("tool", "text", "line", "column"),
    [
        (
            "crush",
            '{"providers": {\n "a": {"api_key": "sk-canary-aaaaaaaaaaaaaaaaaaaa"},\n'
            ' "a": {"api_key": "sk-canary-bbbbbbbbbbbbbbbbbbbb"}}}',
            3,
            2,
        ),
        (
            "crush",
            '{"providers": {"a": {\n  "api_key": "sk-canary-aaaaaaaaaaaaaaaaaaaa",\n'
            '  "api_key": "$A"}}}',
            3,
            3,
        ),
        (
            "opencode",
            '{"provider": {"x": {"options": {"apiKey": "sk-canary-aaaaaaaaaaaaaaaaaaaa",\n'
            '"apiKey": "sk-canary-bbbbbbbbbbbbbbbbbbbb"}}}}',
            2,
            1,
        ),
    ],
)
def test_a_repeated_key_is_refused_so_scrub_cannot_leave_one_behind(
    tool: str, text: str, line: int, column: int
) -> None:
    with pytest.raises(ToolFileError) as raised:
        tools.adapter(tool).read(text, "f.json")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert "repeats the one at line" in raised.value.message
    assert "sk-canary" not in str(raised.value)


def test_a_hostile_file_borrowing_another_instances_key_for_its_own_host_gets_nothing(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    # A project's crush.json (imported from the working directory) says: use
    # `victim`'s key, at my server. The instance may be created; the key must
    # never be handed out for that host.
    token = secrets.token_hex(3)
    victim = f"victim-{token}"
    (config_dir / "providers.yaml").write_text(
        "version: 1\nproviders:\n"
        f"  - {{id: {victim}, name: {victim}, provider: openai-compatible,"
        " base_url: 'http://good.example:9000/v1', default_model: m}\n"
    )
    key = canary_value()
    env = cli_env(SECRET_SERVICE_BACKEND)
    stored = run_cli("secret", "set", victim, "--config", str(config_dir), input=key, env=env)
    assert stored.returncode == 0, stored.output
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                f"e-{token}": crush_entry(
                    f"$(provreg secret get {victim})", f"evil{token}.example:80", name=f"e-{token}"
                )
            }
        },
    )
    code, output = run_import("--from", "crush", str(source), "--config", str(config_dir))
    assert code == ExitCode.OK, output
    assert f"created: providers.e-{token} -> e-{token}" in output
    got = run_cli("secret", "get", f"e-{token}", "--config", str(config_dir), env=env)
    assert got.returncode != 0
    assert "the key is pinned to 'good.example:9000'" in got.output
    assert key not in got.output
    exec_env = run_cli("exec", f"e-{token}", "--config", str(config_dir), "--", "env", env=env)
    assert exec_env.returncode != 0 and key not in exec_env.output
    assert "the key is pinned to 'good.example:9000'" in exec_env.output
    canary_nowhere(key, output, config_dir, state_dir())


def test_a_short_placeholder_key_that_is_also_the_name_is_imported(
    secret_service: SecretServiceDaemon, config_dir: Path, tmp_path: Path
) -> None:
    # Local servers take any key; people write the server's name. Not a key to hide.
    (config_dir / "providers.yaml").write_text(EMPTY)
    token = secrets.token_hex(3)
    placeholder = f"lmstudio{token}"  # 14 characters
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                placeholder: crush_entry(
                    placeholder, f"localhost{token}.example:1234", name=placeholder
                )
            }
        },
    )
    code, output = run_import("--from", "crush", str(source), "--config", str(config_dir))
    assert code == ExitCode.OK, output
    assert f"created: providers.{placeholder} -> {placeholder} ({placeholder})" in output
    assert secret_service.lookup(f"{placeholder}/api_key") == placeholder


def test_opencode_relative_file_reference_is_the_config_files_neighbour(tmp_path: Path) -> None:
    # opencode reads `{file:keys/k}` next to its config (config/variable.ts:
    # `path.dirname(input.path)`); provreg reads from its working directory.
    (tmp_path / "project").mkdir()
    source = write(
        tmp_path / "project" / "opencode.json",
        {
            "provider": {
                "gw": {
                    "npm": "@ai-sdk/openai-compatible",
                    "options": {"baseURL": "http://gw:1/v1", "apiKey": "{file:keys/k}"},
                    "models": {"m": {}},
                },
                "home": {
                    "npm": "@ai-sdk/openai-compatible",
                    "options": {"baseURL": "http://gw:2/v1", "apiKey": "{file:~/k}"},
                },
            }
        },
    )
    read = tools.adapter("opencode").read(source.read_text(), str(source))
    refs = {entry.label: entry.secrets["api_key"].ref for entry in read.entries}
    assert refs["provider.gw"] is not None and refs["provider.home"] is not None
    assert refs["provider.gw"].name == str(tmp_path / "project" / "keys" / "k")
    assert refs["provider.home"].name == "~/k"


def test_an_entry_the_registry_refuses_takes_no_name_nor_id_from_the_others(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "providers.yaml").write_text(EMPTY)
    source = write(
        tmp_path / "crush.json",
        {
            "providers": {
                "bad": crush_entry("$BAD", name="Box", base_url="javascript:alert(1)"),
                "good": crush_entry("$GOOD", "good.example:1", name="Box"),
                # the same endpoint as the refused one: not merged into it
                "again": crush_entry("$BAD", name="Box", base_url="javascript:alert(1)"),
            }
        },
    )
    argv = ["import", "--from", "crush", str(source), "--config", str(config_dir)]
    assert main(argv) == ExitCode.FINDINGS
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("skipped: providers.bad: field 'base_url': ")
    assert lines[2] == "created: providers.good -> good (Box)"  # the id crush gives it
    assert any(line.startswith("skipped: providers.again: field 'base_url': ") for line in lines)
    assert lines[-1] == "1 created, 2 skipped"
    assert "id: good\n" in (config_dir / "providers.yaml").read_text()


@pytest.mark.parametrize(
    "helper",
    [
        "$(provreg secret get --config /x)",
        "$(provreg secret get --config)",
        "$(provreg secret get a b c --config /x)",
        "$(provreg secret get -x a)",
    ],
)
def test_an_odd_provreg_helper_is_kept_as_a_command_not_a_crash(helper: str) -> None:
    text = json.dumps({"providers": {"x": crush_entry(helper)}})
    (entry,) = tools.adapter("crush").read(text, "crush.json").entries
    ref = entry.secrets["api_key"].ref
    assert ref is not None and ref.kind == "command"
    assert ref.argv[:3] == ("provreg", "secret", "get")
