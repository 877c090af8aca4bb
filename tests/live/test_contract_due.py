"""Contract: ``due`` lists open improvements whose review or target date has passed or comes
within the window, overdue first; the announcement ``watch`` makes (``ci_review_due``, recorded
by ``audit_log``) happens once per improvement and date, remembered on the host. Other tests'
improvements share the live hosts: only this test's ids are looked at."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from ci_plugin.ops.due import announce_due

pytestmark = pytest.mark.live


def day(offset: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=offset)).isoformat()


def improvement(host, run_cli, subject, *dates):
    made = run_cli("--config", host.config_path, "convert", host.ticket(subject), "--category", "process")
    assert made.code == 0, made.err
    imp = made.out.strip()
    if dates:
        result = run_cli("--config", host.config_path, "update", imp, *dates)
        assert result.code == 0, result.err
    return imp


def test_due_lists_passed_and_coming_dates_overdue_first(host, run_cli):
    soon = improvement(host, run_cli, "Renew the TLS certificates", "--target-date", day(6))
    late = improvement(host, run_cli, "Review the on-call rota", "--review-date", day(-4), "--target-date", day(20))
    today = improvement(host, run_cli, "Check backup restores", "--review-date", day(0))
    later = improvement(host, run_cli, "Replace the core switch", "--review-date", day(40))
    none = improvement(host, run_cli, "Tidy the wiki")
    mine = {soon, late, today, later, none}
    result = run_cli("--config", host.config_path, "due", "--within", "10", "--json")
    assert result.code == 0, result.err
    listed = [entry for entry in json.loads(result.out) if entry["id"] in mine]
    assert [entry["id"] for entry in listed] == [late, today, soon]
    first = listed[0]
    assert (first["due_field"], first["due_date"], first["days"], first["overdue"]) == ("review_date", day(-4), -4, True)
    assert listed[1]["days"] == 0 and listed[1]["overdue"] is False and listed[2]["due_field"] == "target_date"
    everything = json.loads(run_cli("--config", host.config_path, "due", "--json").out)
    days = [entry["days"] for entry in everything]
    assert days == sorted(days) and all(d <= 14 for d in days)  # default window, overdue first
    wide = {e["id"]: e for e in json.loads(run_cli("--config", host.config_path, "due", "--within", "45", "--json").out)}
    assert later in wide and none not in wide and [d["field"] for d in wide[late]["dates"]] == ["review_date", "target_date"]
    text = run_cli("--config", host.config_path, "due", "--within", "10")
    assert text.code == 0 and f"#{late}" in text.out and "4 days overdue" in text.out


def test_due_refuses_a_bad_window(host, run_cli, capsys):
    for bad in ("-1", "x", "99999", "1.5"):
        with pytest.raises(SystemExit) as exit_:  # argparse refuses it, with its usage line
            run_cli("--config", host.config_path, "due", "--within", bad)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "argument --within: give a whole number of days" in err
        assert "Traceback" not in err


def test_a_come_date_is_announced_once_and_recorded_on_the_host(host, run_cli, tmp_path):
    log = tmp_path / "audit.jsonl"
    host.configure(f'[hooks]\nenabled = ["audit_log"]\n[hooks.audit_log]\npath = "{log}"\n')
    imp = improvement(host, run_cli, "Rotate the shared passwords", "--review-date", day(-2))
    assert announce_due(host.register, set(), only={imp}) == 1
    marker = f"[ci-plugin due: review_date={day(-2)}]"
    assert sum(marker in c for c in host.comments(imp)) == 1
    host.configure(f'[hooks]\nenabled = ["audit_log"]\n[hooks.audit_log]\npath = "{log}"\n')  # a new watcher
    assert announce_due(host.register, set(), only={imp}) == 0
    events = [json.loads(line) for line in log.read_text().splitlines()]
    due_events = [(e["improvement"], e["field"], e["date"]) for e in events if e["event"] == "review_due"]
    assert due_events == [(imp, "review_date", day(-2))]
    assert run_cli("--config", host.config_path, "update", imp, "--review-date", day(-1)).code == 0  # moved
    assert announce_due(host.register, set(), only={imp}) == 1
    assert sum("[ci-plugin due: review_date=" in c for c in host.comments(imp)) == 2
