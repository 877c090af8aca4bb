"""What the RT adapter reads about RT itself: the ``[rt]`` settings, queues and custom fields
(each fetched once per process and cached), and the REST2 pager.

The queue ids that every command needs (which queue is the register, which holds problems,
projects, changes) come from one ``GET /queues/all`` kept in the on-disk metadata cache
(:mod:`ci_plugin.hosts.cached_metadata`): a warm process sends no metadata read at all. The
full queue records (lifecycle, applied custom fields) are read only by ``setup`` and ``doctor``.

:class:`RTMetadata` is the bottom part of :class:`~ci_plugin.hosts.rt.adapter.RTAdapter`:
:class:`~ci_plugin.hosts.rt.provisioning.RTProvisioning` builds on it, and the adapter adds the
record mapping on top. It stays abstract (a :class:`HostAdapter` without records).

REST2 caps collections at 100 items per page; :meth:`RTMetadata._pages` follows every page,
``self.page_size`` items at a time (the adapter's module sets it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from ci_plugin.errors import NotFound
from ci_plugin.hosts.cached_metadata import CachedMetadata
from ci_plugin.http import HostSession, Pager

TICKET_CF_LOOKUP = "RT::Queue-RT::Ticket"


class RTMetadata(CachedMetadata):
    """The ``[rt]`` settings and RT's queues and ticket custom fields, cached."""

    #: Items per page of every REST2 collection read (REST2 allows up to 100).
    page_size: int

    def __init__(self, config: Any, session: HostSession | None = None):
        super().__init__(config, session)
        rt = config.section("rt")
        self.queue_name: str = rt["queue"]
        self.problem_queue: str = rt["problem_queue"]
        self.project_queue: str = rt["project_queue"]
        self.change_queue: str = rt["change_queue"]
        self.lifecycle_name: str = rt["lifecycle"]
        self.candidate_queues: list[str] = rt["candidate_queues"]
        self._queues: dict[str, dict[str, Any] | None] = {}
        self._cfs: list[dict[str, Any]] | None = None

    @classmethod
    def open_session(cls, config: Any) -> HostSession:
        return HostSession.from_config(config, api_path="/REST/2.0", host_name="RT",
                                       auth=lambda token: {"Authorization": f"token {token}"})

    def about(self) -> dict[str, Any]:
        body = self.session.request("GET", "rt").json()
        if not isinstance(body, dict) or "Version" not in body:
            raise NotFound("RT: /REST/2.0/rt did not answer with a version: is this RT 5 with REST2?")
        return {"version": body["Version"]}

    def queue(self, name: str) -> dict[str, Any] | None:
        """The queue record named ``name`` (cached), or None when it does not exist."""
        if name not in self._queues:
            try:
                self._queues[name] = self.session.request("GET", f"queue/{quote(name, safe='')}").json()
            except NotFound:
                self._queues[name] = None
        return self._queues[name]

    def queue_ids(self) -> dict[str, str]:
        """Id of every enabled queue the user can see, by name: one read of ``queues/all``
        (all pages), cached in memory and on disk."""
        def load() -> dict[str, str]:
            return {str(q["Name"]): str(q["id"]) for q in self._pages("queues/all", {"fields": "Name,Disabled"})
                    if isinstance(q, dict) and q.get("Name") and str(q.get("Disabled", "0")) in ("0", "")}
        return self._metadata("queues", load, lambda v: isinstance(v, dict) and all(
            isinstance(k, str) and isinstance(i, str) for k, i in v.items()))

    def queue_id(self, name: str) -> str | None:
        """The id of queue ``name``, None when there is none (read afresh before saying so when
        the ids came from the disk cache: the queue may be new)."""
        found = self.queue_ids().get(name)
        if found is None and self._refresh_if_cached("queues"):
            found = self.queue_ids().get(name)
        return found

    def known_queue(self, queue_id: str) -> None:
        """A ticket was seen in queue ``queue_id``: if cached ids do not know it, they are stale."""
        if queue_id and queue_id not in self.queue_ids().values():
            self._refresh_if_cached("queues")

    def _queue_id(self, name: str) -> str:
        found = self.queue_id(name)
        if found is None:
            raise NotFound(f"RT: queue {name!r} does not exist; run `ci-plugin setup`")
        return found

    def custom_fields(self) -> list[dict[str, Any]]:
        """Every ticket custom field of RT (cached), all pages."""
        if self._cfs is None:
            self._cfs = list(
                self._pages(
                    "customfields",
                    {"fields": "Name,Type,MaxValues,Pattern,LookupType,Disabled"},
                    method="POST",
                    body=[{"field": "LookupType", "value": TICKET_CF_LOOKUP}],
                )
            )
        return self._cfs

    def _cf(self, key: str) -> dict[str, Any] | None:
        name = self.cf_names[key]
        for cf in self.custom_fields():
            if cf.get("Name") == name and str(cf.get("Disabled", "0")) in ("0", ""):
                return cf
        return None

    def _queue_cf_names(self, queue_name: str) -> set[str]:
        """Names of the ticket custom fields applied to a queue (global ones included)."""
        queue = self.queue(queue_name) or {}
        ids = {str(ref.get("id")) for ref in queue.get("TicketCustomFields") or []}
        return {cf["Name"] for cf in self.custom_fields() if str(cf.get("id")) in ids}

    def _pages(
        self, path: str, params: dict[str, Any], *, method: str = "GET", body: Any = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a REST2 collection, following pages to the end."""
        page, pager = 1, Pager(self.page_size, what=f"RT {path}")
        while True:
            query = {**params, "page": page, "per_page": self.page_size}
            answer = self.session.request_json(method, path, expect=dict, params=query, json=body)
            items = answer.get("items", [])
            more = pager.more(page, items, pages=answer.get("pages"), total=answer.get("total"))
            yield from items
            if not more:
                return
            page += 1
