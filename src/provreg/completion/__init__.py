"""Shell completion: `provreg completion bash|zsh|fish` and the hidden `provreg __complete`.

Owns: the shape of the command line as completion sees it (`spec`, taken from
the argparse parser when a script is generated, so it never drifts), the
scripts for each shell (`scripts`), what a word being typed can become
(`resolve`), and the dynamic values, instance ids, provider types, field
names and theme names, read straight from the files (`values`). The scripts
are thin: at each TAB they hand the words typed and the spec to
`provreg __complete` (`query`), which answers in tens of milliseconds because
it imports neither the registry, pydantic, anyio nor the dashboard
(docs/performance.md, "Shell completion").

May import: `provreg.paths`, `provreg.config.ids`,
the standard library. Never textual, PyYAML, pydantic or the registry: a TAB
must not wait for them.
"""
