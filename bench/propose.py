"""Benchmark: ``propose`` over N tickets: search requests, and CPU for reading and grouping.

Fills a provisioned memory host with N candidate tickets (three queues; subjects from 60
recurring templates with numbers, ids and a random extra word, plus one ticket in five with a
subject of random words that recurs with nothing), counts the adapter's search calls (one per
page, like an HTTP request of RT or Redmine) and measures the process CPU time of
``propose`` (read + grouping + covered check) and of the grouping alone. Run on demand:

    .venv/bin/python bench/propose.py [N ...]        # default: 10000; target < 5 s CPU, ceil(N/100) pages
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ci_plugin import config as config_module  # noqa: E402
from ci_plugin.app import open_register  # noqa: E402
from ci_plugin.domain import recurrence  # noqa: E402
from ci_plugin.hosts.memory import MemoryAdapter, MemoryStore  # noqa: E402
from ci_plugin.ops.propose import propose  # noqa: E402
from ci_plugin.plugins import PluginManager  # noqa: E402

CONFIG = '[host]\ntype = "memory"\nurl = "http://memory.localhost/bench"\ntoken = "bench-token"\n'
WORDS = ("vpn printer mail server laptop wifi password reset drops slow down fails error timeout sleep login "
         "account disk full backup share folder access denied screen flicker meeting room phone headset badge "
         "door license expired update stuck browser crash portal sync calendar invite").split()
QUEUES = ("General", "Network", "Workplace")


def subjects(count: int, rnd: random.Random) -> list[tuple[str, str]]:
    """``(queue, subject)`` of N tickets: 80 % from 60 templates, 20 % random noise."""
    templates = [" ".join(rnd.sample(WORDS, rnd.randint(3, 6))) for _ in range(60)]
    rows = []
    for i in range(count):
        if rnd.random() < 0.8:
            words = rnd.choice(templates).split()
            if rnd.random() < 0.3:
                words.append(rnd.choice(WORDS))
            words.insert(rnd.randrange(len(words) + 1), f"#{rnd.randrange(100000)}")
            words.append(f"INC{rnd.randrange(10 ** 6):06d}")
        else:
            words = rnd.sample(WORDS, rnd.randint(2, 7)) + [str(i)]
        rows.append((rnd.choice(QUEUES), " ".join(words)))
    return rows


def run(count: int) -> dict:
    """One measurement for N tickets."""
    rnd = random.Random(count)
    store = MemoryStore("http://memory.localhost/bench", "bench-token")
    config = config_module.parse(CONFIG, environ={})
    adapter = MemoryAdapter(config, store=store)
    adapter.provision()
    store.install_workflow(json.loads(adapter.manual_steps()[0].content))
    for queue in QUEUES[1:]:
        store.create_queue(queue)
    rows = subjects(count, rnd)
    for queue, subject in rows:
        store.create_ticket(queue, subject)
    register = open_register(config, plugins=PluginManager(load_external=False), host=MemoryAdapter(config, store=store))
    calls: Counter[str] = Counter()
    original = register.host._call
    register.host._call = lambda op, method, action: (calls.update([op]), original(op, method, action))[1]
    cpu = time.process_time()
    document = propose(register, min_count=5)
    total_cpu = time.process_time() - cpu
    occurrences = [recurrence.Occurrence(str(i), q, s) for i, (q, s) in enumerate(rows)]
    cpu = time.process_time()
    groups = recurrence.group(occurrences, min_count=5)
    group_cpu = time.process_time() - cpu
    return {"tickets": count, "read": document["tickets_read"], "pages": calls["candidate_occurrences"],
            "expected_pages": math.ceil(count / 100), "proposals": len(document["proposals"]),
            "groups": len(groups), "propose_cpu_s": round(total_cpu, 3), "group_cpu_s": round(group_cpu, 3)}


def main(argv: list[str]) -> int:
    """Print one line per N."""
    for count in [int(a) for a in argv] or [10000]:
        result = run(count)
        print(json.dumps(result))
        if result["pages"] != result["expected_pages"] or result["propose_cpu_s"] >= 5:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
