"""Link kinds of the register, and the one rule that sorts a ticket's host links into them.

An improvement's links are ``sources``, ``problems``, ``projects``, ``changes``, ``follow_ups``,
``depends_on`` and ``related``; a record outside the register (a source, problem, project or change)
sees the improvements linked to it as ``improvements``, so links read the same from both ends.

Adapters only say, for each host link, which ticket it points at, which host relation it is
(RT ``refers-to``, Redmine ``relates``...) and what the target is (a register improvement, a
problem, project or change record, anything else); :func:`classify` decides the kind, the same way on
every host.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

#: Every kind a ticket's links are sorted into.
LINK_KINDS = ("sources", "problems", "projects", "changes", "follow_ups", "depends_on", "related", "improvements")

#: The kinds an operation writes, each with its singular name: the key of the host's
#: ``[<host>.links]`` configuration table and the ``kind`` that ``ci_after_link`` is told.
WRITABLE = {"sources": "source", "problems": "problem", "projects": "project", "changes": "change",
            "follow_ups": "follow_up"}

#: The kinds whose targets are delivery records (``plan`` creates them, ``progress`` reads them).
DELIVERY = ("projects", "changes")

#: What a link target can be, as :func:`classify` is told by the adapter.
ROLE_REGISTER, ROLE_PROBLEM, ROLE_PROJECT, ROLE_OTHER = "register", "problem", "project", "other"
ROLE_CHANGE = "change"


def singular(kind: str) -> str:
    """``problems`` -> ``problem``: the name of a writable link kind in config and hooks."""
    return WRITABLE[kind]


def delivery_marker(kind: str, improvement_id: str) -> str:
    """The line that ends the description of a delivery record ``plan`` creates (``kind``:
    ``projects`` or ``changes``): it names the improvement, so an adapter that cannot create the
    record and its link at once finds a record whose answer was lost by searching for it."""
    what = {"projects": "project", "changes": "change"}[kind]
    return f"ci-plugin: {what} record of improvement #{improvement_id}"


def id_order(value: str) -> tuple[int, int | str]:
    """Sort key of ticket ids: digit strings in numeric order, then any other id as text."""
    return (0, int(value)) if value.isascii() and value.isdigit() else (1, value)


def classify(
    links: Iterable[tuple[str, str]],
    *,
    role_of: Mapping[str, str],
    relations: Mapping[str, str],
    sources: Collection[str] = (),
    outside: bool = False,
) -> dict[str, list[str]]:
    """Sort one ticket's host links into :data:`LINK_KINDS`.

    ``links`` are ``(target id, host relation seen from this ticket)`` pairs. ``role_of`` maps a
    target id to :data:`ROLE_REGISTER`, :data:`ROLE_PROBLEM`, :data:`ROLE_PROJECT`,
    :data:`ROLE_CHANGE` (missing or anything else: :data:`ROLE_OTHER`). ``relations`` maps
    ``problem``, ``project``, ``change``, ``follow_up`` and ``depends_on`` to the host relation that means it (a missing key never
    matches). ``sources`` are the ids the ticket records as its sources.

    For a ticket ``outside`` the register, a link to an improvement is ``improvements`` and any
    other is ``related``. For an improvement, in this order: a recorded source is ``sources``
    whatever the link; a problem record linked by the problem relation is ``problems``; a project
    record by the project relation ``projects``; a change record by the change relation
    ``changes``; an improvement by the follow-up relation
    ``follow_ups``; the depends-on relation ``depends_on``; anything else ``related``. Each kind
    lists its ids once, in id order; empty kinds are left out.
    """
    source_ids = {str(s) for s in sources}
    found: dict[str, set[str]] = {}
    for target, relation in links:
        target = str(target)
        role = role_of.get(target, ROLE_OTHER)
        if outside:
            kind = "improvements" if role == ROLE_REGISTER else "related"
        elif target in source_ids:
            kind = "sources"
        elif role == ROLE_PROBLEM and relation == relations.get("problem"):
            kind = "problems"
        elif role == ROLE_PROJECT and relation == relations.get("project"):
            kind = "projects"
        elif role == ROLE_CHANGE and relation == relations.get("change"):
            kind = "changes"
        elif role == ROLE_REGISTER and relation == relations.get("follow_up"):
            kind = "follow_ups"
        elif relation == relations.get("depends_on"):
            kind = "depends_on"
        else:
            kind = "related"
        found.setdefault(kind, set()).add(target)
    return {kind: sorted(found[kind], key=id_order) for kind in LINK_KINDS if kind in found}
