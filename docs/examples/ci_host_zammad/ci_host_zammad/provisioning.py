"""``setup`` and ``doctor`` on Zammad: what the API creates, the one manual step, what is checked.

Through the API: the three groups and the token user's full access to them (a group made through
the API is invisible to its maker), the register's ticket states (borrowing the state type of
Zammad's own ``open`` and ``closed``: there is no endpoint for state types), one ticket attribute
per register field and their database migration, and one core workflow per register state
(allowing only the workflow's moves in the register's group). The manual step: restarting Zammad,
so that the running application sees the new columns.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.workflow import FINAL_STATES, STATES, TRANSITIONS, StateMap
from ci_plugin.errors import NotProvisionedError
from ci_plugin.hosts.base import Change, Finding, ManualStep

from ci_host_zammad.metadata import MISSING, ZammadMetadata, attribute_name

WORKFLOW_PREFIX = "ci-plugin"
ATTRIBUTE_POSITION = 1500  # after Zammad's own ticket attributes

# How each kind of register field is kept as a Zammad ticket attribute.
_TEXT_LENGTH = {"ids": 1000, "number": 40, "text": 250}
_LONG_TEXT = 20000  # textarea: JSON documents and lessons learned
_RESTART = "restart after the attribute migration"


def _pending_migration(attr: dict[str, Any]) -> bool:
    return bool(attr.get("to_create") or attr.get("to_migrate") or attr.get("to_config"))


def _absent_options(attr: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Options of a wanted select attribute that the attribute in Zammad lacks."""
    options = (attr.get("data_option") or {}).get("options") or {}
    return [k for k in wanted["data_option"]["options"] if k not in options]


