"""ServiceNow quirks and how the adapter hides them, against the fake Table API.

The contract suite runs the adapter through every command (tests/live, ``servicenow-fixture``,
own-table register); these tests pin what is particular to ServiceNow: encoded queries refused
before they are sent, ``Link`` paging with short pages, state values read from ``sys_choice``,
both register modes (own table and CIM's ``sn_cim_register``), auth, ACLs and rate limits, and
columns ServiceNow drops from a write without a word.
"""

import pytest

from ci_plugin.app import open_register
from ci_plugin.errors import AuthenticationError, ConfigError, HostRefused, NotFound, PermissionDenied, UsageError
from ci_plugin.hosts.servicenow import adapter as adapter_module
from ci_plugin.hosts.servicenow import metadata
from ci_plugin.hosts.servicenow.query import QueryRefused, check_query, term
from ci_plugin.ops.convert import convert
from ci_plugin.ops.setup import setup
from tests.fixture_hosts.servicenow_fake import PASSWORD, FakeServiceNow
from tests.fixture_hosts.servicenow_harness import TOKEN_ENV, ServiceNowHarness, base_config, provision

CIM_STATES = ('[states]\nnew = "New"\nassessing = "Assess"\napproved = "Approved"\nrejected = "Canceled"\n'
              'planned = "Accepted"\nin-progress = "Implement"\nmeasuring = "Review"\non-hold = "On Hold"\n'
              'closed = "Closed"\n')


@pytest.fixture
def fake():
    with FakeServiceNow(cim=True) as running:
        yield running


@pytest.fixture
def own(fake, tmp_path, monkeypatch):
    """A harness on the fake with the own-table register provisioned."""
    monkeypatch.setenv(TOKEN_ENV, PASSWORD)
    path = tmp_path / "base.toml"
    path.write_text(base_config(fake.url))
    provision(path, fake)
    return ServiceNowHarness(path, tmp_path, fake.url, fake)


@pytest.fixture
def cim(fake, tmp_path, monkeypatch):
    """A harness on the fake with the register in CIM's ``sn_cim_register``."""
    monkeypatch.setenv(TOKEN_ENV, PASSWORD)
    path = tmp_path / "cim.toml"
    path.write_text(base_config(fake.url, register="sn_cim_register") + "\n" + CIM_STATES)
    provision(path, fake)
    return ServiceNowHarness(path, tmp_path, fake.url, fake)


# --- encoded queries --------------------------------------------------------------------------

COLUMNS = ("state", "short_description", "u_ci_source_ticket", "sys_created_on", "assigned_to")


@pytest.mark.parametrize("query, words", [
    ("u_ci_source_tiket LIKE,12,", "has no column 'u_ci_source_tiket'"),
    ("stateIS1", "unknown operator"),
    ("state", "no operator"),
    ("state=1^^short_descriptionLIKEx", "empty part"),
    ("state=1^ORDERBYpriority", "has no column 'priority'"),
    ("stateLIKE", "LIKE needs a value"),
    ("stateISEMPTYx", "ISEMPTY takes no value"),
    ("Short_description=x", "no column name"),
])
def test_a_query_part_servicenow_would_ignore_is_refused(query, words):
    with pytest.raises(QueryRefused) as refused:
        check_query(query, COLUMNS, table="u_ci_improvement")
    assert words in str(refused.value) and refused.value.exit_code == 2


@pytest.mark.parametrize("query", [
    "state=1^ORstate=2^short_descriptionLIKEvpn^ORDERBYDESCsys_created_on",
    "stateIN1,2,3^NQu_ci_source_ticketLIKE,12,",
    "assigned_to.user_name=admin^stateISNOTEMPTY",
    "state!=7^short_descriptionSTARTSWITHVPN^ORDERBYsys_created_on",
])
def test_a_query_servicenow_uses_whole_passes(query):
    assert check_query(query, COLUMNS) == query


def test_a_value_that_would_split_the_query_is_refused():
    with pytest.raises(QueryRefused, match="'\\^'"):
        term("short_description", "LIKE", "a^ORstate=1")
    assert term("short_description", "LIKE", "vpn") == "short_descriptionLIKEvpn"


def test_the_fake_returns_everything_for_a_misspelt_column_and_the_adapter_never_sends_one(own):
    adapter = own.register.host
    imp = convert(own.register, [own.ticket("Disk full")]).improvement.id
    everything = own.session.request("GET", "table/u_ci_improvement",
                                     params={"sysparm_query": "u_ci_source_tiketLIKE,1,"}).json()["result"]
    assert len(everything) >= 1  # the quirk: the broken part was ignored
    before = dict(own.fake.requests)
    with pytest.raises(QueryRefused):
        list(adapter._pages("u_ci_improvement", "u_ci_source_tiketLIKE,1,"))
    assert dict(own.fake.requests) == before  # refused before anything was sent
    own.fake.strict_queries = True  # glide.invalid_query.returns_no_rows
    assert own.session.request("GET", "table/u_ci_improvement",
                               params={"sysparm_query": "u_ci_source_tiketLIKE,1,"}).json()["result"] == []
    own.fake.strict_queries = False
    assert adapter.improvements_from_source(own.field(imp, "source_tickets")[0]) == [imp]


