"""Events pushed from the live RT: the scrip `setup --print-provisioning scrip` prints, installed
with rt-setup-database-5 as an admin would, posts to `ci-plugin serve`; no `sync` runs.

RT is shared: the scrip applies only to a queue of this test's own (its only candidate queue),
and is deleted again at the end, with the queue disabled. The test's candidate flag is a custom
field of its own too: every other test's `sync` or `watch` converts whatever carries the shared
flag, and would convert this test's tickets behind serve's back (seen: a `watch` test converting
the ticket this test flags while serve is down). The file is installed twice: the second
install replaces the scrip (exactly one is deleted at the end). Needs root (to run RT's tools as
www-data, as ``scripts/rt-host.sh`` does) and port 19210.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ci_plugin.hosts.rt.scrip import description
from ci_plugin.ops.serve_signatures import sign_standard
from ci_plugin.ops.setup import setup
from tests.conftest import REQUIRE_LIVE, STATE

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
PORT = 19210
RT_SETUP_DB = "/usr/sbin/rt-setup-database-5"
SECRET_ENV = "CI_SERVE_LIVE_SECRET"
#: The improvement must exist this soon after the flag is set (issue 12: 4); no sync runs.
PUSH_DEADLINE = 5.0

REMOVE_SCRIP = r"""
use strict; use warnings;
use lib '/usr/share/request-tracker5/lib';
use RT; RT::LoadConfig(); RT::Init();
my $scrips = RT::Scrips->new( RT->SystemUser );
$scrips->Limit( FIELD => 'Description', VALUE => $ARGV[0] );
my @applied;
while ( my $scrip = $scrips->Next ) {
    my $objects = RT::ObjectScrips->new( RT->SystemUser );
    $objects->Limit( FIELD => 'Scrip', VALUE => $scrip->id );
    push @applied, join( ',', map { $_->ObjectId } @{ $objects->ItemsArrayRef } );
    my ( $ok, $msg ) = $scrip->Delete;
    die "$msg\n" unless $ok;
}
print join( ' ', @applied ), "\n";   # per scrip deleted: the queue ids it applied to (0: global)
"""


def as_rt(*command: str) -> subprocess.CompletedProcess:
    """Run ``command`` as RT's user in a clean environment, as scripts/rt-host.sh does."""
    run_dir = STATE / "rt" / "run"
    return subprocess.run(["setpriv", "--reuid=www-data", "--regid=www-data", "--init-groups", "env", "-i",
                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOME={run_dir}", "LANG=C.UTF-8", *command],
                          cwd=run_dir, capture_output=True, text=True, timeout=120)


def _need_admin() -> None:
    missing = [why for ok, why in ((os.geteuid() == 0, "root"), (Path(RT_SETUP_DB).exists(), RT_SETUP_DB),
                                   (shutil.which("setpriv") is not None, "setpriv")) if not ok]
    if missing:
        message = f"installing the RT scrip needs {', '.join(missing)}"
        if REQUIRE_LIVE:
            pytest.fail(message)
        pytest.skip(message)


def _wait_listening(process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}: {process.stderr.read()}")
        try:
            requests.get(f"http://127.0.0.1:{PORT}/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("serve did not listen")


class Served:
    """The test's queue, the installed scrip and a running `serve`."""

    def __init__(self, rt, queue: str, secret: str):
        self.rt, self.queue, self.secret = rt, queue, secret
        self.process: subprocess.Popen | None = None
        self.stderr = ""

    def ticket(self, subject: str) -> str:
        body = {"Queue": self.queue, "Subject": f"{subject} [{self.rt.tag}]", "Content": subject,
                "ContentType": "text/plain"}
        return str(self.rt.session.request("POST", "ticket", json=body).json()["id"])

    def flag(self, ticket: str) -> None:
        """Set the candidate flag through REST2, as an agent's edit does."""
        name = self.rt.register.config.section("fields")["candidate"]
        answer = self.rt.session.request("PUT", f"ticket/{ticket}", json={"CustomFields": {name: "yes"}}).json()
        assert any("yes" in message for message in answer), answer

    def start(self) -> None:
        code = "import sys, tests.checkout; from ci_plugin.cli import main; sys.exit(main(sys.argv[1:]))"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CI_PLUGIN_DISABLE_EXTERNAL": "1", SECRET_ENV: self.secret}
        self.process = subprocess.Popen([sys.executable, "-c", code, "--config", str(self.rt.config_path), "-v",
                                         "serve", "--listen", f"127.0.0.1:{PORT}"],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_listening(self.process)

    def stop(self) -> str:
        """SIGTERM, wait, and return what serve wrote on stderr."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                _, self.stderr = self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, self.stderr = self.process.communicate()
        return self.stderr

    def post(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(f"http://127.0.0.1:{PORT}/hooks/rt", data=body, timeout=10,
                             headers={"Content-Type": "application/json", **headers})

    def improvement_of(self, ticket: str, within: float) -> list[str]:
        """The improvements recording ``ticket``, polled for up to ``within`` seconds until the
        conversion is complete (its last step clears the flag)."""
        deadline = time.monotonic() + within
        while True:
            found = self.rt.improvements_for(ticket)
            if (found and self.rt.field(ticket, "candidate") == ["converted"]) or time.monotonic() >= deadline:
                return found
            time.sleep(0.2)


@pytest.fixture
def served(rt):
    _need_admin()
    queue = f"Serve {rt.tag}"
    answer = rt.session.request("POST", "queue", json={"Name": queue}).json()
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    secret_file = Path(f"/tmp/ci-plugin-serve-{rt.tag}.secret")  # readable by RT (www-data), not under /root
    datafile = Path(f"/tmp/ci-plugin-serve-{rt.tag}.pm")
    secret_file.write_text(secret + "\n")
    shutil.chown(secret_file, "root", "www-data")
    secret_file.chmod(0o640)
    flag_name = f"Serve candidate {rt.tag}"
    rt.configure(f'[rt]\ncandidate_queues = ["{queue}"]\n[fields]\ncandidate = "{flag_name}"\n'
                 f'[webhooks]\nlisten = "127.0.0.1:{PORT}"\nsecret_env = "{SECRET_ENV}"\nsecret_file = "{secret_file}"\n')
    state = Served(rt, queue, secret)
    flag_id = None
    try:
        setup(rt.register)  # creates the test's own candidate field, applied to its queue
        [found] = rt.session.request("POST", "customfields", json=[{"field": "Name", "value": flag_name}]).json()["items"]
        flag_id = found["id"]
        printed = subprocess.run(
            [sys.executable, "-c", "import sys, tests.checkout; from ci_plugin.cli import main; sys.exit(main(sys.argv[1:]))",
             "--config", str(rt.config_path), "setup", "--print-provisioning", "scrip"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "CI_PLUGIN_DISABLE_EXTERNAL": "1"},
            capture_output=True, text=True, timeout=60)
        assert printed.returncode == 0 and "@Scrips" in printed.stdout, printed.stderr
        assert secret not in printed.stdout  # the file names where the secret is, never the secret
        datafile.write_text(printed.stdout)
        datafile.chmod(0o644)
        for _ in range(2):  # installed again, it replaces its scrip (the teardown finds exactly one)
            installed = as_rt(RT_SETUP_DB, "--action", "insert", "--datafile", str(datafile))
            assert installed.returncode == 0 and "Done inserting data" in installed.stdout, \
                installed.stdout + installed.stderr
        yield state
    finally:
        state.stop()
        removed = as_rt("perl", "-e", REMOVE_SCRIP, description([queue]))
        datafile.unlink(missing_ok=True)
        secret_file.unlink(missing_ok=True)
        rt.session.request("DELETE", f"queue/{answer['id']}")  # RT disables it
        if flag_id is not None:
            rt.session.request("DELETE", f"customfield/{flag_id}")
        assert removed.returncode == 0 and removed.stdout.strip() == str(answer["id"]), removed.stdout + removed.stderr


def test_a_flag_set_in_rt_becomes_an_improvement_through_serve_and_forged_or_replayed_events_do_nothing(served):
    early = served.ticket("Flagged before serve listened")
    served.flag(early)  # the scrip's post fails (nothing listens): the ticket stays flagged
    served.start()

    pushed = served.ticket("Printer queue stalls every evening")
    served.flag(pushed)
    [improvement] = served.improvement_of(pushed, within=PUSH_DEADLINE)
    assert served.rt.field(pushed, "candidate") == ["converted"]
    assert served.rt.field(improvement, "source_tickets") == [pushed]

    body = json.dumps({"type": "ticket.flagged", "data": {"ticket": early}}).encode()
    forged = served.post(body, sign_standard("whsec_" + base64.b64encode(b"not the shared secret!").decode(),
                                             "forged-1", body))
    assert forged.status_code == 401 and forged.json() == {"error": "webhook-signature does not match"}
    unsigned = served.post(body, {})
    assert unsigned.status_code == 401
    assert served.rt.improvements_for(early) == [] and served.rt.field(early, "candidate") == ["yes"]

    genuine = sign_standard(served.secret, f"live-{served.rt.tag}", body)
    assert served.post(body, genuine).status_code == 202
    [late] = served.improvement_of(early, within=PUSH_DEADLINE)
    comments = len(served.rt.comments(early))
    replayed = served.post(body, genuine)
    assert (replayed.status_code, replayed.json()) == (200, {"status": "duplicate"})

    log = served.stop()
    assert "serve: 2 converted, 0 not flagged, 0 failed" in log, log
    assert served.rt.improvements_for(early) == [late] and len(served.rt.comments(early)) == comments
    assert served.rt.improvements_for(pushed) == [improvement] and late != improvement
    for secret in (served.secret, served.secret[len("whsec_"):], genuine["webhook-signature"][3:]):
        assert secret not in log


def test_the_real_server_takes_exactly_1_mb_and_refuses_more_chunked_or_not(tmp_path):
    """Through waitress itself (it buffers a body before the application sees it)."""
    config = tmp_path / "ci.toml"
    config.write_text('[host]\ntype = "memory"\nurl = "http://memory.localhost/serve"\ntoken = "serve-token"\n')
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    code = "import sys, tests.checkout; from ci_plugin.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), "serve", "--listen",
                                f"127.0.0.1:{PORT}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "CI_PLUGIN_DISABLE_EXTERNAL": "1",
                                    "CI_PLUGIN_WEBHOOK_SECRET": secret})
    try:
        _wait_listening(process)
        url = f"http://127.0.0.1:{PORT}/hooks/memory"
        exact = b" " * (1024 * 1024 - 2) + b"{}"
        over = exact + b" "

        def post(delivery, body, chunked=False):
            data = iter([body[:500_000], body[500_000:]]) if chunked else body
            return requests.post(url, data=data, headers=sign_standard(secret, delivery, body), timeout=30).status_code

        assert post("a", exact) == 200 and post("b", exact, chunked=True) == 200  # verified, names no ticket
        assert post("c", over) == 413 and post("d", over, chunked=True) == 413
        assert post("e", over + over, chunked=True) == 413
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert process.returncode == 0 and "serve: 0 converted, 0 not flagged, 0 failed" in log, log
    assert secret not in log
