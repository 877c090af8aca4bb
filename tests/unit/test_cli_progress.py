"""The progress bar of long commands: drawn on stderr when it is a terminal, never when it is a
pipe or a file; sync and prioritize tell it how far they have come."""

import io

from ci_plugin.cli.progress import Bar, bar
from ci_plugin.ops.assess import assess
from ci_plugin.ops.prioritize import prioritize
from ci_plugin.ops.sync import sync
from tests.unit.memory_desk import desk  # noqa: F401 (fixture)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_bar_redrawn_in_place_and_ended():
    stream = Terminal()
    tick = bar("sync", stream)
    assert isinstance(tick, Bar)
    for done in range(1, 5):
        tick(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("[" + "#" * 30 + "] 4/4\n")
    assert "\rsync [" + "#" * 7 + "." * 23 + "] 1/4" in text  # 25 % of 30 columns


def test_a_pipe_or_file_gets_nothing():
    assert bar("sync", io.StringIO()) is None


def test_a_bar_redraws_at_most_once_per_percent():
    stream = Terminal()
    tick = bar("prioritize", stream)
    for done in range(1, 1001):
        tick(done, 1000)
    assert stream.getvalue().count("\r") == 101  # 0 % to 100 %


def test_sync_ticks_once_per_flagged_ticket(desk):
    for n in range(3):
        desk.ticket(f"flagged {n}", flagged=True)
    ticks = []
    report = sync(desk.register, tick=lambda done, total: ticks.append((done, total)))
    assert len(report.converted) == 3 and ticks == [(1, 3), (2, 3), (3, 3)]


def test_prioritize_ticks_up_to_the_total(desk):
    for n in range(3):
        imp = desk.store.create_ticket("Improvements", f"idea {n}", "", {desk.cf("source"): "idea"})
        assess(desk.register, imp, "quadrant", {"value": 1 + n, "effort": 2})
    ticks = []
    prioritize(desk.register, progress=lambda done, total: ticks.append((done, total)))
    assert ticks and ticks[-1] == (3, 3) and all(total == 3 for _, total in ticks)
