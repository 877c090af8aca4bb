"""Contract: ``propose`` finds a recurring cluster on the live RT and Redmine, leaves noise and a
cluster already covered by an improvement alone, ``--create`` makes one improvement with seven
incident sources, and a second run proposes nothing.

The hosts are shared with tests running at the same time, so this test scopes its desk: on RT
a queue of its own, made the only candidate queue of its config; on Redmine an issue category
of its own in the helpdesk project (the grouping key; issues without a category are in no
group); on the fake Jira a component of its own in the service desk project. Subjects carry a letters-only token (digits are stripped from subjects before grouping).
The Zammad example refuses ``propose`` in one line."""

import json
from datetime import datetime, timezone

import pytest

pytestmark = pytest.mark.live

VPN = "VPN drops after sleep on laptop {n} ticket #{m}"
COVERED = "Mail server rejects attachments from {n}"
NOISE = ["Printer out of toner on floor {n}", "Password reset for account {n}", "VPN client slow"]


def letters(tag: str) -> str:
    return "".join(chr(ord("a") + int(c, 16)) for c in tag)


def scope(harness, name: str):
    """A key only this test's tickets have, and a function making a ticket under it."""
    word = letters(harness.tag)
    if name == "rt":
        queue = f"Recurring {word}"
        harness.session.request("POST", "queue", json={"Name": queue})
        harness.configure(f'[rt]\ncandidate_queues = ["{queue}"]\n')

        def make(subject: str) -> str:
            body = {"Queue": queue, "Subject": f"{subject} {word}", "Content": subject, "ContentType": "text/plain"}
            return str(harness.session.request("POST", "ticket", json=body).json()["id"])
        return queue, make
    if name == "jira":  # a component of its own in the service desk project (Jira's grouping of issues)
        component = f"Recurring {word}"
        harness.session.request("POST", "component", json={"name": component, "project": "ITSM"})

        def make(subject: str) -> str:
            fields = {"project": {"key": "ITSM"}, "issuetype": {"name": "Incident"}, "summary": f"{subject} {word}",
                      "components": [{"name": component}]}
            return str(harness.session.request("POST", "issue", json={"fields": fields}).json()["id"])
        return component, make
    category = f"Recurring {word}"
    answer = harness.session.request("POST", f"projects/{harness.helpdesk()}/issue_categories.json",
                                     json={"issue_category": {"name": category}}).json()
    category_id = answer["issue_category"]["id"]
    tracker_id = harness.tracker_id("Bug")

    def make(subject: str) -> str:
        issue = {"project_id": harness.helpdesk(), "tracker_id": tracker_id, "category_id": category_id,
                 "subject": f"{subject} {word}", "description": subject}
        return str(harness.session.request("POST", "issues.json", json={"issue": issue}).json()["issue"]["id"])
    return category, make


@pytest.mark.parametrize("name", ["rt", "redmine", "jira"])
def test_propose_finds_the_uncovered_cluster_creates_it_once(name, request, run_cli):
    harness = request.getfixturevalue(name)
    key, make = scope(harness, name)
    vpn = [make(VPN.format(n=100 + i * 7, m=4000 + i)) for i in range(7)]
    covered = [make(COVERED.format(n=f"host-{i}")) for i in range(5)]
    noise = [make(subject.format(n=i)) for i, subject in enumerate(NOISE)]
    config = ("--config", str(harness.config_path))
    first = run_cli(*config, "convert", covered[2])
    assert first.code == 0, first.err
    today = datetime.now(timezone.utc).date().isoformat()

    found = run_cli(*config, "propose", "--since", today, "--min-count", "5", "--json")
    assert found.code == 0, found.err
    document = json.loads(found.out)
    mine = [p for p in document["proposals"] if p["key"] == key]
    assert [(p["count"], p["tickets"]) for p in mine] == [(7, vpn)]
    ours = set(vpn + covered + noise)
    assert all(not ours & set(p["tickets"]) for p in document["proposals"] if p["key"] != key)
    assert mine[0]["first_seen"] <= mine[0]["last_seen"] and mine[0]["improvement"] is None

    made = run_cli(*config, "propose", "--since", today, "--min-count", "5", "--create", "--json")
    assert made.code == 0, made.err
    (proposal,) = [p for p in json.loads(made.out)["proposals"] if p["key"] == key]
    improvement = harness.register.get(proposal["improvement"])
    assert sorted(improvement.get("source_tickets"), key=int) == vpn and improvement.get("source") == "incident"
    assert all(harness.improvements_for(t) == [improvement.id] for t in vpn)
    assert not any(harness.improvements_for(t) for t in noise)

    again = run_cli(*config, "propose", "--since", today, "--min-count", "5", "--create", "--json")
    assert again.code == 0, again.err
    assert [p for p in json.loads(again.out)["proposals"] if p["key"] == key] == []
    assert all(harness.improvements_for(t) == [improvement.id] for t in vpn)


@pytest.mark.parametrize("name", ["rt", "redmine", "jira"])
@pytest.mark.parametrize("argv, words", [(["--min-count", "-1"], "--min-count"), (["--since", "2999-01-01"], "future")])
def test_propose_refuses_bad_input_in_one_line_writing_nothing(name, argv, words, request, run_cli):
    harness = request.getfixturevalue(name)
    result = run_cli("--config", str(harness.config_path), "propose", "--create", *argv)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1 and words in result.err


def test_the_zammad_example_refuses_propose_naming_what_it_lacks(zammad, run_cli):
    result = run_cli("--config", str(zammad.config_path), "propose", "--json")
    assert result.code != 0 and result.out == "" and result.err.count("\n") == 1
    assert "candidate_occurrences" in result.err
