"""Compatibility with the desktop app provreg grew from (docs/api.md, "The compatibility API").

Owns: the `LlmConfigData` / `LlmConfig` / `LlmConfigMetadata` shapes and the
adapter to and from provider instances, the old settings-repository and
LLM-config-repository facades (backed by the registry), and importing the
old `llm_config.json`.
May import: `provreg.registry`, `provreg.secrets`, `provreg.config`, `provreg.model`,
`provreg.paths`, `provreg.storage.atomic` (its own state files), pydantic. Never textual.
"""

from provreg.compat.llm_config import (
    CompatValidationError,
    LlmConfig,
    LlmConfigData,
    LlmConfigMetadata,
    ValidationReport,
    changes_from_config_data,
    to_config_data,
    to_llm_config,
    to_metadata,
    validate_config_data,
)
from provreg.compat.repository import AppSettings, LlmConfigRepository, SettingsRepository

__all__ = [
    "AppSettings",
    "CompatValidationError",
    "LlmConfig",
    "LlmConfigData",
    "LlmConfigMetadata",
    "LlmConfigRepository",
    "SettingsRepository",
    "ValidationReport",
    "changes_from_config_data",
    "to_config_data",
    "to_llm_config",
    "to_metadata",
    "validate_config_data",
]
