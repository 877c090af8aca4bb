"""serve's WSGI application on the memory host: every answer code, the work done once, quiet logs."""

import json
import logging

import pytest

from ci_plugin.ops import serve_signatures as sig
from ci_plugin.ops.serve_app import MAX_BODY, WebhookApp
from ci_plugin.ops.serve_worker import Deliveries, Worker
from ci_plugin.ops.sync import convert_flagged, sync
from tests.unit.memory_desk import _no_repair_pause, desk  # noqa: F401 (fixtures)
from tests.unit.serve_client import call

SECRET = "whsec_c2VydmUtdW5pdC10ZXN0LXNlY3JldC1rZXk="
NOW = 1_800_000_000


def event(ticket):
    return json.dumps({"type": "ticket.flagged", "data": {"ticket": ticket}}).encode()


class Harness:
    """The app over a desk, with a worker whose queue the test drains."""

    def __init__(self, desk, host_type="memory", secret=SECRET):
        self.desk = desk
        self.worker = Worker(desk.register).start()
        self.app = WebhookApp(host_type, secret, self.worker.submit, deliveries=Deliveries(), now=lambda: NOW)

    def post(self, body, delivery="msg_1", **kw):
        headers = sig.sign_standard(SECRET, delivery, body, NOW)
        answer, _ = call(self.app, body, headers=headers, **kw)
        self.worker.drain(10)
        return answer


@pytest.fixture
def served(desk):
    harness = Harness(desk)
    yield harness
    harness.worker.stop()


def test_a_signed_flag_event_is_202_and_converts_the_ticket_as_sync_does(served):
    desk = served.desk
    ticket = desk.ticket("Flagged by an agent", flagged=True)
    answer = served.post(event(ticket))
    assert (answer.status, answer.body) == (202, {"status": "queued", "ticket": ticket})
    [improvement] = desk.improvements()
    assert desk.value(improvement, "source_tickets") == [ticket]
    assert desk.value(ticket, "candidate") == "converted"
    assert served.worker.counts.converted == 1
    assert sync(desk.register).converted == []  # sync finds nothing left to do


def test_a_replayed_delivery_is_200_duplicate_and_does_no_work(served):
    desk = served.desk
    ticket = desk.ticket(flagged=True)
    assert served.post(event(ticket)).status == 202
    desk.store.set_fields(ticket, {desk.cf("candidate"): "yes"})  # flagged again, but the same delivery
    reads = served.worker.counts.queued
    answer = served.post(event(ticket))
    assert (answer.status, answer.body) == (200, {"status": "duplicate"})
    assert served.worker.counts.queued == reads and desk.value(ticket, "candidate") == "yes"
    assert len(desk.improvements()) == 1


def test_a_new_delivery_for_a_converted_ticket_does_nothing(served):
    desk = served.desk
    ticket = desk.ticket(flagged=True)
    served.post(event(ticket), delivery="msg_1")
    served.post(event(ticket), delivery="msg_2")  # the host retried under a new id
    assert len(desk.improvements()) == 1 and served.worker.counts.not_flagged == 1


def test_an_event_about_a_ticket_nobody_flagged_creates_nothing(served):
    ticket = served.desk.ticket("Not flagged")
    assert served.post(event(ticket)).status == 202
    assert served.desk.improvements() == [] and served.worker.counts.not_flagged == 1


def test_a_forged_event_is_401_and_creates_nothing(served):
    desk = served.desk
    ticket = desk.ticket(flagged=True)
    headers = sig.sign_standard("whsec_Zm9yZ2VkLWtleS1mb3JnZWQta2V5", "msg_1", event(ticket), NOW)
    answer, _ = call(served.app, event(ticket), headers=headers)
    served.worker.drain(10)
    assert answer.status == 401 and answer.body == {"error": "webhook-signature does not match"}
    assert desk.improvements() == [] and served.worker.counts.queued == 0
    # the forged delivery's id is not remembered: the genuine delivery with that id still works
    assert served.post(event(ticket)).status == 202 and len(desk.improvements()) == 1


def test_an_unsigned_event_is_401(served):
    answer, _ = call(served.app, event("1"))
    assert answer.status == 401 and "missing webhook-id" in answer.body["error"]


def test_a_stale_timestamp_is_401(served):
    ticket = served.desk.ticket(flagged=True)
    headers = sig.sign_standard(SECRET, "msg_1", event(ticket), NOW - 301)
    answer, _ = call(served.app, event(ticket), headers=headers)
    assert answer.status == 401 and served.desk.improvements() == []


def test_a_body_over_1_mb_is_413_without_being_read(served):
    answer, stream = call(served.app, b"{}", content_length=str(MAX_BODY + 1))
    assert answer.status == 413 and stream.taken == 0


def test_a_body_longer_than_it_said_is_cut_at_1_mb_plus_one_byte_and_413(served):
    body = b"[" + b"1," * MAX_BODY + b"1]"
    answer, stream = call(served.app, body, content_length="")  # no Content-Length: read until the limit
    assert answer.status == 413 and stream.taken == MAX_BODY + 1


def test_a_body_of_exactly_1_mb_is_read_and_checked(served):
    body = b" " * (MAX_BODY - 2) + b"{}"
    answer = served.post(body)
    assert answer.status == 200 and answer.body == {"status": "ignored"}


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe{}", b'{"a": ', b""])
def test_a_signed_body_that_is_not_json_is_400(served, body):
    answer = served.post(body)
    assert answer.status == 400 and answer.body == {"error": "the body is not UTF-8 JSON"}


