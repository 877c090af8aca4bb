"""One register across hosts: ``[[hosts]]`` with two memory hosts, through the CLI in-process.

Each memory host is its own store (one per url in this process), provisioned as an admin would;
the tests read what each store holds to tell which host a command landed on.
"""

from __future__ import annotations

import json
import uuid

import pytest

from ci_plugin import config as config_module
from ci_plugin import config_hosts
from ci_plugin.app import open_registers
from ci_plugin.errors import ConfigError
from ci_plugin.hosts.memory import MemoryAdapter, store_for
from ci_plugin.ops.convert import convert
from ci_plugin.ops.prioritize import prioritize
from tests.unit.memory_desk import QUEUES, TOKEN


def _entry(name: str, url: str, extra: str = "") -> str:
    return f'[[hosts]]\nname = "{name}"\ntype = "memory"\nurl = "{url}"\ntoken = "{TOKEN}"\n{extra}'


def provision(store, url: str) -> None:
    """Provision a memory host at ``url`` as an admin completes setup: API part, then workflow."""
    text = f'[host]\ntype = "memory"\nurl = "{url}"\ntoken = "{TOKEN}"\n'
    adapter = MemoryAdapter(config_module.parse(text, environ={}), store=store)
    adapter.provision()
    store.install_workflow(json.loads(adapter.manual_steps()[0].content))


class Two:
    """Two provisioned memory hosts, ``alpha`` and ``beta``, in one configuration file."""

    def __init__(self, tmp_path, extra: str = ""):
        tag = uuid.uuid4().hex[:8]
        self.urls = {"alpha": f"http://alpha-{tag}.localhost/unit", "beta": f"http://beta-{tag}.localhost/unit"}
        self.stores = {name: store_for(url, TOKEN, {}) for name, url in self.urls.items()}
        for name, store in self.stores.items():
            provision(store, self.urls[name])
        self.path = tmp_path / "two.toml"
        self.path.write_text(extra + "".join(_entry(n, u) for n, u in self.urls.items()), encoding="utf-8")
        self.registers = {r.label: r for r in open_registers(self.path)}

    def ticket(self, host: str, subject: str) -> str:
        """A new incident ticket on ``host``; its bare id."""
        return self.stores[host].create_ticket(QUEUES["incident"], subject, "text", {})

    def improvement(self, host: str, subject: str) -> str:
        """A new improvement on ``host``, converted from a new ticket; its bare id."""
        return convert(self.registers[host], [self.ticket(host, subject)]).improvement.id

    def register_ids(self, host: str) -> list[str]:
        """Bare ids of the improvements ``host``'s store holds."""
        return [r.id for r in self.stores[host].select(lambda r: r.queue == "Improvements")]


@pytest.fixture(autouse=True)
def _stores_in_this_process(monkeypatch):
    """The memory hosts of these tests live in this process: a store file named by the
    environment (the contract suite's memory host sets one for the whole session) would give the
    commands another host than the stores the tests provision."""
    monkeypatch.delenv("CI_PLUGIN_MEMORY_STORE", raising=False)


@pytest.fixture
def two(tmp_path) -> Two:
    return Two(tmp_path)


def _one_line_error(run, code: int) -> str:
    assert run.code == code, run
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err and run.out == ""
    return lines[0]


# --- configuration -----------------------------------------------------------------------------

def test_each_host_gets_its_own_config_and_the_shared_tables(tmp_path):
    text = ('[watch]\ninterval = 7\n'
            + _entry("alpha", "http://a.localhost") + _entry("beta", "http://b.localhost", "[hosts.watch]\ninterval = 9\n"))
    hosts = config_hosts.parse(text, environ={})
    assert [h.name for h in hosts] == ["alpha", "beta"]
    assert [h.config.data["host"]["url"] for h in hosts] == ["http://a.localhost", "http://b.localhost"]
    assert [h.config.section("watch")["interval"] for h in hosts] == [7, 9]
    assert "name" not in hosts[0].config.data["host"]


