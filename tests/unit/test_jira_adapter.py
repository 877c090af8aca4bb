"""Jira adapter without a server: ADF both ways, the transition looked up (never assumed), the
search followed by nextPageToken, Jira's error bodies and rate limits in the one HostSession,
and the OpenAPI checker of the contract suite refusing what Jira does not document."""

import json

import pytest
import responses
from responses import matchers

from ci_plugin import config
from ci_plugin.errors import HostRefused, RateLimited
from ci_plugin.hosts.jira import adapter as adapter_module
from ci_plugin.hosts.jira.adapter import JiraAdapter, find_transition
from ci_plugin.hosts.jira.adf import to_adf, to_text
from tests.fixture_hosts.openapi_check import OpenApiChecker

URL = "https://example.atlassian.net"
API = f"{URL}/rest/api/3"


def adapter(extra=""):
    cfg = config.parse(f'[host]\ntype = "jira"\nurl = "{URL}"\ntoken = "t0ken"\nretries = 1\n\n'
                       f'[jira]\nemail = "ci@example.com"\n{extra}')
    made = JiraAdapter(cfg)
    made.session._sleep = lambda seconds: None
    return made


# --- ADF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "one line", "two\nlines", "blank\n\nline", "trailing\n", "\n", "\n\nlead",
                                  '{"score": 4, "inputs": {"a": 1}}', "État: naïve ☃  spaced  ", "State: new -> assessing\nNote: x"])
def test_the_text_the_plugin_writes_comes_back_unchanged(text):
    document = to_adf(text)
    assert document["type"] == "doc" and document["version"] == 1
    assert all(node["text"] for p in document["content"] for node in p["content"])  # ADF forbids empty text nodes
    assert to_text(document) == text
    assert to_text(json.loads(json.dumps(document))) == text


def test_carriage_returns_are_read_as_line_breaks():
    assert to_text(to_adf("a\r\nb\rc")) == "a\nb\nc"


def test_a_document_an_agent_wrote_reads_as_plain_text():
    document = {"type": "doc", "version": 1, "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Impact"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Ask "}, {"type": "mention", "attrs": {"id": "1", "text": "@Ann"}},
                                          {"type": "hardBreak"}, {"type": "text", "text": "today", "marks": [{"type": "strong"}]}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "first"}]}]}, {"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "second"}]}]}]},
        {"type": "rule"}]}
    assert to_text(document) == "Impact\nAsk @Ann\ntoday\nfirst\nsecond\n---"
    assert to_text(None) == "" and to_text("plain v2 text") == "plain v2 text"


# --- transitions --------------------------------------------------------------------------------

TRANSITIONS = {"transitions": [
    {"id": "11", "name": "assessing", "to": {"id": "3", "name": "rejected"}},  # a misleading name
    {"id": "31", "name": "Start", "to": {"id": "4", "name": "Assessing"}},
]}


def test_the_transition_is_found_by_its_target_status_not_its_name():
    assert find_transition(TRANSITIONS["transitions"], "assessing")["id"] == "31"
    assert find_transition(TRANSITIONS["transitions"], "closed") is None


@responses.activate
def test_set_status_posts_the_transition_looked_up():
    responses.get(f"{API}/issue/10042/transitions", json=TRANSITIONS)
    responses.post(f"{API}/issue/10042/transitions", status=204,
                   match=[matchers.json_params_matcher({"transition": {"id": "31"}})])
    adapter().set_status("10042", "assessing")
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]


@responses.activate
def test_no_transition_from_here_is_a_refusal_naming_both_statuses_and_sends_nothing():
    responses.get(f"{API}/issue/10042/transitions", json=TRANSITIONS)
    responses.get(f"{API}/field", json=[])
    responses.get(f"{API}/issue/10042", json={"id": "10042", "key": "CI-1", "fields": {
        "summary": "x", "status": {"name": "new"}, "issuetype": {"name": "Improvement"}, "project": {"key": "CI"}}})
    with pytest.raises(HostRefused) as refused:
        adapter().set_status("10042", "closed")
    assert "from 'new' to 'closed'" in str(refused.value)
    assert not any(c.request.method == "POST" for c in responses.calls)


# --- search, errors, rate limits --------------------------------------------------------------

@responses.activate
def test_search_follows_next_page_token_to_the_last_page(monkeypatch):
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    responses.get(f"{API}/search/jql", match=[matchers.query_param_matcher({"nextPageToken": "p3"}, strict_match=False)],
                  json={"issues": [{"id": "5"}], "isLast": True})
    responses.get(f"{API}/search/jql", match=[matchers.query_param_matcher({"nextPageToken": "p2"}, strict_match=False)],
                  json={"issues": [{"id": "3"}, {"id": "4"}], "nextPageToken": "p3", "isLast": False})
    responses.get(f"{API}/search/jql", json={"issues": [{"id": "1"}, {"id": "2"}], "nextPageToken": "p2", "isLast": False})
    found = [i["id"] for i in adapter()._search('project = "CI"', ["summary"])]
    assert found == ["1", "2", "3", "4", "5"] and len(responses.calls) == 3
    assert all("maxResults=2" in c.request.url and "fields=summary" in c.request.url for c in responses.calls)


