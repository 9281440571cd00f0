"""JSON Schema (draft 2020-12) of the config file format, from the catalog.

Owns: `provreg schema`. An editor's YAML language server uses it to complete
keys and flag errors while the user types; the checker stays the authority
(the schema cannot express cross-file rules such as unique ids).
May import: `provreg.model`, `provreg.catalog`, `provreg.config.read.reading` (the
format version).
"""

from __future__ import annotations

import json
from typing import Any

from provreg.catalog import Catalog, builtin_catalog
from provreg.config.read.reading import CURRENT_VERSION
from provreg.model import (
    API_KINDS,
    FIELD_ID_PATTERN,
    ID_PATTERN,
    MODEL_ID_MAX_LENGTH,
    NAME_MAX_LENGTH,
    FieldSpec,
    FieldType,
    ProviderDefinition,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _secret_ref() -> dict[str, Any]:
    def one(key: str, value: dict[str, Any], description: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": description,
            "properties": {key: value},
            "required": [key],
            "additionalProperties": False,
        }

    return {
        "description": "A reference to a secret; config files never hold the value.",
        "oneOf": [
            one(
                "keyring",
                {"oneOf": [{"const": True}, {"type": "string", "minLength": 1}]},
                "OS keyring: true for the default entry <id>/<field>, or an entry name",
            ),
            one(
                "env",
                {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "Environment variable holding the value",
            ),
            one("file", {"type": "string", "minLength": 1}, "File holding the value"),
            {
                "type": "object",
                "description": "A program whose standard output is the value (run without a "
                "shell, only when the key is used)",
                "properties": {
                    "command": {
                        "oneOf": [
                            {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 1,
                                "prefixItems": [{"type": "string", "minLength": 1}],
                            },
                            {"type": "string", "minLength": 1, "pattern": "\\S"},
                        ],
                        "description": "The program and its arguments, as a list or a string "
                        "split with shell-word rules",
                    },
                    "timeout": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": 600,
                        "description": "Seconds the program may run (default 10)",
                    },
                    "cache": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Seconds to keep the value in memory "
                        "(default: the process lifetime)",
                    },
                    "interactive": {
                        "type": "boolean",
                        "description": "Let the program use the terminal (the CLI only)",
                    },
                },
                "required": ["command"],
                "additionalProperties": False,
            },
        ],
    }


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The schema of one field's value."""
    schema: dict[str, Any]
    match spec.type:
        case FieldType.TEXT:
            schema = {"type": "string"}
            if spec.pattern:
                schema["pattern"] = spec.pattern
            if spec.min is not None:
                schema["minLength"] = int(spec.min)
            if spec.max is not None:
                schema["maxLength"] = int(spec.max)
        case FieldType.URL:
            schema = {"type": "string", "format": "uri", "pattern": "^https?://[^\\s/]+"}
        case FieldType.SECRET:
            schema = {"$ref": "#/$defs/secretRef"}
        case FieldType.BOOL:
            schema = {"type": "boolean"}
        case FieldType.INT | FieldType.FLOAT:
            is_int = spec.type is FieldType.INT
            schema = {"type": "integer" if is_int else "number"}
            if spec.min is not None:
                schema["minimum"] = int(spec.min) if is_int else spec.min
            if spec.max is not None:
                schema["maximum"] = int(spec.max) if is_int else spec.max
        case FieldType.CHOICE:
            schema = {"enum": list(spec.choices or ())}
        case FieldType.LIST:
            schema = {"type": "array", "items": {"type": "string"}}
            if spec.min is not None:
                schema["minItems"] = int(spec.min)
            if spec.max is not None:
                schema["maxItems"] = int(spec.max)
    # The checker reads an optional field left empty (`field:`) as "not set",
    # whatever its default; a required one left empty is a wrong type.
    if not spec.required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema = {"title": spec.label or spec.id, **schema}
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.help:
        schema["description"] = spec.help
    return schema


def _instance_schema(definition: ProviderDefinition) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"$ref": "#/$defs/instanceId"},
        "name": {"$ref": "#/$defs/instanceName"},
        "provider": {"const": definition.id, "description": definition.description or ""},
        "helpers": {"$ref": "#/$defs/helpers"},
        "allow_http": {"$ref": "#/$defs/allowHttp"},
        "models": {"$ref": "#/$defs/models"},
    }
    required = ["name", "provider"]
    for spec in definition.fields:
        properties[spec.id] = field_schema(spec)
        if spec.required and spec.default is None and not spec.is_secret:
            required.append(spec.id)
    return {
        "title": definition.name,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _models_schema() -> dict[str, Any]:
    token_count = {"type": "integer", "minimum": 1}
    return {
        "description": "Models the instance serves: ids, or {id, context_window, "
        "max_output_tokens} (`provreg export` hands them to other tools).",
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "string", "minLength": 1, "maxLength": MODEL_ID_MAX_LENGTH},
                        {
                            "type": "object",
                            "properties": {
                                "id": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": MODEL_ID_MAX_LENGTH,
                                },
                                "context_window": token_count,
                                "max_output_tokens": token_count,
                            },
                            "required": ["id"],
                            "additionalProperties": False,
                        },
                    ]
                },
            },
            {"type": "null"},
        ],
    }


