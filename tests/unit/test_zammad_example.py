"""Zammad quirks of the worked example adapter (docs/examples/ci_host_zammad), against the fake.

The contract suite runs the same adapter through every command (tests/live, ``zammad-fixture``);
these tests pin what is particular to Zammad and how the adapter hides it.
"""

import os
import sys
from pathlib import Path

import pytest

from ci_plugin import config as config_module
from ci_plugin.app import load_plugins, open_register
from ci_plugin.cli import main
from ci_plugin.errors import AuthenticationError, ConfigError, HostRefused, UsageError
from ci_plugin.register import ImprovementRegister
from tests.fixture_hosts.zammad_fake import FakeZammad
from tests.fixture_hosts.zammad_harness import EXAMPLE, ZammadHarness, install_example, provision, uninstall_example

sys.path.insert(0, str(EXAMPLE))  # the package's source; tests/live installs it with pip

import ci_host_zammad  # noqa: E402
from ci_host_zammad import adapter as adapter_module  # noqa: E402
from ci_host_zammad.adapter import ZammadAdapter, attribute_name, decode_ids, encode_ids  # noqa: E402
from ci_host_zammad.settings import SCHEMA  # noqa: E402


def write_config(path: Path, fake: FakeZammad, extra: str = "") -> Path:
    path.write_text(f'[host]\ntype = "zammad"\nurl = "{fake.url}"\ntoken = "{fake.token}"\nretries = 0\n{extra}')
    return path


def register_for(path: Path) -> ImprovementRegister:
    """The register of a config, the example's plugin module handed to the plugin manager (no
    entry point needed): ``[zammad]`` is validated and completed before the adapter is built."""
    cfg = config_module.load(path)
    plugins = load_plugins(cfg, load_external=False, extra_plugins=[("zammad", ci_host_zammad)])
    return open_register(cfg, plugins=plugins)


@pytest.fixture(scope="module")
def fake():
    with FakeZammad() as running:
        yield running


@pytest.fixture(scope="module")
def base_config(fake, tmp_path_factory):
    path = write_config(tmp_path_factory.mktemp("zammad") / "ci-plugin.toml", fake)
    register = register_for(path)
    from ci_plugin.ops.setup import setup

    first = setup(register)
    assert not first.complete and [m.filename for m in first.pending] == ["ci-plugin-zammad-restart.sh"]
    assert [f.name for f in first.failing] == ["restart after the attribute migration"]
    fake.restart()
    assert setup(register_for(path)).complete
    return path


class Harness(ZammadHarness):
    """The contract harness, with the register of :func:`register_for` (no entry point needed)."""

    @property
    def register(self):
        if self._register is None:
            self._register = register_for(self.config_path)
        return self._register


@pytest.fixture
def zammad(fake, base_config, tmp_path):
    return Harness(base_config, tmp_path, fake.url, fake)


def test_ids_and_attribute_names():
    assert encode_ids(["11", "12"]) == ",11,12," and decode_ids(",11,12,") == ["11", "12"] and encode_ids([]) == ""
    assert attribute_name("CI Source Ticket") == "ci_source_ticket" and attribute_name("9 lives") == "ci_9_lives"


def test_settings_live_in_the_plugin_table_and_are_checked(fake, tmp_path):
    path = write_config(tmp_path / "c.toml", fake, '[zammad]\ngroup = "CI register"\n')
    assert register_for(path).host.group_name == "CI register"
    bad = write_config(tmp_path / "bad.toml", fake, '[zammad]\ngrup = "x"\n')
    with pytest.raises(ConfigError, match=r"\$\.zammad\.grup: unknown key 'grup'"):
        register_for(bad)


def test_the_section_schema_is_closed_with_a_default_for_every_key():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["additionalProperties"] is False
    assert all("default" in prop for prop in SCHEMA["properties"].values())


