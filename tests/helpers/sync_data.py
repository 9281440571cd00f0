"""Three small config files for the sync engine tests (a.yaml, b.yaml, team/c.yaml,
the `sync_dir` fixture of tests/sync) and builders of further ones."""

from __future__ import annotations

from typing import Any

A_YAML = """\
version: 1
providers:
  - id: work-openai
    name: Work OpenAI
    provider: openai
    default_model: gpt-4.1
    timeout_seconds: 120

  - id: personal-anthropic
    name: Personal Anthropic
    provider: anthropic
    default_model: claude-sonnet-4-5
"""

B_YAML = """\
version: 1
providers:
  - id: local-ollama
    name: Local Ollama
    provider: ollama
    base_url: http://localhost:11434
    default_model: llama3.2

  - id: gemini
    name: Gemini
    provider: google-gemini
    default_model: gemini-2.5-flash
"""

C_YAML = """\
version: 1
providers:
  - id: team-openrouter
    name: Team OpenRouter
    provider: openrouter
    default_model: openai/gpt-4o
"""

A_IDS = {"work-openai", "personal-anthropic"}
B_IDS = {"local-ollama", "gemini"}
C_IDS = {"team-openrouter"}


def providers_yaml(*entries: dict[str, Any]) -> str:
    """A version-1 config file holding these instances (plain scalars only)."""
    lines = ["version: 1", "providers:"]
    for entry in entries:
        for index, (key, value) in enumerate(entry.items()):
            lines.append(f"  {'- ' if index == 0 else '  '}{key}: {value}")
    return "\n".join(lines) + "\n"


def openai(instance_id: str, model: str = "gpt-4.1", name: str | None = None) -> dict[str, Any]:
    return {
        "id": instance_id,
        "name": name or instance_id.replace("-", " ").title(),
        "provider": "openai",
        "default_model": model,
    }
