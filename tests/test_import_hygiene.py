"""The headless core never imports textual (docs/architecture.md, "Layer rules
and how they are enforced"): `provreg --check` starts fast and runs on machines
with no terminal.

Each check runs in a fresh interpreter, so what this test process has already
imported cannot hide or fake a result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, cast

import pytest
from helpers.paths import SAMPLE_CONFIGS

PROBE = textwrap.dedent(
    """
    import json, sys

    def textual_modules():
        return sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    """
)


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_probe_sees_textual_when_it_is_imported() -> None:
    # Without this, a broken probe (or textual missing) would pass every test below.
    result = _run(
        """
        import textual.app
        print(json.dumps({"textual": textual_modules()}))
        """
    )
    assert "textual" in result["textual"]  # type: ignore[operator]
    assert "textual.app" in result["textual"]  # type: ignore[operator]


def test_check_path_does_not_import_textual() -> None:
    result = _run(
        f"""
        import contextlib, io
        import provreg.cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = provreg.cli.main(["--check", {str(SAMPLE_CONFIGS)!r}])
        print(json.dumps({{
            "code": code,
            "output": out.getvalue(),
            "textual": textual_modules(),
            "loaded": "provreg.config.read.load_set" in sys.modules,
        }}))
        """
    )
    # The check really ran, over the real samples.
    assert result["code"] == 0
    assert result["loaded"] is True
    assert str(result["output"]).startswith("checked 3 files, 8 instances")
    assert result["textual"] == []


def test_check_without_live_does_not_import_httpx_or_the_probes(tmp_path: Path) -> None:
    """`--check` stays light: httpx and `provreg.probe` only with `--live`."""
    config = tmp_path / "providers.yaml"
    # Nothing listens on port 1: `--live` fails fast, on loopback only.
    config.write_text(
        "version: 1\nproviders:\n  - id: local\n    name: Local\n    provider: ollama\n"
        "    base_url: http://127.0.0.1:1\n"
    )
    code = """
        import contextlib, io
        import provreg.cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = provreg.cli.main(ARGS)
        print(json.dumps({
            "code": code,
            "output": out.getvalue(),
            "httpx": "httpx" in sys.modules,
            "probe": "provreg.probe" in sys.modules,
        }))
        """
    plain = _run(code.replace("ARGS", repr(["--check", str(config)])))
    assert plain["code"] == 0
    assert (plain["httpx"], plain["probe"]) == (False, False)
    live = _run(code.replace("ARGS", repr(["--check", "--live", str(config)])))
    # The probe really ran (and found nothing listening), so the assertion above means something.
    assert live["code"] == 1
    assert "local  unreachable: connection refused" in str(live["output"])
    assert (live["httpx"], live["probe"]) == (True, True)


@pytest.mark.parametrize(
    "module",
    [
        "provreg.check",
        "provreg.config.read.load_set",
        "provreg.model",
        "provreg.cli",
        "provreg.report",
        "provreg.catalog",
        "provreg.config.read.schema",
    ],
)
def test_headless_module_does_not_import_textual(module: str) -> None:
    result = _run(
        f"""
        import {module}
        print(json.dumps({{"textual": textual_modules(), "imported": {module!r} in sys.modules}}))
        """
    )
    assert result["imported"] is True
    assert result["textual"] == []


def test_no_module_outside_tui_imports_textual() -> None:
    result = _run(
        """
        import importlib, pkgutil
        import provreg

        culprit = None
        names = []
        broken = {}
        for info in pkgutil.walk_packages(provreg.__path__, "provreg."):
            # __main__ runs the CLI when imported; tui/ is the one place allowed.
            if info.name == "provreg.__main__" or info.name.split(".")[1] == "tui":
                continue
            try:
                importlib.import_module(info.name)
            except Exception as exc:
                broken[info.name] = f"{type(exc).__name__}: {exc}"
                continue
            names.append(info.name)
            if culprit is None and textual_modules():
                culprit = info.name
        print(json.dumps({"culprit": culprit, "modules": names, "broken": broken}))
        """
    )
    assert "provreg.config.read.load_set" in result["modules"]  # type: ignore[operator]
    assert result["broken"] == {}, "modules that do not import, so were not checked"
    assert result["culprit"] is None, f"{result['culprit']} imports textual"


def test_dashboard_first_paint_does_not_import_the_models_or_the_registry() -> None:
    """The first rows come from `provreg.tui.preview` before the registry opens
    (issue 12): the app module must not pull in what opening it needs, nor
    what the bottom tabs need (they mount after the first paint)."""
    result = _run(
        """
        import provreg.tui.app
        heavy = (
            "pydantic",
            "provreg.model",
            "provreg.registry",
            "provreg.secrets",
            "markdown_it",
            "rich.pretty",  # the Activity tab's RichLog: the bottom tabs mount after
        )
        print(json.dumps({"loaded": sorted(m for m in heavy if m in sys.modules)}))
        """
    )
    assert result["loaded"] == []


PYDANTIC_IMPORTER = """
    import builtins, sys

    IMPORTERS = set()  # the provreg modules with an import statement of pydantic that ran
    _import = builtins.__import__

    def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
        caller = (globals or {}).get("__name__", "")
        if level == 0 and name.split(".")[0] in ("pydantic", "pydantic_core"):
            if caller.startswith("provreg"):
                IMPORTERS.add(caller)
        return _import(name, globals, locals, fromlist, level)

    builtins.__import__ = recording_import
