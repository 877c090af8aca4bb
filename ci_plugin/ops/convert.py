"""Converting tickets (incidents, requests, problems) into improvements, never twice.

A conversion reads the source tickets, looks for an improvement that already records any of
them as a source (the host's ``source_tickets`` field is the idempotency key), and either
returns that improvement (adding sources or links that are new) or creates one improvement, in
a single host request, with title, description, category, source kind, source tickets and links.
Every source ticket then gets a comment pointing at the improvement. :mod:`ci_plugin.ops.sync`
does the same for each ticket an agent flagged inside the host. :func:`create_from_draft` is the
one way any operation (follow-ups too) creates an improvement.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.domain import validation
from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
from ci_plugin.errors import HostRefused, SchemaValidationError, UsageError
from ci_plugin.ops.link import notify_links, resolve_targets
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)

#: Seconds to wait before adding a comment that looks missing: a concurrent converter (a second
#: watcher) may be between creating the improvement and commenting on its source.
REPAIR_GRACE = 1.0


@dataclass
class ConversionResult:
    """What a conversion did: the improvement (as re-read from the host) and whether it is new."""

    improvement: Improvement
    created: bool
    added_sources: list[str] = field(default_factory=list)
    added_links: dict[str, list[str]] = field(default_factory=dict)


def _unique(ids: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in ids:
        if item not in seen:
            seen.append(item)
    return seen


def _draft(sources: list[Ticket], source_kind: str, category: str | None, title: str | None,
           evidence: str | None = None) -> ConversionDraft:
    first = sources[0]
    if len(sources) == 1:
        description = f"Converted from ticket #{first.id}: {first.title}\n\n{first.description}".rstrip()
    else:
        listed = "\n".join(f"- #{s.id}: {s.title}" for s in sources)
        description = f"Converted from {len(sources)} tickets:\n{listed}\n\n{first.description}".rstrip()
    if evidence:
        description = f"{evidence}\n\n{description}"
    values: dict[str, Any] = {"source": source_kind, "source_tickets": [s.id for s in sources]}
    if category:
        values["category"] = category
    return ConversionDraft(title=(title or first.title or f"Improvement from ticket #{first.id}")[:200],
                           description=description, values=values)


def _check_draft(draft: ConversionDraft) -> None:
    document = {"id": "0", "title": draft.title, "state": "new", **draft.values}
    try:
        validation.validate("improvement", document, what="improvement")
    except SchemaValidationError as exc:
        raise UsageError(str(exc)) from None


def create_from_draft(register: ImprovementRegister, draft: ConversionDraft, sources: list[Ticket],
                      links: dict[str, list[str]]) -> str:
    """Create a new improvement the one way every operation does: ``ci_before_convert`` hooks
    may change or refuse the draft, the result is validated against the improvement schema, and
    only then is it created (with its links) through the register. Returns the new id."""
    register.plugins.before_convert(draft=draft, sources=sources, register=register)
    _check_draft(draft)
    return register.create(draft, links)


def convert(
    register: ImprovementRegister,
    ticket_ids: list[str],
    *,
    problems: list[str] = (),  # type: ignore[assignment]
    projects: list[str] = (),  # type: ignore[assignment]
    category: str | None = None,
    source_kind: str | None = None,
    into: str | None = None,
    title: str | None = None,
    evidence: str | None = None,
    describe: bool = True,
) -> ConversionResult:
    """Convert one or more tickets into one improvement (or add them to ``into``).

    Converting a ticket that was converted before returns the same improvement and creates
    nothing. ``evidence`` (``propose``) opens the new improvement's description.
    ``describe=False``: an existing improvement is returned without its description where
    reading it costs a request of its own (RT). Raises UsageError/NotFound before anything is
    written when an input is wrong.
    """
    host = register.host
    ids = _unique(register_fields.parse_ticket_id(t) for t in ticket_ids)
    if not ids:
        raise UsageError("name at least one ticket to convert")
    sources = [host.peek_ticket(i) for i in ids]  # descriptions only when they are needed: creating
    for source in sources:
        if host.in_register(source):
            raise UsageError(f"ticket {source.id} is itself an improvement; nothing to convert")
    targets = resolve_targets(register, problems=problems, projects=projects)
    previous = _unique(imp for i in ids for imp in host.improvements_from_source(i))
    if into is not None:
        existing = register.get(into, links=False)
        others = [p for p in previous if p != existing.id]
        if others:
            raise UsageError(f"ticket(s) already converted into improvement {', '.join(others)}; cannot add them to {existing.id}")
        target_id: str | None = existing.id
    elif len(previous) > 1:
        raise UsageError(f"these tickets were converted into different improvements ({', '.join(previous)}); convert them separately or use --into")
    else:
        target_id = previous[0] if previous else None

    if target_id is None:
        for source in sources:
            host.describe(source)
        draft = _draft(sources, source_kind or _default_kind(register, sources), category, title, evidence)
        links = {"sources": ids, **{kind: [t.id for t in tickets] for kind, tickets in targets.items()}}
        made = create_from_draft(register, draft, sources, links)
        kept, found = _settle_race(register, ids, made)
        if kept != made:  # a concurrent converter won: it announces and clears its own sources
            result = _join_winner(register, kept, sources, targets, category)
        else:
            _verify_stored(made, found, ids)
            improvement = register.created(made, draft, links)
            for source in sources:
                register.audit(source.id, announcement(improvement))
            _clear_flags(register, sources)
            result = ConversionResult(improvement, True, ids, {k: [t.id for t in v] for k, v in targets.items()})
    else:
        result = _extend(register, target_id, sources, targets, category, describe)
        _clear_flags(register, sources)
    register.plugins.after_convert(improvement=result.improvement, sources=sources, created=result.created,
                                   register=register)
    notify_links(register, result.improvement, targets, result.added_links)
    return result


def _join_winner(register: ImprovementRegister, winner: str, sources: list[Ticket],
                 targets: dict[str, list[Ticket]], category: str | None) -> ConversionResult:
    """After losing a race: add the sources (and links) the winner does not record to the
    winning improvement, so none is left unconverted; the winner's own sources are its to
    announce (a crash of it is repaired by the next conversion)."""
    standing = register.get(winner)
    recorded = standing.get("source_tickets") or []
    extra = [s for s in sources if s.id not in recorded]
    fresh_links = any(t.id not in standing.links.get(kind, []) for kind, tickets in targets.items() for t in tickets)
    if not extra and not fresh_links:
        return ConversionResult(standing, False)
    result = _extend(register, winner, extra, targets, category)
    _clear_flags(register, extra)
    return result


def _default_kind(register: ImprovementRegister, sources: list[Ticket]) -> str:
    """``problem`` when the first source is a problem record, else ``incident``."""
    return "problem" if register.host.container_of(sources[0], "problem") else "incident"


def _extend(register: ImprovementRegister, target_id: str, sources: list[Ticket],
            targets: dict[str, list[Ticket]], category: str | None, describe: bool = True) -> ConversionResult:
    """Add what is new (sources, links, a missing category) to an existing improvement."""
    current = register.get(target_id, describe=describe)
    recorded = current.get("source_tickets") or []
    new_sources = [s for s in sources if s.id not in recorded]
    values: dict[str, Any] = {}
    if new_sources:
        values["source_tickets"] = _unique([*recorded, *(s.id for s in new_sources)])
    if category and not current.get("category"):
        values["category"] = category
    if values:
        register.write_values(target_id, values)
    if new_sources:
        register.add_links(target_id, "sources", [s.id for s in new_sources])
    added: dict[str, list[str]] = {}
    for kind, tickets in targets.items():
        fresh = [t.id for t in tickets if t.id not in current.links.get(kind, [])]
        if fresh:
            register.add_links(target_id, kind, fresh)
            added[kind] = fresh
    for source in new_sources:
        register.audit(source.id, f"Added as a source of improvement #{target_id}: {current.title}\n{current.url}")
    repaired = _repair(register, current, [s for s in sources if s.id in recorded])
    improvement = register.get(target_id, describe=describe) if (values or added or new_sources or repaired) else current
    return ConversionResult(improvement, False, [s.id for s in new_sources], added)


def announcement(improvement: Improvement) -> str:
    """The comment a source ticket gets when it is converted into ``improvement``."""
    return f"Converted into improvement #{improvement.id}: {improvement.title}\n{improvement.url}"


def _mentions(texts: list[str], improvement_id: str) -> bool:
    """Whether one of ``texts`` is a ci-plugin comment pointing at ``improvement_id``."""
    marks = (f"Converted into improvement #{improvement_id}:", f"Added as a source of improvement #{improvement_id}:")
    return any(mark in text for text in texts for mark in marks)


def _repair(register: ImprovementRegister, current: Improvement, recorded: list[Ticket]) -> bool:
    """Finish an interrupted conversion of sources ``current`` already records: the link from
    the improvement to each source and the comment on each source, where missing (read back
    from the host first, so nothing is written twice). Returns whether anything was written."""
    repaired = False
    unlinked = [s.id for s in recorded if s.id not in current.links.get("sources", [])]
    if unlinked:
        register.add_links(current.id, "sources", unlinked)
        log.warning("improvement %s: re-linked source(s) %s left unlinked by an interrupted conversion",
                    current.id, ", ".join(unlinked))
        repaired = True
    for source in recorded:
        texts = register.host.comments(source.id)
        if texts is not None and not _mentions(texts, current.id):
            time.sleep(REPAIR_GRACE)  # a converter still at work elsewhere gets a moment to comment
            texts = register.host.comments(source.id)
        if texts is None or _mentions(texts, current.id):
            continue
        register.audit(source.id, announcement(current))
        log.warning("ticket %s: added the comment an interrupted conversion into %s left out", source.id, current.id)
    return repaired


def _clear_flags(register: ImprovementRegister, sources: list[Ticket]) -> None:
    """Clear the candidate flag of every source that still asks for conversion (the last step of
    a conversion, so a ticket whose conversion was interrupted stays flagged for ``sync``)."""
    wanted = register.config.section("candidate")["value"]
    for source in sources:
        flag = source.fields.get("candidate")
        if (flag[0] if isinstance(flag, list) and flag else flag) == wanted:
            register.clear_flag(source.id)
            source.fields["candidate"] = register.config.section("candidate")["cleared"]


def _settle_race(register: ImprovementRegister, ids: list[str], new_id: str) -> tuple[str, list[str]]:
    """If a concurrent conversion created another improvement for the same source, keep the
    oldest and retire the one just made; return the id that stands and the improvements the
    host finds by the first source (one search, which also proves the source was stored)."""
    found = _unique(imp for i in ids[:1] for imp in register.host.improvements_from_source(i))
    if len(found) <= 1 or min(found, key=int) == new_id:
        return new_id, found
    keep = min(found, key=int)
    register.write_values(new_id, {"source_tickets": []})
    register.set_state(new_id, "rejected")
    register.audit(new_id, f"Duplicate of improvement #{keep} (created concurrently); rejected by ci-plugin.")
    log.warning("improvement %s duplicated %s in a concurrent conversion; retired it", new_id, keep)
    return keep, found


def _verify_stored(new_id: str, found: list[str], ids: list[str]) -> None:
    """The host stored the first source on the new improvement: its source search found it
    (Redmine also compares the create answer with what was sent; RT checks values first)."""
    if new_id not in found:
        raise HostRefused(
            f"the host created improvement {new_id} but did not store its source ticket(s) {', '.join(ids)}",
            messages=[],
        )
