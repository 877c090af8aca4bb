"""The out-of-the-box instance the fake ServiceNow starts as: tables, columns, states, the admin.

Table and column names, number prefixes and the stock state values are ServiceNow's (the adapter
reads them from ``sys_db_object``, ``sys_dictionary`` and ``sys_choice``; nothing here is known
to it).
"""

from __future__ import annotations

USER, PASSWORD = "admin", "fake-servicenow-password"
SYSTEM = ("sys_id", "sys_created_on", "sys_updated_on", "sys_created_by", "sys_updated_by", "sys_mod_count")
#: table -> (parent table, number prefix, {column: (type, reference)})
SCHEMA: dict[str, tuple[str | None, str, dict[str, tuple[str, str]]]] = {
    "task": (None, "TASK", {"number": ("string", ""), "short_description": ("string", ""),
                            "description": ("string", ""), "state": ("integer", ""), "sys_class_name": ("sys_class_name", ""),
                            "assigned_to": ("reference", "sys_user"), "opened_by": ("reference", "sys_user"),
                            "active": ("boolean", ""), "work_notes": ("journal_input", ""),
                            "comments": ("journal_input", ""), "parent": ("reference", "task"),
                            "closed_at": ("glide_date_time", ""), "due_date": ("glide_date_time", "")}),
    "incident": ("task", "INC", {"problem_id": ("reference", "problem"), "caller_id": ("reference", "sys_user"),
                                 "resolved_at": ("glide_date_time", ""), "reopen_count": ("integer", ""),
                                 "category": ("string", "")}),
    "problem": ("task", "PRB", {}), "change_request": ("task", "CHG", {}), "pm_project": ("task", "PRJ", {}),
    "sys_user": (None, "", {"user_name": ("string", ""), "name": ("string", ""), "active": ("boolean", "")}),
    "sys_db_object": (None, "", {"name": ("string", ""), "label": ("string", ""), "super_class": ("reference", "sys_db_object")}),
    "sys_dictionary": (None, "", {"name": ("string", ""), "element": ("string", ""), "column_label": ("string", ""),
                                  "internal_type": ("string", ""), "max_length": ("integer", ""), "reference": ("string", "")}),
    "sys_choice": (None, "", {"name": ("string", ""), "element": ("string", ""), "value": ("string", ""),
                              "label": ("string", ""), "sequence": ("integer", ""), "language": ("string", ""),
                              "inactive": ("boolean", "")}),
    "task_rel_type": (None, "", {"name": ("string", "")}),
    "sys_script": (None, "", {"name": ("string", ""), "collection": ("string", ""), "when": ("string", ""),
                              "action_update": ("boolean", ""), "action_insert": ("boolean", ""),
                              "active": ("boolean", ""), "order": ("integer", ""), "script": ("script", "")}),
    "task_rel_task": (None, "", {"parent": ("reference", "task"), "child": ("reference", "task"),
                                 "type": ("reference", "task_rel_type")}),
    "sys_audit": (None, "", {"tablename": ("string", ""), "documentkey": ("string", ""), "fieldname": ("string", ""),
                             "oldvalue": ("string", ""), "newvalue": ("string", "")}),
    "sys_journal_field": (None, "", {"element_id": ("string", ""), "element": ("string", ""), "name": ("string", ""),
                                     "value": ("string", "")}),
}
#: Out-of-the-box states, value -> label (the numbers are ServiceNow's, read by the adapter from sys_choice).
STOCK_STATES = {"incident": {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"},
                "problem": {"101": "New", "102": "Assess", "103": "Root Cause Analysis", "104": "Fix in Progress",
                            "106": "Resolved", "107": "Closed"},
                "change_request": {"-5": "New", "-4": "Assess", "-3": "Authorize", "-2": "Scheduled", "-1": "Implement",
                                   "0": "Review", "3": "Closed", "4": "Canceled"},
                "pm_project": {"-5": "Pending", "1": "Open", "2": "Work in Progress", "3": "Closed Complete"},
                "task": {"-5": "Pending", "1": "Open", "2": "Work in Progress", "3": "Closed Complete"}}
CIM_STATES = {"10": "New", "11": "Accepted", "12": "Assess", "13": "Approved", "14": "Implement", "15": "On Hold",
              "16": "Review", "17": "Closed", "18": "Canceled"}
#: Labels of the states that end work: ServiceNow's own rules stamp ``resolved_at``/``closed_at``.
DONE_LABELS = {"Resolved", "Closed", "Closed Complete", "Canceled"}
DEFAULT_STATE = {"incident": "1", "problem": "101", "change_request": "-5", "pm_project": "-5"}