@responses.activate
def test_a_refused_value_names_the_field_not_its_id():
    responses.get(f"{API}/field", json=[{"id": "customfield_10101", "name": "CI Category", "custom": True,
                                         "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select"}}])
    responses.put(f"{API}/issue/10042", status=400, json={"errorMessages": [], "errors": {
        "customfield_10101": "Option value 'magic' is not valid"}})
    with pytest.raises(HostRefused) as refused:
        adapter().update_fields("10042", {"category": "magic"})
    assert "CI Category: Option value 'magic' is not valid" in str(refused.value)
    assert json.loads(responses.calls[-1].request.body) == {"fields": {"customfield_10101": {"value": "magic"}}}


@responses.activate
def test_429_without_retry_after_is_backed_off_then_the_reason_is_named():
    responses.get(f"{API}/myself", status=429, headers={"RateLimit-Reason": "jira-burst-based"},
                  json={"errorMessages": ["Rate limit exceeded."], "errors": {}})
    responses.get(f"{API}/myself", json={"accountId": "a1", "emailAddress": "ci@example.com"})
    responses.get(f"{API}/serverInfo", json={"deploymentType": "Cloud", "version": "1001.0.0"})
    jira = adapter()
    assert jira.about()["user"] == "ci@example.com" and jira.session.counts["GET"] == 3
    responses.get(f"{API}/issue/1", status=429, headers={"RateLimit-Reason": "jira-per-issue-on-write"},
                  json={"errorMessages": ["Rate limit exceeded."], "errors": {}})
    with pytest.raises(RateLimited, match="reason: jira-per-issue-on-write"):
        jira.session.request("GET", "issue/1")


@responses.activate
def test_503_with_retry_after_is_waited_out_even_for_a_write():
    waits = []
    jira = adapter()
    jira.session._sleep = waits.append
    responses.post(f"{API}/issue/1/comment", status=503, headers={"Retry-After": "2"}, json={"errorMessages": ["x"], "errors": {}})
    responses.post(f"{API}/issue/1/comment", status=201, json={"id": "9"})
    jira.comment("1", "Assessment started")
    assert waits == [2.0]
    sent = json.loads(responses.calls[-1].request.body)
    assert sent["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]
    assert to_text(sent["body"]) == "Assessment started"


# --- the OpenAPI checker of the contract suite ------------------------------------------------

@pytest.fixture(scope="module")
def checker():
    return OpenApiChecker()


def test_the_checker_accepts_what_the_adapter_sends(checker):
    link = {"type": {"name": "Relates"}, "inwardIssue": {"id": "10001"}, "outwardIssue": {"id": "10002"}}
    assert checker.check_request("POST", "/rest/api/3/issueLink", {}, link) == []
    assert checker.check_request("GET", "/rest/api/3/search/jql", {"jql": "x", "fields": "id", "maxResults": "2"}, None) == []
    assert checker.check_request("POST", "/rest/api/3/issue/10001/comment", {},
                                 {"body": to_adf("x"), "properties": [{"key": "sd.public.comment", "value": {"internal": True}}]}) == []


@pytest.mark.parametrize("method, path, query, body, words", [
    ("POST", "/rest/api/3/issueLink", {}, {"type": {"name": "Relates"}, "inwardIssue": {"id": "1"}}, "'outwardIssue' is a required property"),
    ("POST", "/rest/api/3/search/jql", {}, {"jql": "x", "startAt": 50}, "'startAt' was unexpected"),
    ("GET", "/rest/api/3/search/jql", {"jql": "x", "startAt": "50"}, None, "undeclared query parameter 'startAt'"),
    ("GET", "/rest/api/3/search", {"jql": "x"}, None, "deprecated operation"),
    ("GET", "/rest/api/3/issues/1", {}, None, "no such operation"),
    ("POST", "/rest/api/3/issuetype", {}, {"name": 5}, "5 is not of type 'string'"),
])
def test_the_checker_refuses_a_request_jira_does_not_document(checker, method, path, query, body, words):
    problems = checker.check_request(method, path, query, body)
    assert problems and any(words in p for p in problems), problems


def test_the_checker_refuses_an_answer_of_the_wrong_shape(checker):
    assert checker.check_answer("POST", "/rest/api/3/issue", 201, {"id": "1", "key": "CI-1", "self": "u"}) == []
    assert checker.check_answer("POST", "/rest/api/3/issue", 201, {"id": 1, "key": "CI-1"})
    assert checker.check_answer("GET", "/rest/api/3/search/jql", 200, {"issues": [], "total": 3})  # no total in search/jql
    assert checker.check_answer("GET", "/rest/api/3/issue/1", 404, {"errorMessages": ["gone"], "errors": {}}) == []
    assert checker.check_answer("GET", "/rest/api/3/issue/1", 404, {"message": "gone"})  # not Jira's error shape
