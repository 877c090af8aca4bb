"""One register across hosts, live: the live RT and the live Redmine in one ``[[hosts]]``
configuration, through the CLI in-process.

``register`` shows both hosts' improvements with ids prefixed by the host name; ``convert``,
``link`` and ``transition`` on ``redmine:N`` land on Redmine, and RT's ticket with the same
number (ids overlap between hosts) is left as it was.
"""

from __future__ import annotations

import json

import pytest

from ci_plugin.errors import NotFound, PermissionDenied
from tests.live.redmine_harness import RedmineHarness
from tests.live.rt_harness import RTHarness


@pytest.fixture
def rt(rt_base_config, rt_env, tmp_path):
    """The RT harness, in a directory of its own (the two harnesses each write ``ci-plugin.toml``)."""
    (tmp_path / "rt").mkdir()
    return RTHarness(rt_base_config, tmp_path / "rt", rt_env["CI_PLUGIN_RT_URL"])


@pytest.fixture
def redmine(redmine_base_config, redmine_env, tmp_path):
    """The Redmine harness, in a directory of its own."""
    (tmp_path / "redmine").mkdir()
    return RedmineHarness(redmine_base_config, tmp_path / "redmine", redmine_env["CI_PLUGIN_REDMINE_URL"])


@pytest.fixture
def both(rt, redmine, rt_env, redmine_env, tmp_path):
    """The path of a configuration holding the live RT (``rt``) and the live Redmine (``redmine``)."""
    path = tmp_path / "two-hosts.toml"
    path.write_text(
        f'[[hosts]]\nname = "rt"\ntype = "rt"\nurl = "{rt_env["CI_PLUGIN_RT_URL"]}"\n'
        'token_env = "CI_PLUGIN_RT_TOKEN"\nretries = 1\n'
        f'[[hosts]]\nname = "redmine"\ntype = "redmine"\nurl = "{redmine_env["CI_PLUGIN_REDMINE_URL"]}"\n'
        'token_env = "CI_PLUGIN_REDMINE_KEY"\nretries = 1\n', encoding="utf-8")
    return path


def _rt_snapshot(rt, ticket_id: str):
    """What RT holds for ticket ``ticket_id`` that a misrouted command would change (None: no such ticket)."""
    try:
        raw = rt.raw(ticket_id)
    except (NotFound, PermissionDenied):
        return None
    links = sorted((link.get("ref"), str(link.get("id"))) for link in raw.get("_hyperlinks", [])
                   if link.get("type") == "ticket")  # links to tickets; not the actions RT offers
    return raw.get("Status"), links


def test_register_reads_both_hosts_and_routes_by_name(run_cli, rt, redmine, both):
    rt_ticket, redmine_ticket = rt.ticket("Printer queue stalls"), redmine.ticket("VPN drops at noon")
    made = {}
    for host, ticket in (("rt", rt_ticket), ("redmine", redmine_ticket)):
        run = run_cli("--config", both, "convert", f"{host}:{ticket}")
        assert run.code == 0, run.err
        name, _, bare = run.out.strip().partition(":")
        assert name == host
        made[host] = bare
    assert rt.improvements_for(rt_ticket) == [made["rt"]]
    assert redmine.improvements_for(redmine_ticket) == [made["redmine"]]

    listed = run_cli("--config", both, "register", "--json")
    assert listed.code == 0, listed.err
    ids = [row["id"] for row in json.loads(listed.out)]
    assert f"rt:{made['rt']}" in ids and f"redmine:{made['redmine']}" in ids
    assert all(i.split(":")[0] in ("rt", "redmine") for i in ids)

    bare = run_cli("--config", both, "show", made["redmine"])
    assert bare.code == 2 and "several hosts are configured (rt, redmine)" in bare.err


def test_link_and_transition_on_redmine_land_on_redmine_not_rt(run_cli, rt, redmine, both):
    source = redmine.ticket("Mail delayed")
    converted = run_cli("--config", both, "convert", f"redmine:{source}")
    assert converted.code == 0, converted.err
    improvement = converted.out.strip().removeprefix("redmine:")
    problem = redmine.ticket("Mail relay saturated", kind="problem")
    rt_before = _rt_snapshot(rt, improvement)

    linked = run_cli("--config", both, "link", f"redmine:{improvement}", "--problem", f"redmine:{problem}")
    assert linked.code == 0, linked.err
    assert redmine.linked(improvement, "problems") == [problem]

    moved = run_cli("--config", both, "--json", "transition", f"redmine:{improvement}", "assessing")
    assert moved.code == 0, moved.err
    record = json.loads(moved.out)
    assert record["id"] == f"redmine:{improvement}" and record["state"] == "assessing"
    assert redmine.status(improvement) == redmine.register.states.host_status("assessing")
    assert _rt_snapshot(rt, improvement) == rt_before  # RT's ticket of the same number is untouched
