"""provreg: a registry of LLM provider configurations."""

__version__ = "0.1.0"
