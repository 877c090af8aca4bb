"""Contract: ``evidence`` reads an improvement's source tickets from the host in batches and
its figures match what this test computes from the same tickets, read straight from the host:
count, period, requestors, time to resolve (two tickets resolved on the host), breaches and a
reopen (a ticket resolved and opened again). The Zammad example refuses in one line."""

import json
from datetime import datetime, timezone
from statistics import median

import pytest

pytestmark = pytest.mark.live


def _time(text):
    if not text or str(text) in ("None",) or str(text).startswith("1970"):
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(timezone.utc)


def reopen(host, ticket_id: str) -> None:
    """Put a resolved ticket back into an active/open status, as an agent reopening it does."""
    if host.name == "rt":
        host.session.request("PUT", f"ticket/{ticket_id}", json={"Status": "open"})
    elif host.name == "redmine":
        statuses = host.session.request("GET", "issue_statuses.json").json()["issue_statuses"]
        opened = next(s["id"] for s in statuses if not s.get("is_closed"))
        host.session.request("PUT", f"issues/{ticket_id}.json", json={"issue": {"status_id": opened}})
    elif host.name in ("servicenow", "jira"):
        host.reopen(ticket_id)
    else:
        host.store.set_status(str(ticket_id), "open")


def created_resolved(host, ticket_id: str) -> tuple[datetime, datetime | None]:
    """Creation and resolution time straight from the host's own record."""
    raw = host.raw(ticket_id)
    if host.name == "rt":
        return _time(raw["Created"]), _time(raw["Resolved"])
    if host.name == "redmine":
        return _time(raw["created_on"]), _time(raw["closed_on"])
    if host.name == "servicenow":
        return host.created_resolved(ticket_id)
    if host.name == "jira":
        return _time(raw["fields"]["created"]), _time(raw["fields"]["resolutiondate"])
    return _time(raw.created), _time(raw.resolved)


def test_evidence_figures_match_the_tickets_on_the_host(host, run_cli):
    config = ("--config", host.config_path)
    sources = [host.ticket(f"VPN drops after sleep {n}") for n in range(4)]
    made = run_cli(*config, "convert", *sources, "--category", "technology")
    assert made.code == 0, made.err
    imp = made.out.strip()
    if host.name == "zammad":
        refused = run_cli(*config, "evidence", imp, "--json")
        assert refused.code == 2 and refused.out == "" and refused.err.count("\n") == 1
        assert "ticket_facts" in refused.err
        return
    host.resolve(sources[0])
    host.resolve(sources[1])
    host.resolve(sources[2])
    reopen(host, sources[2])
    result = run_cli(*config, "evidence", imp, "--json")
    assert result.code == 0, result.err
    found = json.loads(result.out)
    times = {s: created_resolved(host, s) for s in sources}
    created = sorted(c for c, _ in times.values())
    durations = [(times[s][1] - times[s][0]).total_seconds() / 3600 for s in sources[:2]]
    assert found["count"] == 4 and sorted(found["ticket_ids"], key=int) == sorted(sources, key=int)
    # evidence prints times to the second; Jira keeps milliseconds
    assert _time(found["first_created"]) == created[0].replace(microsecond=0)
    assert _time(found["last_created"]) == created[-1].replace(microsecond=0)
    assert found["period_days"] == 1  # created within seconds: a period counts at least one day
    assert found["requestors"] == 1 and found["requestors_per_quarter"] == 1  # all made by the test's API user
    assert found["resolved"] == 2  # the reopened one is open again
    assert found["total_resolve_hours"] == pytest.approx(sum(durations), abs=0.01)
    assert found["median_resolve_hours"] == pytest.approx(median(durations), abs=0.01)
    assert found["breached"] == 0 and found["reopened"] == 1
    text = run_cli(*config, "evidence", imp)
    assert text.code == 0 and "4 source ticket(s)" in text.out and "reopened            1" in text.out


def test_evidence_refuses_an_improvement_without_sources(host, run_cli):
    config = ("--config", host.config_path)
    made = run_cli(*config, "convert", host.ticket("Printer toner runs out"), "--category", "process")
    assert made.code == 0, made.err
    other = run_cli(*config, "evidence", "999999999")
    assert other.code == 4 and other.out == "" and other.err.count("\n") == 1


def test_evidence_takes_in_the_tickets_linked_to_its_problem_records(host, run_cli):
    config = ("--config", host.config_path)
    problem = host.ticket("VPN concentrator overload", kind="problem")
    linked = [host.ticket(f"VPN tunnel resets {n}") for n in range(2)]
    for incident in linked:
        host.add_dependency(incident, problem)  # a problem manager tied the incident to the problem
    first = host.ticket("VPN drops after sleep, the first report")
    made = run_cli(*config, "convert", first, "--problem", problem, "--category", "technology")
    assert made.code == 0, made.err
    imp = made.out.strip()
    result = run_cli(*config, "evidence", imp, "--json")
    if host.name == "zammad":
        assert result.code == 2 and result.out == "" and "ticket_facts" in result.err
        return
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert found["via_problems"] == sorted(linked, key=lambda i: (len(i), i))
    assert found["count"] == 3 and set(found["ticket_ids"]) == {first, *linked}
    assert problem not in found["ticket_ids"] and imp not in found["ticket_ids"]
    text = run_cli(*config, "evidence", imp)
    assert text.code == 0 and "through its problem records: " + ", ".join(found["via_problems"]) in text.out
