"""The register's state model on ServiceNow: a *before* business rule (``sys_script``).

ServiceNow enforces no order of states by itself; instances do it with business rules. A
business rule is a record, so ``setup`` creates it through the Table API: a *before update*
rule on the register table whose script aborts a state change the workflow does not allow
(:data:`ci_plugin.domain.workflow.TRANSITIONS`). The stored state values in the script are
read from ``sys_choice`` when the rule is written, never assumed; ``doctor`` compares the
rule with what the current choices give and ``setup`` rewrites it when they differ.

ServiceNow answers an aborted update with HTTP 403 and the rule's error message: the adapter
turns that into :class:`~ci_plugin.errors.HostRefused` naming both states.
"""

from __future__ import annotations

import json
from typing import Any

from ci_plugin.domain.workflow import STATES, TRANSITIONS, StateMap
from ci_plugin.hosts.base import Change, Finding
from ci_plugin.hosts.servicenow.metadata import plain
from ci_plugin.hosts.servicenow.query import term

RULE_NAME = "ci-plugin: register state model"
_SCRIPT = """(function executeRule(current, previous /*null when async*/) {
    // ci-plugin: the register's workflow. Written by `ci-plugin setup` from sys_choice; do not edit.
    var allowed = %s;
    var from = previous.getValue('state'), to = current.getValue('state');
    if (from != to && (allowed[from] || []).indexOf(to) < 0) {
        gs.addErrorMessage('ci-plugin: no transition from ' + previous.state.getDisplayValue() +
                           ' to ' + current.state.getDisplayValue());
        current.setAbortAction(true);
    }
})(current, previous);
"""


class ServiceNowStateModel:
    """Write and check the state-model business rule (needs the metadata reads and ``states``)."""

    states: StateMap
    register_table: str
    session: Any

    def allowed_moves(self) -> dict[str, list[str]] | None:
        """Stored state value -> values it may move to, or ``None`` while a state lacks a choice."""
        values = {s: self.state_value(self.register_table, self.states.host_status(s)) for s in STATES}  # type: ignore[attr-defined]
        if any(v is None for v in values.values()):
            return None
        return {values[s]: [values[t] for t in TRANSITIONS.get(s, ())] for s in STATES}  # type: ignore[misc]

    def wanted_rule(self) -> dict[str, str] | None:
        """The ``sys_script`` record of the state model, or ``None`` until the states exist."""
        moves = self.allowed_moves()
        if moves is None:
            return None
        return {"name": RULE_NAME, "collection": self.register_table, "when": "before", "action_update": "true",
                "action_insert": "false", "active": "true", "order": "100",
                "script": _SCRIPT % json.dumps(moves, sort_keys=True)}

    def _rule(self) -> dict[str, Any] | None:
        rows = list(self._pages("sys_script", term("name", "=", RULE_NAME) + "^" +  # type: ignore[attr-defined]
                                term("collection", "=", self.register_table), "sys_id,name,collection,script,active,when",
                                columns=("name", "collection")))
        return rows[0] if rows else None

    def provision_rule(self) -> list[Change]:
        """Create or rewrite the business rule."""
        wanted = self.wanted_rule()
        if wanted is None:
            return []
        have = self._rule()
        if have is None:
            self.session.request("POST", "table/sys_script", json=wanted)
            return [Change("created", f"business rule {RULE_NAME}")]
        if plain(have.get("script")) != wanted["script"] or plain(have.get("active")) != "true":
            self.session.request("PUT", f"table/sys_script/{plain(have.get('sys_id'))}", json=wanted)
            return [Change("updated", f"business rule {RULE_NAME}")]
        return [Change("unchanged", f"business rule {RULE_NAME}")]

    def check_rule(self) -> Finding:
        """Whether the rule is there, active, and matches the current choices."""
        name = f"business rule {RULE_NAME}"
        wanted = self.wanted_rule()
        if wanted is None:
            return Finding(name, False, "the register's states are missing: run `ci-plugin setup`")
        have = self._rule()
        if have is None:
            return Finding(name, False, "missing: run `ci-plugin setup`")
        if plain(have.get("script")) != wanted["script"] or plain(have.get("active")) != "true":
            return Finding(name, False, "changed or inactive: run `ci-plugin setup`")
        return Finding(name, True)