# --- paging -----------------------------------------------------------------------------------

def test_lists_follow_the_link_header_past_a_short_page(own, monkeypatch):
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    made = [convert(own.register, [own.ticket(f"Paged {n}")]).improvement.id for n in range(5)]
    own.fake.hide(own.sys_id(made[0]))  # an ACL hides the first: its page comes back short
    adapter = own.register.host
    before = own.fake.requests[("GET", "u_ci_improvement")]
    listed = [t.id for t in adapter.list_improvements()]
    assert listed == made[1:]
    assert own.fake.requests[("GET", "u_ci_improvement")] - before == 3  # ceil(5/2) pages, the first one short
    answer = own.session.request("GET", "table/u_ci_improvement", params={"sysparm_limit": 2, "sysparm_offset": 2})
    assert answer.headers["X-Total-Count"] == "5" and set(answer.links) == {"first", "prev", "next", "last"}


def test_the_page_bound_comes_from_the_first_total(own, monkeypatch):
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 1)
    made = [convert(own.register, [own.ticket(f"Bound {n}")]).improvement.id for n in range(3)]
    adapter = own.register.host
    pages = adapter._pages("u_ci_improvement", "sys_idISNOTEMPTY")
    first = next(pages)
    convert(own.register, [own.ticket("Arrived while reading")])  # the table grows behind the reader
    assert [metadata.ticket_id(first["sys_id"])] + [metadata.ticket_id(r["sys_id"]) for r in pages] == made


# --- states from sys_choice -------------------------------------------------------------------

def test_states_are_the_values_sys_choice_gives_the_labels(own):
    adapter = own.register.host
    choices = adapter.choices("u_ci_improvement")
    assert sorted(choices.values()) == sorted(own.register.states.host_status(s) for s in
                                              ("new", "assessing", "approved", "rejected", "planned", "in-progress",
                                               "measuring", "on-hold", "closed"))
    imp = convert(own.register, [own.ticket("State mapping")]).improvement.id
    adapter.set_status(imp, "assessing")
    assert choices[own.raw(imp)["state"]] == "assessing" and own.status(imp) == "assessing"
    with pytest.raises(HostRefused, match="no transition from assessing to closed"):
        adapter.set_status(imp, "closed")  # the business rule setup wrote aborts it: HTTP 403
    assert own.status(imp) == "assessing"
    with pytest.raises(HostRefused, match="no state labelled 'finished'"):
        adapter.set_status(imp, "finished")


def test_incident_states_are_read_not_assumed(own):
    adapter = own.register.host
    incident = own.ticket("Printer on fire")
    assert adapter.get_ticket(incident).status == "New"
    own.resolve(incident)
    assert own.raw(incident)["state"] == "6" and adapter.get_ticket(incident).status == "Resolved"


# --- the two register modes -------------------------------------------------------------------

def test_own_table_mode_prints_the_table_and_its_columns(own):
    step = own.register.host.manual_steps()[0]
    assert step.filename == "ci-plugin-servicenow-schema.xml"
    assert "<sys_db_object" in step.content and "<super_class display_value=\"Task\">task</super_class>" in step.content
    assert "<element>u_ci_source_ticket</element><column_label>CI Source Ticket</column_label>" in step.content
    assert "<name>incident</name><element>u_improvement_candidate</element>" in step.content
    assert setup(own.register).complete


def test_cim_mode_discovers_columns_and_keeps_cims_states(cim):
    adapter = cim.register.host
    step = adapter.manual_steps()[0]
    assert "<sys_db_object" not in step.content and "<name>sn_cim_register</name>" in step.content
    assert not any(c.what.startswith("state ") for c in adapter.provision())  # CIM's states are CIM's
    source = cim.ticket("Change freeze ignored")
    imp = convert(cim.register, [source], category="process").improvement.id
    record = cim.raw(imp)
    assert record["sys_class_name"] == "sn_cim_register" and record["u_ci_category"] == "process"
    assert record["source_id"] == cim.sys_id(source)  # CIM's own reference to the originating record
    assert cim.fake._label("sn_cim_register", record["state"]) == "New" and record["state"] == "10"
    adapter.set_status(imp, "Assess")
    assert cim.status(imp) == "Assess"
    assert adapter.get_ticket(imp, links=True).links == {"sources": [source]}


