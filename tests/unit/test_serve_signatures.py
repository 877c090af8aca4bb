"""serve's signature schemes: Standard Webhooks (RT, Redmine), X-Hub-Signature sha256 (Jira), sha1 (Zammad)."""

import base64
import hashlib
import hmac

import pytest

from ci_plugin.errors import WebhookRefused
from ci_plugin.ops import serve_signatures as sig

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = b'{"type": "ticket.flagged", "data": {"ticket": "7"}}'
NOW = 1_800_000_000


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def test_a_standard_webhooks_signature_is_the_spec_hmac_of_id_timestamp_body_with_the_decoded_key():
    key = b"0123456789abcdef0123456789abcdef"
    expected = base64.b64encode(hmac.new(key, b"msg_1.1800000000." + BODY, hashlib.sha256).digest()).decode()
    assert sig.standard_signature(SECRET, "msg_1", "1800000000", BODY) == "v1," + expected
    # a secret without the whsec_ prefix is used as it is
    plain = base64.b64encode(hmac.new(b"a plain shared secret", b"m.1." + BODY, hashlib.sha256).digest()).decode()
    assert sig.standard_signature("a plain shared secret", "m", "1", BODY) == "v1," + plain


def test_a_signed_standard_delivery_verifies_and_gives_its_id():
    headers = sig.sign_standard(SECRET, "msg_1", BODY, NOW)
    assert sig.verify("standard", SECRET, headers, BODY, now=lambda: NOW + 299) == "msg_1"


def test_one_matching_signature_among_several_is_enough():
    headers = sig.sign_standard(SECRET, "msg_1", BODY, NOW)
    headers["webhook-signature"] = "v1,bm90IGl0 " + headers["webhook-signature"]
    assert sig.verify("standard", SECRET, headers, BODY, now=lambda: NOW) == "msg_1"


@pytest.mark.parametrize("change", [
    lambda h, b: (h, b + b" "),                                        # body changed
    lambda h, b: ({**h, "webhook-id": "msg_2"}, b),                    # id changed
    lambda h, b: ({**h, "webhook-timestamp": str(NOW + 1)}, b),         # timestamp changed
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b),
    lambda h, b: ({**h, "webhook-timestamp": "soon"}, b),
    lambda h, b: (sig.sign_standard("whsec_" + base64.b64encode(b"another key entirely").decode(), "msg_1", b, NOW), b),
])
def test_a_forged_or_incomplete_standard_delivery_is_401(change):
    headers, body = change(sig.sign_standard(SECRET, "msg_1", BODY, NOW), BODY)
    with pytest.raises(WebhookRefused) as caught:
        sig.verify("standard", SECRET, headers, body, now=lambda: NOW)
    assert caught.value.status == 401


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_a_timestamp_more_than_5_minutes_away_is_401_even_when_signed(offset):
    headers = sig.sign_standard(SECRET, "msg_1", BODY, NOW)
    with pytest.raises(WebhookRefused, match="5 minutes") as caught:
        sig.verify("standard", SECRET, headers, BODY, now=lambda: NOW + offset)
    assert caught.value.status == 401


def test_jira_signs_the_body_with_hmac_sha256_hex():
    expected = "sha256=" + hmac.new(b"jira-secret-123456", BODY, hashlib.sha256).hexdigest()
    assert sig.hub_signature("jira-secret-123456", BODY, "sha256") == expected
    headers = lower({"X-Hub-Signature": expected, "X-Atlassian-Webhook-Identifier": "jira-77"})
    assert sig.verify("hub-sha256", "jira-secret-123456", headers, BODY) == "jira-77"
    with pytest.raises(WebhookRefused):
        sig.verify("hub-sha256", "jira-secret-123456", headers, BODY + b"x")
    with pytest.raises(WebhookRefused):  # a sha1 signature is not Jira's
        sig.verify("hub-sha256", "jira-secret-123456",
                   lower({"X-Hub-Signature": sig.hub_signature("jira-secret-123456", BODY, "sha1")}), BODY)


def test_zammad_signs_the_body_with_hmac_sha1_hex():
    expected = "sha1=" + hmac.new(b"zammad-token-1234", BODY, hashlib.sha1).hexdigest()
    headers = lower({"X-Hub-Signature": expected, "X-Zammad-Delivery": "d-1"})
    assert sig.verify("hub-sha1", "zammad-token-1234", headers, BODY) == "d-1"
    with pytest.raises(WebhookRefused) as caught:
        sig.verify("hub-sha1", "zammad-token-1234", lower({"X-Zammad-Delivery": "d-1"}), BODY)
    assert caught.value.status == 401


def test_a_refusal_never_names_the_secret_or_a_signature():
    headers = sig.sign_standard(SECRET, "msg_1", BODY, NOW)
    good = headers["webhook-signature"]
    headers["webhook-signature"] = "v1,AAAA" + good[7:]
    with pytest.raises(WebhookRefused) as caught:
        sig.verify("standard", SECRET, headers, BODY, now=lambda: NOW)
    assert SECRET not in str(caught.value) and good[3:] not in str(caught.value) and "AAAA" not in str(caught.value)


def test_every_host_type_has_a_scheme():
    assert sig.SCHEMES == {"rt": "standard", "redmine": "standard", "memory": "standard",
                           "jira": "hub-sha256", "zammad": "hub-sha1"}
