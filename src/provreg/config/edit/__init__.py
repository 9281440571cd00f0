"""The edit path: change config file text in place, and upgrade old formats.

Owns: turning an intent (create, update, delete, restore, upgrade) into new
file text that changes only the lines concerned, verified by reparsing.
May import: `provreg.config.read` (every edit is reparsed and compared with the
intended document), the shared modules `provreg.config.codes`, `provreg.config.ids`,
`provreg.config.yaml_tags`, `provreg.model`, `provreg.catalog` (format upgrades
look up provider defaults), PyYAML, ruamel.yaml, `provreg.text_encoding`.
The read path never imports the edit path.

Modules: `entry_edit` (the public edit functions, re-exported here),
`splice_edit` (the text splices), `local_edit` (an update verified on its
item's lines alone, for the storage), `round_trip_edit` (the ruamel.yaml
fallback), `render` (values as YAML text), `text_lines` (line endings),
`merged_keys` (changes a merge key `<<` would share), `restore_edit` (undoing a
delete), `migrations` (format version upgrades).
"""

from provreg.config.edit.entry_edit import (
    REMOVE,
    Edited,
    EditError,
    InstanceKey,
    append_instance,
    append_instance_verified,
    delete_instance,
    delete_instance_verified,
    find_entry,
    new_file,
    new_file_verified,
    update_instance,
    update_instance_verified,
)

__all__ = [
    "REMOVE",
    "EditError",
    "Edited",
    "InstanceKey",
    "append_instance",
    "append_instance_verified",
    "delete_instance",
    "delete_instance_verified",
    "find_entry",
    "new_file",
    "new_file_verified",
    "update_instance",
    "update_instance_verified",
]
