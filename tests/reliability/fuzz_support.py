"""Inputs and invariants shared by tests/reliability/test_fuzz_check.py (fast,
seeded, in CI) and benchmarks/fuzz_soak.py (thousands of inputs).

Inputs are the project's own YAML (sample_configs/, tests/fixtures/) mutated
at the byte and token level, and generated config-shaped documents, both
seasoned with the hostile values issue 11 found (huge numbers in every base,
NaN and infinities, aliases, tags, control characters, long repeats).
Everything random comes from one `random.Random`, so hypothesis (through
`st.randoms`) and the soak's seeded generator drive the same code.

The invariants: loading and `--check` never raise; the exit code is 1 exactly
when there are errors; every diagnostic has a known code with its severity, a
file, line >= 1 and column >= 1; and the time and memory a load takes stay
within a bound per input byte.
"""

from __future__ import annotations

import io
import json
import re
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

import yaml

from provreg.check import run_check
from provreg.config.codes import BY_CODE
from provreg.config.read.diagnostic_cap import MAX_DIAGNOSTICS_PER_FILE
from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files
from provreg.model import Diagnostic

# Not helpers.paths: benchmarks/fuzz_soak.py imports this module with only
# tests/reliability on sys.path.
REPO_ROOT = Path(__file__).resolve().parents[2]

MEMORY_PER_BYTE = 2_000
"""Bound on tracemalloc's peak per input byte (plus MEMORY_FLOOR). The densest
input, one node per two bytes, composes to about 300 bytes per byte."""
MEMORY_FLOOR = 4 * 1024 * 1024
"""Peak allowed whatever the size: catalog models built on first use, caches."""
CPU_PER_BYTE = 200e-6
"""Bound on CPU seconds per input byte (plus CPU_FLOOR): about 20 times what
the densest input costs, so a busy CI machine does not trip it, and a
quadratic path (1 ms per byte on a 10 KB input) does."""
CPU_FLOOR = 0.5


def seed_files() -> list[bytes]:
    """The project's YAML files: the samples and every test fixture."""
    paths = sorted(
        path
        for root in (REPO_ROOT / "sample_configs", REPO_ROOT / "tests" / "fixtures")
        for path in root.rglob("*")
        if path.suffix in (".yaml", ".yml") and path.is_file() and not path.is_symlink()
    )
    return [path.read_bytes() for path in paths]


HOSTILE_TOKENS: tuple[str, ...] = (
    ".nan",
    ".inf",
    "-.inf",
    "1.0e+999",
    "0x" + "f" * 120,
    "0b" + "1" * 400,
    "1" * 150,
    ":".join(["1"] + ["59"] * 80),
    "0o777",
    "012",
    "1_000",
    "190:20:30",
    "&a [1, 2]",
    "*a",
    "<<: *a",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!env X",
    "!!int x",
    "!!float .nan",
    "~",
    "null",
    "yes",
    "'",
    '"',
    "\\",
    "[",
    "]",
    "{",
    "}",
    "- ",
    ": ",
    "? ",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\t",
    "\r\n",
    "\r",
    "\x00",
    "\x1b[2J",
    "\u2028",
    "\x85",
    "\ufeff",
    "é",
    "\U0001f600",
    "\n  ",
    "\n    - ",
    "{keyring: true}",
    "{env: HOME}",
    "{file: /etc/passwd}",
    "sk-proj-0123456789abcdefABCDEF",
)

KEYS = (
    "version",
    "providers",
    "definitions",
    "id",
    "name",
    "provider",
    "fields",
    "type",
    "min",
    "max",
    "default",
    "choices",
    "pattern",
    "required",
    "base_url",
    "api_key",
    "default_model",
    "max_retries",
    "timeout_seconds",
    "models",
    "<<",
)
SCALARS: tuple[Any, ...] = (
    1,
    0,
    -1,
    10**30,
    1.5,
    float("nan"),
    float("inf"),
    True,
    None,
    "",
    "openai",
    "ollama",
    "acme",
    "int",
    "float",
    "text",
    "list",
    "choice",
    "secret",
    "https://x.example/v1",
    "[",
    "a\nb",
)


