"""RT provisioning against the live RT: a register queue that exists before its fields do
(issue 8, point 9: the final check read the queue as it was before the fields were applied)."""

import json
import uuid

import pytest

from ci_plugin.domain import fields as register_fields

pytestmark = pytest.mark.live


def test_setup_on_an_existing_queue_without_fields_applies_them_and_is_complete(rt, run_cli):
    tag = uuid.uuid4().hex[:6]
    queue = f"CIR-existing-{tag}"
    # Fresh field names too: REST2 applies a custom field to a queue only when it creates it.
    names = {spec.key: f"CI {spec.key} {tag}" for spec in register_fields.IMPROVEMENT_FIELDS}
    fields_toml = "".join(f'{key} = "{name}"\n' for key, name in names.items())
    rt.configure(f'[rt]\nqueue = "{queue}"\n[fields]\n{fields_toml}')
    session = rt.session
    lifecycle = rt.register.config.section("rt")["lifecycle"]
    created = session.request("POST", "queue", json={"Name": queue, "Lifecycle": lifecycle}).json()
    try:
        assert session.request("GET", f"queue/{created['id']}").json().get("TicketCustomFields") in (None, [])

        result = run_cli("--config", rt.config_path, "setup", "--json")
        assert result.code == 0, result.out + result.err
        report = json.loads(result.out)
        assert report["complete"] is True and report["missing"] == []
        changes = {(c["action"], c["what"]) for c in report["changes"]}
        assert ("unchanged", f"queue {queue}") in changes
        for name in names.values():
            assert ("created", f"custom field {name} (applied to {queue})") in changes

        doctor = run_cli("--config", rt.config_path, "doctor")
        assert doctor.code == 0, doctor.out + doctor.err
        applied = {str(ref["id"]) for ref in session.request("GET", f"queue/{created['id']}").json()["TicketCustomFields"]}
        by_name = {cf["Name"]: str(cf["id"]) for cf in rt.register.host.custom_fields()}
        assert {by_name[name] for name in names.values()} <= applied  # read from RT itself

        again = run_cli("--config", rt.config_path, "setup")
        assert again.code == 0 and "created" not in again.out
    finally:  # leave nothing behind: RT "deletes" a field or a queue by disabling it
        for cf in rt.register.host.custom_fields():
            if cf.get("Name") in names.values():
                session.request("DELETE", f"customfield/{cf['id']}", ok=(200, 204))
        session.request("DELETE", f"queue/{created['id']}", ok=(200, 204))
