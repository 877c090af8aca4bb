"""HTTP requests per operation against the live hosts, side by side (RT and Redmine).

Needs the hosts up (``bash scripts/rt-host.sh up``, ``bash scripts/redmine-host.sh up``, both
provisioned, as ``scripts/test.sh`` leaves them). Creates a few tickets, then counts the
requests each operation sends, with host metadata already cached (a fresh process pays the
metadata reads once; they are shown on their own line). Run on demand:

    .venv/bin/python bench/requests_per_op.py
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ci_plugin import config as config_module  # noqa: E402
from ci_plugin.ops.convert import convert  # noqa: E402
from ci_plugin.ops.link import link  # noqa: E402
from ci_plugin.ops.prioritize import prioritize  # noqa: E402
from ci_plugin.app import open_register  # noqa: E402
from ci_plugin.register import ImprovementRegister  # noqa: E402
from tests.conftest import STATE  # noqa: E402

HOSTS = {
    "rt": ("tests.live.rt_harness", "RTHarness", "CI_PLUGIN_RT_URL", "CI_PLUGIN_RT_TOKEN"),
    "redmine": ("tests.live.redmine_harness", "RedmineHarness", "CI_PLUGIN_REDMINE_URL", "CI_PLUGIN_REDMINE_KEY"),
}


def env_of(name: str, url_key: str, secret_key: str) -> dict[str, str] | None:
    """URL and secret of a live host from its env file, or None if it is not up."""
    env_file = STATE / name / "env"
    if not env_file.exists():
        return None
    values = {}
    for line in env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = value.strip("'\"")
    os.environ[secret_key] = values.get(secret_key, "")
    return values if values.get(url_key) else None


def counted(register: ImprovementRegister, action) -> tuple[Counter, object]:
    """Run ``action`` and return the requests it sent, by method."""
    before = Counter(register.host.session.counts)
    result = action()
    return Counter(register.host.session.counts) - before, result


def fmt(counts: Counter) -> str:
    total = sum(counts.values())
    parts = " ".join(f"{m}:{n}" for m, n in sorted(counts.items()))
    return f"{total:>4} ({parts})" if total else "   0"


def measure(name: str) -> dict[str, str] | None:
    module_name, class_name, url_key, secret_key = HOSTS[name]
    env = env_of(name, url_key, secret_key)
    if env is None:
        return None
    module = __import__(module_name, fromlist=[class_name])
    tmp = Path(tempfile.mkdtemp())
    base = tmp / "base.toml"
    token_env = secret_key
    base.write_text(f'[host]\ntype = "{name}"\nurl = "{env[url_key]}"\ntoken_env = "{token_env}"\n')
    harness = getattr(module, class_name)(base, tmp, env[url_key])
    source, problem = harness.ticket("bench source"), harness.ticket("bench problem", kind="problem")

    register = open_register(base)
    rows = {}
    warm, _ = counted(register, lambda: (register.host.about(), register.host.improvements_from_source(source)))
    rows["metadata + first search (once per process)"] = fmt(warm)
    created, result = counted(register, lambda: convert(register, [source]))
    rows["convert 1 ticket (new)"] = fmt(created)
    again, _ = counted(register, lambda: convert(register, [source]))
    rows["convert again (existing)"] = fmt(again)
    linked, _ = counted(register, lambda: link(register, result.improvement.id, problems=[problem]))
    rows["link to a problem"] = fmt(linked)
    listed, improvements = counted(register, lambda: list(register.list()))
    n = len(improvements)
    rows["register, all pages"] = f"{fmt(listed)} N={n}, ceil(N/100)={math.ceil(n / 100)}"
    first, report = counted(register, lambda: prioritize(register))
    rows["prioritize open improvements"] = f"{fmt(first)} N={len(report.entries)}, {report.writes} written"
    second, report = counted(register, lambda: prioritize(register))
    rows["prioritize again (nothing changed)"] = f"{fmt(second)} {report.writes} written"
    return rows


def main() -> None:
    results = {name: measure(name) for name in HOSTS}
    live = {k: v for k, v in results.items() if v}
    if not live:
        sys.exit("no live host is up: run bash scripts/rt-host.sh up (and/or scripts/redmine-host.sh up)")
    print("| operation | " + " | ".join(live) + " |")
    print("|---|" + "---|" * len(live))
    for label in next(iter(live.values())):
        print(f"| {label} | " + " | ".join(rows[label].strip() for rows in live.values()) + " |")
    for name, rows in results.items():
        if rows is None:
            print(f"({name}: not up, skipped)")


if __name__ == "__main__":
    main()
