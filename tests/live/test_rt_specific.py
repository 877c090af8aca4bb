"""RT-only behaviour: the lifecycle REST2 cannot create, queues, refusals inside HTTP 200."""

import uuid

import pytest

from ci_plugin.ops.convert import convert
from ci_plugin.errors import HostRefused

pytestmark = pytest.mark.live


def test_setup_creates_a_missing_register_queue_and_asks_for_the_lifecycle(rt, run_cli):
    name, lifecycle = f"CIR-{uuid.uuid4().hex[:6]}", f"cir-{uuid.uuid4().hex[:6]}"
    rt.configure(f'[rt]\nqueue = "{name}"\nlifecycle = "{lifecycle}"\n')
    result = run_cli("--config", rt.config_path, "setup")
    assert result.code == 6
    assert f"created   queue {name}" in result.out
    assert "MANUAL STEP: RT lifecycle" in result.out and f"'{lifecycle}' => {{" in result.out
    assert result.err.startswith("ci-plugin: setup incomplete:") and f"lifecycle {lifecycle}" in result.err
    assert rt.register.host.queue(name)["Lifecycle"] == "default"

    doctor = run_cli("--config", rt.config_path, "doctor")
    assert doctor.code == 6
    assert f"MISSING lifecycle {lifecycle}" in doctor.out
    assert f"custom field CI Category: not applied to queue {name}" in doctor.out
    assert doctor.err.strip().startswith("ci-plugin: doctor: missing:")
    again = run_cli("--config", rt.config_path, "setup")
    assert again.code == 6 and "created" not in again.out


def test_print_provisioning_is_the_lifecycle_snippet(rt, run_cli):
    result = run_cli("--config", rt.config_path, "setup", "--print-provisioning")
    assert result.code == 0 and result.out.startswith("# ci-plugin: lifecycle")
    assert "'measuring' => ['closed', 'in-progress', 'on-hold', 'deleted']" in result.out
    assert result.out.rstrip().endswith("1;")


def test_doctor_names_a_missing_problem_queue(rt, run_cli):
    rt.configure('[rt]\nproblem_queue = "No Such Problems"\n')
    result = run_cli("--config", rt.config_path, "doctor")
    assert result.code == 6 and "MISSING queue No Such Problems: missing: run `ci-plugin setup`" in result.out


def test_rt_refusal_inside_http_200_carries_rts_words(rt):
    created = convert(rt.register, [rt.ticket("Host refusal")]).improvement.id
    with pytest.raises(HostRefused) as caught:
        rt.register.host.set_status(created, "closed")
    assert f"RT refused status 'closed' on ticket {created}: You can't change status from 'new' to 'closed'." \
        == str(caught.value)
    with pytest.raises(HostRefused, match="Status 'open' isn't a valid status for this ticket"):
        rt.register.host.set_status(created, "open")
    assert rt.status(created) == "new"