def test_a_single_host_config_is_one_host_named_by_its_type():
    hosts = config_hosts.parse('[host]\ntype = "memory"\nurl = "http://a.localhost"\ntoken = "t0ken"\n', environ={})
    assert [(h.name, h.config.host_type) for h in hosts] == [("memory", "memory")]


@pytest.mark.parametrize("text, where", [
    (_entry("alpha", "ftp://a"), "$.hosts[0].url"),
    (_entry("Alpha", "http://a.localhost"), "$.hosts[0].name"),
    (_entry("alpha", "http://a.localhost") + '[[hosts]]\nname = "beta"\ntype = "memory"\n', "$.hosts[1]"),
    (_entry("alpha", "http://a.localhost") + _entry("beta", "http://b.localhost", "retries = -1\n"),
     "$.hosts[1].retries"),
    ('hosts = []\n', "$.hosts"),
    (_entry("alpha", "http://a.localhost", 'tokn_env = "X"\n'), "$.hosts[0].tokn_env: unknown key 'tokn_env'"),
    (_entry("alpha", "http://a.localhost", "[hosts.watch]\ninterval = 0\n"), "$.hosts[0].watch.interval"),
])
def test_a_bad_hosts_list_names_the_json_path(text, where):
    with pytest.raises(ConfigError) as caught:
        config_hosts.parse(text, environ={})
    assert f": {where}" in str(caught.value)


def test_a_plugin_table_no_plugin_declares_names_its_host(run_cli, two):
    two.path.write_text(two.path.read_text(encoding="utf-8") + "[hosts.nosuchplugin]\nx = 1\n", encoding="utf-8")
    line = _one_line_error(run_cli("--config", two.path, "register"), 2)
    assert "unknown key 'nosuchplugin'" in line and "(host 'beta')" in line


