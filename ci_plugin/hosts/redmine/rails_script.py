"""The Redmine ``rails runner`` script of ``setup``: the spec it applies, and the script itself.

Redmine's REST API cannot create trackers, issue statuses, workflows or custom fields, nor
change settings. :func:`build` turns the configuration into the JSON spec (what the register
needs in Redmine, as data, with the custom-field formats) that ``rails_script.rb`` (a
``rails runner`` script shipped in this package) applies on the Redmine server, and
:func:`script` embeds that spec at the top of the script so an administrator has one
self-contained file to run. ``check`` (:mod:`.provisioning`) verifies the same things over
REST, with the same names, so ``doctor`` and the script agree on what is missing.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.workflow import FINAL_STATES, STATES, TRANSITIONS, StateMap

#: Redmine custom-field format of each register field kind. ``ids`` are kept in a string field
#: as ",11,12," so that the contains filter (``cf_N=~,11,``) finds one id exactly; ``flag`` is a
#: list of two values (candidate.value and candidate.cleared).
FORMATS = {
    "enum": "list",
    "integer": "int",
    "number": "float",
    "date": "date",
    "text": "string",
    "json": "text",
    "ids": "string",
    "flag": "list",
}

#: Validation Redmine applies to the encoded ids (a 422 instead of a stored mistake).
IDS_REGEXP = r"^,(\d+,)+$"

#: Statuses of the trackers of linked records (problem, project, ...): Redmine's stock names,
#: matched exactly, with whether each is closed; the first is where a record starts.
LINKED_STATUSES = (("New", False), ("In Progress", False), ("Resolved", False), ("Closed", True), ("Rejected", True))

SCRIPT_NAME = "rails_script.rb"
SPEC_MARKER = "# ci-plugin: embedded spec"


def _config_sections(config: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str], StateMap]:
    return (config.section("redmine"), config.section("fields"), config.section("candidate"),
            StateMap(config.section("states")))


def flag_values(candidate: dict[str, str]) -> list[str]:
    """Possible values of the candidate flag: the value that asks for conversion, then the
    value written once converted (none when ``cleared`` is empty)."""
    return [v for v in (candidate["value"], candidate["cleared"]) if v]


def custom_fields(config: Any) -> list[dict[str, Any]]:
    """Every custom field the register needs: name, format, trackers, list values, filter.

    ``key`` is the register field key (``None`` for the project field of project_mode
    "project"); the adapter's ``check`` compares Redmine's custom fields with these.
    """
    redmine, names, candidate, _ = _config_sections(config)
    wanted = []
    for spec in register_fields.FIELDS:
        entry: dict[str, Any] = {
            "key": spec.key,
            "name": names[spec.key],
            "format": FORMATS[spec.kind],
            "trackers": list(redmine["candidate_trackers"]) if spec.on_candidates else [redmine["tracker"]],
            "is_filter": True,
            "description": f"ci-plugin: {spec.description}",
        }
        if spec.kind == "enum":
            entry["possible_values"] = list(spec.choices)
        elif spec.kind == "flag":
            entry["possible_values"] = flag_values(candidate)
        elif spec.kind == "ids":
            entry["regexp"] = IDS_REGEXP
        elif spec.kind == "json":
            entry["text_formatting"] = ""  # plain text: JSON must not be rendered as markup
        wanted.append(entry)
    if redmine["project_mode"] == "project":
        wanted.append({
            "key": None,
            "name": redmine["project_field"],
            "format": "string",
            "trackers": [redmine["tracker"]],
            "is_filter": True,
            "description": "ci-plugin: identifiers of the Redmine projects that implement the improvement",
        })
    return wanted


def register_trackers(config: Any) -> list[str]:
    """Trackers enabled in the register's project: the register's, and those of the delivery
    records ``plan`` creates there (change records; project records in project_mode "issue")."""
    redmine = config.section("redmine")
    wanted = [redmine["tracker"], redmine["change_tracker"]]
    if redmine["project_mode"] == "issue":
        wanted.append(redmine["project_tracker"])
    return list(dict.fromkeys(wanted))


def _statuses(states: StateMap) -> list[dict[str, Any]]:
    """The register's statuses, then those of :data:`LINKED_STATUSES` it does not name already."""
    wanted = [{"name": states.host_status(s), "is_closed": s in FINAL_STATES} for s in STATES]
    named = {s["name"] for s in wanted}
    return wanted + [{"name": n, "is_closed": closed} for n, closed in LINKED_STATUSES if n not in named]


def linked_workflow(tracker: str) -> dict[str, Any]:
    """The workflow of a linked records' tracker: created in the first of :data:`LINKED_STATUSES`,
    from any of them to any other, for every role; the script applies it only to a tracker that
    has no workflow yet (``only_if_none``), so an admin's own workflow is left alone."""
    names = [name for name, _ in LINKED_STATUSES]
    transitions = {"": names[:1], **{name: [other for other in names if other != name] for name in names}}
    return {"tracker": tracker, "roles": "ALL", "only_if_none": True, "transitions": transitions}