"""

CLEAN = "checked 1 file, 2 instances: 0 errors, 0 warnings, 0 info\n"

CHECK_RUN = """
    import contextlib, io
    import provreg.cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = provreg.cli.main(["--check", CONFIG])
    print(json.dumps({
        "code": code,
        "output": out.getvalue(),
        "importers": sorted(IMPORTERS),
        "pydantic": "pydantic" in sys.modules,
        "hashlib": "_hashlib" in sys.modules,
    }))
"""


def _run_recording(code: str) -> dict[str, object]:
    """`_run` with the pydantic importer recorded."""
    return _run(textwrap.dedent(PYDANTIC_IMPORTER) + textwrap.dedent(code))


def test_probe_names_the_module_that_imports_pydantic() -> None:
    # Without this, a probe that never fires would pass the tests below.
    result = _run_recording(
        """
        import provreg.definition_schema
        print(json.dumps({"importers": sorted(IMPORTERS)}))
        """
    )
    assert result["importers"] == ["provreg.definition_schema"]


def test_models_and_the_catalog_do_not_import_pydantic() -> None:
    """The value classes are plain: only validating a user's definition (and,
    until it is rewritten, `config.read.validation`) needs pydantic."""
    result = _run_recording(
        """
        import provreg.model, provreg.report, provreg.config.ids, provreg.config.codes
        from provreg.catalog import builtin_catalog
        from provreg.config.read import definitions

        catalog = builtin_catalog()
        print(json.dumps({
            "importers": sorted(IMPORTERS),
            "pydantic": sorted(m for m in sys.modules if m.split(".")[0].startswith("pydantic")),
            "catalog": len(catalog),
        }))
        """
    )
    assert result["catalog"] == 10  # the catalog really was built
    assert (result["importers"], result["pydantic"]) == ([], [])


def test_check_without_definitions_does_not_import_pydantic(tmp_path: Path) -> None:
    """`--check` of valid files without `definitions:` (the common case) loads no
    pydantic at all: the value classes, the catalog and the field rules are
    plain Python (docs/architecture.md, "Value types and pydantic")."""
    config = tmp_path / "providers.yaml"
    config.write_text(
        "version: 1\nproviders:\n  - id: work\n    name: Work\n    provider: openai\n"
        "    api_key: {env: OPENAI_API_KEY}\n    models: [gpt-4.1]\n"
        "  - id: local\n    name: Local\n    provider: ollama\n    default_model: llama3.3\n"
    )
    result = _run_recording(CHECK_RUN.replace("CONFIG", repr(str(config))))
    assert (result["code"], result["output"]) == (0, CLEAN)
    assert (result["importers"], result["pydantic"]) == ([], False)
    # Nor OpenSSL's hashes: a check compares no file hashes (`read_file(hashed=False)`).
    assert result["hashlib"] is False


def test_check_with_valid_definitions_does_not_import_pydantic(tmp_path: Path) -> None:
    """A custom provider type that keeps every rule is built by the plain path
    (`config.read.plain_definitions`): pydantic stays out of the check."""
    config = tmp_path / "providers.yaml"
    config.write_text(
        "version: 1\ndefinitions:\n  - id: acme\n    name: ACME\n"
        "    fields: [{id: base_url, type: url, required: true}, {id: api_key, type: secret},"
        " {id: tier, type: choice, choices: [a, b]}, {id: budget, type: int, min: 1}]\n"
        "providers:\n  - id: work\n    name: Work\n    provider: acme\n"
        "    base_url: https://llm.acme.example/v1\n"
        "  - {id: home, name: Home, provider: acme, base_url: 'https://home.example/v1'}\n"
    )
    result = _run_recording(CHECK_RUN.replace("CONFIG", repr(str(config))))
    assert (result["code"], result["output"]) == (0, CLEAN)
    assert (result["importers"], result["pydantic"]) == ([], False)


def test_check_of_a_broken_definition_imports_pydantic_for_its_messages(tmp_path: Path) -> None:
    config = tmp_path / "providers.yaml"
    config.write_text(
        "version: 1\ndefinitions:\n  - id: acme\n    name: ACME\n"
        "    fields: [{id: base_url, type: url, required: true, min: 3}]\n"
    )
    result = _run_recording(CHECK_RUN.replace("CONFIG", repr(str(config))))
    assert result["code"] == 1
    assert "E301" in str(result["output"])
    # Only the definitions' check imports it (and only because a rule is broken).
    importers = set(cast(list[str], result["importers"]))
    assert importers == {"provreg.config.read.definitions", "provreg.definition_schema"}


def test_version_needs_neither_the_parser_nor_the_config_layer() -> None:
    """`provreg --version` costs what Python costs: the entry point answers it
    before argparse, the command table or any config module is imported."""
    result = _run(
        """
        import contextlib, io
        import provreg.entry

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = provreg.entry.main(["--version"])
        heavy = ("argparse", "provreg.cli", "yaml", "pydantic", "provreg.config")
        print(json.dumps({
            "code": code,
            "output": out.getvalue(),
            "loaded": sorted(m for m in heavy if m in sys.modules),
        }))
        """
    )
    assert result["code"] == 0
    assert result["output"] == "provreg 0.1.0\n"
    assert result["loaded"] == []


def test_the_installed_command_answers_version_like_the_parser() -> None:
    # The fast answer and argparse's `version` action (kept for `--help`) agree.
    from provreg.cli import build_parser

    fast = subprocess.run(
        [str(Path(sys.executable).parent / "provreg"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    parser = build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--version"])
    assert exited.value.code == 0
    version_action = next(a for a in parser._actions if "--version" in a.option_strings)
    assert fast.stdout == f"{version_action.version}\n"


PLAIN_CHECK = """
    import contextlib, io, os
    import provreg.entry

    def run(main, args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        return [int(code), out.getvalue(), err.getvalue()]

    fast = [run(provreg.entry.main, args) for args in ARGS]
    fast_argparse = "argparse" in sys.modules
    import provreg.cli
    parsed = [run(provreg.cli.main, args) for args in ARGS]
    print(json.dumps({"fast": fast, "parsed": parsed, "argparse": fast_argparse}))
"""


def test_a_plain_check_skips_the_parser_and_answers_as_it_does(tmp_path: Path) -> None:
    """`provreg --check PATH ...` with no option (pre-commit's call) is run by
    the entry point without argparse: the same output and exit code as the
    parser's `check`, for a clean set, a broken file, a missing path and the
    default config (PROVREG_CONFIG)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nproviders:\n  - id: x\n    name: X\n    provider: nope\n")
    argument_lists = [
        ["--check", str(SAMPLE_CONFIGS)],
        ["check", str(SAMPLE_CONFIGS), str(bad)],
        ["--check", str(tmp_path / "missing")],
        ["--check"],
    ]
    code = PLAIN_CHECK.replace("ARGS", repr(argument_lists))
    code = f"import os\nos.environ['PROVREG_CONFIG'] = {str(bad)!r}\n" + textwrap.dedent(code)
    result = _run(code)
    fast, parsed = result["fast"], result["parsed"]
    assert fast == parsed
    assert [run[0] for run in cast(list[list[Any]], fast)] == [0, 1, 2, 1]
    assert result["argparse"] is False


def test_a_check_with_options_goes_through_the_parser() -> None:
    result = _run(PLAIN_CHECK.replace("ARGS", repr([["--check", "--strict", str(SAMPLE_CONFIGS)]])))
    assert result["fast"] == result["parsed"]
    assert result["argparse"] is True
