"""The register's data: a host ticket as adapters see it, and the improvement the core builds.

Adapters speak :class:`Ticket` (host status names, field values as strings, links by logical
kind). The core turns a ticket of the register into an :class:`Improvement` (workflow state,
typed values) with :func:`ci_plugin.fields.decode`; :meth:`Improvement.to_record` gives the JSON
document that ``schemas/improvement.schema.json`` describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The kinds links are sorted into. An improvement's links are ``sources``, ``problems``,
#: ``projects``, ``follow_ups``, ``depends_on`` and ``related``; a record outside the register (a
#: source, problem or project) sees the improvements linked to it as ``improvements``, so links
#: read the same from both ends.
LINK_KINDS = ("sources", "problems", "projects", "follow_ups", "depends_on", "related", "improvements")


@dataclass
class Ticket:
    """A record of the host as an adapter returns it.

    ``fields`` maps register field keys (``category``, ``score``, ``candidate``...) to the raw
    host values (a string, or a list of strings for multi-valued fields); ``links`` maps a link
    kind from :data:`LINK_KINDS` to target ids.
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

    def get(self, key: str, default: Any = None) -> Any:
        """A register field's typed value (``score``, ``assessment``, ...), or ``default``."""
        return self.values.get(key, default)

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
        return record
