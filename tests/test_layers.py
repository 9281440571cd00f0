"""The layer rules, checked against the real import graph.

Each package's docstring (and each top-level module's that has one) says what
it may import, in a paragraph that starts with "May import:": `provreg.x`
names in backticks, third-party distributions by name (PyYAML, pydantic,
...), and "the standard library". This test reads every `import` in every
module of the package, at any depth (imports inside functions and under
TYPE_CHECKING count: a lazy import is still a dependency), and fails on one
the paragraph does not allow. The docstrings are the contract, so the rules
a maintainer reads are the rules CI enforces (docs/architecture.md).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

SOURCE = REPO_ROOT / "src" / "provreg"

THIRD_PARTY = {
    # How the docstrings name them -> their import names.
    "textual": ("textual",),
    "rich": ("rich",),
    "pydantic": ("pydantic", "pydantic_core"),
    "PyYAML": ("yaml",),
    "ruamel.yaml": ("ruamel",),
    "anyio": ("anyio",),
    "keyring": ("keyring",),
    "secretstorage": ("secretstorage",),
    "watchfiles": ("watchfiles",),
    "platformdirs": ("platformdirs",),
    "httpx": ("httpx",),
}


@dataclass(frozen=True)
class Rule:
    """What one package or module may import."""

    owner: str
    """`provreg.registry`, `provreg.model`, ..."""
    internal: frozenset[str]
    """`provreg.*` names it may import (a package allows its submodules too)."""
    third_party: frozenset[str]
    """Import names of the third-party distributions it may import."""


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}"


def may_import_paragraph(docstring: str) -> str | None:
    match = re.search(r"May import:(.*?)(?:\n\s*\n|\Z)", docstring, re.DOTALL)
    return match.group(1) if match else None


def rule_of(owner: str, docstring: str) -> Rule | None:
    paragraph = may_import_paragraph(docstring)
    if paragraph is None:
        return None
    # "Never textual" names what is forbidden: drop the sentences that say so.
    allowing = re.sub(r"[Nn]ever [^.;]*[.;]?", "", paragraph)
    internal = frozenset(re.findall(r"`(provreg(?:\.\w+)+)`", allowing))
    third_party = frozenset(
        module
        for name, modules in THIRD_PARTY.items()
        if re.search(rf"(?<![\w.`]){re.escape(name)}(?![\w`])", allowing)
        for module in modules
    )
    return Rule(owner, internal, third_party)


def rules(source: Path) -> list[Rule]:
    """One rule per package (a sub-package's own rule adds to its parent's), and
    per top-level module with a "May import:" line."""
    found = []
    candidates = [
        *(init.parent for init in sorted(source.rglob("__init__.py")) if init.parent != source),
        *(path for path in sorted(source.glob("*.py")) if path.stem != "__init__"),
    ]
    for path in candidates:
        module = path / "__init__.py" if path.is_dir() else path
        owner = ".".join(path.relative_to(source.parent).with_suffix("").parts)
        docstring = ast.get_docstring(ast.parse(module.read_text())) or ""
        rule = rule_of(owner, docstring)
        if rule is not None:
            found.append(rule)
    return found


def modules_of(source: Path, owner: str) -> list[tuple[str, Path]]:
    """(dotted name, path) of every module the rule covers."""
    package = source.parent / Path(*owner.split("."))
    if package.is_dir():
        return [
            (".".join(path.relative_to(source.parent).with_suffix("").parts), path)
            for path in sorted(package.rglob("*.py"))
        ]
    return [(owner, package.with_suffix(".py"))]


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # `from provreg.storage import atomic` imports provreg.storage.atomic.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            found.append((node.lineno, base))
    return found


def allowed(rule: Rule, imported: str) -> bool:
    top = imported.split(".")[0]
    if top != "provreg":
        return top in sys.stdlib_module_names or top in rule.third_party or top == "__future__"
    if imported == rule.owner or imported.startswith(rule.owner + "."):
        return True
    if rule.owner.startswith(imported + "."):  # a parent package: it is imported anyway
        return True
    return any(imported == name or imported.startswith(name + ".") for name in rule.internal)


def is_module_or_package(source: Path, dotted: str) -> bool:
    path = source.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def violations(source: Path) -> list[Violation]:
    found = []
    for rule in rules(source):
        for module, path in modules_of(source, rule.owner):
            for line, imported in imports_of(module, path):
                # `from x import name` where name is a function, not a module.
                if imported.startswith("provreg.") and not is_module_or_package(source, imported):
                    continue
                if not allowed(rule, imported):
                    found.append(Violation(module, line, imported))
    return found


def test_every_package_declares_what_it_may_import() -> None:
    packages = {p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists()}
    declared = {rule.owner.split(".")[1] for rule in rules(SOURCE)}
    assert packages - declared == set(), "packages without a 'May import:' paragraph"


def test_the_read_path_never_imports_the_edit_path() -> None:
    """config/read declares its own rule, which the check applies on top of config's."""
    read = next(rule for rule in rules(SOURCE) if rule.owner == "provreg.config.read")
    assert not allowed(read, "provreg.config.edit.entry_edit")
    assert allowed(read, "provreg.config.codes")


def test_imports_follow_the_declared_layers() -> None:
    found = violations(SOURCE)
    assert found == [], "imports the docstrings do not allow:\n" + "\n".join(map(str, found))


def test_headless_packages_never_import_textual() -> None:
    for rule in rules(SOURCE):
        if rule.owner != "provreg.tui":
            assert "textual" not in rule.third_party, rule.owner
            assert "rich" not in rule.third_party, rule.owner


@pytest.fixture
def tiny_source(tmp_path: Path) -> Path:
    """A package tree shaped like provreg's, for the checker's own tests."""
    source = tmp_path / "provreg"
    (source / "low").mkdir(parents=True)
    (source / "high").mkdir()
    (source / "__init__.py").write_text("")
    (source / "low" / "__init__.py").write_text('"""Low.\n\nMay import: PyYAML.\n"""\n')
    (source / "low" / "parse.py").write_text("import json\nimport yaml\n")
    (source / "high" / "__init__.py").write_text(
        '"""High.\n\nMay import: `provreg.low`, anyio. Never textual.\n"""\n'
    )
    (source / "high" / "run.py").write_text(
        "import anyio\n\ndef later():\n    from provreg.low.parse import load\n"
    )
    return source


def test_the_checker_passes_a_tree_that_keeps_its_rules(tiny_source: Path) -> None:
    assert violations(tiny_source) == []


def test_the_checker_finds_a_forbidden_import_at_any_depth(tiny_source: Path) -> None:
    low = tiny_source / "low" / "parse.py"
    low.write_text(low.read_text() + "\ndef f():\n    from provreg.high import run\n")
    high = tiny_source / "high" / "run.py"
    high.write_text(high.read_text() + "\nimport textual.app\n")
    assert sorted(str(v) for v in violations(tiny_source)) == [
        "provreg.high.run:6 imports textual.app",
        "provreg.low.parse:5 imports provreg.high",
        "provreg.low.parse:5 imports provreg.high.run",
    ]
