"""Which ticket a verified event names, per host type; anything else names none."""

import pytest

from ci_plugin.ops.serve_events import ticket_of


@pytest.mark.parametrize("host_type, document, ticket", [
    ("rt", {"type": "ticket.flagged", "data": {"ticket": "42", "queue": "General"}}, "42"),
    ("memory", {"type": "ticket.flagged", "data": {"ticket": 7}}, "7"),
    ("rt", {"type": "ticket.closed", "data": {"ticket": "42"}}, None),
    ("rt", {"type": "ticket.flagged", "data": {"ticket": True}}, None),
    ("rt", {"type": "ticket.flagged", "data": {"ticket": "x" * 65}}, None),
    ("rt", {"type": "ticket.flagged", "data": {"ticket": "4\n2"}}, None),
    ("rt", ["ticket.flagged"], None),
    ("redmine", {"payload": {"action": "updated", "issue": {"id": 12}}}, "12"),
    ("redmine", {"type": "ticket.flagged", "data": {"ticket": "13"}}, "13"),
    ("jira", {"webhookEvent": "jira:issue_updated", "issue": {"id": "10007", "key": "SUP-7"}}, "10007"),
    ("jira", {"issue": {"key": "SUP-7"}}, "SUP-7"),
    ("jira", {"webhookEvent": "comment_created"}, None),
    ("zammad", {"ticket": {"id": 5, "title": "x"}}, "5"),
    ("zammad", {"article": {}}, None),
    ("a-plugin-host", {"type": "ticket.flagged", "data": {"ticket": "9"}}, "9"),
])
def test_the_ticket_an_event_names(host_type, document, ticket):
    assert ticket_of(host_type, document) == ticket
