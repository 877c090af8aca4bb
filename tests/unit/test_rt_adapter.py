"""RT adapter pieces that need no server: refusal detection, the lifecycle snippet, value checks."""

import subprocess

import pytest
import responses

from ci_plugin import config
from ci_plugin.errors import HostRefused, UsageError
from ci_plugin.hosts.rt import lifecycle
from ci_plugin.hosts.rt.adapter import RTAdapter, refusals
from ci_plugin.domain.workflow import StateMap

URL = "http://rt.example"


def adapter(extra=""):
    cfg = config.parse(f'[host]\ntype = "rt"\nurl = "{URL}"\ntoken = "tok"\nretries = 0\n{extra}')
    return RTAdapter(cfg)


@pytest.mark.parametrize("message,refused", [
    ("Ticket 7: You can't change status from 'new' to 'closed'.", True),
    ("Ticket 7: Status 'open' isn't a valid status for this ticket.", True),
    ("Could not add a new value to custom field 'CI Rank': Input must match [Integer]", True),
    ("Ticket 7: That ticket has unresolved dependencies", True),
    ("Ticket 7: Status changed from 'new' to 'assessing'", False),
    ("CI Score 4 added", False),
    ("CI Rank 2 changed to 3", False),
    ("Link already exists", False),
])
def test_refusals_are_told_apart_from_successes(message, refused):
    assert refusals([message]) == ([message.removeprefix("Ticket 7: ")] if refused else [])


@responses.activate(assert_all_requests_are_fired=True)
def test_a_refusal_inside_http_200_raises_with_rts_words():
    responses.put(f"{URL}/REST/2.0/ticket/7", json=["Ticket 7: You can't change status from 'new' to 'closed'."])
    with pytest.raises(HostRefused) as caught:
        adapter().set_status("7", "closed")
    assert str(caught.value) == "RT refused status 'closed' on ticket 7: You can't change status from 'new' to 'closed'."
    assert caught.value.messages == ["You can't change status from 'new' to 'closed'."]


@responses.activate(assert_all_requests_are_fired=True)
def test_a_partial_refusal_in_a_field_update_is_not_success():
    responses.put(f"{URL}/REST/2.0/ticket/7", json=[
        "CI Score 4 added", "Could not add a new value to custom field 'CI Rank': Input must match [Integer]"])
    with pytest.raises(HostRefused, match="Input must match"):
        adapter().update_fields("7", {"score": "4", "rank": "2"})


def test_values_rt_would_drop_silently_are_refused_before_sending():
    with pytest.raises(UsageError, match="score: 'abc' is not a valid value for RT field 'CI Score'"):
        adapter()._encode_cfs({"score": "abc"})
    with pytest.raises(UsageError, match="category"):
        adapter()._encode_cfs({"category": "finance"})
    assert adapter()._encode_cfs({"source_tickets": ["4", "5"], "rank": "3"}) == {
        "CI Source Ticket": ["4", "5"], "CI Rank": "3"}


def test_the_lifecycle_snippet_is_valid_perl_with_the_configured_status_names(tmp_path):
    states = StateMap({"in-progress": "doing", "closed": "done"})
    text = lifecycle.render("my-cir", states)
    snippet = tmp_path / "snippet.pm"
    snippet.write_text("sub Set { 1 }\n" + text)
    subprocess.run(["perl", "-c", str(snippet)], check=True, capture_output=True)
    assert "'my-cir' => {" in text
    assert "'planned' => ['doing', 'approved', 'on-hold', 'deleted']," in text
    assert "'measuring' => ['done', 'doing', 'on-hold', 'deleted']," in text
    assert "inactive => ['done', 'rejected', 'deleted']" in text
    assert "'default -> my-cir' => {" in text


def test_a_deleted_custom_field_value_reads_as_unset():
    data = {"id": 9, "Subject": "s", "Status": "new", "Queue": {"id": "3"},
            "CustomFields": [{"name": "CI Rank", "values": [None]}, {"name": "CI Source Ticket", "values": [None, "4"]}]}
    ticket = adapter()._to_ticket(data)
    assert ticket.fields == {"rank": "", "source_tickets": ["4"]}
