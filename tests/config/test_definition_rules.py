# ruff: noqa: E501 - recorded messages, kept whole so they read as the checker prints them
"""The diagnostics of user `definitions:` that break the rules of a
definition's shape (`provreg.definition_schema`): codes, messages, positions and
order, pinned. They were recorded when the value classes were pydantic models
themselves; moving the rules to their own module must not change one of them."""

from __future__ import annotations

from pathlib import Path

from provreg.config.read.discovery import ConfigFile
from provreg.config.read.load_set import load_files

DEFINITIONS = """\
version: 1
definitions:
  - just a string
  - name: No id
  - id: Bad_Id
    name: Bad
  - id: long-name
    name: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  - id: empty-name
    name: ""
  - id: unknown-key
    name: U
    colour: red
  - id: fields-not-list
    name: F
    fields: {id: x}
  - id: field-items
    name: F
    fields:
      - just text
      - {id: Bad-Id}
      - {id: name}
      - {id: models2, type: choice}
      - {id: c, type: text, choices: [a]}
      - {id: p, type: url, pattern: "^x"}
      - {id: r, type: text, pattern: "(["}
      - {id: b, type: bool, min: 1}
      - {id: mm, type: int, min: 5, max: 2}
      - {id: frac, type: int, min: 1.5}
      - {id: neg, type: text, min: -1}
      - {id: nan, type: float, min: .nan}
      - {id: inf, type: float, max: .inf}
      - {id: huge, type: float, max: 1.0e+300}
      - {id: s, type: secret, default: x}
      - {id: t, type: colour}
      - {id: req, required: "yes"}
      - {id: lab, label: 5}
      - {id: ex, extra: 1}
  - id: dupes
    name: D
    fields: [{id: a}, {id: a}]
  - id: probe-path
    name: P
    probe: {models_at: data}
  - id: probe-slash
    name: P
    probe: {path: models}
  - id: probe-auth
    name: P
    probe: {path: /m, auth: header}
  - id: probe-authz
    name: P
    probe: {path: /m, headers: {Authorization: x}}
  - id: probe-key
    name: P
    probe: {path: /m, method: POST, nope: 1, pagination: {cursor_at: x}}
  - id: api-bad
    name: A
    api: grpc
    tools: {crush: 5}
    models: gpt
  - id: with-builtin
    name: W
    builtin: true
  - id: bad-default
    name: B
    fields:
      - {id: port, type: int, min: 1, max: 10, default: 50}
      - {id: mode, type: choice, choices: [a, b], default: c}
  - id: old-models
    name: O
    fields: [{id: models, type: list}, {id: x, type: wat}]
  - id: fine
    name: Fine
    fields: [{id: base_url, type: url}]
providers: []
"""

