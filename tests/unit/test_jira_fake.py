"""The fake Jira of the contract suite behaves as Jira documents (jira.md): refusals, paging,
permissions and rate limits, with every exchange checked against the OpenAPI description; and
the adapter copes with its rate limits through the one HostSession."""

import pytest
import requests

from ci_plugin import config
from ci_plugin.errors import AuthenticationError, RateLimited
from ci_plugin.hosts.jira.adapter import JiraAdapter
from tests.fixture_hosts.jira_fake import FakeJira
from tests.fixture_hosts.jira_fake_state import ADMIN, AGENT, DESK, HIDDEN
from tests.fixture_hosts.openapi_check import OpenApiChecker


@pytest.fixture(scope="module")
def fake():
    checker = OpenApiChecker()
    with FakeJira(checker=checker) as running:
        yield running
    assert checker.take() == []


def call(fake, method, path, who=ADMIN, token=None, **kwargs):
    return requests.request(method, f"{fake.url}/rest/api/3/{path}", auth=(who, token or fake.tokens[who]), timeout=5, **kwargs)


def incident(fake, summary="Printer", who=ADMIN):
    body = {"fields": {"project": {"key": DESK}, "issuetype": {"name": "Incident"}, "summary": summary}}
    answer = call(fake, "POST", "issue", who, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_bad_credentials_are_401_and_an_agent_cannot_administer(fake):
    assert call(fake, "GET", "myself", token="wrong").status_code == 401
    refused = call(fake, "POST", "field", AGENT, json={"name": "X", "type": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"})
    assert refused.status_code == 403 and refused.json()["errorMessages"]


def test_an_issue_one_may_not_browse_does_not_exist(fake):
    made = call(fake, "POST", "issue", json={"fields": {"project": {"key": HIDDEN}, "issuetype": {"name": "Task"}, "summary": "x"}})
    assert made.status_code == 201
    hidden = call(fake, "GET", f"issue/{made.json()['id']}", AGENT)
    assert hidden.status_code == 404
    assert hidden.json()["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]


def test_a_description_must_be_adf_and_a_field_off_the_screen_cannot_be_set(fake):
    body = {"fields": {"project": {"key": DESK}, "issuetype": {"name": "Incident"}, "summary": "x", "description": "plain"}}
    refused = call(fake, "POST", "issue", json=body)
    assert refused.status_code == 400 and "Atlassian Document" in refused.json()["errors"]["description"]
    field = call(fake, "POST", "field", json={"name": "Off screen", "type": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}).json()
    body["fields"] = {**body["fields"], "description": None, field["id"]: "v"}
    refused = call(fake, "POST", "issue", json=body)
    assert "It is not on the appropriate screen" in refused.json()["errors"][field["id"]]


def test_search_pages_by_next_page_token_to_the_end_and_refuses_what_jira_refuses(fake):
    made = [incident(fake, "Paging probe") for _ in range(5)]
    seen, token, pages = [], None, 0
    while True:
        params = {"jql": 'summary ~ "probe" ORDER BY key ASC', "maxResults": 2, "fields": "summary"}
        answer = call(fake, "GET", "search/jql", params={**params, **({"nextPageToken": token} if token else {})}).json()
        pages += 1
        seen += [i["id"] for i in answer["issues"]]
        token = answer.get("nextPageToken")
        if token is None:
            assert answer["isLast"] is True
            break
    assert seen == made and pages == 3
    assert call(fake, "GET", "search/jql", params={"jql": "ORDER BY key"}).status_code == 400  # unbounded
    assert "Error in the JQL Query" in call(fake, "GET", "search/jql", params={"jql": "summary ~"}).json()["errorMessages"][0]
    assert fake.checker.take() == []
    assert call(fake, "GET", "search", params={"jql": "project = ITSM"}).status_code == 410  # the old search is gone
    assert [p for p in fake.checker.take() if "deprecated operation" in p]  # and the checker says so


def test_transitions_list_only_the_valid_ones_and_another_id_is_400(fake):
    issue = incident(fake)
    moves = call(fake, "GET", f"issue/{issue}/transitions").json()["transitions"]
    assert {m["to"]["name"] for m in moves} == {"In Progress", "Resolved"}
    assert call(fake, "POST", f"issue/{issue}/transitions", json={"transition": {"id": "999"}}).status_code == 400
    resolve = next(m for m in moves if m["to"]["name"] == "Resolved")
    assert call(fake, "POST", f"issue/{issue}/transitions", json={"transition": {"id": resolve["id"]}}).status_code == 204
    assert call(fake, "GET", f"issue/{issue}", params={"fields": "resolutiondate"}).json()["fields"]["resolutiondate"]


def test_a_duplicate_link_succeeds_without_a_second_link(fake):
    one, two = incident(fake), incident(fake)
    body = {"type": {"name": "Relates"}, "inwardIssue": {"id": one}, "outwardIssue": {"id": two}}
    assert [call(fake, "POST", "issueLink", json=body).status_code for _ in range(2)] == [201, 201]
    links = call(fake, "GET", f"issue/{one}", params={"fields": "issuelinks"}).json()["fields"]["issuelinks"]
    assert len(links) == 1 and links[0]["outwardIssue"]["id"] == two
    assert call(fake, "GET", f"issue/{two}", params={"fields": "issuelinks"}).json()["fields"]["issuelinks"][0]["inwardIssue"]["id"] == one


def adapter_for(fake, max_backoff=30):
    cfg = config.parse(f'[host]\ntype = "jira"\nurl = "{fake.url}"\ntoken = "{fake.token}"\nretries = 2\n'
                       f'max_backoff = {max_backoff}\n\n[jira]\nemail = "{ADMIN}"\n')
    made = JiraAdapter(cfg)
    made.session.waits = []
    made.session._sleep = made.session.waits.append
    return made


@pytest.mark.parametrize("retry_after, status, waited", [("3", 429, [3.0]), (None, 429, [0.5]), ("2", 503, [2.0])])
def test_the_adapter_waits_out_rate_limits_and_unavailability(fake, retry_after, status, waited):
    jira = adapter_for(fake)
    fake.throttle(1, retry_after=retry_after, status=status)
    assert jira.about()["version"].startswith("Cloud")
    assert jira.session.waits == waited


def test_a_rate_limit_that_outlasts_the_retries_names_jiras_reason(fake):
    jira = adapter_for(fake)
    fake.throttle(3, retry_after="1", reason="jira-per-issue-on-write")
    with pytest.raises(RateLimited, match="reason: jira-per-issue-on-write"):
        jira.about()
    with pytest.raises(AuthenticationError, match="Jira rejected the credentials"):
        JiraAdapter(config.parse(f'[host]\ntype = "jira"\nurl = "{fake.url}"\ntoken = "nope"\nretries = 0\n\n'
                                 f'[jira]\nemail = "{ADMIN}"\n')).about()


def test_setup_needs_an_administrator_adds_the_types_to_the_scheme_and_doctor_reads_options_without_one(tmp_path):
    from ci_plugin.app import open_register
    from ci_plugin.errors import PermissionDenied
    from ci_plugin.ops.setup import doctor, setup

    def register(who, token):
        path = tmp_path / f"{who}.toml"
        path.write_text(f'[host]\ntype = "jira"\nurl = "{running.url}"\ntoken = "{token}"\nretries = 0\n\n[jira]\nemail = "{who}"\n')
        return open_register(path)

    with FakeJira() as running:
        with pytest.raises(PermissionDenied, match=r"Jira denied POST issuetype \(HTTP 403\): .*Administer Jira"):
            setup(register(AGENT, running.tokens[AGENT]))
        first = setup(register(ADMIN, running.token))
        assert not first.complete and [m.filename for m in first.pending] == ["ci-plugin-jira-workflow.txt"]
        assert ("updated", "issue type scheme CI: Issue Type Scheme: added Improvement, Epic, Change") in \
            [(c.action, c.what) for c in first.changes]  # what the API may do, setup did
        failing = {f.name for f in first.failing}
        assert "issue type Improvement in project CI" not in failing  # in the project, with the default workflow:
        assert {"status assessing", "status new", "screen Improvement"} <= failing  # the manual step is left
        running.apply_manual_step(first.pending[0].content)
        assert setup(register(ADMIN, running.token)).complete
        category = next(f for f in running.fields.values() if f["name"] == "CI Category")
        running.options[category["id"]][0]["disabled"] = True  # an admin disables "service"
        findings = {f.name: f for f in doctor(register(AGENT, running.tokens[AGENT]))}
        assert not findings["field CI Category"].ok and "options lack service" in findings["field CI Category"].detail
        assert findings["field CI Size"].ok and findings["field Improvement candidate"].ok
        assert findings["screen Improvement"].ok and findings["status closed"].ok