def test_the_composition_root_fills_the_section_defaults(fake, tmp_path):
    defaults = {"group": "Improvements", "problem_group": "Problems", "project_group": "Projects", "customer": ""}
    register = register_for(write_config(tmp_path / "none.toml", fake))
    assert register.config.section("zammad") == defaults  # no [zammad] table at all
    assert register.host.settings == defaults and register.host.problem_group == "Problems"
    register = register_for(write_config(tmp_path / "some.toml", fake, '[zammad]\nproject_group = "Change"\n'))
    assert register.config.section("zammad") == {**defaults, "project_group": "Change"}
    assert register.host.project_group == "Change" and register.host.group_name == "Improvements"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """The example pip-installed, so that the CLI finds it by its entry point."""
    previous = os.environ.get("PYTHONPATH")
    target = install_example(tmp_path_factory.mktemp("zammad-site"))
    yield target
    uninstall_example(target, previous)


@pytest.mark.parametrize("table, path, words", [
    ('grop = "Improvements"', "$.zammad.grop", "unknown key 'grop'"),
    ('group = ""', "$.zammad.group", "'' should be non-empty"),
    ("problem_group = 7", "$.zammad.problem_group", "7 is not of type 'string'"),
])
def test_the_cli_refuses_a_bad_section_value_with_its_json_path(installed_example, fake, tmp_path, capsys,
                                                                monkeypatch, table, path, words):
    monkeypatch.setenv("CI_PLUGIN_DISABLE_EXTERNAL", "1")  # the host's plugin loads anyway: the config names it
    config = write_config(tmp_path / "bad.toml", fake, f"[zammad]\n{table}\n")
    requests = sum(fake.requests.values())
    assert main(["--config", str(config), "doctor"]) == 2
    err = capsys.readouterr().err
    assert f"{config}: {path}: {words}" in err, err
    assert sum(fake.requests.values()) == requests  # refused before the host was asked anything


def test_token_header_and_a_wrong_token(fake, base_config, tmp_path):
    adapter = register_for(base_config).host
    assert adapter.session.session.headers["Authorization"] == f"Token token={fake.token}"
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(base_config.read_text().replace(fake.token, "not-the-token"))
    with pytest.raises(AuthenticationError, match=r"Zammad rejected the credentials \(HTTP 401\): Invalid token!") as err:
        register_for(wrong).host.about()
    assert "not-the-token" not in str(err.value)


def test_setup_gave_the_token_user_access_to_the_new_groups(fake, base_config):
    access = fake.users[fake.me]["group_ids"]
    names = {g["id"]: g["name"] for g in fake.groups.values()}
    assert {names[int(i)] for i, rights in access.items() if "full" in rights} >= {"Improvements", "Problems", "Projects"}


def test_values_dropped_before_the_restart_are_refused_and_the_stray_ticket_deleted(fake, zammad):
    adapter = zammad.register.host
    source = zammad.ticket("Backups fail")
    known = set(fake.live)
    fake.live.discard("ci_category")  # as if the column were migrated but Zammad not restarted
    try:
        before = set(fake.tickets)
        with pytest.raises(HostRefused, match="did not store CI Category .*restarted after the attribute migration"):
            adapter.create_improvement("Backups", "", {"category": "process", "source_tickets": [source]},
                                       {"sources": [source]})
        assert set(fake.tickets) == before  # deleted again
    finally:
        fake.live = known


def test_values_zammad_would_not_keep_are_refused_before_sending(zammad):
    adapter = zammad.register.host
    imp = adapter.create_improvement(f"Checked values [{zammad.tag}]", "d", {"category": "service"}, {})
    puts = adapter.session.counts["PUT"]
    with pytest.raises(UsageError, match="'sideways' is not a value of Zammad attribute 'CI Category'"):
        adapter.update_fields(imp, {"category": "sideways"})  # Zammad itself would store any select value
    with pytest.raises(UsageError, match="do not fit Zammad attribute 'CI Scoring Model'"):
        adapter.update_fields(imp, {"model": "x" * 300})  # a 422 from the database otherwise
    with pytest.raises(UsageError, match="is not a date"):
        adapter.update_fields(imp, {"target_date": "next week"})
    assert adapter.session.counts["PUT"] == puts and zammad.field(imp, "category") == ["service"]


def test_a_core_workflow_refusal_names_states_not_ids(fake, zammad):
    adapter = zammad.register.host
    imp = adapter.create_improvement(f"Refused move [{zammad.tag}]", "d", {}, {})
    with pytest.raises(HostRefused) as refused:
        adapter.set_status(imp, "closed")
    assert "Invalid value 'closed' for field 'state_id'!" in str(refused.value) and "(now 'new')" in str(refused.value)
    assert zammad.status(imp) == "new"
    adapter.set_status(imp, "assessing")
    assert zammad.status(imp) == "assessing"


