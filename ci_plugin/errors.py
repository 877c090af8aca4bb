"""The one exception hierarchy of ci-plugin.

Every error the product raises derives from :class:`CIPluginError`. Its ``str()`` is a single
line fit for a person (the CLI prints it as is) and never contains a secret; ``exit_code`` is
what the CLI exits with. Host errors carry the HTTP status and the host's own message.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

#: Secrets shorter than this are not redacted (replacing every "1" would ruin the output).
MIN_SECRET_LENGTH = 4
#: Longest error line the CLI prints; longer ones are cut with an ellipsis.
MAX_LINE = 300

_secrets: set[str] = set()


def register_secret(value: object) -> None:
    """Remember a secret so that :func:`redact` replaces it everywhere, whatever its type.

    Called when a host session opens and when the CLI reads the configuration (a token of the
    wrong type is registered too: a schema error would echo it). Strings inside lists and tables
    are registered one by one; so are the JSON-escaped and URL-encoded forms of each string."""
    if isinstance(value, dict):
        for item in value.values():
            register_secret(item)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            register_secret(item)
        return
    if value is None or isinstance(value, bool):
        return
    text = str(value)
    if len(text) < MIN_SECRET_LENGTH:
        return
    forms = {text, repr(text)[1:-1], json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    try:
        forms |= {quote(text, safe=""), quote_plus(text, safe="")}
    except UnicodeEncodeError:  # pragma: no cover - quote encodes as UTF-8
        pass
    _secrets.update(form for form in forms if len(form) >= MIN_SECRET_LENGTH)


def forget_secrets() -> None:
    """Forget every registered secret (tests)."""
    _secrets.clear()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` redacted, on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class CIPluginError(Exception):
    """Root of every ci-plugin error."""

    exit_code = 1


class UsageError(CIPluginError):
    """The user's input is malformed (a ticket id that is not a number, a bad option value)."""

    exit_code = 2


class ConfigError(CIPluginError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class SchemaValidationError(CIPluginError):
    """A document failed its JSON Schema; ``path`` is the JSON path of the offending value."""

    exit_code = 2

    def __init__(self, what: str, path: str, message: str):
        self.what, self.path, self.message = what, path, message
        super().__init__(f"{what}: {path}: {message}")


class PluginError(CIPluginError):
    """A plugin could not be loaded, or a plugin whose failure must stop the operation failed."""


class PluginContractError(PluginError):
    """A plugin or the configuration breaks the plugin contract: a hook implementation that
    matches no spec (misspelt), a hook wrapper, an unknown built-in hook in ``[hooks] enabled``."""

    exit_code = 2


class VetoError(CIPluginError):
    """A hook refused an operation (a before-convert veto or a transition guard).

    ``plugin`` and ``reason`` name the first refusal; ``also`` lists the other guards that
    refused the same operation, so one attempt tells everything that is missing."""

    exit_code = 5

    def __init__(self, plugin: str, reason: str, operation: str = "operation",
                 also: list[tuple[str, str]] | None = None):
        self.plugin, self.reason, self.operation = plugin, reason, operation
        self.also = list(also or [])
        text = f"{operation} refused by {plugin}: {reason}"
        text += "".join(f"; also by {other}: {why}" for other, why in self.also)
        super().__init__(text)


class NotProvisionedError(CIPluginError):
    """The host lacks something ci-plugin needs (queue, field, lifecycle); run ``setup``."""

    exit_code = 6

    def __init__(self, missing: list[str]):
        self.missing = list(missing)
        super().__init__("host is not provisioned: " + "; ".join(self.missing))


class HostError(CIPluginError):
    """The host answered with an error, or could not be reached.

    ``status`` is the HTTP status (None when there was no answer), ``host_message`` the
    host's own words.
    """

    exit_code = 1

    def __init__(self, message: str, *, status: int | None = None, host_message: str = ""):
        self.status, self.host_message = status, host_message
        super().__init__(message)


class HostUnavailable(HostError):
    """No answer: connection refused or reset, DNS failure, timeout."""

    exit_code = 3


class AuthenticationError(HostError):
    """The host rejected the credentials (HTTP 401)."""

    exit_code = 3


class PermissionDenied(HostError):
    """The credentials are valid but lack a right (HTTP 403)."""

    exit_code = 3


class NotFound(HostError):
    """The record does not exist, or is not where ci-plugin expects it (wrong queue/tracker)."""

    exit_code = 4


class HostRefused(HostError):
    """The host refused a change: a validation error (HTTP 400/409/422), or RT's refusal
    inside an HTTP 200 answer. ``messages`` lists what the host said."""

    exit_code = 5

    def __init__(self, message: str, *, status: int | None = None, messages: list[str] | None = None):
        self.messages = list(messages or [])
        super().__init__(message, status=status, host_message="; ".join(self.messages))


class HostBadAnswer(HostError):
    """The host answered, but not with what its API documents: not JSON (an HTML page with
    HTTP 200, an empty or truncated body), the wrong shape, too large or too deeply nested, or a
    number too long to be one. Exit code 1, as every other host error."""


class RateLimited(HostError):
    """HTTP 429 after every retry allowed."""


class ServerError(HostError):
    """HTTP 5xx after every retry allowed."""


class WebhookRefused(CIPluginError):
    """``serve`` refuses a pushed event; ``status`` is the HTTP status it answers (401 bad or
    missing signature or a stale timestamp, 413 too large, 400 not JSON). The message never
    holds the secret or a signature."""

    exit_code = 5

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)