def hostile_number(rng: Random) -> str:
    """A number as YAML 1.1 writes it, from harmless to hostile: long in every
    base (past the digit limit and past Python's own), NaN and infinities."""
    digits = rng.choice([1, 3, 19, 100, 101, 4301, 50_000])
    parts = rng.choice([2, 10, 101, 2_000, 20_000])
    return rng.choice(
        [
            "0x" + "f" * digits,
            "0b" + "1" * digits,
            "0" + "7" * digits,
            "9" * digits,
            "-" + "1_0" * (digits // 2 + 1),
            ":".join(["1"] + [str(part % 60) for part in range(1, parts)]),
            ":".join(["1"] + ["59"] * parts) + ".5",
            ".nan",
            ".NaN",
            ".inf",
            "-.Inf",
            "1.0e+999",
            "-1.5",
            "0",
            "1.0e+300",
        ]
    )


_VALUE_START = re.compile(rb"(?<=: )|(?<=- )|(?<=\[)|(?<=, )")


def mutate(data: bytes, rng: Random, others: Sequence[bytes]) -> bytes:
    """One to six edits: bytes flipped, spans cut, repeated or spliced in from
    another file, hostile tokens inserted, a value replaced by a hostile
    number, lines shuffled or indented."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        position = rng.randint(0, len(out))
        kind = rng.randrange(10)
        if kind >= 8:
            # Where a value starts: replace it (up to the end of the line or the
            # next comma) with a hostile number.
            starts = [m.start() for m in _VALUE_START.finditer(bytes(out))]
            if starts:
                start = rng.choice(starts)
                end = start
                while end < len(out) and out[end] not in b"\n,]}":
                    end += 1
                out[start:end] = hostile_number(rng).encode()
            continue
        if kind == 0 and out:
            out[min(position, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:
            out[position:position] = rng.choice(HOSTILE_TOKENS).encode("utf-8")
        elif kind == 2:
            end = min(len(out), position + rng.randint(1, 40))
            del out[position:end]
        elif kind == 3:
            end = min(len(out), position + rng.randint(1, 80))
            out[position:position] = bytes(out[position:end]) * rng.randint(2, 50)
        elif kind == 4 and others:
            other = rng.choice(others)
            start = rng.randint(0, len(other))
            out[position:position] = other[start : start + rng.randint(1, 200)]
        elif kind == 5:
            lines = bytes(out).split(b"\n")
            rng.shuffle(lines)
            out = bytearray(b"\n".join(lines))
        elif kind == 6:
            lines = bytes(out).split(b"\n")
            index = rng.randrange(len(lines))
            lines[index] = b" " * rng.randint(1, 8) + lines[index]
            out = bytearray(b"\n".join(lines))
        else:
            token = rng.choice(HOSTILE_TOKENS).encode("utf-8")
            out[position:position] = token * rng.randint(2, 200)
    return bytes(out)


def _value(rng: Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.5:
        return rng.choice(SCALARS)
    if roll < 0.75:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(KEYS + SCALARS[:5]): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))
    }


FIELD_TYPES = ("int", "float", "text", "list", "choice", "bool", "url", "secret")


def _hostile_definition(rng: Random) -> tuple[str, str]:
    """A definition whose field bounds and default are hostile numbers, and an
    instance that uses it (a bound is only compiled when an instance is checked)."""
    field_type = rng.choice(FIELD_TYPES)
    bounds = ", ".join(
        f"{key}: {hostile_number(rng)}" for key in ("min", "max", "default") if rng.random() < 0.6
    )
    definition = (
        "  - id: acme\n    name: ACME\n    fields:\n"
        f"      - {{id: budget, type: {field_type}{', ' + bounds if bounds else ''}}}\n"
    )
    instance = (
        "  - id: acme-1\n    name: ACME one\n    provider: acme\n"
        f"    budget: {hostile_number(rng)}\n"
    )
    return definition, instance


def hostile_definition_document(rng: Random) -> bytes:
    definition, instance = _hostile_definition(rng)
    return f"version: 1\ndefinitions:\n{definition}providers:\n{instance}".encode()


def generated_document(rng: Random) -> bytes:
    """A config-shaped document: instances and definitions with random fields,
    dumped in block or flow style, with hostile tokens spliced into its text;
    or a definition and an instance built around hostile numbers."""
    if rng.random() < 0.3:
        return hostile_definition_document(rng)
    instances = [
        {rng.choice(KEYS): _value(rng, 2) for _ in range(rng.randint(0, 6))}
        | rng.choice([{}, {"id": f"i{rng.randint(0, 3)}", "name": "N", "provider": "ollama"}])
        for _ in range(rng.randint(0, 4))
    ]
    definitions = [
        {
            "id": rng.choice(["acme", "openai", "x"]),
            "name": "ACME",
            "fields": [
                {rng.choice(KEYS): _value(rng, 3) for _ in range(rng.randint(0, 5))}
                | {"id": rng.choice(["budget", "api_key", "id"])}
                for _ in range(rng.randint(0, 3))
            ],
        }
        for _ in range(rng.randint(0, 2))
    ]
    document: dict[Any, Any] = {"version": rng.choice([1, 1, 1, 2, "1", None])}
    document["providers"] = instances
    if definitions:
        document["definitions"] = definitions
    text = yaml.safe_dump(
        document, default_flow_style=rng.choice([None, False, True]), sort_keys=False
    )
    data = text.encode("utf-8")
    if rng.random() < 0.5:
        data = mutate(data, rng, ())
    return data


@dataclass(frozen=True)
class Measured:
    """What loading one input cost."""

    size: int
    cpu_seconds: float
    peak_bytes: int
    diagnostics: int


def check_diagnostics(diagnostics: Sequence[Diagnostic], files: set[str]) -> None:
    for diag in diagnostics:
        assert diag.code in BY_CODE, diag
        assert diag.severity is BY_CODE[diag.code].severity, diag
        assert diag.file in files, (diag.file, files)
        assert diag.line >= 1 and diag.column >= 1, diag
        assert diag.message and "\n" not in diag.message, diag
    per_file: dict[str, int] = {}
    for diag in diagnostics:
        per_file[diag.file] = per_file.get(diag.file, 0) + 1
    # The cap, plus at most one summary per code.
    assert all(n <= MAX_DIAGNOSTICS_PER_FILE + len(BY_CODE) for n in per_file.values())


def load_measured(documents: Sequence[bytes], directory: Path) -> Measured:
    """Write the documents as files, load them under tracemalloc, check the
    invariants; raises AssertionError (or whatever the loader raised)."""
    files = []
    for index, data in enumerate(documents):
        path = directory / f"f{index}.yaml"
        path.write_bytes(data)
        files.append(ConfigFile(str(path), f"f{index}.yaml"))
    tracemalloc.start()
    try:
        start = time.process_time()
        result = load_files(files)
        cpu = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    check_diagnostics(result.diagnostics, {f.display for f in files})
    size = sum(len(data) for data in documents)
    assert peak <= MEMORY_FLOOR + MEMORY_PER_BYTE * size, (peak, size)
    assert cpu <= CPU_FLOOR + CPU_PER_BYTE * size, (cpu, size)
    return Measured(size, cpu, peak, len(result.diagnostics))


def check_command(directory: Path) -> int:
    """`provreg --check DIR` in-process, as JSON and as text: the exit code
    follows the errors, every diagnostic has a position. Returns the exit code."""
    out, err = io.StringIO(), io.StringIO()
    code = run_check([str(directory)], output_format="json", out=out, err=err)
    assert err.getvalue() == "", err.getvalue()
    report = json.loads(out.getvalue())
    assert code == (1 if report["errors"] else 0), (code, report["errors"])
    for item in report["diagnostics"]:
        assert item["file"] and item["line"] >= 1 and item["column"] >= 1, item
        assert item["code"] in BY_CODE, item
    text_out = io.StringIO()
    assert run_check([str(directory)], out=text_out, err=io.StringIO()) == code
    assert text_out.getvalue().splitlines()[-1].startswith("checked ")
    return int(code)
