"""``setup`` and ``doctor`` on ServiceNow: what the Table API can create, what it cannot, checks.

The Table API writes records, not schema: it cannot create a table or a column. So

* :meth:`manual_steps` prints an XML record export (``<unload>``, imported by an admin with
  *Import XML* on the ``sys_db_object`` list) holding the register table (own-table mode: a
  ``sys_db_object`` extending ``task``) and one ``sys_dictionary`` column per register field,
  plus the candidate column of each candidate table; with ``register = "sn_cim_register"``
  only the columns CIM lacks, on CIM's table;
* :meth:`provision` creates the records that are data: the register's state choices in
  ``sys_choice`` (own table only: CIM's states are CIM's; their values follow the highest value
  there), the ``task_rel_type`` of each link kind, and the state-model business rule
  (:mod:`.state_model`);
* :meth:`check` reads ``sys_db_object``, ``sys_dictionary``, ``sys_choice`` and
  ``task_rel_type`` back.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain.workflow import STATES, StateMap
from ci_plugin.hosts.base import Change, Finding, ManualStep
from ci_plugin.hosts.servicenow.links import ServiceNowLinks
from ci_plugin.hosts.servicenow.metadata import plain
from ci_plugin.hosts.servicenow.query import term
from ci_plugin.hosts.servicenow.settings import CIM_TABLE, column_name
from ci_plugin.hosts.servicenow.state_model import ServiceNowStateModel

#: ``sys_dictionary`` type and length of a register column, per field kind.
COLUMN_TYPES = {"date": ("glide_date", 40), "integer": ("integer", 40), "ids": ("string", 4000),
                "json": ("string", 65000), "text": ("string", 4000)}
STEP_FILE = "ci-plugin-servicenow-schema.xml"


class ServiceNowProvisioning(ServiceNowStateModel, ServiceNowLinks):
    """``provision``, ``manual_steps`` and ``check`` (needs ``states``, the table names)."""

    states: StateMap

    def wanted_columns(self) -> list[dict[str, Any]]:
        """Every column the register needs: ``table``, ``element``, ``label``, ``type``, ``length``."""
        wanted = []
        for spec in register_fields.FIELDS:
            label = self.cf_names[spec.key]
            kind, length = COLUMN_TYPES.get(spec.kind, ("string", 100))
            tables = self.settings["candidate_tables"] if spec.on_candidates else [self.register_table]
            wanted += [{"key": spec.key, "table": t, "element": column_name(label), "label": label, "type": kind, "length": length}
                       for t in tables]
        return wanted

    def _table_row(self, name: str) -> dict[str, Any] | None:
        rows = list(self._pages("sys_db_object", term("name", "=", name), "sys_id,name,label,super_class",
                                columns=("name", "sys_id")))
        return rows[0] if rows else None

    # --- manual steps ---------------------------------------------------------------------------

    def manual_steps(self) -> list[ManualStep]:
        """The register's table and columns, as an XML record export an admin imports."""
        own = self.register_table != CIM_TABLE
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 "<!-- ci-plugin: the register's schema. The Table API cannot create tables or columns;",
                 "     import this file as an admin: System Definition > Tables, list menu > Import XML. -->",
                 '<unload unload_date="ci-plugin">']
        if own:
            lines.append(f'  <sys_db_object action="INSERT_OR_UPDATE"><name>{escape(self.register_table)}</name>'
                         f"<label>Improvement</label><super_class display_value=\"Task\">task</super_class>"
                         "<is_extendable>false</is_extendable></sys_db_object>")
        for column in self.wanted_columns():
            lines.append(f'  <sys_dictionary action="INSERT_OR_UPDATE"><name>{escape(column["table"])}</name>'
                         f"<element>{escape(column['element'])}</element>"
                         f"<column_label>{escape(column['label'])}</column_label>"
                         f"<internal_type>{column['type']}</internal_type>"
                         f"<max_length>{column['length']}</max_length></sys_dictionary>")
        lines.append("</unload>")
        what = f"table {self.register_table} (extends task) and its columns" if own else \
            f"the register's columns on CIM's table {CIM_TABLE}"
        return [ManualStep(title=f"Create {what} (Import XML)",
                           why="ServiceNow's Table API reads and writes records but cannot create tables or "
                               "columns; an admin imports these dictionary records once.",
                           content="\n".join(lines) + "\n", filename=STEP_FILE, fixes=("table ", "column "))]

    # --- provision ------------------------------------------------------------------------------

    def provision(self) -> list[Change]:
        """The state choices of the own register table and the link types."""
        changes = self._provision_states() if self.register_table != CIM_TABLE else []
        for name in sorted(set(self.link_type_names().values())):
            if name in self.rel_types().values():
                changes.append(Change("unchanged", f"task_rel_type {name}"))
                continue
            self.session.request("POST", "table/task_rel_type", json={"name": name})
            self._rel_types = None
            changes.append(Change("created", f"task_rel_type {name}"))
        self._choice_cache.clear()
        return changes + self.provision_rule()

    def _provision_states(self) -> list[Change]:
        changes: list[Change] = []
        rows = list(self._pages("sys_choice", term("name", "=", self.register_table) + "^element=state",
                                "value,label", columns=("name", "element", "value", "label")))
        labels = {plain(r.get("label")).lower() for r in rows}
        numbers = [int(plain(r.get("value"))) for r in rows if plain(r.get("value")).isdigit()]
        following = max(numbers, default=0) + 1
        for position, state in enumerate(STATES):
            label = self.states.host_status(state)
            if label.lower() in labels:
                changes.append(Change("unchanged", f"state {label}"))
                continue
            self.session.request("POST", "table/sys_choice", json={
                "name": self.register_table, "element": "state", "value": str(following), "label": label,
                "sequence": str(position), "language": "en", "inactive": "false"})
            following += 1
            changes.append(Change("created", f"state {label}"))
        self._choice_cache.pop(f"{self.register_table}.state", None)
        return changes

    # --- check ----------------------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """Tables, columns (present, of the right type), states in ``sys_choice``, link types."""
        findings: list[Finding] = []
        for table in (self.register_table, self.settings["problem_table"], self.settings["project_table"],
                      self.settings["change_table"], *self.settings["candidate_tables"]):
            row = self._table_row(table)
            findings.append(Finding(f"table {table}", row is not None, "" if row else
                                    "missing: import the XML of `ci-plugin setup --print-provisioning`"
                                    if table == self.register_table else "missing (is the plugin active?)"))
        self._dictionary.clear()
        for column in self.wanted_columns():
            row = self.column_of(column["key"], column["table"])
            name = f"column {column['label']} on {column['table']}"
            if row is None:
                findings.append(Finding(name, False, "missing: `ci-plugin setup --print-provisioning`"))
            elif row.get("internal_type") not in (column["type"], None, ""):
                findings.append(Finding(name, False, f"type is {row.get('internal_type')!r}, needs {column['type']!r}"))
            else:
                findings.append(Finding(name, True))
        self._choice_cache.clear()
        for state in STATES:
            label = self.states.host_status(state)
            ok = self.state_value(self.register_table, label) is not None
            findings.append(Finding(f"state {label}", ok, "" if ok else
                                    f"no sys_choice of {self.register_table}.state is labelled {label!r}: "
                                    "run `ci-plugin setup`, or map [states] to the table's own labels"))
        self._rel_types = None
        for name in sorted(set(self.link_type_names().values())):
            ok = name in self.rel_types().values()
            findings.append(Finding(f"task_rel_type {name}", ok, "" if ok else "missing: run `ci-plugin setup`"))
        return findings + [self.check_rule()]
