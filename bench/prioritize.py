"""Benchmark: prioritise a register of N improvements against a loopback stub of RT's REST2.

Prints HTTP requests per operation, writes, and the plugin's CPU time per improvement (scoring,
input validation, ranking, decoding; the stub runs in other threads and its own CPU is excluded
by measuring the process CPU of the prioritise call minus nothing it does not do: the stub
serves from a separate process). Run on demand:

    .venv/bin/python bench/prioritize.py [N]      # default N = 10000
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])

from ci_plugin import config  # noqa: E402
from ci_plugin.ops.prioritize import prioritize  # noqa: E402
from ci_plugin.app import open_register  # noqa: E402
from ci_plugin.scoring.base import score  # noqa: E402


def serve(count: int, ready, stop) -> None:
    """Run the stub in a child process, so its CPU is not counted as the plugin's."""
    from bench.rt_stub import StubRT

    with StubRT(count) as stub:
        ready.send((stub.url, None))
        stop.recv()
        ready.send((None, dict(stub.requests)))


def main(count: int) -> None:
    """Run the benchmark and print its figures."""
    parent, child = multiprocessing.Pipe()
    stop_parent, stop_child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(count, child, stop_child), daemon=True)
    process.start()
    url, _ = parent.recv()
    cfg = config.parse(f'[host]\ntype = "rt"\nurl = "{url}"\ntoken = "bench"\n')
    register = open_register(cfg)
    host = register.host
    host._queues["Improvements"] = {"id": 3, "Name": "Improvements", "Lifecycle": "ci-improvement"}

    rounds = []
    for label in ("first run (everything changes)", "second run (nothing changed)"):
        before = dict(host.session.counts)
        cpu, wall = time.process_time(), time.perf_counter()
        report = prioritize(register, model="wsjf")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        requests = {m: host.session.counts[m] - before.get(m, 0) for m in host.session.counts}
        rounds.append((label, report, requests, cpu, wall))

    # Scoring + input validation alone, on the same inputs, for the per-improvement plugin cost.
    improvements = [e.improvement for e in rounds[1][1].entries]
    model = register.plugins.scoring_models()["wsjf"]
    cpu = time.process_time()
    for improvement in improvements:
        score(model, improvement.get("assessment")["inputs"], {})
    scoring_cpu = time.process_time() - cpu

    stop_parent.send(True)
    _, served = parent.recv()
    process.join(5)

    print(f"prioritize, N = {count} improvements, RT REST2 stub on loopback")
    print(f"{'run':<34}{'GET':>6}{'PUT':>7}{'writes':>8}{'wall s':>9}{'CPU s':>8}{'CPU us/imp':>12}")
    for label, report, requests, cpu_s, wall_s in rounds:
        print(f"{label:<34}{requests.get('GET', 0):>6}{requests.get('PUT', 0):>7}{report.writes:>8}"
              f"{wall_s:>9.2f}{cpu_s:>8.2f}{cpu_s / count * 1e6:>12.1f}")
    print(f"target reads: ceil(N/100) = {math.ceil(count / 100)}; writes: one per changed improvement")
    print(f"scoring + input validation only: {scoring_cpu / count * 1e6:.1f} us per improvement (target <= 50)")
    print(f"stub saw: {served}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
