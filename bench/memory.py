"""Benchmark: peak memory (RSS) of CLI commands over a register of N improvements.

Starts ``bench/rt_stub.py`` with N improvements on loopback (in its own process), writes a
configuration pointing at it, and runs each command as its own ``ci-plugin`` process, with
stdout to /dev/null; prints the process's peak RSS (``ru_maxrss`` from ``wait4``), its wall
time and the requests the stub saw. Run on demand:

    .venv/bin/python bench/memory.py [N]        # default N = 100000; target < 200 MB each
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.prioritize import Stub  # noqa: E402

COMMANDS = (
    ("register --json", ["register", "--json"]),
    ("prioritize --dry-run --json", ["prioritize", "--model", "wsjf", "--dry-run", "--json"]),
    ("prioritize (first run, N writes)", ["prioritize", "--model", "wsjf"]),
    ("register --json (after)", ["register", "--json"]),
    ("prioritize (nothing changed)", ["prioritize", "--model", "wsjf"]),
)


def run(config: Path, args: list[str]) -> tuple[int, float, float]:
    """Run one ci-plugin process; return (exit code, peak RSS in MB, wall seconds)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        process = subprocess.Popen([sys.executable, "-m", "ci_plugin", "--config", str(config), *args],
                                   stdout=devnull, stderr=subprocess.PIPE, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
        process.stderr.close()
    if process.returncode:
        print(f"  {' '.join(args)} exited {process.returncode}: {errors.strip()[-300:]}")
    return process.returncode, usage.ru_maxrss / 1024, time.perf_counter() - started


def main(count: int) -> None:
    """Run every command once against a fresh stub of ``count`` improvements; print the figures."""
    stub = Stub(count)
    config = Path(tempfile.mkdtemp()) / "bench.toml"
    config.write_text(f'[host]\ntype = "rt"\nurl = "{stub.url}"\ntoken = "bench"\n')
    print(f"peak RSS per ci-plugin process, N = {count} improvements, RT REST2 stub on loopback")
    print(f"{'command':<36}{'exit':>5}{'RSS MB':>9}{'wall s':>9}{'stub requests':>15}")
    for label, args in COMMANDS:
        before = sum(stub.call("requests").values())
        code, rss, wall = run(config, args)
        after = sum(stub.call("requests").values())
        print(f"{label:<36}{code:>5}{rss:>9.1f}{wall:>9.1f}{after - before:>15}")
    stub.stop()
    print("target: < 200 MB RSS for each command")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