def _probe_schema() -> dict[str, Any]:
    """`probe:` of a definition (`model.ProbeSpec`): how `provreg probe` checks an instance."""
    text = {"type": "string"}
    text_map = {"type": "object", "additionalProperties": text}
    return {
        "type": "object",
        "description": "How `provreg probe` checks an instance: one GET under the base URL.",
        "properties": {
            "method": {"enum": ["GET"]},
            "path": {"type": "string", "pattern": "^/"},
            "strip_suffix": text,
            "auth": {"enum": ["bearer", "header", "none"]},
            "auth_header": text,
            "bearer_if": {"type": "string", "pattern": FIELD_ID_PATTERN},
            "key_field": {"type": "string", "pattern": FIELD_ID_PATTERN},
            "headers": text_map,
            "query": text_map,
            "models_at": text,
            "model_id": text,
            "id_prefix": text,
            "implicit_suffix": text,
            "check_models": {"type": "boolean"},
            "pagination": {
                "type": "object",
                "properties": {"cursor_at": text, "param": text, "more_at": text},
                "required": ["cursor_at", "param"],
                "additionalProperties": False,
            },
        },
        "required": ["path"],
        "additionalProperties": False,
    }


def _definition_schema() -> dict[str, Any]:
    field_types = [t.value for t in FieldType]
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH},
            "description": {"type": "string"},
            "docs_url": {"type": "string"},
            "models": {"type": "array", "items": {"type": "string"}},
            "api": {
                "enum": list(API_KINDS),
                "description": "The wire protocol the provider speaks, for other tools' configs.",
            },
            "tools": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "This type's name in other tools' configs, by tool.",
            },
            "probe": _probe_schema(),
            "fields": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "pattern": FIELD_ID_PATTERN},
                        "label": {"type": "string"},
                        "type": {"enum": field_types},
                        "required": {"type": "boolean"},
                        "default": {},
                        "help": {"type": "string"},
                        "pattern": {"type": "string"},
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                        "choices": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        "env": {"type": "string"},
                    },
                    "required": ["id"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["id", "name"],
        "additionalProperties": False,
    }


def build_schema(catalog: Catalog | None = None) -> dict[str, Any]:
    """The schema of a version-1 config file for the given catalog (default: built-ins).

    Instances of providers the catalog does not know (user definitions in
    other files) fall back to a loose branch, so the schema never rejects a
    file the checker accepts for that reason.
    """
    catalog = catalog if catalog is not None else builtin_catalog()
    known = catalog.ids()
    branches: list[dict[str, Any]] = [
        {"$ref": f"#/$defs/provider_{definition.id}"} for definition in catalog
    ]
    branches.append(
        {
            "title": "Custom provider (declared under definitions:)",
            "type": "object",
            "properties": {
                "id": {"$ref": "#/$defs/instanceId"},
                "name": {"$ref": "#/$defs/instanceName"},
                "provider": {"type": "string", "not": {"enum": known}},
                "helpers": {"$ref": "#/$defs/helpers"},
                "allow_http": {"$ref": "#/$defs/allowHttp"},
                "models": {"$ref": "#/$defs/models"},
            },
            "required": ["name", "provider"],
        }
    )
    defs: dict[str, Any] = {
        # `id:` left empty means "derive it from the name", as when absent.
        "instanceId": {
            "anyOf": [{"type": "string", "pattern": ID_PATTERN}, {"type": "null"}],
            "description": "Unique id across all files; derived from the name when absent.",
        },
        "instanceName": {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH},
        "helpers": {
            "anyOf": [{"type": "boolean"}, {"type": "null"}],
            "description": "false: `provreg secret get` never prints this instance's keys "
            "(they leave provreg through `provreg exec` only). Default true.",
        },
        "allowHttp": {
            "anyOf": [{"type": "boolean"}, {"type": "null"}],
            "description": "true: `provreg probe` may send the key over plain http to a host "
            "that is not loopback. Default false.",
        },
        "models": _models_schema(),
        "secretRef": _secret_ref(),
        "definition": _definition_schema(),
        "instance": {
            "type": "object",
            "required": ["provider"],
            "properties": {"provider": {"type": "string", "examples": known}},
            "oneOf": branches,
        },
    }
    for definition in catalog:
        defs[f"provider_{definition.id}"] = _instance_schema(definition)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "provreg config file",
        "description": "LLM provider instances and custom provider definitions (format version 1).",
        "type": "object",
        "properties": {
            "version": {"type": "integer", "minimum": 1, "maximum": CURRENT_VERSION},
            "providers": {
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/$defs/instance"}},
                    {"type": "null"},
                ]
            },
            "definitions": {
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/$defs/definition"}},
                    {"type": "null"},
                ]
            },
        },
        "additionalProperties": False,
        "$defs": defs,
    }


def schema_json(catalog: Catalog | None = None) -> str:
    return json.dumps(build_schema(catalog), indent=2) + "\n"
