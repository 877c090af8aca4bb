"""Contract: one follow-up per improvement and cause (issue 8, point 11), with the built-in
``followup_on_missed`` hook against the live hosts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.live

WALK = ("assessing", "approved", "planned", "in-progress", "measuring", "closed")


@pytest.fixture(params=("rt", "redmine"))
def live(request):
    """Each live host."""
    return request.getfixturevalue(request.param)


def ok(run_cli, live, *args):
    result = run_cli("--config", live.config_path, *args)
    assert result.code == 0, result.err
    return result


def close(run_cli, live, imp, walk=WALK):
    for state in walk:
        ok(run_cli, live, "transition", imp, state)


def test_closing_a_reopened_improvement_again_with_the_same_miss_reuses_its_open_follow_up(live, run_cli):
    live.configure('[hooks]\nenabled = ["followup_on_missed"]\n')
    imp = ok(run_cli, live, "convert", live.ticket("Shorten change lead time"), "--category", "process").out.strip()
    ok(run_cli, live, "measure", imp, "--kpi", "lead time", "--baseline", "10", "--target", "5", "--actual", "11",
       "--unit", "d")
    close(run_cli, live, imp)
    first = live.linked(imp, "follow_ups")
    assert len(first) == 1
    close(run_cli, live, imp)  # re-opened (closed -> assessing) and closed again, still missed
    assert live.linked(imp, "follow_ups") == first
    ok(run_cli, live, "transition", first[0], "rejected")  # the follow-up is done with: a new one is due
    close(run_cli, live, imp)
    again = live.linked(imp, "follow_ups")
    assert len(again) == 2 and first[0] in again
