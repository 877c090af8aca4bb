"""What the Jira adapter reads of Jira's own setup, once per process, and how it searches.

The ``[jira]`` settings; the one session (Basic ``email:api_token``, the token from
``host.token_env``); cached reads of the fields (``GET /field``: register fields are custom fields
found by *name*), issue types, link types and the register's project; and :meth:`JiraMetadata._search`,
``/search/jql`` followed by ``nextPageToken`` to the end, bounded by the project's
:class:`~ci_plugin.http.Pager`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from ci_plugin.domain.validation import fill_defaults
from ci_plugin.domain.validation import schema as load_schema
from ci_plugin.errors import ConfigError, HostBadAnswer, NotProvisionedError
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.http import HostSession, Pager

MISSING = "missing: run `ci-plugin setup`"
#: Jira's custom field types (``schema.custom``) of the register's field kinds.
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"
DATE = "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"
TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
AREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
#: The most characters a single-line text field holds.
TEXT_LIMIT = 255
#: The system fields every read asks for.
SYSTEM_FIELDS = ("summary", "description", "status", "issuetype", "project", "created", "resolutiondate",
                 "reporter", "assignee", "issuelinks")


def jql_string(value: str) -> str:
    """``value`` as a JQL string literal (quotes and backslashes escaped)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def settings(config: Any) -> dict[str, Any]:
    """``[jira]`` with its defaults (filled here too, for a config parsed without the composition root)."""
    return fill_defaults(load_schema("config"), {"jira": config.section("jira")})["jira"]


class JiraMetadata(HostAdapter):
    """Settings, session, cached metadata and the search pager (needs ``page_size``)."""

    page_size: int

    def __init__(self, config: Any, session: HostSession | None = None):
        self.settings = settings(config)
        super().__init__(config, session)
        self.link_types = self.settings["links"]
        self.project_key: str = self.settings["project"]
        self.type_name: str = self.settings["issue_type"]
        self._project_of: dict[str, str] = {}  # issue id -> project key
        self.forget_metadata()

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        """One session on ``URL/rest/api/3`` with Basic auth ``email:api_token``."""
        email = settings(config).get("email") or ""
        if not email:
            raise ConfigError("jira.email: the Atlassian account email of the API token is needed (Basic auth)")

        def basic(token: str) -> dict[str, str]:
            pair = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
            return {"Authorization": f"Basic {pair}", "Accept": "application/json"}

        return HostSession.from_config(config, auth=basic, host_name="Jira", api_path="/rest/api/3")

    def forget_metadata(self) -> None:
        """Drop every cached read: the next use reads Jira again."""
        self._fields: list[dict[str, Any]] | None = None
        self._types: list[dict[str, Any]] | None = None
        self._links: list[dict[str, Any]] | None = None
        self._done: set[str] | None = None  # names of the statuses of the done category

    def about(self) -> dict[str, Any]:
        """The token's account and the site's deployment and version."""
        me = self.session.request("GET", "myself").json()
        if not isinstance(me, dict) or "accountId" not in me:
            raise HostBadAnswer("Jira: /rest/api/3/myself did not describe an account: is this Jira Cloud?")
        info = self.session.request("GET", "serverInfo").json()
        return {"user": me.get("emailAddress") or me.get("displayName") or me["accountId"],
                "version": f"{info.get('deploymentType', '')} {info.get('version', '')}".strip()}

    # --- fields -------------------------------------------------------------------------------

    def jira_fields(self) -> list[dict[str, Any]]:
        """Every field of the site (cached)."""
        if self._fields is None:
            self._fields = self.session.request_json("GET", "field", expect=list)
        return self._fields

    def field_named(self, name: str) -> dict[str, Any] | None:
        """The custom field called ``name`` (the first one, as Jira allows duplicates), or None."""
        return next((f for f in self.jira_fields() if f.get("custom") and f.get("name") == name), None)

    def field_of(self, key: str) -> dict[str, Any]:
        """The custom field of register field ``key``; NotProvisionedError when it is missing."""
        name = self.cf_names[key]
        found = self.field_named(name)
        if found is None:
            raise NotProvisionedError([f"field {name}: {MISSING}"])
        return found

    def clause(self, key: str) -> str:
        """The JQL clause name of register field ``key`` (``cf[10101]``)."""
        return f"cf[{self.field_of(key)['id'].removeprefix('customfield_')}]"

    def field_names(self) -> dict[str, str]:
        """Custom field id -> name, for messages."""
        return {f["id"]: f.get("name", f["id"]) for f in self.jira_fields() if f.get("custom")}

    # --- issue types, link types, statuses ---------------------------------------------------

    def issue_types(self) -> list[dict[str, Any]]:
        """Every issue type (cached)."""
        if self._types is None:
            self._types = self.session.request_json("GET", "issuetype", expect=list)
        return self._types

    def issue_type(self, name: str) -> dict[str, Any] | None:
        """The issue type called ``name``, or None."""
        return next((t for t in self.issue_types() if str(t.get("name", "")).lower() == name.lower()), None)

    def register_type_id(self) -> str:
        """Id of the register's issue type; NotProvisionedError when it is missing."""
        found = self.issue_type(self.type_name)
        if found is None:
            raise NotProvisionedError([f"issue type {self.type_name}: {MISSING}"])
        return str(found["id"])

    def issue_link_types(self) -> list[dict[str, Any]]:
        """Every issue link type (cached)."""
        if self._links is None:
            self._links = self.session.request("GET", "issueLinkType").json().get("issueLinkTypes") or []
        return self._links

    # --- search -------------------------------------------------------------------------------

    def _search(self, jql: str, fields: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql``, page after page by ``nextPageToken`` until Jira leaves it out
        (``GET``: a read, retried like every idempotent request)."""
        pager = Pager(self.page_size, what="Jira search")
        params: dict[str, Any] = {"jql": jql, "maxResults": self.page_size, "fields": ",".join(fields or self.read_fields())}
        page = 0
        while True:
            page += 1
            answer = self.session.request("GET", "search/jql", params=params).json()
            if not isinstance(answer, dict):
                raise HostBadAnswer("Jira search: the answer is not an object")
            issues = answer.get("issues")
            yield from pager_items(issues)
            token = answer.get("nextPageToken")
            if not pager.more(page, issues) or not token or answer.get("isLast") is True:
                return
            params["nextPageToken"] = token

    def read_fields(self) -> list[str]:
        """The fields every read asks for: the system ones and the register's custom fields."""
        ids = [f["id"] for f in (self.field_named(n) for n in self.cf_names.values()) if f is not None]
        return [*SYSTEM_FIELDS, *ids]


def pager_items(issues: Any) -> list[dict[str, Any]]:
    """The issues of a page (a page without a list is a HostBadAnswer)."""
    if not isinstance(issues, list):
        raise HostBadAnswer("Jira search: a page holds no list of issues")
    return [i for i in issues if isinstance(i, dict)]
