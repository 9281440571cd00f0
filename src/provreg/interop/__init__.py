"""Other LLM tools' config files: `provreg export --to TOOL` and `provreg import --from TOOL`.

Owns: one adapter per tool (`litellm`, `opencode`, `crush`, `continue_dev`,
`aichat`, `llm_cli`, `zed`, `env_file`), each turning registry instances into
that tool's own config entries (secrets as the tool's own *reference* syntax,
never a value) and reading that tool's files back into instance proposals
(pasted keys kept as `SecretStr` for the importer to move into the keyring);
the shared types (`base`), and the comment-keeping editors of JSONC and YAML
files that `--merge` and `--scrub` use. Adapters are pure: text in, text or
proposals out. Applying an import to the registry is `provreg.commands`' work.
May import: `provreg.model`, `provreg.secret_names`, `provreg.text_encoding`,
`provreg.config` (its YAML reading and rendering), pydantic, ruamel.yaml, PyYAML,
the standard library. Never textual, never the registry or the secret stores:
adapters never see a secret value other than one pasted in the file they read.
"""
