"""Redmine adapter quirks, without a server: payloads are shaped as Redmine 5.0 answers them
(captured from the live Debian Redmine 5.0.4 of the test suite)."""

import copy

import pytest
import responses
from responses import matchers

from ci_plugin import config
from ci_plugin.errors import HostRefused, NotProvisionedError, UsageError
from ci_plugin.hosts.redmine import adapter as adapter_module
from ci_plugin.hosts.redmine.adapter import RedmineAdapter, decode_ids, encode_ids

URL = "http://redmine.example"


def adapter(extra=""):
    cfg = config.parse(f'[host]\ntype = "redmine"\nurl = "{URL}"\ntoken = "k3y"\nretries = 0\n{extra}')
    return RedmineAdapter(cfg)


def status(id_, name, closed=False):
    return {"id": id_, "name": name, "is_closed": closed}


STATUSES = [status(1, "New"), status(5, "Closed", True), status(7, "new"), status(8, "assessing"),
            status(10, "rejected", True), status(14, "on-hold"), status(15, "closed", True)]
TRACKERS = [
    {"id": 1, "name": "Bug", "default_status": {"id": 1, "name": "New"}, "description": None,
     "enabled_standard_fields": ["assigned_to_id", "category_id", "description"]},
    {"id": 4, "name": "Improvement", "default_status": {"id": 7, "name": "new"},
     "description": "Continual improvement register (ci-plugin)", "enabled_standard_fields": ["assigned_to_id"]},
    {"id": 5, "name": "Problem", "default_status": {"id": 1, "name": "New"}, "description": None,
     "enabled_standard_fields": ["assigned_to_id"]},
]
PROJECT = {"id": 1, "name": "Improvements", "identifier": "improvements", "description": "Continual improvement register (ci-plugin)",
           "homepage": "", "status": 1, "is_public": False, "inherit_members": False,
           "trackers": [{"id": 4, "name": "Improvement"}],
           "enabled_modules": [{"id": 1, "name": "issue_tracking"}, {"id": 6, "name": "wiki"}],
           "created_on": "2026-11-24T16:57:37Z", "updated_on": "2026-11-24T16:57:37Z"}


def cf(id_, name, fmt, trackers, values=None, regexp=""):
    field = {"id": id_, "name": name, "customized_type": "issue", "field_format": fmt, "regexp": regexp,
             "min_length": None, "max_length": None, "is_required": False, "is_filter": True, "searchable": False,
             "multiple": False, "default_value": None, "visible": True,
             "trackers": [{"id": t, "name": n} for t, n in trackers], "roles": []}
    if values is not None:
        field["possible_values"] = [{"value": v, "label": v} for v in values]
    return field


IMP = [(4, "Improvement")]
CUSTOM_FIELDS = [
    cf(1, "CI Category", "list", IMP, ["service", "process", "practice", "technology", "people"]),
    cf(2, "CI Source", "list", IMP, ["incident", "problem", "request", "change", "audit", "survey", "idea", "review", "other"]),
    cf(3, "CI Source Ticket", "string", IMP, regexp="^,(\\d+,)+$"),
    cf(8, "CI Rank", "int", IMP),
    cf(16, "Improvement candidate", "list", [(1, "Bug")], ["yes", "converted"]),
]


def issue(id_, *, tracker=(4, "Improvement"), st=(7, "new"), subject="Cut handover time", custom=None, relations=None):
    """An issue as GET /issues/ID.json answers it."""
    data = {
        "id": id_, "project": {"id": 1, "name": "Improvements"}, "tracker": {"id": tracker[0], "name": tracker[1]},
        "status": {"id": st[0], "name": st[1], "is_closed": False}, "priority": {"id": 2, "name": "Normal"},
        "author": {"id": 1, "name": "Redmine Admin"}, "subject": subject,
        "description": "Converted from ticket #11\r\n\r\nUsers wait.", "start_date": "2026-11-24", "due_date": None,
        "done_ratio": 0, "is_private": False, "estimated_hours": None, "total_estimated_hours": None,
        "spent_hours": 0.0, "total_spent_hours": 0.0,
        "custom_fields": [{"id": f["id"], "name": f["name"], "value": (custom or {}).get(f["name"])}
                          for f in CUSTOM_FIELDS if f["name"] != "Improvement candidate"],
        "created_on": "2026-11-24T16:59:43Z", "updated_on": "2026-11-24T16:59:43Z", "closed_on": None,
    }
    if relations is not None:
        data["relations"] = relations
    return data


