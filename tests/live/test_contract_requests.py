"""Contract: HTTP requests per CLI process on the live hosts, with a cold and a warm metadata
cache, against what a bare ``requests`` script doing the same job sends (``bench/bare_*.py``:
RT and Redmine convert 5, convert again 2, link 3).

Each ``cli.main`` call is one process's worth of work (a fresh register, fresh adapter); the
requests are counted by the loopback proxy in front of the host, so nothing the program sends
escapes the count. A stale cached id (an admin re-created a field or queue) is found out by the
host's answer, the cache dropped, and the operation still succeeds.
"""

from __future__ import annotations

import json

import pytest

from ci_plugin.domain.workflow import OPEN_STATES

from tests.live.fault_proxy import FaultProxy

pytestmark = pytest.mark.live

BARE = {"convert": 5, "again": 2, "link": 3}
#: Metadata paths per host: a warm process sends none of them; a cold one each at most once.
METADATA = {"rt": ("/queues/all",),
            "redmine": ("/trackers.json", "/issue_statuses.json", "/custom_fields.json", "/projects/")}
#: Reads a one-shot process pays once with a cold cache (Redmine has no combined endpoint).
COLD_READS = {"rt": 1, "redmine": 3}


@pytest.fixture(params=["rt", "redmine"])
def live(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def counted(live, run_cli, tmp_path):
    """``run(*args)`` runs one CLI process through a counting proxy; returns (Run, requests)."""
    with FaultProxy(live.url) as proxy:
        path = tmp_path / "proxied.toml"

        def run(*args):
            path.write_text(live.config_path.read_text().replace(live.url, proxy.url))  # as configured now
            before = len(proxy.seen)
            result = run_cli("--config", path, *args)
            assert result.code == 0, result.err
            return result, [f"{s.method} {s.path.split('?')[0]}" for s in proxy.seen[before:]]

        yield run


def metadata_reads(live, requests):
    return [r for r in requests if any(p in r for p in METADATA[live.name])]


def test_convert_link_and_again_cost_at_most_one_request_more_than_a_bare_script(live, counted):
    counted("convert", live.ticket("Warm the cache"))  # what the first conversion of the day reads
    source, problem = live.ticket("Printer queue stalls"), live.ticket("Print server", kind="problem")
    made, sent = counted("convert", source, "--json")
    imp = json.loads(made.out)["id"]
    assert metadata_reads(live, sent) == [] and len(sent) <= BARE["convert"] + 1, sent
    assert [r.split()[0] for r in sent].count("GET") <= 4, sent  # no read-back of what was just created
    _, sent = counted("convert", source)
    # + the improvement and the source's comments, read to finish an interrupted conversion
    assert metadata_reads(live, sent) == [] and len(sent) <= BARE["again"] + 2, sent
    linked, sent = counted("link", imp, "--problem", problem)
    assert "linked to problem" in linked.out
    assert metadata_reads(live, sent) == [] and len(sent) <= BARE["link"] + 1, sent
    assert live.linked(imp, "problems") == [problem]  # and the host agrees


def test_a_cold_process_reads_each_piece_of_metadata_once_and_the_next_none(live, counted, metadata_cache_dir):
    source = live.ticket("VPN drops at noon")
    _, cold = counted("convert", source)
    first = metadata_reads(live, cold)
    assert len(first) == len(set(first)) and 1 <= len(first) <= COLD_READS[live.name], cold
    assert len(cold) <= BARE["convert"] + 1 + COLD_READS[live.name], cold
    assert list(metadata_cache_dir.glob("*.json"))  # cached between processes
    _, warm = counted("convert", live.ticket("VPN drops at one"))
    assert metadata_reads(live, warm) == [] and len(warm) <= BARE["convert"] + 1, warm


def test_prioritize_with_nothing_to_change_and_register_send_only_the_list(live, counted):
    counted("convert", live.ticket("Badge reader fails"))
    counted("prioritize")
    ranked, sent = counted("prioritize", "--json")
    writes = json.loads(ranked.out)["writes"]  # others share the live host: a new one may shift ranks
    lists = [r for r in sent if r.startswith("GET ")]
    assert metadata_reads(live, sent) == [] and len(sent) == len(lists) + writes, sent
    listed, sent = counted("register", "--json")
    entries = json.loads(listed.out)
    pages = -(-len(entries) // 100)  # the register's pages, nothing else
    assert metadata_reads(live, sent) == [] and len(sent) == pages, sent
    # prioritize read only the pages of the improvements it ranks (the open ones), nothing else
    ranked_open = sum(1 for e in entries if e["state"] in OPEN_STATES)
    assert len(lists) == -(-ranked_open // 100), (len(lists), ranked_open)


def test_a_ttl_of_zero_reads_metadata_in_every_process(live, counted, metadata_cache_dir):
    text = live.config_path.read_text()
    assert "[host]\n" in text
    live.config_path.write_text(text.replace("[host]\n", "[host]\nmetadata_ttl = 0\n", 1))
    counted("convert", live.ticket("No cache here"))
    _, sent = counted("convert", live.ticket("Nor here"))
    assert metadata_reads(live, sent) and not list(metadata_cache_dir.glob("*.json")), sent


def stale(live, entries):
    """Make every cached id wrong, the way a re-created queue or field would."""
    if live.name == "rt":
        entries["queues"]["value"] = {name: str(int(i) + 1000) for name, i in entries["queues"]["value"].items()}
    else:
        for cf in entries["custom_fields"]["value"]:
            cf["id"] = int(cf["id"]) + 1000
        entries["trackers"]["value"] = {n: {**t, "id": int(t["id"]) + 1000} for n, t in entries["trackers"]["value"].items()}


def test_a_stale_cached_id_is_invalidated_and_the_conversion_still_succeeds(live, counted, metadata_cache_dir):
    counted("convert", live.ticket("Warm the cache"))
    [path] = metadata_cache_dir.glob("*.json")
    document = json.loads(path.read_text())
    stale(live, document["entries"])
    path.write_text(json.dumps(document))
    source = live.ticket("Mail relay rejects partners")
    made, sent = counted("convert", source, "--json")
    record = json.loads(made.out)
    assert record["created"] is True and record["source_tickets"] == [source]
    assert live.improvements_for(source) == [record["id"]]
    assert live.field(record["id"], "source_tickets") == [source]
    assert metadata_reads(live, sent), sent  # read afresh
    fresh = json.loads(path.read_text())["entries"]
    assert fresh != document["entries"]  # the stale ids were replaced
    _, again = counted("convert", source)
    assert metadata_reads(live, again) == []  # and the next process is warm with the right ids
