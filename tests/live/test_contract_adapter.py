"""Contract: the adapter interface itself (``ci_plugin.hosts.base.HostAdapter``), call by call.

The other contract tests go through the commands; these call the adapter directly, the way a
plugin author's adapter is exercised, and check every answer against the host's raw data.
"""

import pytest

from ci_plugin.errors import CIPluginError, HostRefused, NotFound

pytestmark = pytest.mark.live


def create(host, source, **fields):
    values = {"source": "incident", "source_tickets": [source], **fields}
    return host.register.host.create_improvement(f"Cut password reset time [{host.tag}]",
                                                 "Half of all calls are password resets.", values,
                                                 {"sources": [source]})


def test_create_then_read_gives_back_every_value_as_sent(host):
    adapter = host.register.host
    source = host.ticket("Password resets flood the desk")
    imp = create(host, source, category="service", size="M", target_date="2027-03-31", score="42.5")
    ticket = adapter.get_ticket(imp, links=True)
    assert adapter.in_register(ticket) and not adapter.in_register(adapter.get_ticket(source))
    assert ticket.title == f"Cut password reset time [{host.tag}]"
    assert "Half of all calls are password resets." in ticket.description
    assert {k: ticket.fields[k] for k in ("category", "size", "target_date", "source", "source_tickets")} == {
        "category": "service", "size": "M", "target_date": "2027-03-31", "source": "incident", "source_tickets": [source]}
    assert float(ticket.fields["score"]) == 42.5
    assert ticket.links == {"sources": [source]}
    assert host.field(imp, "category") == ["service"] and host.field(imp, "source_tickets") == [source]
    assert adapter.ticket_url(imp).endswith(imp) and adapter.ticket_url(imp).startswith(host.url.split("/REST")[0])


def test_update_changes_sets_and_clears_fields(host):
    adapter = host.register.host
    imp = create(host, host.ticket("Printers jam weekly"), category="service", target_date="2027-01-15")
    adapter.update_fields(imp, {"category": "process", "size": "L", "target_date": ""})
    fields = adapter.get_ticket(imp).fields
    assert (fields["category"], fields["size"], fields["target_date"]) == ("process", "L", "")
    assert host.field(imp, "category") == ["process"] and host.field(imp, "target_date") == []


def test_a_value_the_host_refuses_raises_and_changes_nothing(host):
    adapter = host.register.host
    imp = create(host, host.ticket("Wi-Fi drops in building B"), category="service")
    with pytest.raises(CIPluginError) as refused:
        adapter.update_fields(imp, {"category": "not-a-category"})
    assert refused.value.exit_code in (2, 5) and "not-a-category" in str(refused.value)
    assert host.field(imp, "category") == ["service"]


def test_links_read_the_same_from_both_ends(host):
    adapter = host.register.host
    source = host.ticket("Onboarding takes two weeks")
    problem = host.ticket("Known error: account template broken", kind="problem")
    imp = create(host, source)
    adapter.add_links(imp, "problems", [problem])
    adapter.add_links(imp, "problems", [problem])  # linking again is a no-op, not an error
    assert adapter.get_ticket(imp, links=True).links == {"sources": [source], "problems": [problem]}
    assert adapter.get_ticket(problem, links=True).links.get("improvements") == [imp]
    assert adapter.get_ticket(source, links=True).links.get("improvements") == [imp]
    assert host.linked(imp, "problems") == [problem]


def test_a_link_to_a_missing_record_is_refused_with_the_hosts_words(host):
    adapter = host.register.host
    imp = create(host, host.ticket("Licence renewals missed"))
    with pytest.raises((HostRefused, NotFound)):
        adapter.add_links(imp, "problems", ["999999"])
    assert host.linked(imp, "problems") == []


def test_status_changes_and_comments_reach_the_host(host):
    adapter = host.register.host
    states = host.register.states
    imp = create(host, host.ticket("Change calendar is ignored"))
    # the state, not the spelling: a Redmine desk provisioned before the stock mapping says "new", not "New"
    assert states.state(adapter.get_ticket(imp).status) == "new"
    adapter.set_status(imp, states.host_status("assessing"))
    assert host.status(imp) == states.host_status("assessing")
    adapter.comment(imp, f"Assessment started [{host.tag}]")
    assert any(f"Assessment started [{host.tag}]" in c for c in host.comments(imp))


def test_the_idempotency_query_finds_an_improvement_by_any_of_its_sources(host):
    adapter = host.register.host
    first, second, other = (host.ticket(f"Duplicate alerts {n}") for n in range(3))
    imp = create(host, first)
    adapter.update_fields(imp, {"source_tickets": [first, second]})
    assert adapter.improvements_from_source(first) == [imp]
    assert adapter.improvements_from_source(second) == [imp]
    assert adapter.improvements_from_source(other) == []


def test_reading_a_missing_ticket_is_not_found(host):
    with pytest.raises(NotFound, match="999999"):
        host.register.host.get_ticket("999999")