def relation(id_, from_, to, kind="relates"):
    return {"id": id_, "issue_id": from_, "issue_to_id": to, "relation_type": kind, "delay": None}


def metadata(*, statuses=False, trackers=True, project=True, custom_fields=True):
    if statuses:
        responses.get(f"{URL}/issue_statuses.json", json={"issue_statuses": STATUSES})
    if trackers:
        responses.get(f"{URL}/trackers.json", json={"trackers": TRACKERS})
    if project:
        responses.get(f"{URL}/projects/improvements.json", json={"project": PROJECT},
                      match=[matchers.query_param_matcher({"include": "trackers,enabled_modules"})])
    if custom_fields:
        responses.get(f"{URL}/custom_fields.json", json={"custom_fields": CUSTOM_FIELDS})


# --- status changes: a silent 204 --------------------------------------------------------------


@responses.activate(assert_all_requests_are_fired=True)
def test_a_status_change_redmine_drops_silently_is_a_refusal_naming_from_and_to():
    metadata(statuses=True, trackers=True, project=False, custom_fields=False)  # an earlier desk: "closed"
    responses.put(f"{URL}/issues/84.json", status=204, body="",
                  match=[matchers.json_params_matcher({"issue": {"status_id": 15}}),
                         matchers.header_matcher({"X-Redmine-API-Key": "k3y", "Content-Type": "application/json"})])
    after = issue(84)
    after["allowed_statuses"] = [status(7, "new"), status(8, "assessing"), status(10, "rejected", True), status(14, "on-hold")]
    responses.get(f"{URL}/issues/84.json", json={"issue": after},
                  match=[matchers.query_param_matcher({"include": "allowed_statuses"})])
    with pytest.raises(HostRefused) as caught:
        adapter().set_status("84", "closed")
    assert str(caught.value) == ("Redmine refused status 'closed' on issue 84: the workflow of tracker 'Improvement' "
                                 "does not allow 'new' -> 'closed' (allowed from 'new': assessing, rejected, on-hold)")
    assert caught.value.messages == ["the workflow of tracker 'Improvement' does not allow 'new' -> 'closed'"]


@responses.activate(assert_all_requests_are_fired=True)
def test_on_a_desk_provisioned_with_stock_names_closing_takes_redmines_Closed():
    fresh = copy.deepcopy(TRACKERS)
    fresh[1]["default_status"] = {"id": 1, "name": "New"}
    responses.get(f"{URL}/trackers.json", json={"trackers": fresh})
    responses.get(f"{URL}/issue_statuses.json", json={"issue_statuses": STATUSES})
    responses.put(f"{URL}/issues/84.json", status=204, body="",
                  match=[matchers.json_params_matcher({"issue": {"status_id": 5}})])  # "Closed", not "closed" (15)
    responses.get(f"{URL}/issues/84.json", json={"issue": issue(84, st=(5, "Closed"))})
    adapter().set_status("84", "Closed")


@responses.activate(assert_all_requests_are_fired=True)
def test_on_an_earlier_desk_closing_takes_the_lowercase_closed_it_was_given():
    metadata(statuses=True, trackers=True, project=False, custom_fields=False)  # Improvement starts in "new"
    responses.put(f"{URL}/issues/84.json", status=204, body="",
                  match=[matchers.json_params_matcher({"issue": {"status_id": 15}})])
    responses.get(f"{URL}/issues/84.json", json={"issue": issue(84, st=(15, "closed"))})
    adapter().set_status("84", "Closed")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_status_change_redmine_made_is_success():
    metadata(statuses=True, trackers=False, project=False, custom_fields=False)
    responses.put(f"{URL}/issues/84.json", status=204, body="",
                  match=[matchers.json_params_matcher({"issue": {"status_id": 8}})])
    responses.get(f"{URL}/issues/84.json", json={"issue": issue(84, st=(8, "assessing"))})
    adapter().set_status("84", "assessing")


