"""setup and doctor against the in-memory host, through the operations and the CLI."""

import json

from ci_plugin import config as config_module
from ci_plugin.app import open_register
from ci_plugin.hosts.memory import STORE_ENV, MemoryAdapter, MemoryStore, store_for
from ci_plugin.hosts.memory.session import forget
from ci_plugin.ops.setup import doctor, setup
from ci_plugin.plugins import PluginManager
from tests.unit.memory_desk import BASE, TOKEN, URL, _no_repair_pause, desk  # noqa: F401 (fixtures)


def fresh_register():
    store = MemoryStore(URL, TOKEN)
    config = config_module.parse(BASE, environ={})
    return store, open_register(config, plugins=PluginManager(load_external=False),
                                host=MemoryAdapter(config, store=store))


def test_setup_on_a_fresh_host_creates_what_the_api_can_and_names_the_manual_step():
    store, register = fresh_register()
    report = setup(register)
    doc = report.to_json()
    assert doc["complete"] is False
    assert doc["missing"] == [{"name": "workflow ci-improvement", "detail": "not installed: install the document "
                                                                          "`ci-plugin setup --print-provisioning` prints"}]
    assert [m["file"] for m in doc["manual_steps"]] == ["ci-improvement.workflow.json"]
    created = {c["what"] for c in doc["changes"] if c["action"] == "created"}
    assert {"queue Improvements", "queue Problems", "queue Projects", "queue Changes"} <= created
    assert sum(w.startswith("custom field ") for w in created) == 16
    assert set(store.queues) == {"General", "Improvements", "Problems", "Projects", "Changes"}


def test_tickets_made_before_the_workflow_is_installed_follow_the_default_one():
    store, register = fresh_register()
    setup(register)
    imp = register.host.create_improvement("T", "D", {}, {})
    register.host.set_status(imp, "resolved")  # the default workflow allows it, ci-improvement would not
    assert store.tickets[imp].status == "resolved"


def test_no_manual_step_is_pending_once_the_workflow_is_in_place(desk):
    report = setup(desk.register)
    assert report.complete and report.pending == [] and report.failing == []
    findings = doctor(desk.register)
    assert (findings[0].name, findings[0].ok, findings[0].detail) == ("connection and credentials", True,
                                                                      "memory host 1.0")
    assert all(f.ok for f in findings) and any(f.name == "custom field Improvement candidate" for f in findings)


def test_doctor_names_a_missing_field_and_queue(desk):
    del desk.store.fields["CI Verdict"]
    del desk.store.queues["Projects"]
    missing = {f.name: f.detail for f in doctor(desk.register) if not f.ok}
    assert missing == {"queue Projects": "missing: run `ci-plugin setup`",
                       "custom field CI Verdict": "missing: run `ci-plugin setup`"}
    assert setup(desk.register).complete


def test_the_cli_sets_up_converts_and_checks_a_file_backed_memory_host(run_cli, tmp_path, monkeypatch):
    state = tmp_path / "host.json"
    monkeypatch.setenv(STORE_ENV, str(state))
    monkeypatch.setenv("MEMORY_TOKEN", "cli-token")
    config = tmp_path / "ci-plugin.toml"
    config.write_text(f'[host]\ntype = "memory"\nurl = "{URL}"\ntoken_env = "MEMORY_TOKEN"\n')
    store = store_for(URL, "cli-token", {STORE_ENV: str(state)})
    try:
        first = run_cli("--config", config, "setup")
        assert first.code == 6 and "MANUAL STEP: memory host workflow 'ci-improvement'" in first.out
        printed = run_cli("--config", config, "setup", "--print-provisioning")
        store.install_workflow(json.loads(printed.out))
        assert run_cli("--config", config, "setup").code == 0
        assert run_cli("--config", config, "doctor").code == 0
        source = store.create_ticket("General", "Printer", "jams")
        made = run_cli("--config", config, "convert", source)
        assert made.code == 0 and made.out.strip() == "2"
        assert run_cli("--config", config, "convert", source).out.strip() == "2"
        assert MemoryStore.load(str(state)).ticket("2").fields["CI Source Ticket"] == [source]  # on disk
        monkeypatch.setenv("MEMORY_TOKEN", "wrong")
        refused = run_cli("--config", config, "register")
        assert refused.code == 3 and "memory host rejected the credentials" in refused.err and "wrong" not in refused.err
    finally:
        forget(store)