EXPECTED = [
    (
        3,
        5,
        "E101",
        "each item of 'definitions' must be a mapping (a provider definition), not text",
    ),
    (4, 5, "E301", "definition '?': id: is required"),
    (5, 9, "E301", "definition 'Bad_Id': id: must match '^[a-z0-9][a-z0-9._-]{0,62}$'"),
    (8, 11, "E301", "definition 'long-name': name: must have at most 100 characters"),
    (10, 11, "E301", "definition 'empty-name': name: must have at least 1 character"),
    (13, 5, "E301", "definition 'unknown-key': colour: unknown key 'colour'"),
    (16, 13, "E301", "definition 'fields-not-list': fields: must be a tuple"),
    (
        20,
        9,
        "E301",
        "definition 'field-items': fields item 1: must be a dictionary or instance of FieldSpec",
    ),
    (
        21,
        14,
        "E301",
        "definition 'field-items': fields item 2 (Bad-Id) id: must match '^[a-z][a-z0-9_]{0,62}$'",
    ),
    (22, 9, "E301", "definition 'field-items': fields item 3 (name): field id 'name' is reserved"),
    (
        23,
        9,
        "E301",
        "definition 'field-items': fields item 4 (models2): a choice field needs a non-empty 'choices' list",
    ),
    (
        24,
        9,
        "E301",
        "definition 'field-items': fields item 5 (c): 'choices' is only allowed on choice fields",
    ),
    (
        25,
        9,
        "E301",
        "definition 'field-items': fields item 6 (p): 'pattern' is only allowed on text fields",
    ),
    (
        26,
        9,
        "E301",
        "definition 'field-items': fields item 7 (r): 'pattern' is not a valid regular expression: unterminated character set at position 1",
    ),
    (
        27,
        9,
        "E301",
        "definition 'field-items': fields item 8 (b): 'min'/'max' are only allowed on int, float, text and list fields",
    ),
    (28, 9, "E301", "definition 'field-items': fields item 9 (mm): 'min' is greater than 'max'"),
    (
        29,
        36,
        "E301",
        "definition 'field-items': fields item 10 (frac) min: must be a whole number for a int field",
    ),
    (
        30,
        36,
        "E301",
        "definition 'field-items': fields item 11 (neg) min: must not be negative for a text field (it bounds a length)",
    ),
    (
        31,
        37,
        "E301",
        "definition 'field-items': fields item 12 (nan) min: must be a finite number, not NaN or infinity",
    ),
    (
        32,
        37,
        "E301",
        "definition 'field-items': fields item 13 (inf) max: must be a finite number, not NaN or infinity",
    ),
    (
        33,
        38,
        "E301",
        "definition 'field-items': fields item 14 (huge) max: must be between -9007199254740992 and 9007199254740992",
    ),
    (
        34,
        9,
        "E301",
        "definition 'field-items': fields item 15 (s): a secret field cannot have a default value",
    ),
    (
        35,
        23,
        "E301",
        "definition 'field-items': fields item 16 (t) type: must be 'text', 'url', 'secret', 'bool', 'int', 'float', 'choice' or 'list'",
    ),
    (37, 26, "E301", "definition 'field-items': fields item 18 (lab) label: must be a string"),
    (38, 18, "E301", "definition 'field-items': fields item 19 (ex) extra: unknown key 'extra'"),
    (39, 5, "E301", "definition 'dupes': field 'a' is declared twice"),
    (44, 12, "E301", "definition 'probe-path': probe path: is required"),
    (47, 19, "E301", "definition 'probe-slash': probe path: must match '^/'"),
    (
        50,
        12,
        "E301",
        "definition 'probe-auth': probe: 'auth: header' needs 'auth_header' (the header that carries the key)",
    ),
    (
        53,
        12,
        "E301",
        "definition 'probe-authz': probe: the key's header is set by 'auth', not under 'headers'",
    ),
    (56, 31, "E301", "definition 'probe-key': probe method: must be 'GET'"),
    (56, 37, "E301", "definition 'probe-key': probe nope: unknown key 'nope'"),
    (56, 58, "E301", "definition 'probe-key': probe pagination param: is required"),
    (
        59,
        10,
        "E301",
        "definition 'api-bad': api: must be 'openai', 'anthropic', 'gemini', 'azure-openai' or 'ollama'",
    ),
    (60, 20, "E301", "definition 'api-bad': tools crush: must be a string"),
    (61, 13, "E301", "definition 'api-bad': models: must be a tuple"),
    (64, 5, "E301", "'builtin' cannot be set in a config file"),
    (
        68,
        57,
        "E301",
        "definition 'bad-default': the default of field 'port' is invalid: 50 is out of range (1 to 10)",
    ),
    (
        69,
        60,
        "E301",
        "definition 'bad-default': the default of field 'mode' is invalid: 'c' is not one of a, b",
    ),
    (
        72,
        14,
        "W304",
        "definition 'old-models': every instance has 'models' (model ids, each with optional limits); this field is ignored",
    ),
    (
        72,
        33,
        "E301",
        "definition 'old-models': fields item 1 (models) type: must be 'text', 'url', 'secret', 'bool', 'int', 'float', 'choice' or 'list'",
    ),
]


def test_bad_definitions_are_reported_as_before(tmp_path: Path) -> None:
    path = tmp_path / "definitions.yaml"
    path.write_text(DEFINITIONS + "\n", encoding="utf-8")
    loaded = load_files([ConfigFile(str(path), "definitions.yaml")])
    found = [(d.line, d.column, d.code, d.message) for d in loaded.diagnostics]
    assert found == EXPECTED
    # The one good definition among them is kept, as the value class.
    assert [d.id for d in loaded.catalog if not d.builtin] == ["fine"]
