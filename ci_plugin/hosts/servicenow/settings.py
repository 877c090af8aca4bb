"""The ``[servicenow]`` table as the adapter reads it, and the names derived from it.

The table's JSON Schema is :data:`SCHEMA`, declared by the core host plugin
(``ci_plugin.plugins.core_hosts``, hook ``ci_register_config_sections``); the composition root
validates ``[servicenow]`` against it with the rest of the file (errors name their JSON path,
``$.servicenow.regster: unknown key``) and fills in the defaults::

    [servicenow]
    register = "u_ci_improvement"     # own table (default) or "sn_cim_register" (CIM's table)
    problem_table = "problem"
    project_table = "pm_project"
    change_table = "change_request"
    candidate_tables = ["incident"]   # tables whose records agents may flag
    username = ""                     # set: basic auth, password from host.token_env;
                                      # empty: host.token_env holds an OAuth bearer token
"""

from __future__ import annotations

import re
from typing import Any

SECTION = "servicenow"
#: The register table of CIM, the Continual Improvement Management plugin (``com.sn_cim``).
CIM_TABLE = "sn_cim_register"
#: Stock ``task_rel_type`` a register link kind uses, as the improvement (the relation's parent)
#: sees it; the part after ``::`` is what the other record sees.
DEFAULT_LINKS = {"source": "Improves on::Improved by", "problem": "Addresses::Addressed by",
                 "project": "Delivered by::Delivers", "change": "Delivered by::Delivers",
                 "follow_up": "Followed by::Follows"}
DEPENDS_ON = "Depends on::Used by"
DEFAULTS: dict[str, Any] = {"register": "u_ci_improvement", "problem_table": "problem",
                            "project_table": "pm_project", "change_table": "change_request",
                            "candidate_tables": ["incident"], "username": "", "links": {}}


_TABLE = {"type": "string", "pattern": "^[a-z][a-z0-9_]*(?!\\n)$", "maxLength": 80}
_REL_TYPE = {"type": "string", "pattern": "^[^:]+::[^:]+(?!\\n)$", "maxLength": 100}

#: JSON Schema (Draft 2020-12) of ``[servicenow]``: closed, a default for every key.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:ci-plugin:config-servicenow",
    "title": "[servicenow]: settings of the ServiceNow (Table API) host adapter",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "register": {**_TABLE, "default": DEFAULTS["register"],
                     "description": "Register table: an own table extending task (from `setup --print-provisioning`), "
                                    "or sn_cim_register (CIM)."},
        "problem_table": {**_TABLE, "default": "problem"},
        "project_table": {**_TABLE, "default": "pm_project"},
        "change_table": {**_TABLE, "default": "change_request"},
        "candidate_tables": {"type": "array", "minItems": 1, "items": _TABLE, "default": ["incident"],
                             "description": "Tables whose records agents may flag as improvement candidates."},
        "username": {"type": "string", "default": "", "maxLength": 200,
                     "description": "Basic-auth user (password from host.token_env); empty: host.token_env "
                                    "holds an OAuth bearer token."},
        "links": {"type": "object", "additionalProperties": False, "default": {},
                  "description": "task_rel_type name (parent::child) of each link kind; the improvement is the parent.",
                  "properties": {kind: {**_REL_TYPE, "default": name} for kind, name in DEFAULT_LINKS.items()}},
    },
}


def settings(config: Any) -> dict[str, Any]:
    """``[servicenow]`` with every default (also for a config parsed without the schema)."""
    values = {**DEFAULTS, **config.section(SECTION)}
    values["links"] = {**DEFAULT_LINKS, **(values.get("links") or {})}
    return values


def column_name(label: str) -> str:
    """The column an admin creates for a field labelled ``label``: ``CI Source Ticket`` ->
    ``u_ci_source_ticket`` (ServiceNow prefixes custom columns with ``u_``)."""
    return "u_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:38]


def rel_halves(type_name: str) -> tuple[str, str]:
    """``"Depends on::Used by"`` -> ``("Depends on", "Used by")``: what parent and child see."""
    parent, _, child = type_name.partition("::")
    return parent.strip(), (child or parent).strip()
