"""Benchmark: prioritise a register of N improvements against a loopback stub of RT's REST2.

Prints HTTP requests per operation, writes, and the plugin's CPU time per improvement (scoring,
input validation, ranking, decoding; the stub serves from a separate process, so its CPU is not
counted). Three runs: the first (every order key new), a second with nothing changed, and a
third after **one new improvement with the top score** was added (rank churn: with order keys
only that one is written). ``--latency`` adds seconds to every stub answer, and ``--compare``
then times the first run sequentially (``max_concurrency = 1``) and with the pool. Run on demand:

    .venv/bin/python bench/prioritize.py [N]                                  # default N = 10000
    .venv/bin/python bench/prioritize.py 1000 --latency 0.03 --compare 1 4    # the bounded pool
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])

from ci_plugin import config  # noqa: E402
from ci_plugin.ops.prioritize import prioritize  # noqa: E402
from ci_plugin.app import open_register  # noqa: E402
from ci_plugin.scoring.base import score  # noqa: E402


def serve(count: int, latency: float, pipe) -> None:
    """Run the stub in a child process; answer commands: ``add_top``, ``requests``, ``stop``."""
    from bench.rt_stub import StubRT

    with StubRT(count, latency=latency) as stub:
        pipe.send(stub.url)
        while True:
            command = pipe.recv()
            if command == "add_top":
                pipe.send(stub.add_top())
            elif command == "requests":
                pipe.send(dict(stub.requests))
            else:
                pipe.send(dict(stub.requests))
                return


class Stub:
    """The stub process and its command pipe."""

    def __init__(self, count: int, latency: float = 0.0):
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=serve, args=(count, latency, child), daemon=True)
        self.process.start()
        self.url = self.pipe.recv()

    def call(self, command: str):
        """Send a command, return the answer."""
        self.pipe.send(command)
        return self.pipe.recv()

    def stop(self) -> dict:
        """Stop the stub; return the requests it saw."""
        served = self.call("stop")
        self.process.join(5)
        return served


def register_on(url: str, max_concurrency: int = 4):
    """A register on the stub (queue metadata pre-filled: the stub serves only what ranking uses)."""
    cfg = config.parse(f'[host]\ntype = "rt"\nurl = "{url}"\ntoken = "bench"\nmax_concurrency = {max_concurrency}\n')
    register = open_register(cfg)
    register.host._queues["Improvements"] = {"id": 3, "Name": "Improvements", "Lifecycle": "ci-improvement"}
    return register


def timed(register):
    """One prioritize: (report, requests by method, CPU s, wall s)."""
    host = register.host
    before = dict(host.session.counts)
    cpu, wall = time.process_time(), time.perf_counter()
    report = prioritize(register, model="wsjf")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    requests = {m: host.session.counts[m] - before.get(m, 0) for m in host.session.counts}
    return report, requests, cpu, wall


def churn(count: int) -> None:
    """First run, second run, and the run after one new top improvement."""
    stub = Stub(count)
    register = register_on(stub.url)
    rounds = []
    for label in ("first run (every key new)", "second run (nothing changed)", "after one new top improvement"):
        if label.startswith("after"):
            new = stub.call("add_top")
        rounds.append((label, *timed(register)))
    last = rounds[-1][1]
    top = last.entries[0]
    assert top.improvement.id == str(new), "the new improvement should rank first"

    # Scoring + input validation alone, on the same inputs, for the per-improvement plugin cost.
    improvements = [e.improvement for e in rounds[1][1].entries]
    model = register.plugins.scoring_models()["wsjf"]
    cpu = time.process_time()
    for improvement in improvements:
        score(model, improvement.get("assessment")["inputs"], {})
    scoring_cpu = time.process_time() - cpu
    served = stub.stop()

    print(f"prioritize, N = {count} improvements, RT REST2 stub on loopback, max_concurrency = 4")
    print(f"{'run':<34}{'GET':>6}{'PUT':>7}{'writes':>8}{'wall s':>9}{'CPU s':>8}{'CPU us/imp':>12}")
    for label, report, requests, cpu_s, wall_s in rounds:
        print(f"{label:<34}{requests.get('GET', 0):>6}{requests.get('PUT', 0):>7}{report.writes:>8}"
              f"{wall_s:>9.2f}{cpu_s:>8.2f}{cpu_s / count * 1e6:>12.1f}")
    print(f"one new top improvement: {last.writes} write(s) (#{top.improvement.id}, position 1); "
          f"stored positions would have rewritten {count + 1}")
    print(f"target reads: ceil(N/100) = {math.ceil(count / 100)}; writes: one per changed improvement")
    print(f"scoring + input validation only: {scoring_cpu / count * 1e6:.1f} us per improvement (target <= 50)")
    print(f"stub saw: {served}")


def compare(count: int, latency: float, settings: list[int]) -> None:
    """Time the first prioritize (every key new: N writes) at each max_concurrency setting."""
    print(f"prioritize, first run, N = {count}, stub latency {latency * 1000:.0f} ms per request")
    print(f"{'max_concurrency':<18}{'PUT':>7}{'wall s':>9}{'writes/s':>10}{'speed-up':>10}")
    base = None
    for setting in settings:
        stub = Stub(count, latency)
        register = register_on(stub.url, setting)
        report, requests, _, wall = timed(register)
        stub.stop()
        base = base or wall
        print(f"{setting:<18}{requests.get('PUT', 0):>7}{wall:>9.2f}{report.writes / wall:>10.1f}{base / wall:>9.2f}x")


def main() -> None:
    """Parse the arguments, run the benchmark, print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every stub answer")
    parser.add_argument("--compare", type=int, nargs="+", metavar="MAX_CONCURRENCY",
                        help="time the first run at each max_concurrency setting instead")
    args = parser.parse_args()
    if args.compare:
        compare(args.count, args.latency, args.compare)
    else:
        churn(args.count)


if __name__ == "__main__":
    main()