class ZammadProvisioning(ZammadMetadata):
    """``provision``, ``manual_steps`` and ``check`` (needs the groups, ``states``, ``candidate``)."""

    group_name: str
    problem_group: str
    project_group: str
    states: StateMap
    candidate: dict[str, str]

    def _register_groups(self) -> tuple[str, str, str]:
        return self.group_name, self.problem_group, self.project_group

    def _wanted_attribute(self, spec: register_fields.FieldSpec, position: int) -> dict[str, Any]:
        """The attribute definition a register field needs."""
        display = self.display_names[spec.key]
        if spec.kind in ("enum", "flag"):
            choices = spec.choices if spec.kind == "enum" else [v for v in (self.candidate["value"], self.candidate["cleared"]) if v]
            data_type, option = "select", {"options": {c: c for c in choices}, "default": "", "null": True,
                                           "nulloption": True, "translate": False}
        elif spec.kind == "integer":
            data_type, option = "integer", {"min": 0, "max": 999999999, "default": None, "null": True}
        elif spec.kind == "date":
            data_type, option = "date", {"diff": None, "default": None, "null": True, "future": True, "past": True}
        elif spec.kind == "json" or spec.key == "lessons":
            data_type, option = "textarea", {"maxlength": _LONG_TEXT, "rows": 4, "default": "", "null": True}
        else:
            data_type, option = "input", {"type": "text", "maxlength": _TEXT_LENGTH.get(spec.kind, 250),
                                          "default": "", "null": True}
        return {
            "name": attribute_name(display), "display": display, "object": "Ticket", "active": True,
            "position": position, "data_type": data_type, "data_option": option,
            "screens": {"create_middle": {}, "edit": {"ticket.agent": {"shown": True, "required": False}}},
        }

    def _wanted_attributes(self) -> list[dict[str, Any]]:
        return [self._wanted_attribute(spec, position)
                for position, spec in enumerate(register_fields.FIELDS, start=ATTRIBUTE_POSITION)]

    # --- provision ------------------------------------------------------------------------------

    def provision(self) -> list[Change]:
        """Create groups, the token user's access to them, states, attributes (and run their
        database migration) and the core workflows of the register's states."""
        changes = self._provision_groups()
        changes += self._provision_states()
        changes += self._provision_attributes()
        changes += self._provision_workflows()
        return changes

    def _provision_groups(self) -> list[Change]:
        changes: list[Change] = []
        for name, note in zip(self._register_groups(), ("Continual improvement register (ci-plugin)",
                                                         "Problem records linked from improvements (ci-plugin)",
                                                         "Project records linked from improvements (ci-plugin)")):
            if self._group(name) is None:
                self.session.request("POST", "groups", json={"name": name, "active": True, "note": note})
                self._groups = None
                changes.append(Change("created", f"group {name}"))
            else:
                changes.append(Change("unchanged", f"group {name}"))
        me = self.me()
        access = {str(k): v for k, v in (me.get("group_ids") or {}).items()}
        missing = [self._group_id(n) for n in self._register_groups()
                   if "full" not in (access.get(str(self._group_id(n))) or [])]
        if missing:
            merged = {**access, **{str(i): ["full"] for i in missing}}
            self.session.request("PUT", f"users/{me['id']}", json={"group_ids": merged})
            self._me = None
            changes.append(Change("updated", f"user {me.get('login')}: full access to the register's groups"))
        return changes

    def _state_type(self, final: bool) -> int:
        """Zammad has no endpoint for state types: borrow the type of its own states."""
        model = self._state("closed" if final else "open")
        if model is None:
            raise NotProvisionedError([f"state {'closed' if final else 'open'}: Zammad's own state is missing"])
        return int(model["state_type_id"])

    def _provision_states(self) -> list[Change]:
        changes: list[Change] = []
        for state in STATES:
            name = self.states.host_status(state)
            if self._state(name) is not None:
                changes.append(Change("unchanged", f"state {name}"))
                continue
            body = {"name": name, "state_type_id": self._state_type(state in FINAL_STATES), "active": True,
                    "ignore_escalation": state in FINAL_STATES or state == "on-hold",
                    "note": "Improvement register state (ci-plugin)"}
            self.session.request("POST", "ticket_states", json=body)
            self._states = None
            changes.append(Change("created", f"state {name}"))
        return changes

    def _provision_attributes(self) -> list[Change]:
        changes: list[Change] = []
        migrate = False
        for wanted in self._wanted_attributes():
            attr = self._attribute_named(wanted["display"])
            absent = _absent_options(attr, wanted) if attr and wanted["data_type"] == attr.get("data_type") == "select" else []
            if attr is None:
                self.session.request("POST", "object_manager_attributes", json=wanted)
                changes.append(Change("created", f"attribute {wanted['display']} ({wanted['name']})"))
                migrate = True
            elif absent:
                options = dict((attr.get("data_option") or {}).get("options") or {})
                body = {**wanted, "name": attr["name"],
                        "data_option": {**wanted["data_option"], "options": {**options, **{k: k for k in absent}}}}
                self.session.request("PUT", f"object_manager_attributes/{attr['id']}", json=body)
                changes.append(Change("updated", f"attribute {wanted['display']}: options {', '.join(absent)}"))
                migrate = True
            else:
                changes.append(Change("unchanged", f"attribute {wanted['display']}"))
            migrate = migrate or bool(attr and _pending_migration(attr))
        if migrate:
            self.session.request("POST", "object_manager_attributes_execute_migrations", json={})
            changes.append(Change("updated", "database migration of the ticket attributes executed"))
        self._attributes = None
        return changes

    def _workflow_name(self, state: str) -> str:
        return f"{WORKFLOW_PREFIX}: {self.group_name} from {self.states.host_status(state)}"

    def _wanted_workflow(self, state: str) -> dict[str, Any]:
        """The core workflow that allows, in the register's group, only the workflow's moves from ``state``."""
        here = self._state_id(self.states.host_status(state))
        allowed = [here] + [self._state_id(self.states.host_status(s)) for s in TRANSITIONS.get(state, ())]
        return {
            "name": self._workflow_name(state), "object": "Ticket", "active": True, "stop_after_match": False,
            "priority": 500, "preferences": {"screen": ["edit"]},
            "condition_saved": {"ticket.group_id": {"operator": "is", "value": [str(self._group_id(self.group_name))]},
                                "ticket.state_id": {"operator": "is", "value": [str(here)]}},
            "condition_selected": {},
            "perform": {"ticket.state_id": {"operator": "set_fixed_to", "set_fixed_to": [str(i) for i in allowed]}},
        }

    def _workflows(self) -> dict[str, dict[str, Any]]:
        return {w.get("name"): w for w in self._collection("core_workflows")
                if str(w.get("name", "")).startswith(WORKFLOW_PREFIX)}

    def _states_present(self) -> bool:
        return all(self._state(self.states.host_status(s)) is not None for s in STATES)

    def _provision_workflows(self) -> list[Change]:
        if self._group(self.group_name) is None or not self._states_present():
            return []
        changes: list[Change] = []
        existing = self._workflows()
        for state in STATES:
            wanted = self._wanted_workflow(state)
            have = existing.get(wanted["name"])
            if have is None:
                self.session.request("POST", "core_workflows", json=wanted)
                changes.append(Change("created", f"core workflow {wanted['name']}"))
            elif self._workflow_differs(have, wanted):
                self.session.request("PUT", f"core_workflows/{have['id']}", json=wanted)
                changes.append(Change("updated", f"core workflow {wanted['name']}"))
            else:
                changes.append(Change("unchanged", f"core workflow {wanted['name']}"))
        return changes

    @staticmethod
    def _workflow_differs(have: dict[str, Any], wanted: dict[str, Any]) -> bool:
        keys = ("active", "condition_saved", "perform")
        return any(have.get(k) != wanted[k] for k in keys)

    def manual_steps(self) -> list[ManualStep]:
        """Restarting Zammad after the attributes' database migration (no API restarts Zammad)."""
        return [
            ManualStep(
                title="Restart Zammad after the ticket attributes' database migration",
                why="`ci-plugin setup` creates the register's ticket attributes and executes their database "
                    "migration through the API, but the running Zammad only sees the new columns after a "
                    "restart, which no API can do. Until then Zammad drops the attributes' values.",
                content="#!/bin/sh\n"
                        "# Restart Zammad once, after `ci-plugin setup` executed the attribute migration.\n"
                        "# Package installation:\n"
                        "systemctl restart zammad\n"
                        "# Docker Compose installation, instead: docker compose restart\n",
                filename="ci-plugin-zammad-restart.sh",
                fixes=("restart",),
            )
        ]

    # --- check ----------------------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """Groups and access, states, attributes (defined, migrated, live) and core workflows."""
        findings = self._check_groups() + self._check_states()
        live = []
        for wanted in self._wanted_attributes():
            finding = self._check_attribute(wanted)
            findings.append(finding)
            if finding.ok:
                live.append(self._attribute_named(wanted["display"])["name"])
        findings.append(self._check_live(live))
        if self._states_present() and self._group(self.group_name) is not None:
            findings += self._check_workflows()
        return findings

    def _check_groups(self) -> list[Finding]:
        findings: list[Finding] = []
        access = {str(k): v for k, v in (self.me().get("group_ids") or {}).items()}
        for name in self._register_groups():
            group = self._group(name)
            if group is None:
                findings.append(Finding(f"group {name}", False, MISSING))
            elif "full" not in (access.get(str(group["id"])) or []):
                findings.append(Finding(f"group {name}", False, "the token's user has no full access: run `ci-plugin setup`"))
            else:
                findings.append(Finding(f"group {name}", True))
        return findings

    def _check_states(self) -> list[Finding]:
        findings: list[Finding] = []
        for state in STATES:
            name = self.states.host_status(state)
            found = self._state(name)
            final = state in FINAL_STATES
            if found is None:
                findings.append(Finding(f"state {name}", False, MISSING))
            elif (int(found["state_type_id"]) == self._state_type(True)) != final:
                findings.append(Finding(f"state {name}", False, f"must be of the type of Zammad's "
                                        f"{'closed' if final else 'open'} state (Settings > Ticket States)"))
            else:
                findings.append(Finding(f"state {name}", True))
        return findings

    def _check_workflows(self) -> list[Finding]:
        findings: list[Finding] = []
        existing = self._workflows()
        for state in STATES:
            wanted = self._wanted_workflow(state)
            have = existing.get(wanted["name"])
            ok = have is not None and not self._workflow_differs(have, wanted)
            findings.append(Finding(f"core workflow {wanted['name']}", ok, "" if ok else
                                    ("missing" if have is None else "changed") + ": run `ci-plugin setup`"))
        return findings

    def _check_attribute(self, wanted: dict[str, Any]) -> Finding:
        name = f"attribute {wanted['display']}"
        attr = self._attribute_named(wanted["display"])
        if attr is None:
            return Finding(name, False, MISSING)
        problems = []
        if attr.get("data_type") != wanted["data_type"]:
            problems.append(f"type is {attr.get('data_type')!r}, ci-plugin needs {wanted['data_type']!r}: rename or "
                            "delete it, then run `ci-plugin setup`")
        if wanted["data_type"] == "select":
            absent = _absent_options(attr, wanted)
            if absent:
                problems.append("options lack " + ", ".join(absent) + ": run `ci-plugin setup`")
        if _pending_migration(attr):
            problems.append("database migration pending: run `ci-plugin setup`")
        if not attr.get("active", True):
            problems.append("inactive (Settings > Objects > Ticket)")
        return Finding(name, not problems, "; ".join(problems))

    def _check_live(self, names: list[str]) -> Finding:
        """Whether the running Zammad knows the attributes' columns (a ticket shows every column)."""
        probe = self.session.request("GET", "tickets", params={"page": 1, "per_page": 1}).json()
        if not probe:
            return Finding(_RESTART, True, "no ticket to probe with")
        unknown = [n for n in names if n not in probe[0]]
        if unknown:
            return Finding(_RESTART, False, f"the running Zammad does not know {', '.join(unknown)} yet: restart "
                                            "Zammad (`ci-plugin setup --print-provisioning`)")
        return Finding(_RESTART, True)
