"""The adapter's configuration: the ``[zammad]`` table, which this package owns.

The package declares the table with ``ci_register_config_sections`` (see ``__init__.py``); the
composition root of ci-plugin then validates it against :data:`SCHEMA` with the rest of the file
(errors name their JSON path: ``$.zammad.grop: unknown key 'grop'``) and fills in the defaults.
The adapter only reads the result::

    [zammad]                          # optional; these are the defaults
    group = "Improvements"            # the register: tickets of this group
    problem_group = "Problems"
    project_group = "Projects"
    customer = ""                     # customer of new improvements (login or email); "": the token's user
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain.validation import fill_defaults

#: The name of the table, ``[zammad]`` (the host type too).
SECTION = "zammad"

_GROUP = {"type": "string", "minLength": 1, "maxLength": 160}  # Zammad's limit on group names

#: JSON Schema (Draft 2020-12) of ``[zammad]``: closed, a default for every key.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:ci-host-zammad:config",
    "title": "[zammad]: settings of the Zammad host adapter",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "group": {**_GROUP, "default": "Improvements", "description": "The register: tickets of this group."},
        "problem_group": {**_GROUP, "default": "Problems", "description": "Group of the problem records."},
        "project_group": {**_GROUP, "default": "Projects", "description": "Group of the project records."},
        "customer": {"type": "string", "default": "",
                     "description": "Login or email of the customer of new improvements; empty: the token's user."},
    },
}


def settings(config: Any) -> dict[str, Any]:
    """``[zammad]`` as the composition root validated it, defaults filled in (filled here too,
    so that an adapter built straight from a parsed file, without plugins, has them)."""
    return fill_defaults(SCHEMA, config.section(SECTION))