@responses.activate(assert_all_requests_are_fired=True)
def test_statuses_are_matched_exactly_so_redmines_New_is_not_the_registers_new_on_an_earlier_desk():
    metadata(statuses=False, project=False, custom_fields=False)  # the tracker starts in "new": an earlier desk
    responses.get(f"{URL}/issue_statuses.json", json={"issue_statuses": [status(1, "New")]})
    with pytest.raises(NotProvisionedError, match="status new: missing"):
        adapter().set_status("84", "new")


# --- create: 422, a replaced tracker, a dropped value ---------------------------------------------


@responses.activate(assert_all_requests_are_fired=True)
def test_a_422_on_create_is_a_refusal_with_redmines_words():
    metadata()
    responses.post(f"{URL}/issues.json", status=422,
                   json={"errors": ["Ci rank is not a number"]})
    with pytest.raises(HostRefused) as caught:
        adapter().create_improvement("Faster triage", "text", {"category": "service", "rank": "x"}, {})
    assert str(caught.value) == "Redmine refused POST issues.json (HTTP 422): Ci rank is not a number"
    assert caught.value.status == 422


@responses.activate(assert_all_requests_are_fired=True)
def test_a_value_outside_a_list_field_is_refused_before_sending_naming_the_value():
    metadata()
    with pytest.raises(UsageError) as caught:
        adapter().create_improvement("Faster triage", "text", {"category": "finance"}, {})
    assert str(caught.value) == ("category: 'finance' is not a valid value for Redmine field 'CI Category' "
                                 "(one of: service, process, practice, technology, people)")


@responses.activate(assert_all_requests_are_fired=True)
def test_a_tracker_redmine_replaced_silently_is_refused_and_the_stray_issue_deleted():
    metadata()
    created = issue(90, tracker=(1, "Bug"), st=(1, "New"))
    responses.post(f"{URL}/issues.json", status=201, json={"issue": created},
                   match=[matchers.json_params_matcher({"issue": {
                       "project_id": 1, "tracker_id": 4, "subject": "Faster triage", "description": "text",
                       "custom_fields": [{"id": 2, "value": "incident"}]}})])
    deleted = responses.delete(f"{URL}/issues/90.json", status=204, body="")
    with pytest.raises(HostRefused) as caught:
        adapter().create_improvement("Faster triage", "text", {"source": "incident"}, {})
    assert str(caught.value) == ("Redmine created issue 90 with tracker 'Bug' instead of 'Improvement' (deleted it "
                                 "again): enable the tracker in project improvements")
    assert deleted.call_count == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_a_field_not_enabled_for_the_tracker_is_refused_before_sending():
    metadata(trackers=False, project=False)
    with pytest.raises(NotProvisionedError) as caught:
        adapter().update_fields("84", {"candidate": "yes"})  # only enabled for Bug
    assert caught.value.missing == ["custom field Improvement candidate: not enabled for tracker Improvement "
                                    "(Redmine would drop the value silently)"]


# --- lists: every page ------------------------------------------------------------------------


@responses.activate(assert_all_requests_are_fired=True)
def test_lists_follow_total_count_over_three_pages(monkeypatch):
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    metadata(custom_fields=False)
    pages = [[issue(20), issue(21, relations=[relation(5, 20, 21, "blocks")])], [issue(22), issue(23)], [issue(24)]]
    for number, items in enumerate(pages):
        responses.get(f"{URL}/issues.json", json={"issues": items, "total_count": 5, "offset": number * 2, "limit": 2},
                      match=[matchers.query_param_matcher({
                          "project_id": "1", "subproject_id": "!*", "tracker_id": "4", "sort": "id",
                          "include": "relations", "status_id": "*", "limit": "2", "offset": str(number * 2)})])
    host = adapter()
    tickets = list(host.list_improvements())
    assert [t.id for t in tickets] == ["20", "21", "22", "23", "24"]
    assert tickets[1].links == {"depends_on": ["20"]}  # 20 blocks 21: no extra request for ranking
    assert host.session.counts["GET"] == 5  # trackers, project, three pages


