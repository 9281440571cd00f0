"""Config files on disk: writing them, copying the samples, reading a tree back."""

from __future__ import annotations

import base64
import difflib
import os
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from provreg.storage.atomic import TEMP_PREFIX

from .paths import SAMPLE_CONFIGS

TEAM_YAML = b"""\
# Team providers: alpha and beta are edited concurrently, gamma never.
version: 1
providers:
  - id: alpha
    name: Alpha
    provider: ollama
    default_model: llama3.2   # alpha's model

  # beta runs on the GPU box
  - id: beta
    name: Beta
    provider: ollama
    base_url: http://gpu-box.lan:11434
    default_model: qwen3

  - id: gamma
    name: Gamma
    provider: ollama
    keep_alive: 10m     # keep gamma warm
"""
"""One file, three instances; the storage tests edit `default_model` of alpha and beta."""

ConfigFiles = Callable[[Mapping[str, str | bytes]], Path]
"""The type of the `config_files` fixture: `config_files({name: content}) -> config_dir`."""


# --------------------------------------------------------------------------- writing


def write_config(directory: Path, body: str, name: str = "providers.yaml") -> Path:
    """Write `body` (dedented, leading blank lines dropped) to `directory/name`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def write_files(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write every `relative path -> content` under `directory` (folders made as needed).

    Text is written as given (UTF-8, no newline translation); bytes as they are.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return directory


def copy_samples(target: Path) -> Path:
    """A writable copy of sample_configs at `target` (which must not exist yet)."""
    shutil.copytree(SAMPLE_CONFIGS, target)
    return target


def openai_config(
    directory: Path,
    instance_id: str,
    *,
    base_url: str = "https://api.openai.com/v1",
    api_key: str | None = None,
) -> Path:
    """One OpenAI instance in `directory/providers.yaml` (a comment line kept for splices)."""
    lines = [
        "version: 1",
        "# test providers",
        "providers:",
        f"  - id: {instance_id}",
        f"    name: Test {instance_id}",
        "    provider: openai",
        f"    base_url: {base_url}",
        "    default_model: gpt-4o",
    ]
    if api_key is not None:
        lines.append(f"    api_key: {api_key}")
    return write_files(directory, {"providers.yaml": "\n".join(lines) + "\n"}) / "providers.yaml"


# --------------------------------------------------------------------------- reading back


def read_tree(root: Path) -> dict[str, str]:
    """Every YAML file under `root`, by relative path."""
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in (".yaml", ".yml")
    }


def snapshot_files(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under `root` (temp files included)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def tree(*roots: Path | str) -> dict[str, bytes]:
    """Every regular file under `roots`, absolute path -> content (for "nothing changed")."""
    files: dict[str, bytes] = {}
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = os.path.join(dirpath, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    files[path] = Path(path).read_bytes()
    return files


def files_under(*roots: Path | str) -> Iterator[Path]:
    """Every file under `roots` (a root that is a file is itself)."""
    for root in roots:
        root = Path(root)
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())


def files_containing(needle: str, *roots: Path | str) -> list[str]:
    """Files under `roots` holding `needle`, as is or base64-encoded (the way the
    plaintext keyring stores it)."""
    forms = [needle.encode(), base64.b64encode(needle.encode())]
    return sorted(
        path for path, data in tree(*roots).items() if any(form in data for form in forms)
    )


def temp_files(directory: Path) -> list[str]:
    """Names of provreg temp files left in `directory` (not below it)."""
    return sorted(name for name in os.listdir(directory) if name.startswith(TEMP_PREFIX))


def changed_lines(before: str, after: str) -> list[str]:
    """The +/- lines of a unified diff (no context, no headers)."""
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def state_dir() -> Path:
    """provreg's state directory (audit log, secret index) in this test's isolated HOME."""
    from provreg.paths import user_state_dir

    return Path(user_state_dir())
