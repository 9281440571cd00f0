"""Shared pieces of the probe tests: a config of one instance per provider type,
pointed at a loopback server, with its key in an environment variable."""

from __future__ import annotations

from pathlib import Path

KEY_ENV = "PROBE_TEST_KEY"

KIND_OF = {
    "openai": "openai",
    "groq": "openai",
    "mistral": "openai",
    "deepseek": "openai",
    "openai-compatible": "openai",
    "anthropic": "anthropic",
    "google-gemini": "gemini",
    "openrouter": "openrouter",
    "ollama": "ollama",
    "azure-openai": "azure",
}
"""Provider type -> the API a fake server plays for it."""


def instance_yaml(provider: str, url: str, *, instance_id: str = "t", extra: str = "") -> str:
    """One instance of `provider` at the server `url` (its documented base URL shape)."""
    base = {
        "anthropic": url,
        "google-gemini": f"{url}/v1beta",
        "openrouter": f"{url}/api/v1",
        "ollama": f"{url}/v1",  # the /v1 users copy from OpenAI-style docs is stripped
        "azure-openai": url,
    }.get(provider, f"{url}/v1")
    lines = [
        f"  - id: {instance_id}",
        f"    name: Probe {instance_id}",
        f"    provider: {provider}",
        f"    base_url: {base}",
    ]
    if provider != "ollama":
        lines.append(f"    api_key: {{env: {KEY_ENV}}}")
    if provider == "azure-openai":
        lines.append("    deployment: prod")
    lines.append("    default_model: model-a")
    if extra:
        lines.append(extra.rstrip("\n"))
    return "\n".join(lines) + "\n"


def write_config(directory: Path, *instances: str) -> Path:
    path = directory / "providers.yaml"
    path.write_text("version: 1\nproviders:\n" + "".join(instances), encoding="utf-8")
    return path