def build(config: Any, states: StateMap | None = None) -> dict[str, Any]:
    """The JSON spec of ``rails_script.rb`` for this configuration (``states``: the status names of
    the desk, when they differ from the configuration's, see ``RedmineMetadata.desk_states``)."""
    redmine, _, _, configured = _config_sections(config)
    states = states or configured
    tracker = redmine["tracker"]
    host = states.host_status
    transitions: dict[str, list[str]] = {"": [host("new")]}
    for state in STATES:
        transitions[host(state)] = [host(s) for s in TRANSITIONS[state]]
    trackers: list[dict[str, Any]] = [{
        "name": tracker,
        "default_status": host("new"),
        "description": "Continual improvement register (ci-plugin)",
    }]
    # Candidate trackers are the admin's: only named. Trackers of linked records (problem, project,
    # ...) are enabled in the register's project; a created one starts in New (an existing one
    # keeps its default status) and gets linked_workflow() unless it has a workflow already.
    others = [redmine["problem_tracker"]]
    if redmine["project_mode"] == "issue":
        others.append(redmine["project_tracker"])
    others += [redmine["change_tracker"]] + redmine["candidate_trackers"]
    for name in others:
        if name != tracker and name not in [t["name"] for t in trackers]:
            trackers.append({"name": name} if name in redmine["candidate_trackers"] else
                            {"name": name, "initial_status": LINKED_STATUSES[0][0], "projects": [redmine["project"]]})
    fields = [{k: v for k, v in f.items() if k != "key"} for f in custom_fields(config)]
    return {
        "settings": {
            "rest_api_enabled": "1",
            "login_required": "1",  # otherwise a wrong API key is served as anonymous
            "cross_project_issue_relations": "1",  # improvements relate to issues of other projects
        },
        "statuses": _statuses(states),
        "trackers": trackers,
        "workflow": [{"tracker": tracker, "roles": "ALL", "transitions": transitions}]
                    + [linked_workflow(t["name"]) for t in trackers if "initial_status" in t],
        "custom_fields": fields,
        "projects": [{
            "identifier": redmine["project"],
            "name": redmine["project"].replace("-", " ").replace("_", " ").capitalize(),
            "trackers": register_trackers(config),
            "is_public": False,
            "description": "Continual improvement register (ci-plugin)",
        }],
    }


def render(value: Any, indent: int = 0, used: int = 0, width: int = 110) -> str:
    """JSON text: a value stays on one line unless that line would pass ``width`` columns
    (``used``: columns already taken on the line by indentation and key)."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or max(used, indent) + len(flat) <= width:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            items.append(head + render(item, indent + 2, len(head), width))
    else:
        items = [pad + render(item, indent + 2, len(pad), width) for item in value]
    return ("{" if isinstance(value, dict) else "[") + "\n" + ",\n".join(items) + "\n" + " " * indent + \
        ("}" if isinstance(value, dict) else "]")


def template() -> str:
    """The text of ``rails_script.rb`` as installed with the package."""
    return importlib.resources.files(__package__).joinpath(SCRIPT_NAME).read_text(encoding="utf-8")


def script(config: Any, states: StateMap | None = None) -> str:
    """One self-contained Ruby file: the spec for this configuration, then ``rails_script.rb``.

    The embedded spec is used unless CI_PLUGIN_SPEC or CI_PLUGIN_SPEC_FILE names another one.
    """
    spec_text = render(build(config, states))
    body = template()
    magic = "# frozen_string_literal: true\n"
    body = body.removeprefix(magic)
    return (
        f"{magic}"
        "#\n"
        "# ci-plugin: Redmine provisioning script, generated by `ci-plugin setup --print-provisioning`.\n"
        "# Run it once on the Redmine server, as the user Redmine runs as, from Redmine's directory:\n"
        "#\n"
        "#   cd /usr/share/redmine\n"
        "#   sudo -u www-data REDMINE_INSTANCE=default RAILS_ENV=production bin/rails runner /tmp/ci-plugin-provision.rb\n"
        "#\n"
        "# It is idempotent: a second run reports \"nothing to change\".\n"
        "#\n"
        f"{SPEC_MARKER} (used unless CI_PLUGIN_SPEC or CI_PLUGIN_SPEC_FILE is set)\n"
        "if ENV['CI_PLUGIN_SPEC'].to_s.strip.empty? && ENV['CI_PLUGIN_SPEC_FILE'].to_s.empty?\n"
        "  ENV['CI_PLUGIN_SPEC'] = <<~'CI_PLUGIN_SPEC_JSON'\n"
        + "".join(f"    {line}\n" for line in spec_text.splitlines())
        + "  CI_PLUGIN_SPEC_JSON\n"
        "end\n"
        "\n"
        + body
    )