def test_links_add_names_the_source_by_number_and_a_second_add_is_success(fake, zammad):
    adapter = zammad.register.host
    problem = zammad.ticket("Known error", kind="problem")
    imp = adapter.create_improvement(f"Linked [{zammad.tag}]", "d", {}, {})
    adapter.add_links(imp, "problems", [problem])
    posts = adapter.session.counts["POST"]
    adapter.add_links(imp, "problems", [problem])  # already there: compared first, nothing sent
    assert adapter.session.counts["POST"] == posts
    row = ("normal", int(problem), int(imp))
    assert fake.links.count(row) == 1
    fake.links.remove(row)  # a link added by someone else between the read and the add: 422, taken as success
    adapter._links_of = lambda ticket_id: []
    fake.links.append(row)
    adapter.add_links(imp, "problems", [problem])
    assert fake.links.count(row) == 1


def test_links_are_read_from_the_improvements_side(zammad):
    adapter = zammad.register.host
    source, project = zammad.ticket("Slow VPN"), zammad.ticket("Network refresh", kind="project")
    older = adapter.create_improvement(f"Original [{zammad.tag}]", "d", {"source_tickets": [source]},
                                       {"sources": [source], "projects": [project]})
    newer = adapter.create_improvement(f"Follow-up [{zammad.tag}]", "d", {}, {})
    blocker = adapter.create_improvement(f"Blocker [{zammad.tag}]", "d", {}, {})
    adapter.add_links(older, "follow_ups", [newer])
    zammad.add_dependency(newer, blocker)
    assert adapter.get_ticket(older, links=True).links == {"sources": [source], "projects": [project],
                                                          "follow_ups": [newer]}
    assert adapter.get_ticket(newer, links=True).links == {"related": [older], "depends_on": [blocker]}
    assert adapter.get_ticket(project, links=True).links == {"improvements": [older]}
    listed = {t.id: t.links for t in adapter.list_improvements(["new"])}
    assert listed[newer] == {"depends_on": [blocker]} and listed[older] == {}


def test_search_follows_pages_past_the_cap_until_a_short_page(fake, zammad, monkeypatch):
    adapter = zammad.register.host
    source = zammad.ticket("Shared source")
    made = [adapter.create_improvement(f"Paged {n} [{zammad.tag}]", "d", {"source_tickets": [source]}, {})
            for n in range(5)]
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    searches = fake.requests[("GET", "tickets/search")]
    assert adapter.improvements_from_source(source) == made
    assert fake.requests[("GET", "tickets/search")] - searches == 3  # 2 + 2 + 1
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 500)  # more than Zammad's 200 per search page
    monkeypatch.setattr(adapter_module, "SEARCH_CAP", 2)  # (a small cap stands for the real one)
    searches = fake.requests[("GET", "tickets/search")]
    assert adapter.improvements_from_source(source) == made
    assert fake.requests[("GET", "tickets/search")] - searches == 3


def test_the_source_condition_matches_whole_ids_only(zammad):
    adapter = zammad.register.host
    one, eleven = zammad.ticket("One"), zammad.ticket("Eleven")
    imp = adapter.create_improvement(f"Ids [{zammad.tag}]", "d", {"source_tickets": [eleven]}, {})
    assert adapter.improvements_from_source(eleven) == [imp]
    assert imp not in adapter.improvements_from_source(one)
    assert zammad.field(imp, "source_tickets") == [eleven]


def test_manual_step_and_doctor_name_the_restart(fake, zammad):
    adapter = zammad.register.host
    step = adapter.manual_steps()[0]
    assert step.fixes == ("restart",) and "systemctl restart zammad" in step.content
    known = set(fake.live)
    fake.live.discard("ci_verdict")
    try:
        adapter._attributes = None
        finding = next(f for f in adapter.check() if f.name.startswith("restart"))
        assert not finding.ok and "ci_verdict" in finding.detail
    finally:
        fake.live = known