def test_cim_mode_doctor_names_a_state_cim_does_not_have(cim, tmp_path):
    path = tmp_path / "wrong.toml"
    path.write_text(cim.base_config.read_text().replace('measuring = "Review"', 'measuring = "Measuring"'))
    findings = {f.name: f for f in open_register(path).host.check()}
    assert not findings["state Measuring"].ok and "sn_cim_register.state" in findings["state Measuring"].detail
    assert findings["state Assess"].ok and findings["column CI Source Ticket on sn_cim_register"].ok


# --- auth, ACLs, rate limits, dropped columns -------------------------------------------------

def test_a_bearer_token_without_username_and_a_wrong_password(own, tmp_path, monkeypatch):
    path = tmp_path / "bearer.toml"
    path.write_text(own.base_config.read_text().replace('username = "admin"\n', ""))
    monkeypatch.setenv(TOKEN_ENV, own.fake.token)
    assert open_register(path).host.about()["register"] == "u_ci_improvement"
    monkeypatch.setenv(TOKEN_ENV, "wrong")
    with pytest.raises(AuthenticationError, match="User Not Authenticated"):
        open_register(path).host.about()


def test_an_acl_refusal_and_a_rate_limit(own):
    adapter = own.register.host
    imp = convert(own.register, [own.ticket("ACL")]).improvement.id
    own.fake.rate_limit(1)
    assert adapter.get_ticket(imp).id == imp  # 429 with Retry-After: retried by the session
    own.fake.deny("POST", "task_rel_task")
    with pytest.raises(PermissionDenied, match="ACL Exception|Operation Failed"):
        adapter.add_links(imp, "problems", [own.ticket("Root cause", kind="problem")])
    own.fake.hide(own.sys_id(imp))
    with pytest.raises(NotFound):
        adapter.read(imp)


def test_a_column_servicenow_drops_is_refused_not_lost(own):
    adapter = own.register.host
    imp = convert(own.register, [own.ticket("Dropped")]).improvement.id
    adapter.columns("u_ci_improvement")  # the adapter knows the column...
    with own.fake.lock:  # ...which an admin then deletes: ServiceNow drops its value silently
        row = next(i for i, r in own.fake.rows["sys_dictionary"].items()
                   if r["name"] == "u_ci_improvement" and r["element"] == "u_ci_size")
        del own.fake.rows["sys_dictionary"][row]
    with pytest.raises(HostRefused, match="did not store u_ci_size"):
        adapter.update_fields(imp, {"size": "M"})


# --- configuration ----------------------------------------------------------------------------

@pytest.mark.parametrize("table, words", [
    ('[servicenow]\nregster = "x"\n', "$.servicenow.regster: unknown key 'regster'"),
    ('[servicenow]\nregister = "U CI"\n', "$.servicenow.register"),
    ('[servicenow.links]\nproblem = "Addresses"\n', "$.servicenow.links.problem"),
])
def test_a_bad_servicenow_table_names_its_key(tmp_path, table, words):
    path = tmp_path / "bad.toml"
    path.write_text('[host]\ntype = "servicenow"\nurl = "http://127.0.0.1:9"\ntoken = "x"\n' + table)
    with pytest.raises(ConfigError) as refused:
        open_register(path)
    assert words in str(refused.value)


def test_defaults_fill_the_servicenow_table(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text('[host]\ntype = "servicenow"\nurl = "http://127.0.0.1:9"\ntoken = "x"\n')
    adapter = open_register(path).host
    assert (adapter.register_table, adapter.settings["candidate_tables"]) == ("u_ci_improvement", ["incident"])
    assert adapter.link_types["follow_up"] == "Followed by::Follows"
    assert adapter.session.session.headers["Authorization"] == "Bearer x"


# --- propose ----------------------------------------------------------------------------------

def test_candidate_occurrences_group_by_servicenows_category_or_a_labelled_column(own):
    from datetime import datetime, timedelta, timezone

    made = []
    for category in ("network", "network", "hardware"):
        answer = own.session.request("POST", "table/incident", json={
            "short_description": f"VPN drops [{own.tag}]", "category": category}).json()["result"]
        made.append((own.id_of(answer["sys_id"]), category))
    adapter = own.register.host
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    found = {o.id: o for o in adapter.candidate_occurrences(since, None)}
    assert all(found[i].key == c and own.tag in found[i].subject for i, c in made)
    by_label = {o.id: o.key for o in adapter.candidate_occurrences(since, "Short Description")}
    assert by_label[made[0][0]] == f"VPN drops [{own.tag}]"
    with pytest.raises(UsageError, match="no column labelled 'Nope'"):
        list(adapter.candidate_occurrences(since, "Nope"))
