"""HostSession: timeouts, retries, Retry-After, error mapping, secret hygiene, request counting."""

import pytest
import requests
import responses

from ci_plugin import errors
from ci_plugin.http import HostSession

BASE = "http://desk.example/REST/2.0"
SECRET = "s3cr3t-token-value"


def session(**kw):
    sleeps = []
    s = HostSession(BASE, headers={"Authorization": f"token {SECRET}"}, secret=SECRET, host_name="RT",
                    sleep=sleeps.append, **kw)
    return s, sleeps


@responses.activate(assert_all_requests_are_fired=True)
def test_every_request_carries_timeouts_and_auth():
    responses.get(f"{BASE}/rt", json={"Version": "5.0.3"})
    s, _ = session(connect_timeout=2, read_timeout=7)
    seen = {}
    original = s.session.request

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    s.session.request = spy
    assert s.request("GET", "rt").json() == {"Version": "5.0.3"}
    assert seen["timeout"] == (2, 7)
    assert responses.calls[0].request.headers["Authorization"] == f"token {SECRET}"
    assert s.request_count == 1 and s.counts["GET"] == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_429_is_retried_after_the_time_the_host_asks():
    responses.get(f"{BASE}/tickets", status=429, headers={"Retry-After": "7"}, json={"message": "slow down"})
    responses.get(f"{BASE}/tickets", json={"items": []})
    s, sleeps = session()
    assert s.request("GET", "tickets").json() == {"items": []}
    assert sleeps == [7.0]
    assert s.request_count == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_429_on_post_is_retried_because_the_host_did_not_process_it():
    responses.post(f"{BASE}/ticket", status=429, headers={"Retry-After": "1"})
    responses.post(f"{BASE}/ticket", status=201, json={"id": "9"})
    s, sleeps = session()
    assert s.request("POST", "ticket", json={}).json()["id"] == "9"
    assert sleeps == [1.0]


@responses.activate(assert_all_requests_are_fired=True)
def test_retry_after_beyond_the_cap_fails_at_once_as_rate_limited():
    responses.get(f"{BASE}/rt", status=429, headers={"Retry-After": "3600"}, json={"message": "quota"})
    s, sleeps = session(max_retry_after=60)
    with pytest.raises(errors.RateLimited, match="quota"):
        s.request("GET", "rt")
    assert sleeps == []


@responses.activate(assert_all_requests_are_fired=True)
def test_502_is_retried_with_backoff_for_idempotent_requests_then_fails_as_server_error():
    for _ in range(3):
        responses.get(f"{BASE}/rt", status=502, body="bad gateway")
    s, sleeps = session(retries=2, backoff=0.5)
    with pytest.raises(errors.ServerError) as caught:
        s.request("GET", "rt")
    assert sleeps == [0.5, 1.0]
    assert caught.value.status == 502
    assert s.request_count == 3


@responses.activate(assert_all_requests_are_fired=True)
def test_500_on_post_is_not_retried():
    responses.post(f"{BASE}/ticket", status=500, json={"message": "boom"})
    s, sleeps = session()
    with pytest.raises(errors.ServerError, match="boom"):
        s.request("POST", "ticket", json={})
    assert sleeps == [] and s.request_count == 1


@responses.activate(assert_all_requests_are_fired=True)
def test_connection_reset_is_retried_for_get_only():
    responses.get(f"{BASE}/rt", body=requests.exceptions.ConnectionError("reset by peer"))
    responses.get(f"{BASE}/rt", json={"Version": "5"})
    responses.post(f"{BASE}/ticket", body=requests.exceptions.ConnectionError("reset by peer"))
    s, sleeps = session()
    assert s.request("GET", "rt").json() == {"Version": "5"}
    with pytest.raises(errors.HostUnavailable, match="unreachable: connection failed"):
        s.request("POST", "ticket", json={})
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "status,body,exc,words",
    [
        (401, {"message": "Unauthorized"}, errors.AuthenticationError, "rejected the credentials"),
        (403, {"message": "Permission Denied"}, errors.PermissionDenied, "Permission Denied"),
        (404, {"message": "Resource does not exist"}, errors.NotFound, "Resource does not exist"),
        (422, {"errors": ["Subject cannot be blank", "Tracker is invalid"]}, errors.HostRefused,
         "Subject cannot be blank; Tracker is invalid"),
        (400, {"message": "Invalid query"}, errors.HostRefused, "Invalid query"),
    ],
)
@responses.activate
def test_status_codes_map_to_one_exception_hierarchy(status, body, exc, words):
    responses.put(f"{BASE}/ticket/3", status=status, json=body)
    s, _ = session()
    with pytest.raises(exc) as caught:
        s.request("PUT", "ticket/3", json={})
    assert isinstance(caught.value, errors.HostError) and isinstance(caught.value, errors.CIPluginError)
    assert words in str(caught.value)
    assert caught.value.status == status


@responses.activate
def test_a_host_echoing_the_secret_never_gets_it_into_the_message():
    responses.get(f"{BASE}/rt", status=401, json={"message": f"bad token {SECRET}"})
    s, _ = session()
    with pytest.raises(errors.AuthenticationError) as caught:
        s.request("GET", "rt")
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    assert SECRET not in repr(caught.value.args)


@responses.activate
def test_html_error_pages_are_not_dumped_into_the_message():
    responses.get(f"{BASE}/rt", status=500, body="<html><body>Internal error trace ...</body></html>")
    s, _ = session(retries=0)
    with pytest.raises(errors.ServerError) as caught:
        s.request("GET", "rt")
    assert "<html>" not in str(caught.value)


def test_unreachable_host_is_one_clear_error():
    s, _ = session(retries=0, connect_timeout=0.5)
    s.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(errors.HostUnavailable, match=r"RT at http://127.0.0.1:9 is unreachable"):
        s.request("GET", "rt")
