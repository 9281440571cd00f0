"""The tools provreg exports to and imports from, by `--to`/`--from` name.

Each adapter module is imported only when its tool is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI's parser reads TOOL_NAMES: it must not pay for pydantic
    from provreg.interop.base import ToolAdapter

ADAPTER_MODULES: dict[str, str] = {
    "litellm": "provreg.interop.litellm",
    "opencode": "provreg.interop.opencode",
    "crush": "provreg.interop.crush",
    "continue": "provreg.interop.continue_dev",
    "aichat": "provreg.interop.aichat",
    "llm": "provreg.interop.llm_cli",
    "zed": "provreg.interop.zed",
    "env": "provreg.interop.env_file",
}
"""Tool name -> the module whose `ADAPTER` speaks its format."""

TOOL_NAMES: tuple[str, ...] = tuple(ADAPTER_MODULES)


def adapter(name: str) -> ToolAdapter:
    """The adapter of a tool. Raises KeyError for a name not in `TOOL_NAMES`."""
    module = importlib.import_module(ADAPTER_MODULES[name])
    found: ToolAdapter = module.ADAPTER
    return found