@responses.activate(assert_all_requests_are_fired=True)
def test_a_status_filter_sends_the_ids_of_every_spelling_of_the_names():
    metadata(statuses=True, custom_fields=False)
    responses.get(f"{URL}/issues.json", json={"issues": [], "total_count": 0, "offset": 0, "limit": 100},
                  match=[matchers.query_param_matcher({
                      "project_id": "1", "subproject_id": "!*", "tracker_id": "4", "sort": "id", "include": "relations",
                      "status_id": "1|7|14", "limit": "100", "offset": "0"})])
    # "New" (stock) and "new" (a desk provisioned before the stock mapping) are the same state
    assert list(adapter().list_improvements(["New", "on-hold", "no such status"])) == []


# --- source tickets: ",11,12," inside, a list outside ---------------------------------------------


def test_ids_encoding():
    assert encode_ids(["11", "12"]) == ",11,12,"
    assert encode_ids([]) == "" and encode_ids("7") == ",7,"
    assert decode_ids(",11,12,") == ["11", "12"]
    assert decode_ids(None) == [] and decode_ids("") == [] and decode_ids(" 3 , 4") == ["3", "4"]


@responses.activate(assert_all_requests_are_fired=True)
def test_source_tickets_round_trip_through_create_read_and_search():
    metadata()
    stored = {"CI Source": "incident", "CI Source Ticket": ",11,12,"}
    responses.post(f"{URL}/issues.json", status=201, json={"issue": issue(84, custom=stored)},
                   match=[matchers.json_params_matcher({"issue": {
                       "project_id": 1, "tracker_id": 4, "subject": "Faster triage", "description": "text",
                       "custom_fields": [{"id": 2, "value": "incident"}, {"id": 3, "value": ",11,12,"}]}})])
    for n, target in ((44, 11), (45, 12)):
        responses.post(f"{URL}/issues/84/relations.json", status=201,
                       json={"relation": relation(n, target, 84)},
                       match=[matchers.json_params_matcher({"relation": {"issue_to_id": target, "relation_type": "relates"}})])
    host = adapter()
    new_id = host.create_improvement("Faster triage", "text", {"source": "incident", "source_tickets": ["11", "12"]},
                                     {"sources": ["11", "12"]})
    assert new_id == "84"

    responses.get(f"{URL}/issues/84.json", json={"issue": issue(84, custom=stored, relations=[
        relation(44, 11, 84), relation(45, 12, 84)])}, match=[matchers.query_param_matcher({"include": "relations"})])
    ticket = host.get_ticket("84", links=True)  # both targets are sources: no tracker look-up
    assert ticket.fields["source_tickets"] == ["11", "12"] and ticket.fields["source"] == "incident"
    assert ticket.links == {"sources": ["11", "12"]}
    assert ticket.description == "Converted from ticket #11\n\nUsers wait."
    assert host.in_register(ticket)

    responses.get(f"{URL}/issues.json", json={"issues": [issue(84, custom=stored)], "total_count": 1, "offset": 0, "limit": 100},
                  match=[matchers.query_param_matcher({
                      "project_id": "1", "subproject_id": "!*", "tracker_id": "4", "sort": "id", "status_id": "*",
                      "cf_3": "~,12,", "limit": "100", "offset": "0"})])
    assert host.improvements_from_source("12") == ["84"]


# --- relations: a duplicate is success ------------------------------------------------------------


@responses.activate(assert_all_requests_are_fired=True)
def test_a_relation_redmine_says_is_taken_is_success():
    responses.post(f"{URL}/issues/84/relations.json", status=422, json={"errors": ["Related issue has already been taken"]})
    adapter().add_links("84", "problems", ["90"])


@responses.activate(assert_all_requests_are_fired=True)
def test_a_relates_stored_the_other_way_round_is_success():
    responses.post(f"{URL}/issues/84/relations.json", status=422,
                   json={"errors": ["This relation would create a circular dependency"]})
    responses.get(f"{URL}/issues/84/relations.json", json={"relations": [relation(47, 83, 84)]})
    adapter().add_links("84", "sources", ["83"])


