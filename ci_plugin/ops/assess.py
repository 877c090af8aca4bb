"""Assessing an improvement with a scoring model.

An assessment validates the model's inputs against the model's JSON Schema, scores them, and
stores score, model, and the assessment document (inputs, breakdown, assessor, time) on the
host in one update, plus a readable comment. :func:`model_named` and :func:`model_settings`
find a model and its ``[scoring.NAME]`` settings for every operation that scores.

Every stored assessment keeps its predecessors under ``history`` (newest first; each: when,
who, model, inputs, score, and the source count then), bounded to :data:`HISTORY_LIMIT`
entries so that the ``CI Assessment`` field stays far below the smallest host limit (Redmine
keeps custom values in a ``text`` column: 65,535 bytes on MySQL; RT keeps a Text custom field in
``LargeContent``, no practical limit). An entry is 150-400 bytes: 20 of them stay under 8 KB
next to the breakdown and the evidence figures.

``from_evidence=True`` fills the inputs the model's evidence mapping answers
(:func:`ci_plugin.domain.evidence.mapping_for`: RICE reach built in, others through
``[scoring.<model>.evidence]``) from :func:`ci_plugin.ops.evidence.of`; inputs given on the
command line win. Refused (UsageError, nothing written) for a model without a mapping or an
improvement without sources.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import evidence as evidence_rules
from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError, UsageError
from ci_plugin.domain.model import Improvement
from ci_plugin.ops import evidence as evidence_op
from ci_plugin.register import ImprovementRegister
from ci_plugin.scoring.base import score as score_inputs
from ci_plugin.scoring.base import validate_inputs


#: How many predecessors an assessment keeps (see the module docstring for why 20).
HISTORY_LIMIT = 20
_HISTORY_KEYS = ("model", "inputs", "score", "assessed_by", "assessed_at", "sources")
_EVIDENCE_KEYS = (*evidence_rules.FIGURES, "first_created", "last_created", "threshold_hours")


def history_of(previous: Any) -> list[dict[str, Any]]:
    """The history a new assessment keeps: the previous assessment as an entry, then its own
    history, newest first, at most :data:`HISTORY_LIMIT` entries (none without a previous one)."""
    if not isinstance(previous, dict) or "model" not in previous or "score" not in previous:
        return []
    entry = {key: previous[key] for key in _HISTORY_KEYS if key in previous}
    older = [e for e in previous.get("history") or [] if isinstance(e, dict)]
    return ([entry] + older)[:HISTORY_LIMIT]


def model_named(register: ImprovementRegister, name: str | None) -> Any:
    """The scoring model ``name`` (default: ``[scoring] default_model``); UsageError lists the known ones."""
    models = register.plugins.scoring_models()
    chosen = name or register.config.section("scoring")["default_model"]
    if chosen not in models:
        raise UsageError(f"unknown scoring model {chosen!r}; models: {', '.join(sorted(models))}")
    return models[chosen]


def model_settings(register: ImprovementRegister, name: str) -> dict[str, Any]:
    """``[scoring.NAME]`` of the configuration."""
    value = register.config.section("scoring").get(name, {})
    return value if isinstance(value, dict) else {}


def build(register: ImprovementRegister, model_name: str | None, inputs: dict[str, Any]) -> dict[str, Any]:
    """Score ``inputs`` and return the assessment document (validated, not yet stored)."""
    model = model_named(register, model_name)
    settings = model_settings(register, model.name)
    try:
        result = score_inputs(model, inputs, settings)
    except SchemaValidationError as exc:
        raise UsageError(str(exc)) from None
    document = {
        "model": model.name,
        "inputs": validate_inputs(model, inputs, settings),
        **result.to_json(),
        "assessed_by": register.actor,
        "assessed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if not document.get("label"):
        document.pop("label", None)
    validation.validate("assessment", document, what="assessment")
    return document


def explain(document: dict[str, Any]) -> str:
    """A readable account of an assessment, for the audit comment and the terminal."""
    lines = [f"Assessment ({document['model']}): score {document['score']:g}"
             + (f", {document['label']}" if document.get("label") else "")]
    if document.get("evidence") is not None:
        taken = document.get("from_evidence") or []
        given = sorted(set(document.get("inputs", {})) - set(taken))
        lines.append(f"  from evidence: {', '.join(taken) or 'none'}; given: {', '.join(given) or 'none'}")
    for part in document.get("breakdown", []):
        weight = f" x {part['weight']:g}" if isinstance(part.get("weight"), (int, float)) else ""
        note = f" ({part['note']})" if part.get("note") else ""
        lines.append(f"  {part['input']}: {part.get('value', '')}{weight} -> {part['contribution']:g}{note}")
    return "\n".join(lines)


def assess(register: ImprovementRegister, improvement_id: str, model_name: str | None,
           inputs: dict[str, Any], *, from_evidence: bool = False) -> Improvement:
    """Assess an improvement and store the result on the host, keeping the previous assessment in
    the history; with ``from_evidence``, fill inputs from evidence first. Returns the re-read improvement."""
    improvement = register.get(improvement_id, links=from_evidence)
    figures, filled = None, []
    if from_evidence:
        model = model_named(register, model_name)
        mapping = evidence_rules.mapping_for(model.name, model_settings(register, model.name))
        if not mapping:
            raise UsageError(f"model {model.name!r} has no evidence mapping: add [scoring.{model.name}.evidence] "
                             "(input = evidence figure) to the configuration, or give the inputs")
        figures = evidence_op.of(register, improvement)
        inputs, filled = evidence_rules.fill(mapping, figures, inputs)
    document = build(register, model_name, inputs)
    document["sources"] = evidence_op.source_count(improvement)
    if figures is not None:
        document["evidence"] = {key: figures[key] for key in _EVIDENCE_KEYS if key in figures}
        document["from_evidence"] = filled
    history = history_of(improvement.get("assessment"))
    if history:
        document["history"] = history
    validation.validate("assessment", document, what="assessment")
    register.write_values(improvement.id, {"score": document["score"], "model": document["model"],
                                           "assessment": document})
    register.audit(improvement.id, explain(document))
    after = register.get(improvement.id)
    register.plugins.after_assess(improvement=after, assessment=document, register=register)
    return after
