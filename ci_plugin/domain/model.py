"""The register's data, as every layer and every hook sees it.

Adapters speak :class:`Ticket` (host status names, field values as strings, links by kind, see
:mod:`ci_plugin.domain.links`). The register turns a ticket of the register into an
:class:`Improvement` (workflow state, typed values, see :mod:`ci_plugin.domain.fields`);
:meth:`Improvement.to_record` gives the JSON document that ``schemas/improvement.schema.json``
describes. :class:`ConversionDraft` is the improvement about to be created, which
``ci_before_convert`` hooks may change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ticket:
    """A record of the host as an adapter returns it.

    ``fields`` maps register field keys (``category``, ``score``, ``candidate``...) to the raw
    host values (a string, or a list of strings for multi-valued fields); ``links`` maps a link
    kind from :data:`ci_plugin.domain.links.LINK_KINDS` to target ids.
    """

    id: str
    title: str
    status: str = ""
    container: str = ""
    description: str = ""
    submitter: str = ""
    owner: str = ""
    created: str = ""
    url: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Improvement:
    """An improvement opportunity of the register, typed and in workflow terms."""

    id: str
    title: str
    state: str
    host_status: str = ""
    url: str = ""
    description: str = ""
    submitter: str = ""
    owner: str = ""
    created: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    #: Share (0-100) of the delivery records and their children that are done, when read
    #: (``show``, ``register --progress``); ``None`` otherwise or without delivery records.
    progress: int | None = None

    #: Keys :meth:`get` answers from the record's identity rather than from its register fields.
    IDENTITY_KEYS = ("id", "title", "state", "host_status", "url", "description", "submitter", "owner",
                     "created", "links", "progress")

    def get(self, key: str, default: Any = None) -> Any:
        """A value of the record by its key in ``to_record()``: a register field's typed value
        (``score``, ``assessment``, ...) or an identity key (``id``, ``title``, ``state``,
        ``url``, ``links``, ... see :data:`IDENTITY_KEYS`); ``default`` when unset or empty.
        ``improvement.get("id") == improvement.id``."""
        if key in self.IDENTITY_KEYS:
            value = getattr(self, key)
            return default if value in ("", {}, None) else value
        return self.values.get(key, default)

    @property
    def malformed(self) -> dict[str, str]:
        """Register fields whose host value could not be read (key -> why), left out of
        :attr:`values`: e.g. ``{"assessment": "'[1,2,3]' is not a JSON object"}`` when an agent
        typed that into the host's field. Empty for a well-formed record."""
        return dict(getattr(self.values, "malformed", {}))

    def to_record(self) -> dict[str, Any]:
        """The JSON document of this improvement (see ``schemas/improvement.schema.json``)."""
        record: dict[str, Any] = {"id": self.id, "title": self.title, "state": self.state}
        for key in ("url", "description", "submitter", "owner", "created", "host_status"):
            value = getattr(self, key)
            if value:
                record[key] = value
        for key, value in self.values.items():
            if value not in (None, "", [], {}):
                record[key] = value
        links = {kind: ids for kind, ids in self.links.items() if ids}
        if links:
            record["links"] = links
        if self.progress is not None:
            record["progress"] = self.progress
        return record


@dataclass
class ConversionDraft:
    """The improvement about to be created: title, description and typed register values
    (``category``, ``source``, ``source_tickets``...). ``ci_before_convert`` hooks may change it;
    it is validated against the improvement schema after they ran."""

    title: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
