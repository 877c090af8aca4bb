"""How ``serve`` trusts a pushed event: one signature scheme per host type, checked on the raw body.

* ``standard`` (RT, Redmine, the memory host): Standard Webhooks. Headers ``webhook-id``,
  ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64>`` (several
  space-separated signatures allowed, one must match), the HMAC-SHA256 of
  ``"{id}.{timestamp}.{body}"``. A secret ``whsec_<base64>`` is the base64-decoded key, any
  other secret its UTF-8 bytes. A timestamp more than :data:`TOLERANCE` seconds away is refused.
* ``hub-sha256`` (Jira): ``X-Hub-Signature: sha256=<hex HMAC-SHA256(body)>``; delivery id
  ``X-Atlassian-Webhook-Identifier``.
* ``hub-sha1`` (Zammad): ``X-Hub-Signature: sha1=<hex HMAC-SHA1(body)>``; delivery id
  ``X-Zammad-Delivery``.

Every comparison is constant-time (:func:`hmac.compare_digest`). A refusal is a
:class:`~ci_plugin.errors.WebhookRefused` (401) whose message names the header, never its value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from ci_plugin.errors import WebhookRefused

#: Seconds a Standard Webhooks timestamp may be away from now (5 minutes, as the spec says).
TOLERANCE = 300

#: The signature scheme of each host type's path ``/hooks/<type>``.
SCHEMES = {"rt": "standard", "redmine": "standard", "memory": "standard",
           "jira": "hub-sha256", "zammad": "hub-sha1"}


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: ``whsec_<base64>`` decoded, else the UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_"):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def standard_signature(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of id.timestamp.body>``: what the sender puts in ``webhook-signature``."""
    message = f"{delivery_id}.{timestamp}.".encode("utf-8") + body
    digest = hmac.new(standard_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign_standard(secret: str, delivery_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers of a delivery (tests, the benchmark; the RT scrip
    computes the same in Perl)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"webhook-id": delivery_id, "webhook-timestamp": stamp,
            "webhook-signature": standard_signature(secret, delivery_id, stamp, body)}


def hub_signature(secret: str, body: bytes, algorithm: str) -> str:
    """``<algorithm>=<hex HMAC(body)>`` (``sha256`` for Jira, ``sha1`` for Zammad)."""
    return f"{algorithm}=" + hmac.new(secret.encode("utf-8"), body, getattr(hashlib, algorithm)).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "")
    if not value:
        raise WebhookRefused(401, f"missing {name} header")
    return value


def verify_standard(secret: str, headers: Mapping[str, str], body: bytes,
                    now: Callable[[], float] = time.time) -> str:
    """Check a Standard Webhooks delivery (``headers`` by lower-case name); return its id."""
    delivery_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRefused(401, "webhook-timestamp is not a number of seconds")
    if abs(now() - int(stamp)) > TOLERANCE:
        raise WebhookRefused(401, f"webhook-timestamp is more than {TOLERANCE // 60} minutes away")
    expected = standard_signature(secret, delivery_id, stamp, body).encode("ascii")
    if not any(hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
               for candidate in given.split(" ") if candidate):
        raise WebhookRefused(401, "webhook-signature does not match")
    return delivery_id


def verify_hub(secret: str, headers: Mapping[str, str], body: bytes, algorithm: str, id_header: str) -> str:
    """Check ``X-Hub-Signature: <algorithm>=<hex>``; return the delivery id (``id_header``, or
    the signature itself when the host sent none: the same body signed alike is the same delivery)."""
    given = _header(headers, "X-Hub-Signature")
    expected = hub_signature(secret, body, algorithm)
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace")):
        raise WebhookRefused(401, "X-Hub-Signature does not match")
    return headers.get(id_header.lower(), "") or expected


def verify(scheme: str, secret: str, headers: Mapping[str, str], body: bytes,
           now: Callable[[], float] = time.time) -> str:
    """Check a delivery by ``scheme`` (a value of :data:`SCHEMES`); return its delivery id."""
    if scheme == "standard":
        return verify_standard(secret, headers, body, now)
    if scheme == "hub-sha256":
        return verify_hub(secret, headers, body, "sha256", "X-Atlassian-Webhook-Identifier")
    if scheme == "hub-sha1":
        return verify_hub(secret, headers, body, "sha1", "X-Zammad-Delivery")
    raise WebhookRefused(404, f"no signature scheme {scheme!r}")
