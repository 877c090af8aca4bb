"""What ServiceNow's own business rules do in the fake: stamp, audit, and guard state changes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from tests.fixture_hosts.servicenow_fake_data import DONE_LABELS


class Refusal(Exception):
    """An error answer: status, message, detail."""

    def __init__(self, status: int, message: str, detail: Any = None):
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail


def now() -> str:
    """The Table API's time format (UTC)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class ServiceNowRules:
    """Mixed into the fake: needs ``rows``, ``ancestry``, ``columns``, ``_insert``, ``_label``."""

    rows: dict[str, dict[str, dict[str, Any]]]

    def _state_changed(self, table: str, record: dict[str, Any], before: str) -> None:
        """What ServiceNow's own rules do on a state change: audit it (``sys_audit``), stamp or
        clear ``resolved_at``/``closed_at``, count a reopened incident."""
        self._insert("sys_audit", {"tablename": table, "documentkey": record["sys_id"], "fieldname": "state",
                                   "oldvalue": before, "newvalue": record["state"]}, raw=True)
        done, was_done = self._label(table, record["state"]) in DONE_LABELS, self._label(table, before) in DONE_LABELS
        stamp = now() if done else ""
        record["active"] = "false" if done and self._label(table, record["state"]) != "Resolved" else "true"
        if done != was_done:
            record["closed_at"] = stamp if self._label(table, record["state"]) != "Resolved" else ""
            if "resolved_at" in self.columns(table):
                record["resolved_at"] = stamp
            if was_done and "reopen_count" in self.columns(table):
                record["reopen_count"] = str(int(record.get("reopen_count") or 0) + 1)

    def _business_rules(self, table: str, record: dict[str, Any], body: dict[str, Any]) -> None:
        """Run the *before update* rules on the table that guard ``state``: the fake reads the
        ``allowed`` map of the state-model script (it runs no JavaScript) and aborts as
        ServiceNow does, 403 with the rule's error message."""
        to = str(body.get("state", record.get("state", "")))
        start = str(record.get("state", ""))
        if to == start:
            return
        chain = self.ancestry(table)
        for rule in self.rows["sys_script"].values():
            if rule.get("collection") in chain and rule.get("active") == "true" and rule.get("when") == "before" \
                    and rule.get("action_update") == "true":
                found = re.search(r"var allowed = (\{.*?\});", rule.get("script", ""), re.S)
                if found and to not in json.loads(found.group(1)).get(start, []):
                    raise Refusal(403, f"ci-plugin: no transition from {self._label(table, start)} to "
                                       f"{self._label(table, to)}", f"Error during update of {table} ({record.get('number')})")