@responses.activate(assert_all_requests_are_fired=True)
def test_any_other_relation_refusal_carries_redmines_words():
    responses.post(f"{URL}/issues/84/relations.json", status=422,
                   json={"errors": ["Related issue doesn't belong to the same project"]})
    responses.get(f"{URL}/issues/84/relations.json", json={"relations": []})
    with pytest.raises(HostRefused) as caught:
        adapter().add_links("84", "follow_ups", ["91"])
    assert str(caught.value) == ("Redmine refused the follow_ups link 84 -> 91 (copied_to): "
                                 "Related issue doesn't belong to the same project")


@responses.activate(assert_all_requests_are_fired=True)
def test_link_kinds_are_told_apart_by_relation_type_and_target_tracker():
    relations = [relation(1, 11, 84), relation(2, 84, 90), relation(3, 84, 91, "copied_to"), relation(4, 92, 84, "blocks"),
                 relation(5, 84, 93), relation(6, 80, 84, "copied_to")]
    responses.get(f"{URL}/issues/84.json", json={"issue": issue(84, custom={"CI Source Ticket": ",11,"}, relations=relations)})
    targets = [issue(80), issue(90, tracker=(5, "Problem")), issue(91), issue(92), issue(93, tracker=(1, "Bug"))]
    responses.get(f"{URL}/issues.json", json={"issues": targets, "total_count": 5, "offset": 0, "limit": 100},
                  match=[matchers.query_param_matcher({"issue_id": "80,90,91,92,93", "status_id": "*",
                                                       "limit": "100", "offset": "0"})])
    links = adapter().get_ticket("84", links=True).links
    assert links == {"sources": ["11"], "problems": ["90"], "follow_ups": ["91"], "depends_on": ["92"],
                     "related": ["80", "93"]}


# --- doctor and the provisioning script -----------------------------------------------------------


@responses.activate(assert_all_requests_are_fired=True)
def test_check_names_what_is_wrong():
    responses.get(f"{URL}/trackers.json", json={"trackers": TRACKERS})
    responses.get(f"{URL}/issue_statuses.json", json={"issue_statuses": [
        status(7, "new"), status(8, "assessing"), status(10, "rejected")]})  # rejected must be closed
    fields = copy.deepcopy(CUSTOM_FIELDS)
    fields[1]["field_format"] = "string"  # CI Source
    fields[4]["trackers"] = []  # candidate on no tracker
    responses.get(f"{URL}/custom_fields.json", json={"custom_fields": fields})
    responses.get(f"{URL}/projects/improvements.json", status=404, body="")
    anonymous = responses.get(f"{URL}/issues.json", status=200, json={"issues": [], "total_count": 0, "offset": 0, "limit": 1},
                              match=[lambda request: ("X-Redmine-API-Key" not in request.headers, "the key was sent")])
    findings = {f.name: (f.ok, f.detail) for f in adapter().check()}
    assert findings["tracker Improvement"] == (True, "")
    assert findings["tracker Project"] == (False, "missing: run the provisioning script (`ci-plugin setup --print-provisioning`)")
    # the tracker starts in "new": a desk provisioned before the stock mapping keeps its lowercase statuses
    assert findings["status rejected"] == (False, "must be closed (Administration > Issue statuses > rejected)")
    assert findings["status closed"][0] is False and findings["status new"] == (True, "")
    assert findings["custom field CI Source"] == (False, "format is 'string', ci-plugin needs 'list': rename or delete it, "
                                                         "then run the provisioning script")
    assert findings["custom field Improvement candidate"] == (False, "not enabled for tracker Bug")
    assert findings["custom field CI Score"][0] is False
    assert findings["project improvements"] == (False, "missing: run `ci-plugin setup` (or the provisioning script)")
    assert findings["setting login_required"][0] is False  # anonymous got a 200
    assert "HTTP 200" in findings["setting login_required"][1] and anonymous.call_count == 1
