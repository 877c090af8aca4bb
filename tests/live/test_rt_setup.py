"""setup and doctor against the live RT."""

import json
import uuid

import pytest

pytestmark = pytest.mark.live


def test_setup_twice_changes_nothing_and_doctor_is_green(rt, run_cli):
    first = run_cli("--config", rt.config_path, "setup", "--json")
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert report["complete"] is True
    assert {c["action"] for c in report["changes"]} == {"unchanged"}
    assert any(c["what"] == "custom field CI Source Ticket" for c in report["changes"])

    doctor = run_cli("--config", rt.config_path, "doctor", "--json")
    assert doctor.code == 0, doctor.err
    checks = {c["check"]: c["ok"] for c in json.loads(doctor.out)}
    assert checks["connection and credentials"] and checks["lifecycle ci-improvement"]
    assert checks["custom field Improvement candidate"] and checks["queue Improvements"]
    assert all(checks.values())


def test_setup_creates_a_missing_register_queue_and_asks_for_the_lifecycle(rt, run_cli):
    name = f"CIR-{uuid.uuid4().hex[:6]}"
    lifecycle = f"cir-{uuid.uuid4().hex[:6]}"
    rt.configure(f'[rt]\nqueue = "{name}"\nlifecycle = "{lifecycle}"\n')
    result = run_cli("--config", rt.config_path, "setup")
    assert result.code == 6
    assert f"created   queue {name}" in result.out
    assert "MANUAL STEP: RT lifecycle" in result.out
    assert f"'{lifecycle}' => {{" in result.out  # the exact snippet to install
    assert result.err.startswith("ci-plugin: setup incomplete:")
    assert f"lifecycle {lifecycle}" in result.err
    assert rt.register.host.queue(name)["Lifecycle"] == "default"

    doctor = run_cli("--config", rt.config_path, "doctor")
    assert doctor.code == 6
    assert f"MISSING lifecycle {lifecycle}" in doctor.out
    assert doctor.err.strip().startswith("ci-plugin: doctor: missing:")
    # The fields exist but are not applied to the new queue: doctor says so, and how to fix it.
    assert "custom field CI Category: not applied to queue " + name in doctor.out

    again = run_cli("--config", rt.config_path, "setup")
    assert again.code == 6 and "created" not in again.out


def test_print_provisioning_is_the_lifecycle_snippet_alone(rt, run_cli):
    result = run_cli("--config", rt.config_path, "setup", "--print-provisioning")
    assert result.code == 0
    assert result.out.startswith("# ci-plugin: lifecycle")
    assert "'measuring' => ['closed', 'in-progress', 'on-hold', 'deleted']" in result.out
    assert result.out.rstrip().endswith("1;")


def test_doctor_names_a_missing_queue(rt, run_cli):
    rt.configure('[rt]\nproblem_queue = "No Such Problems"\n')
    result = run_cli("--config", rt.config_path, "doctor")
    assert result.code == 6
    assert "MISSING queue No Such Problems: missing: run `ci-plugin setup`" in result.out
