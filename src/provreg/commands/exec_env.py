"""The environment `provreg exec` gives a command: each catalog field with an
`env` name (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ...) set from
the instance, secrets resolved at that moment."""

from __future__ import annotations

from typing import Any

from provreg.registry import ProviderRegistry


def _as_env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def instance_env_names(registry: ProviderRegistry, instance_id: str) -> set[str]:
    """Every variable name the instance's provider defines (set or not)."""
    definition = registry.definition(registry.get(instance_id).provider)
    return {spec.env for spec in definition.fields if spec.env}


async def instance_environment(registry: ProviderRegistry, instance_id: str) -> dict[str, str]:
    """Variable name -> value for the instance's fields that have a conventional name.

    Raises the secret errors of `resolve_secret` when a required key cannot be
    resolved (an optional one that is missing is left out).
    """
    from provreg.secrets import SecretMissingError

    instance = registry.get(instance_id)
    definition = registry.definition(instance.provider)
    env: dict[str, str] = {}
    for spec in definition.fields:
        if not spec.env:
            continue
        if spec.is_secret:
            try:
                secret = await registry.resolve_secret(instance_id, spec.id)
            except SecretMissingError:
                if spec.required:
                    raise
                continue
            env[spec.env] = secret.get_secret_value()
            continue
        value = instance.value(definition, spec.id)
        if value is not None:
            env[spec.env] = _as_env_text(value)
    return env