def test_an_unsigned_body_that_is_not_json_is_401_not_400(served):
    answer, _ = call(served.app, b"not json")
    assert answer.status == 401  # the signature is checked before the body is parsed


def test_another_path_is_404_and_another_method_405(served):
    assert call(served.app, event("1"), path="/hooks/rt")[0].status == 404
    assert call(served.app, event("1"), path="/")[0].status == 404
    assert call(served.app, b"", method="GET")[0].status == 405


def test_a_verified_event_naming_no_ticket_is_200_ignored(served):
    answer = served.post(json.dumps({"type": "ticket.closed", "data": {"ticket": "3"}}).encode())
    assert (answer.status, answer.body) == (200, {"status": "ignored"}) and served.worker.counts.queued == 0


def test_jira_and_zammad_paths_check_their_own_signatures(desk):
    body = json.dumps({"issue": {"id": "10001", "key": "SUP-1"}}).encode()
    jira_queued = []
    jira = WebhookApp("jira", "jira-shared-secret", jira_queued.append, now=lambda: NOW)
    good = {"X-Hub-Signature": sig.hub_signature("jira-shared-secret", body, "sha256"),
            "X-Atlassian-Webhook-Identifier": "j-1"}
    assert call(jira, body, path="/hooks/jira", headers=good)[0].status == 202
    assert call(jira, body, path="/hooks/jira", headers=good)[0].body == {"status": "duplicate"}
    assert call(jira, body, path="/hooks/jira", headers={"X-Hub-Signature": "sha256=00"})[0].status == 401
    assert jira_queued == ["10001"]
    zbody = json.dumps({"ticket": {"id": 5}}).encode()
    queued = []
    zammad = WebhookApp("zammad", "zammad-shared-token", queued.append, now=lambda: NOW)
    zgood = {"X-Hub-Signature": sig.hub_signature("zammad-shared-token", zbody, "sha1"), "X-Zammad-Delivery": "z-1"}
    assert call(zammad, zbody, path="/hooks/zammad", headers=zgood)[0].status == 202 and queued == ["5"]
    zsha256 = {"X-Hub-Signature": sig.hub_signature("zammad-shared-token", zbody, "sha256")}
    assert call(zammad, zbody, path="/hooks/zammad", headers=zsha256)[0].status == 401


def test_200_deliveries_half_duplicates_leave_one_improvement_per_ticket(served):
    desk = served.desk
    tickets = [desk.ticket(f"Ticket {n}", flagged=True) for n in range(20)]
    answers = [served.post(event(t), delivery=f"msg_{n % 100}") for n, t in enumerate(tickets * 10)]
    served.worker.drain(30)
    assert sorted(a.status for a in answers).count(202) == 100
    assert len(desk.improvements()) == 20
    assert sorted(t for imp in desk.improvements() for t in desk.value(imp, "source_tickets")) == sorted(tickets)


def test_serve_and_a_sync_pass_on_the_same_ticket_convert_it_once(desk):
    ticket = desk.ticket(flagged=True)
    other = desk.other_register()  # watch, in another process
    assert [t for t, _, _ in sync(other).converted] == [ticket]
    assert convert_flagged(desk.register, ticket) is None
    assert len(desk.improvements()) == 1


def test_logs_hold_no_secret_and_no_signature(served, caplog):
    caplog.set_level(logging.DEBUG)
    ticket = served.desk.ticket(flagged=True)
    headers = sig.sign_standard(SECRET, "msg_1", event(ticket), NOW)
    call(served.app, event(ticket), headers={**headers, "webhook-signature": "v1,Zm9yZ2Vk"})
    call(served.app, event(ticket), headers=headers)
    served.worker.drain(10)
    hub = WebhookApp("zammad", "zammad-shared-token", lambda t: None, now=lambda: NOW)
    zbody = b'{"ticket": {"id": 1}}'
    zsig = sig.hub_signature("zammad-shared-token", zbody, "sha1")
    call(hub, zbody, path="/hooks/zammad", headers={"X-Hub-Signature": zsig})  # no delivery id: named by nothing
    text = caplog.text
    assert "refused 401" in text and "queued" in text and "msg_1" in text
    for secret in (SECRET, SECRET[len("whsec_"):], headers["webhook-signature"], headers["webhook-signature"][3:],
                   "Zm9yZ2Vk", "zammad-shared-token", zsig, zsig[5:]):
        assert secret not in text


def test_the_worker_keeps_going_after_a_failure_and_leaves_the_ticket_flagged(served):
    desk = served.desk
    failing, fine = desk.ticket("Fails", flagged=True), desk.ticket("Fine", flagged=True)
    desk.store.fail_next("create_improvement")
    served.post(event(failing), delivery="a")
    served.post(event(fine), delivery="b")
    assert served.worker.counts.failed == 1 and desk.value(failing, "candidate") == "yes"
    assert desk.value(fine, "candidate") == "converted"


def test_a_ticket_waiting_in_the_queue_is_not_queued_twice(desk):
    worker = Worker(desk.register)  # not started: nothing leaves the queue
    assert worker.submit("5") is True and worker.submit("5") is False and worker.submit("6") is True
    assert worker.counts.queued == 2


def test_delivery_ids_are_forgotten_after_the_window():
    clock = [0.0]
    seen = Deliveries(clock=lambda: clock[0])
    assert seen.first("a") and not seen.first("a")
    clock[0] = 601.0
    assert seen.first("a")
    small = Deliveries(clock=lambda: 0.0, limit=2)
    assert small.first("x") and small.first("y") and small.first("z") and small.first("x")
