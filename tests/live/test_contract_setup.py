"""Contract: setup and doctor, on every live host."""

import json

import pytest

pytestmark = pytest.mark.live


def test_setup_twice_changes_nothing_and_doctor_is_green(host, run_cli):
    first = run_cli("--config", host.config_path, "setup", "--json")
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert report["complete"] is True and report["missing"] == []
    assert {c["action"] for c in report["changes"]} == {"unchanged"}

    doctor = run_cli("--config", host.config_path, "doctor", "--json")
    assert doctor.code == 0, doctor.err
    checks = {c["check"]: c["ok"] for c in json.loads(doctor.out)}
    assert checks["connection and credentials"] is True
    assert any("CI Source Ticket" in name for name in checks)
    assert any("Improvement candidate" in name for name in checks)
    assert all(checks.values())


def test_print_provisioning_prints_only_the_manual_step(host, run_cli):
    result = run_cli("--config", host.config_path, "setup", "--print-provisioning")
    assert result.code == 0 and result.err == ""
    step = host.register.host.manual_steps()[0]
    assert result.out == step.content.rstrip("\n") + "\n"
