"""KPIs computed from the desk's own tickets: define one by a query, refresh its actual.

``define`` computes the baseline of a query-defined KPI over its baseline window and stores the
definition (query, metric, per), the target and the baseline's provenance; ``refresh`` computes
the actual over a window (by default from when the improvement last entered ``in-progress``,
read from the host's history, until now) and the verdict follows as for any KPI. Everything is
checked and computed (the host's search only reads) before the one write of the measurement
list, so a bad input or a query the host refuses writes nothing. ``refresh_measuring`` is what
``watch`` calls: it refreshes the query-defined KPIs of improvements in ``measuring`` whose
actual is older than ``[measure] refresh_interval``. The arithmetic is
:mod:`ci_plugin.domain.kpi_metrics`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from ci_plugin.domain import kpi_metrics as metrics
from ci_plugin.domain.kpi import check as check_kpi
from ci_plugin.domain.kpi import describe as describe_kpi
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import CIPluginError, HostUnavailable, SchemaValidationError, UsageError
from ci_plugin.ops.case import refuse_malformed
from ci_plugin.register import ImprovementRegister

log = logging.getLogger(__name__)
#: ``[measure] refresh_interval`` when the configuration does not set it: one day, in seconds.
DEFAULT_INTERVAL = 86400.0


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)


def compute(register: ImprovementRegister, query: str, metric: str, per: str | None,
            span: metrics.Window, now: datetime) -> dict[str, Any]:
    """Search the host and compute the metric over ``span``: the provenance record
    (query, metric, per, window, tickets, computed_at, value). UsageError when a resolution
    metric finds no ticket resolved in the window (there is no value to store)."""
    found = register.host.search_tickets(query, span.start, span.end, metrics.basis(metric))
    value, tickets = metrics.compute(metric, per, span, found)
    if value is None:
        raise UsageError(f"no ticket matching the query was resolved in {span}: {metric} has no value")
    record: dict[str, Any] = {"query": query, "metric": metric, "window": span.to_record(), "tickets": tickets,
                              "computed_at": metrics.iso(now), "value": value}
    if per:
        record["per"] = per
    return record


def _kpis(register: ImprovementRegister, improvement_id: str) -> tuple[Improvement, list[dict[str, Any]]]:
    improvement = register.get(improvement_id, links=False)
    refuse_malformed(improvement, "measurements", register)
    return improvement, [dict(m) for m in improvement.get("measurements") or []]


def _store(register: ImprovementRegister, improvement: Improvement, kpis: list[dict[str, Any]],
           existing: dict[str, Any] | None, entry: dict[str, Any]) -> tuple[Improvement, dict[str, Any]]:
    """Check the entry, write the list once, audit, notify; the re-read improvement and the entry."""
    entry.pop("verdict", None)
    try:
        checked = check_kpi(entry)
    except SchemaValidationError as exc:
        raise UsageError(str(exc)) from None
    kpis = [checked if m is existing else m for m in kpis] if existing is not None else [*kpis, checked]
    register.write_values(improvement.id, {"measurements": kpis})
    register.audit(improvement.id, "Measurement: " + describe_kpi(checked) + "; " + metrics.provenance_line(checked))
    after = register.get(improvement.id)
    register.plugins.after_measure(improvement=after, measurement=checked, register=register)
    return after, checked


def define(register: ImprovementRegister, improvement_id: str, kpi: str, *, query: str, metric: str,
           baseline_window: str, target: float, per: str | None = None, unit: str | None = None,
           direction: str | None = None, now: datetime | None = None) -> tuple[Improvement, dict[str, Any]]:
    """Define (or redefine) a KPI by ``query`` and ``metric``; compute and store its baseline.

    Redefining drops an earlier actual (it was computed by another definition)."""
    moment = _now(now)
    metrics.check_metric(metric, per)
    if not query.strip():
        raise UsageError("--query is empty: give a query in the host's search language")
    span = metrics.parse_window(baseline_window, moment, "--baseline-window")
    improvement, kpis = _kpis(register, improvement_id)
    existing = next((m for m in kpis if m.get("kpi") == kpi), None)
    baseline = compute(register, query, metric, per, span, moment)
    entry: dict[str, Any] = {"kpi": kpi, "baseline": baseline["value"], "target": target, "query": query,
                             "metric": metric, "provenance": {"baseline": baseline}}
    if per:
        entry["per"] = per
    for key, value in (("unit", unit if unit is not None else (existing or {}).get("unit")),
                       ("direction", direction)):
        if value:
            entry[key] = value
    return _store(register, improvement, kpis, existing, entry)


def default_window(register: ImprovementRegister, improvement: Improvement, now: datetime) -> metrics.Window:
    """From when the improvement last entered ``in-progress`` (the host's history) until ``now``."""
    status = register.host.states.host_status("in-progress")
    since = register.host.entered_status_at(improvement.id, status)
    if since is None:
        raise UsageError(f"improvement {improvement.id}: {register.host.label} does not show when it entered "
                         "in-progress; give --window FROM..TO")
    return metrics.window(since.astimezone(timezone.utc), now, now, "window (since in-progress)")


def refresh(register: ImprovementRegister, improvement_id: str, kpi: str, *, window: str | None = None,
            now: datetime | None = None) -> tuple[Improvement, dict[str, Any]]:
    """Compute the actual of a query-defined KPI over ``window`` (default: since in-progress) and store it."""
    moment = _now(now)
    span = metrics.parse_window(window, moment, "--window") if window is not None else None
    improvement, kpis = _kpis(register, improvement_id)
    existing = next((m for m in kpis if m.get("kpi") == kpi), None)
    if existing is None:
        raise UsageError(f"improvement {improvement.id} has no KPI {kpi!r}; define it with --query first")
    if not existing.get("query") or not existing.get("metric"):
        raise UsageError(f"KPI {kpi!r} was entered by hand, not defined by a query: nothing to refresh "
                         "(record its actual with --actual)")
    span = span or default_window(register, improvement, moment)
    actual = compute(register, existing["query"], existing["metric"], existing.get("per"), span, moment)
    entry = dict(existing)
    entry["actual"], entry["measured_at"] = actual["value"], actual["computed_at"]
    entry["provenance"] = {**(existing.get("provenance") or {}), "actual": actual}
    return _store(register, improvement, kpis, existing, entry)


def refresh_measuring(register: ImprovementRegister, interval: float,
                      now: datetime | None = None) -> list[tuple[str, str]]:
    """Refresh every query-defined KPI of the improvements in ``measuring`` whose actual is
    missing or older than ``interval`` seconds; returns ``(improvement, kpi)`` refreshed. A KPI
    that cannot be refreshed is logged and skipped; an unreachable host stops the round."""
    moment, done = _now(now), []
    for improvement in register.list(["measuring"]):
        for m in improvement.get("measurements") or []:
            if not isinstance(m, dict) or not m.get("query"):
                continue
            last = ((m.get("provenance") or {}).get("actual") or {}).get("computed_at")
            if last and moment - metrics.parse_moment(last) < timedelta(seconds=interval):
                continue
            try:
                refresh(register, improvement.id, m["kpi"], now=moment)
            except HostUnavailable:
                raise
            except CIPluginError as exc:
                log.warning("improvement %s, KPI %r: not refreshed: %s", improvement.id, m["kpi"], exc)
                continue
            done.append((improvement.id, m["kpi"]))
    return done


class KpiRefresher:
    """What ``watch`` calls every pass: :func:`refresh_measuring` at most once per
    ``[measure] refresh_interval`` seconds (default one day) in this process; the stored
    ``computed_at`` of each actual keeps it to once per interval across restarts too. A failed
    round is logged, never stops the watcher."""

    def __init__(self, register: ImprovementRegister):
        self.register = register
        self.interval = float(register.config.data.get("measure", {}).get("refresh_interval", DEFAULT_INTERVAL))
        self.next_at: datetime | None = None

    def tick(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Refresh when the interval has passed; returns what was refreshed (``[]`` otherwise)."""
        moment = _now(now)
        if self.next_at is not None and moment < self.next_at:
            return []
        self.next_at = moment + timedelta(seconds=self.interval)
        try:
            done = refresh_measuring(self.register, self.interval, moment)
        except CIPluginError as exc:
            log.error("KPI refresh failed: %s", exc)
            return []
        for improvement_id, kpi in done:
            log.info("improvement %s: KPI %r refreshed", improvement_id, kpi)
        return done
