"""HTTP requests per one-shot CLI process on the live hosts (RT and Redmine), next to a bare
``requests`` script doing the same job (:mod:`bench.bare_scripts`), and the wall time of 20
conversions against the bare script's.

Needs the hosts up (``bash scripts/rt-host.sh up``, ``bash scripts/redmine-host.sh up``, both
provisioned, as ``scripts/test.sh`` leaves them). Creates a few tickets on each host. Every
ci-plugin figure is one ``ci-plugin`` command run as a CLI process does it (a fresh register,
adapter and session: ``cli.main``), its requests counted by a loopback proxy in front of the
host, so nothing it sends escapes the count; "cold" starts with an empty metadata cache (the
first command after ``[host] metadata_ttl`` ran out, or with the cache off), "warm" with the
cache a previous command left. Run on demand:

    .venv/bin/python bench/requests_per_op.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bare_scripts import BareRedmine, BareRT  # noqa: E402
from ci_plugin import cli  # noqa: E402
from tests.conftest import STATE  # noqa: E402
from tests.live.fault_proxy import FaultProxy  # noqa: E402

HOSTS = {
    "rt": ("tests.live.rt_harness", "RTHarness", "CI_PLUGIN_RT_URL", "CI_PLUGIN_RT_TOKEN"),
    "redmine": ("tests.live.redmine_harness", "RedmineHarness", "CI_PLUGIN_REDMINE_URL", "CI_PLUGIN_REDMINE_KEY"),
}
CONVERTS = 20


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


def bare_for(name: str, harness, url: str, secret: str):
    """The bare script of host ``name``, with the ids and names of this config."""
    config = harness.register.config
    fields = config.section("fields")
    if name == "rt":
        rt = config.section("rt")
        return BareRT(url, secret, queue=rt["queue"], problem_queue=rt["problem_queue"],
                      source_cf=fields["source_tickets"], kind_cf=fields["source"],
                      source_link=harness.register.host.link_type("sources"),
                      problem_link=harness.register.host.link_type("problems"))
    redmine = config.section("redmine")
    return BareRedmine(url, secret, project=redmine["project"], tracker=redmine["tracker"],
                       problem_tracker=redmine["problem_tracker"], source_cf=fields["source_tickets"],
                       kind_cf=fields["source"])


class Runner:
    """One ci-plugin command per call, as a CLI process, counted by a proxy."""

    def __init__(self, config: Path, proxy: FaultProxy | None, url: str):
        self.proxy = proxy
        self.path = config.with_name(f"{config.stem}-{'proxied' if proxy else 'direct'}.toml")
        self.path.write_text(config.read_text().replace(url, proxy.url) if proxy else config.read_text())

    def __call__(self, *args: str, cache: str) -> tuple[int, str]:
        """(requests sent, stdout) of ``ci-plugin ARGS`` with the metadata cache in ``cache``."""
        os.environ["CI_PLUGIN_CACHE_DIR"] = cache
        before = len(self.proxy.seen) if self.proxy else 0
        out, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errors):
            code = cli.main(["--config", str(self.path), *args])
        if code != 0:
            raise SystemExit(f"ci-plugin {' '.join(args)} exited {code}: {errors.getvalue().strip()}")
        return (len(self.proxy.seen) - before if self.proxy else 0), out.getvalue().strip()


def measure(name: str) -> dict[str, tuple[str, str, str]] | None:
    """Rows ``operation -> (cold, warm, bare)`` for one host, and the wall-time ratio."""
    module_name, class_name, url_key, secret_key = HOSTS[name]
    env = env_of(name, url_key, secret_key)
    if env is None:
        return None
    os.environ["CI_PLUGIN_DISABLE_EXTERNAL"] = "1"
    module = __import__(module_name, fromlist=[class_name])
    tmp = Path(tempfile.mkdtemp())
    base = tmp / "base.toml"
    base.write_text(f'[host]\ntype = "{name}"\nurl = "{env[url_key]}"\ntoken_env = "{secret_key}"\n')
    harness = getattr(module, class_name)(base, tmp, env[url_key])
    bare = bare_for(name, harness, env[url_key], env[secret_key])
    warm = str(tmp / "warm-cache")
    cold = lambda: tempfile.mkdtemp(dir=tmp, prefix="cold-")  # noqa: E731
    rows: dict[str, tuple[str, str, str]] = {}

    def bare_count(action) -> str:
        before = bare.sent
        action()
        return str(bare.sent - before)

    with FaultProxy(env[url_key]) as proxy:
        run = Runner(harness.config_path, proxy, env[url_key])
        run("register", cache=warm)  # a command of the day before
        run("convert", harness.ticket("bench warm-up"), cache=warm)
        for_cold, for_warm, for_bare = (harness.ticket(f"bench source {n}") for n in range(3))
        problems = [harness.ticket(f"bench problem {n}", kind="problem") for n in range(3)]
        c, imp_cold = run("convert", for_cold, cache=cold())
        w, imp_warm = run("convert", for_warm, cache=warm)
        imp_bare = bare.convert(for_bare)
        rows["convert a ticket"] = (str(c), str(w), str(bare.sent))
        c, _ = run("convert", for_cold, cache=cold())
        w, _ = run("convert", for_warm, cache=warm)
        rows["convert it again"] = (str(c), str(w), bare_count(lambda: bare.convert(for_bare)))
        c, _ = run("link", imp_cold, "--problem", problems[0], cache=cold())
        w, _ = run("link", imp_warm, "--problem", problems[1], cache=warm)
        rows["link to a problem"] = (str(c), str(w), bare_count(lambda: bare.link(imp_bare, problems[2])))
        c, _ = run("register", cache=cold())
        w, _ = run("register", cache=warm)
        listed = {}
        b = bare_count(lambda: listed.setdefault("n", bare.register()))
        rows[f"register of {listed['n']}"] = (str(c), str(w), b)
        run("prioritize", cache=warm)

        def reads_of_prioritize(cache: str) -> str:
            sent, out = run("prioritize", "--json", cache=cache)
            writes = json.loads(out)["writes"]  # others on a shared host may have moved a rank
            return f"{sent - writes}" + (f" + {writes} write(s)" if writes else "")
        rows["prioritize, nothing to change"] = (reads_of_prioritize(cold()), reads_of_prioritize(warm), b + " (the list)")

    direct = Runner(harness.config_path, None, env[url_key])
    ours = [harness.ticket(f"bench timed {n}") for n in range(CONVERTS)]
    theirs = [harness.ticket(f"bench timed bare {n}") for n in range(CONVERTS)]
    started = time.perf_counter()
    for ticket in ours:
        direct("convert", ticket, cache=warm)
    ci_time = time.perf_counter() - started
    started = time.perf_counter()
    for ticket in theirs:
        bare.convert(ticket)
    bare_time = time.perf_counter() - started
    rows[f"{CONVERTS} converts, wall time"] = (
        "", f"{ci_time:.2f} s", f"{bare_time:.2f} s (ratio {ci_time / bare_time:.2f}x)")
    return rows


def main() -> None:
    """Print one table per live host."""
    results = {name: measure(name) for name in HOSTS}
    if not any(results.values()):
        sys.exit("no live host is up: run bash scripts/rt-host.sh up (and/or scripts/redmine-host.sh up)")
    for name, rows in results.items():
        if rows is None:
            print(f"({name}: not up, skipped)\n")
            continue
        print(f"{name}: requests per CLI process\n")
        print("| operation | ci-plugin, cold cache | ci-plugin, warm cache | bare requests script |")
        print("|---|---|---|---|")
        for label, (cold_count, warm_count, bare_count) in rows.items():
            print(f"| {label} | {cold_count} | {warm_count} | {bare_count} |")
        print()


if __name__ == "__main__":
    main()
