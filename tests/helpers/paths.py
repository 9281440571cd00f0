"""Where things are: the repository, the sample configs and what they hold."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CONFIGS = REPO_ROOT / "sample_configs"
"""Three files in two folders, eight instances (the README's quick start)."""

FIXTURES = REPO_ROOT / "tests" / "fixtures"

SAMPLE_IDS = [
    "work-openai",
    "personal-anthropic",
    "gemini",
    "local-ollama",
    "gpu-box-vllm",
    "acme-gateway",
    "acme-gateway-research",
    "team-openrouter",
]
"""The ids in sample_configs, in the order a load (and the dashboard's table) gives them."""
