"""Assessing an improvement with a scoring model.

An assessment validates the model's inputs against the model's JSON Schema, scores them, and
stores score, model, and the assessment document (inputs, breakdown, assessor, time) on the
host in one update, plus a readable comment. :func:`model_named` and :func:`model_settings`
find a model and its ``[scoring.NAME]`` settings for every operation that scores.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError, UsageError
from ci_plugin.domain.model import Improvement
from ci_plugin.register import ImprovementRegister
from ci_plugin.scoring.base import score as score_inputs
from ci_plugin.scoring.base import validate_inputs


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
    for part in document.get("breakdown", []):
        weight = f" x {part['weight']:g}" if isinstance(part.get("weight"), (int, float)) else ""
        note = f" ({part['note']})" if part.get("note") else ""
        lines.append(f"  {part['input']}: {part.get('value', '')}{weight} -> {part['contribution']:g}{note}")
    return "\n".join(lines)


def assess(register: ImprovementRegister, improvement_id: str, model_name: str | None,
           inputs: dict[str, Any]) -> Improvement:
    """Assess an improvement and store the result on the host; returns the re-read improvement."""
    improvement = register.get(improvement_id, links=False)
    document = build(register, model_name, inputs)
    register.write_values(improvement.id, {"score": document["score"], "model": document["model"],
                                           "assessment": document})
    register.audit(improvement.id, explain(document))
    after = register.get(improvement.id)
    register.plugins.after_assess(improvement=after, assessment=document, register=register)
    return after
