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
from ci_plugin.domain.fields import DecodedValues
from ci_plugin.domain.model import Improvement
from ci_plugin.domain.ranking import Rankable, rank
from ci_plugin.register import ImprovementRegister
from ci_plugin.scoring.base import score as score_inputs

from ci_plugin.ops.assess import model_named, model_settings
from ci_plugin.ops.stale import rule as stale_rule
from ci_plugin.ops.unreachable import FailureStreak, failure_limit


class RankedEntry:
    """One line of the prioritised register: the improvement (slimmed to id, title, state, url
    and the values in :data:`KEPT_VALUES`), its position (1 = do first), its score, and whether
    its score or order key changed.

    The improvement is kept as one compact tuple (100,000 entries fit in little memory) and
    :attr:`improvement` rebuilds an :class:`Improvement` from it on each access."""

    __slots__ = ("_compact", "rank", "score", "changed")

    def __init__(self, improvement: Improvement | tuple, rank: int, score: float | None, changed: bool):
        self._compact = improvement if isinstance(improvement, tuple) else _compact(improvement)
        self.rank, self.score, self.changed = rank, score, changed

    @property
    def improvement(self) -> Improvement:
        """The slimmed improvement of this line (a new object each time)."""
        return _expand(self._compact)

    @property
    def id(self) -> str:
        """The improvement's id (without rebuilding it)."""
        return self._compact[0]


@dataclass
class PrioritizeReport:
    """The ranked register, how many host writes were made, and warnings."""

    entries: list[RankedEntry] = field(default_factory=list)
    writes: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    #: How many of the ranked improvements have a stale assessment (see :mod:`ci_plugin.ops.stale`).
    stale: int = 0


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
    by_id: dict[str, tuple] = {}
    is_stale = stale_rule(register)
    for improvement in register.list(list(workflow.OPEN_STATES)):  # page by page, slimmed as read
        report.stale += bool(is_stale(improvement))
        scores[improvement.id] = _score(register, improvement, model, cache, report.warnings)
        if scores[improvement.id] is not None:
            models_seen.add(improvement.get("assessment", {}).get("model"))
        rankables.append(Rankable(improvement.id, scores[improvement.id],
                                  tuple(improvement.links.get("depends_on", []))))
        by_id[improvement.id] = _compact(improvement)
    if len(models_seen) > 1:
        report.warnings.append(f"scores of different models are ranked together: {', '.join(sorted(models_seen))}; "
                               "use --model to rank one model's assessments")
    order, rank_warnings = rank(rankables)
    del rankables
    report.warnings += rank_warnings
    keys = order_keys.assign([_value(by_id[i], "rank") for i in order])
    jobs: list[tuple[str, dict[str, Any]]] = []
    for position, (improvement_id, key) in enumerate(zip(order, keys), start=1):
        compact = by_id[improvement_id]
        new_score = scores.pop(improvement_id)
        changes: dict[str, Any] = {}
        if new_score is not None and _value(compact, "score") != new_score:
            changes["score"] = new_score
        if _value(compact, "rank") != key:
            changes["rank"] = key
        if changes:
            jobs.append((improvement_id, changes))
            if dry_run:  # the entries show what the run would store
                compact = by_id[improvement_id] = _with_values(compact, changes)
        entry = RankedEntry(compact, position, new_score, bool(changes))
        report.entries.append(entry)
        by_id[improvement_id] = entry  # the write loop updates the entry the report holds
    if not dry_run:
        _write(register, by_id, jobs, report, progress, len(order))
    elif progress and order:
        progress(len(order), len(order))
    return report


#: What a ranked entry keeps of its improvement's values (what the ranked table and JSON show).
KEPT_VALUES = frozenset({"score", "rank", "category", "model", "size", "business_case"})


def _compact(improvement: Improvement) -> tuple:
    """What a ranked entry keeps of ``improvement``, as one tuple: id, title, state, host
    status, url, the :data:`KEPT_VALUES` as sorted pairs, malformed-field notes as pairs, and
    the ``depends_on`` links (description, assessment, business case, ... are dropped)."""
    values = tuple(sorted((k, v) for k, v in improvement.values.items() if k in KEPT_VALUES))
    return (improvement.id, improvement.title, improvement.state, improvement.host_status, improvement.url,
            values, tuple(sorted(improvement.malformed.items())),
            tuple(improvement.links.get("depends_on") or ()))


def _value(compact: tuple, key: str) -> Any:
    """The kept value ``key`` of a compact entry (None when unset)."""
    return next((v for k, v in compact[5] if k == key), None)


def _with_values(compact: tuple, changes: dict[str, Any]) -> tuple:
    """The compact entry with ``changes`` applied to its kept values."""
    values = dict(compact[5])
    values.update({k: v for k, v in changes.items() if k in KEPT_VALUES})
    return compact[:5] + (tuple(sorted(values.items())),) + compact[6:]


def _expand(compact: tuple) -> Improvement:
    """The slimmed :class:`Improvement` of a compact entry."""
    improvement_id, title, state, host_status, url, values, malformed, depends_on = compact
    decoded = DecodedValues(values)
    decoded.malformed.update(malformed)
    return Improvement(id=improvement_id, title=title, state=state, host_status=host_status, url=url,
                       values=decoded, links={"depends_on": list(depends_on)} if depends_on else {})


def _write(register: ImprovementRegister, by_id: dict[str, Any], jobs: list[tuple[str, dict[str, Any]]],
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
                entry = by_id[improvement_id]
                entry._compact = _with_values(entry._compact, changes)
            done += 1
            if progress:
                progress(done, total)