def test_duplicate_names_exit_2_in_one_line_naming_both(run_cli, tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text(_entry("alpha", "http://a.localhost") + _entry("alpha", "http://b.localhost"), encoding="utf-8")
    line = _one_line_error(run_cli("--config", path, "register"), 2)
    assert "duplicate host name 'alpha'" in line and "$.hosts[1].name" in line and "$.hosts[0].name" in line


def test_host_and_hosts_together_are_refused(run_cli, tmp_path):
    path = tmp_path / "both.toml"
    path.write_text('[host]\ntype = "memory"\nurl = "http://a.localhost"\n' + _entry("alpha", "http://a.localhost"),
                    encoding="utf-8")
    assert "either one [host] table or a [[hosts]] list" in _one_line_error(run_cli("--config", path, "register"), 2)


# --- reading: merged ---------------------------------------------------------------------------

def test_register_shows_both_hosts_with_prefixed_ids(run_cli, two):
    a, b = two.improvement("alpha", "Printer queue stalls"), two.improvement("beta", "VPN drops at noon")
    run = run_cli("--config", two.path, "register", "--json")
    assert run.code == 0, run.err
    ids = {row["id"] for row in json.loads(run.out)}
    assert ids == {f"alpha:{a}", f"beta:{b}"}
    shown = json.loads(run_cli("--config", two.path, "show", f"beta:{b}", "--json").out)
    assert shown["id"] == f"beta:{b}" and all(s.startswith("beta:") for s in shown["source_tickets"])
    assert shown["links"]["sources"] == shown["source_tickets"]
    table = run_cli("--config", two.path, "register")
    assert f"alpha:{a}" in table.out and f"beta:{b}" in table.out


def test_merged_ranking_keeps_each_hosts_order_and_show_agrees(run_cli, two):
    for host in ("alpha", "beta"):
        for n, value in enumerate((9, 5, 1)):
            improvement = two.improvement(host, f"{host} item {n}")
            assert run_cli("--config", two.path, "assess", f"{host}:{improvement}", "--model", "wsjf",
                           "--set", f"business_value={value}", "--set", "time_criticality=1",
                           "--set", "risk_reduction=1", "--set", "job_size=1").code == 0
        prioritize(two.registers[host])
    rows = json.loads(run_cli("--config", two.path, "register", "--json").out)
    ranked = sorted(rows, key=lambda row: row["rank"])
    assert [row["rank"] for row in ranked] == list(range(1, 7))
    for host in ("alpha", "beta"):
        mine = [row["title"] for row in ranked if row["id"].startswith(f"{host}:")]
        assert mine == [f"{host} item 0", f"{host} item 1", f"{host} item 2"]
    for row in ranked:
        shown = json.loads(run_cli("--config", two.path, "show", row["id"], "--json").out)
        assert shown["id"] == row["id"] and shown["rank"] == row["rank"]


def test_report_merges_both_hosts(run_cli, two):
    two.improvement("alpha", "Printer queue stalls")
    two.improvement("beta", "VPN drops at noon")
    two.improvement("beta", "Mail delayed")
    document = json.loads(run_cli("--config", two.path, "report", "--json").out)
    assert document["pipeline"]["new"] == 3
    assert sorted(row["id"].split(":")[0] for row in document["register"]) == ["alpha", "beta", "beta"]
    assert [row["rank"] for row in document["register"]] == [1, 2, 3]
    assert {name: figures["engagement"]["improvements"] for name, figures in document["hosts"].items()} == \
        {"alpha": 1, "beta": 2}
    page = two.path.with_name("r.html")
    assert run_cli("--config", two.path, "report", "--html", page).code == 0
    html = page.read_text(encoding="utf-8")
    assert "Engagement: alpha" in html and "Engagement: beta" in html


def test_an_unreachable_host_stops_the_merged_read_with_its_code_once(run_cli, two):
    two.improvement("alpha", "Printer queue stalls")
    two.stores["beta"].fail_next("list_improvements", times=5)
    run = run_cli("--config", two.path, "register")
    line = _one_line_error(run, 3)
    assert line.startswith("ci-plugin: error: host beta: ")


# --- acting: routed ----------------------------------------------------------------------------

def test_convert_on_a_named_host_lands_there_only(run_cli, two):
    ticket = two.ticket("beta", "Mail delayed")
    run = run_cli("--config", two.path, "convert", f"beta:{ticket}")
    assert run.code == 0, run.err
    assert run.out.strip().startswith("beta:")
    assert len(two.register_ids("beta")) == 1 and two.register_ids("alpha") == []


def test_host_option_routes_bare_ids(run_cli, two):
    ticket = two.ticket("alpha", "Mail delayed")
    assert run_cli("--config", two.path, "--host", "alpha", "convert", ticket).code == 0
    assert len(two.register_ids("alpha")) == 1 and two.register_ids("beta") == []


@pytest.mark.parametrize("argv", [("show", "1"), ("transition", "1", "assessing"), ("convert", "1"), ("sync",)])
def test_a_bare_id_with_several_hosts_is_refused_naming_them(run_cli, two, argv):
    line = _one_line_error(run_cli("--config", two.path, *argv), 2)
    assert "several hosts are configured (alpha, beta)" in line


def test_sync_with_host_converts_that_hosts_flagged_tickets_and_prints_prefixed_ids(run_cli, two):
    register = two.registers["beta"]
    flag = register.config.section("fields")["candidate"]
    ticket = two.stores["beta"].create_ticket(QUEUES["incident"], "Flagged", "text", {flag: "yes"})
    run = run_cli("--config", two.path, "--host", "beta", "--json", "sync")
    assert run.code == 0, run.err
    converted = json.loads(run.out)["converted"]
    assert [c["ticket"] for c in converted] == [f"beta:{ticket}"]
    assert converted[0]["improvement"].startswith("beta:")
    assert two.register_ids("alpha") == [] and len(two.register_ids("beta")) == 1


def test_ids_of_two_hosts_in_one_command_are_refused(run_cli, two):
    a, b = two.ticket("alpha", "one"), two.ticket("beta", "two")
    line = _one_line_error(run_cli("--config", two.path, "convert", f"alpha:{a}", f"beta:{b}"), 2)
    assert "different hosts (alpha, beta)" in line
    assert two.register_ids("alpha") == [] and two.register_ids("beta") == []


def test_an_unknown_host_name_is_refused(run_cli, two):
    assert "no host named 'gamma'; configured: alpha, beta" in _one_line_error(
        run_cli("--config", two.path, "show", "gamma:1"), 2)


def test_link_and_transition_act_on_the_named_host(run_cli, two):
    improvement = two.improvement("beta", "VPN drops at noon")
    problem = two.stores["beta"].create_ticket(QUEUES["problem"], "VPN concentrator", "text", {})
    linked = run_cli("--config", two.path, "--json", "link", f"beta:{improvement}", "--problem", f"beta:{problem}")
    assert linked.code == 0, linked.err
    assert json.loads(linked.out)["added"] == {"problems": [f"beta:{problem}"]}
    moved = run_cli("--config", two.path, "transition", f"beta:{improvement}", "assessing")
    assert moved.code == 0, moved.err
    assert moved.out.startswith(f"improvement beta:{improvement}: new -> assessing")
    record = two.stores["beta"].tickets[improvement]
    assert record.status.lower() == two.registers["beta"].states.host_status("assessing").lower()
    assert two.register_ids("alpha") == []


def test_hooks_enable_rewrites_a_hosts_file_and_it_still_loads(run_cli, two):
    assert run_cli("--config", two.path, "hooks", "enable", "audit_log").code == 0
    hosts = config_hosts.load(two.path, environ={})
    assert [h.name for h in hosts] == ["alpha", "beta"]
    assert all(h.config.section("hooks")["enabled"] == ["audit_log"] for h in hosts)


def test_the_tokens_of_every_host_are_redacted(run_cli, tmp_path):
    path = tmp_path / "secret.toml"
    secret = "s3cret-beta-token"
    path.write_text(_entry("alpha", "http://a.localhost") + '[[hosts]]\nname = "beta"\ntype = "memory"\n'
                    f'url = "ftp://{secret}"\ntoken = "{secret}"\n', encoding="utf-8")
    run = run_cli("--config", path, "register")
    assert run.code == 2 and "$.hosts[1].url" in run.err and secret not in run.err


def test_prioritize_on_one_of_several_hosts_prints_its_ids_prefixed(run_cli, two):
    improvement = two.improvement("alpha", "Printer queue stalls")
    run = run_cli("--config", two.path, "--host", "alpha", "--json", "prioritize", "--dry-run")
    assert run.code == 0, run.err
    assert [entry["id"] for entry in json.loads(run.out)["ranking"]] == [f"alpha:{improvement}"]
    assert f"alpha:{improvement}" in run_cli("--config", two.path, "--host", "alpha", "prioritize", "--dry-run").out


def test_due_and_evidence_on_one_of_several_hosts_print_its_ids_prefixed(run_cli, two):
    from datetime import date

    improvement = two.improvement("beta", "VPN drops at noon")
    assert run_cli("--config", two.path, "update", f"beta:{improvement}",
                   "--target-date", date.today().isoformat()).code == 0
    due = run_cli("--config", two.path, "--host", "beta", "--json", "due")
    assert due.code == 0, due.err
    assert [item["id"] for item in json.loads(due.out)] == [f"beta:{improvement}"]
    evidence = run_cli("--config", two.path, "--json", "evidence", f"beta:{improvement}")
    assert evidence.code == 0, evidence.err
    document = json.loads(evidence.out)
    assert document["improvement"] == f"beta:{improvement}"
    assert document["ticket_ids"] and all(i.startswith("beta:") for i in document["ticket_ids"])
