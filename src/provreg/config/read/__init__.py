"""The read path: from bytes on disk to validated `ProviderInstance`s and diagnostics.

Owns: discovery of config files, parsing with positions, the document shape and
format version, validation of definitions and instances, linking across files,
the diagnostic cap, loading a whole set, file-system checks, the JSON Schema.
May import: `provreg.model`, `provreg.catalog`, PyYAML, pydantic (only in
`definitions`, through `provreg.definition_schema`, for a definition the plain
path leaves to it: a load of valid files has no use for pydantic), the shared
modules `provreg.config.codes`, `provreg.config.ids`, `provreg.config.yaml_tags`,
and the standard-library-only helpers `provreg.value_class`, `provreg.one_line`,
`provreg.text_encoding`, `provreg.secret_names`, `provreg.gc_control`.
Never `provreg.config.edit`, never textual.

Deliberately empty: `provreg.config.read.discovery` is imported by the
dashboard's first paint and must not pull in the loader; import each name from
its module (`load_set` for a whole load, `reading` for one file).
"""
