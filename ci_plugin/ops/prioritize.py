"""Prioritising the register: score every open improvement, rank, write back only what changed.

Each improvement is scored from the inputs of its stored assessment with the current model
settings (so a change of weights re-scores everything, reproducibly); ``--model M`` restricts
scoring to assessments made with M. Unscored improvements rank last. Ranking is
dependency-aware (:mod:`ci_plugin.domain.ranking`): an improvement never ranks below one that depends
on it. The stored rank is a sparse order key: only improvements whose score or key must change
are written, and a key changes only for improvements that left the longest run of keys already
in order (:mod:`ci_plugin.domain.order_keys`). Writes go through a bounded pool
(``[host] max_concurrency``, :mod:`ci_plugin.ops.concurrency`). A
write that meets a lost connection is skipped (the next run writes it); after ``[host]
max_consecutive_failures`` in a row the run stops with one HostUnavailable (exit 3).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from ci_plugin.ops import concurrency
from ci_plugin.domain import order_keys, workflow
from ci_plugin.errors import CIPluginError, HostUnavailable, SchemaValidationError
from ci_plugin.domain.model import Improvement
from ci_plugin.domain.ranking import Rankable, rank
from ci_plugin.register import ImprovementRegister
from ci_plugin.scoring.base import score as score_inputs

from ci_plugin.ops.assess import model_named, model_settings
from ci_plugin.ops.unreachable import FailureStreak, failure_limit


@dataclass
class RankedEntry:
    """One line of the prioritised register: the improvement (slimmed to id, title, state, url
    and the values in :data:`KEPT_VALUES`), its position (1 = do first), its score, and whether
    its score or order key changed."""

    improvement: Improvement
    rank: int
    score: float | None
    changed: bool


@dataclass
class PrioritizeReport:
    """The ranked register, how many host writes were made, and warnings."""

    entries: list[RankedEntry] = field(default_factory=list)
    writes: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)


def _score(register: ImprovementRegister, improvement: Improvement, only_model: str | None,
           cache: dict[str, tuple[Any, dict[str, Any]]], warnings: list[str]) -> float | None:
    assessment = improvement.get("assessment") or {}
    if not isinstance(assessment, dict):  # typed by hand in the host (e.g. [1,2,3]): unscored, said once
        warnings.append(f"#{improvement.id}: its assessment field does not hold an assessment; ranked as unscored")
        return None
    name = assessment.get("model")
    if not name or (only_model and name != only_model):
        return None
    if name not in cache:
        try:
            model = model_named(register, name)
        except CIPluginError as exc:
            warnings.append(f"#{improvement.id}: {exc}")
            return None
        cache[name] = (model, model_settings(register, name))
    model, settings = cache[name]
    try:
        return score_inputs(model, assessment.get("inputs") or {}, settings).value
    except SchemaValidationError as exc:
        warnings.append(f"#{improvement.id}: stored assessment no longer fits the {name} model: {exc}")
        return None


def prioritize(register: ImprovementRegister, *, model: str | None = None, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> PrioritizeReport:
    """Score and rank every open improvement; write score and order key where they changed.

    The stored ``rank`` is a sparse order key (:mod:`ci_plugin.domain.order_keys`), not the
    position: keys that are already in the new order stay, so one new or moved improvement
    costs one write (plus the blockers its dependencies move). ``RankedEntry.rank`` is the
    position (1 = do first). Writes go through a pool of ``[host] max_concurrency`` workers.
    """
    if model:
        model_named(register, model)
    report = PrioritizeReport(dry_run=dry_run)
    cache: dict[str, tuple[Any, dict[str, Any]]] = {}
    scores: dict[str, float | None] = {}
    models_seen = set()
    rankables: list[Rankable] = []
    by_id: dict[str, Improvement] = {}
    for improvement in register.list(list(workflow.OPEN_STATES)):  # page by page, slimmed as read
        scores[improvement.id] = _score(register, improvement, model, cache, report.warnings)
        if scores[improvement.id] is not None:
            models_seen.add(improvement.get("assessment", {}).get("model"))
        rankables.append(Rankable(improvement.id, scores[improvement.id],
                                  tuple(improvement.links.get("depends_on", []))))
        by_id[improvement.id] = _slim(improvement)
    if len(models_seen) > 1:
        report.warnings.append(f"scores of different models are ranked together: {', '.join(sorted(models_seen))}; "
                               "use --model to rank one model's assessments")
    order, rank_warnings = rank(rankables)
    del rankables
    report.warnings += rank_warnings
    keys = order_keys.assign([by_id[i].get("rank") for i in order])
    jobs: list[tuple[str, dict[str, Any]]] = []
    for position, (improvement_id, key) in enumerate(zip(order, keys), start=1):
        improvement = by_id[improvement_id]
        new_score = scores[improvement_id]
        changes: dict[str, Any] = {}
        if new_score is not None and improvement.get("score") != new_score:
            changes["score"] = new_score
        if improvement.get("rank") != key:
            changes["rank"] = key
        if changes:
            jobs.append((improvement_id, changes))
            if dry_run:  # the entries show what the run would store
                improvement.values.update(changes)
        report.entries.append(RankedEntry(improvement, position, new_score, bool(changes)))
    if not dry_run:
        _write(register, by_id, jobs, report, progress, len(order))
    elif progress and order:
        progress(len(order), len(order))
    return report


#: What a ranked entry keeps of its improvement's values (what the ranked table and JSON show).
KEPT_VALUES = frozenset({"score", "rank", "category", "model", "size", "business_case"})


def _slim(improvement: Improvement) -> Improvement:
    """Drop what ranking output never shows (description, assessment, business case, ...), so
    that 100,000 ranked improvements fit in little memory. Malformed-field notes are kept."""
    for key in [k for k in improvement.values if k not in KEPT_VALUES]:
        del improvement.values[key]
    improvement.description = improvement.submitter = improvement.owner = improvement.created = ""
    improvement.links = {"depends_on": improvement.links["depends_on"]} if improvement.links.get("depends_on") else {}
    return improvement


def _write(register: ImprovementRegister, by_id: dict[str, Improvement], jobs: list[tuple[str, dict[str, Any]]],
           report: PrioritizeReport, progress: Callable[[int, int], None] | None, total: int) -> None:
    """Send the changed values through the bounded pool; skip lost writes, stop on a streak."""
    streak = FailureStreak(failure_limit(register.config), "prioritize")
    done = total - len(jobs)
    session = getattr(getattr(register, "host", None), "session", None)
    workers = concurrency.workers_for(register.config, session)
    with concurrency.parallel_session(session), \
            closing(concurrency.bounded(jobs, lambda job: register.write_values(*job), max_workers=workers)) as results:
        for (improvement_id, changes), _, exc in results:
            if isinstance(exc, HostUnavailable):  # skipped, written by the next run; stop if the host is gone
                streak.failed(exc)
                report.warnings.append(f"#{improvement_id}: not written: {exc}")
            elif exc is not None:
                raise exc
            else:
                streak.succeeded()
                report.writes += 1
                by_id[improvement_id].values.update(changes)
            done += 1
            if progress:
                progress(done, total)
