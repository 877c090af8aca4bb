"""Benchmark: ``report`` (the document and the HTML page) for a register of N improvements on the
in-memory host: N improvements raised directly, every third one assessed with the quadrant model,
every tenth one measured. Prints the seconds to build the document, to render the page, and the
page's size. Run on demand:

    .venv/bin/python bench/report.py [N]        # default N = 10000; targets < 10 s, < 5 MB
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ci_plugin.cli.report_html import render  # noqa: E402
from ci_plugin.ops.assess import assess  # noqa: E402
from ci_plugin.ops.measure import measure  # noqa: E402
from ci_plugin.ops.report import report  # noqa: E402
from tests.unit.memory_desk import Desk  # noqa: E402


def main(count: int) -> None:
    """Fill a memory register with ``count`` improvements, then time the report."""
    desk = Desk()
    for i in range(count):
        imp = desk.store.create_ticket("Improvements", f"improvement {i} <&>", "", {desk.cf("source"): "idea"},
                                       creator=f"user{i % 37}")
        if i % 3 == 0:
            assess(desk.register, imp, "quadrant", {"value": 1 + i % 10, "effort": 1 + (i // 10) % 10})
        if i % 10 == 0:
            measure(desk.register, imp, "MTTR", baseline=8, target=4, actual=5 + i % 3, unit="h")
    start = time.perf_counter()
    document = report(desk.register)
    built = time.perf_counter()
    page = render(document)
    done = time.perf_counter()
    print(f"{count} improvements: document {built - start:.2f} s, render {done - built:.2f} s, "
          f"total {done - start:.2f} s, page {len(page.encode()) / 1e6:.2f} MB, "
          f"{len(document['matrix']['points'])} matrix points")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
