"""The fake Zammad's admin routes: the caller (``users/me``, group access), the version, and
the groups, ticket states, ticket object attributes (with their migration) and core workflows
an admin lists and creates. Mixed into ``FakeZammad``; see ``zammad_fake.py``."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fixture_hosts.zammad_fake_data import INDEX_CAP, STATE_TYPES, Refusal


class AdminRoutes:
    """Users, version, groups, states, attributes, workflows (uses the data of ``ZammadData``)."""

    # --- users, version -------------------------------------------------------------------------

    def get_me(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, dict(self.users[self.me])

    def put_user(self, user_id: str, query: dict, body: dict) -> tuple[int, Any]:
        user = self.users.get(int(user_id))
        if user is None:
            raise Refusal(404, f"Couldn't find User with 'id'={user_id}")
        if "group_ids" in body:
            user["group_ids"] = {str(k): list(v) for k, v in body["group_ids"].items()}
        return 200, dict(user)

    def search_users(self, query: dict, body: dict) -> tuple[int, Any]:
        text = str(query.get("query") or "").lower()
        return 200, [dict(u) for u in self.users.values() if text in u["login"].lower() or text in u["email"].lower()]

    def get_version(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, {"version": "6.4.1-fake"}

    # --- groups, states, attributes, workflows --------------------------------------------------

    def list_groups(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([dict(g) for g in self.groups.values()], query, INDEX_CAP)

    def post_group(self, query: dict, body: dict) -> tuple[int, Any]:
        name = str(body.get("name") or "").strip()
        if not name:
            raise Refusal(422, "Attribute 'name' required!")
        if any(g["name"] == name for g in self.groups.values()):
            raise Refusal(422, "Object already exists!")
        group = {"id": next(self.ids), "name": name, "active": bool(body.get("active", True)), "note": body.get("note", "")}
        self.groups[group["id"]] = group
        return 201, dict(group)

    def list_states(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([dict(s) for s in self.states.values()], query, INDEX_CAP)

    def post_state(self, query: dict, body: dict) -> tuple[int, Any]:
        name = str(body.get("name") or "").strip()
        if not name or int(body.get("state_type_id") or 0) not in STATE_TYPES:
            raise Refusal(422, "Attribute 'state_type_id' required!" if name else "Attribute 'name' required!")
        if any(s["name"] == name for s in self.states.values()):
            raise Refusal(422, "Object already exists!")
        state = {"id": next(self.ids), "name": name, "state_type_id": int(body["state_type_id"]),
                 "active": bool(body.get("active", True))}
        self.states[state["id"]] = state
        return 201, dict(state)

    def list_attributes(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, [json.loads(json.dumps(a)) for a in self.attributes.values()]  # no paging, like Zammad

    def _check_attribute(self, body: dict) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(body.get("name") or "")):
            raise Refusal(422, "Name is invalid: only lowercase letters, digits and _ are allowed")
        option = body.get("data_option") or {}
        data_type = body.get("data_type")
        if data_type in ("input", "textarea") and not int(option.get("maxlength") or 0):
            raise Refusal(422, "Need data_option[maxlength] param")
        if data_type == "select" and not isinstance(option.get("options"), dict):
            raise Refusal(422, "Need data_option[options] param")
        if data_type == "integer" and ("min" not in option or "max" not in option):
            raise Refusal(422, "Need data_option[min] and data_option[max] param")
        if data_type not in ("input", "textarea", "select", "integer", "date", "boolean", "datetime"):
            raise Refusal(422, f"Invalid data_type {data_type!r}")

    def post_attribute(self, query: dict, body: dict) -> tuple[int, Any]:
        self._check_attribute(body)
        if any(a["name"] == body["name"] for a in self.attributes.values()):
            raise Refusal(422, f"{body['name']} already exists!")
        attr = {**body, "id": next(self.ids), "editable": True, "to_create": True, "to_migrate": True,
                "to_delete": False, "to_config": False}
        self.attributes[attr["id"]] = attr
        return 201, json.loads(json.dumps(attr))

    def put_attribute(self, attr_id: str, query: dict, body: dict) -> tuple[int, Any]:
        attr = self.attributes.get(int(attr_id))
        if attr is None:
            raise Refusal(404, f"Couldn't find ObjectManager::Attribute with 'id'={attr_id}")
        self._check_attribute({**attr, **body})
        attr.update({k: v for k, v in body.items() if k not in ("id", "name")})
        attr["to_migrate"] = True
        return 200, json.loads(json.dumps(attr))

    def execute_migrations(self, query: dict, body: dict) -> tuple[int, Any]:
        for attr in self.attributes.values():
            if attr.get("to_create") or attr.get("to_migrate"):
                attr["to_create"] = attr["to_migrate"] = False
                self.migrated.add(attr["name"])
        return 200, {}

    def list_workflows(self, query: dict, body: dict) -> tuple[int, Any]:
        return 200, self._page([json.loads(json.dumps(w)) for w in self.workflows.values()], query, INDEX_CAP)

    def post_workflow(self, query: dict, body: dict) -> tuple[int, Any]:
        if not body.get("name"):
            raise Refusal(422, "Attribute 'name' required!")
        workflow = {**body, "id": next(self.ids)}
        self.workflows[workflow["id"]] = workflow
        return 201, json.loads(json.dumps(workflow))

    def put_workflow(self, workflow_id: str, query: dict, body: dict) -> tuple[int, Any]:
        workflow = self.workflows.get(int(workflow_id))
        if workflow is None:
            raise Refusal(404, f"Couldn't find CoreWorkflow with 'id'={workflow_id}")
        workflow.update({k: v for k, v in body.items() if k != "id"})
        return 200, json.loads(json.dumps(workflow))
