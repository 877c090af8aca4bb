"""The five built-in scoring models: weighted, wsjf, rice, ice and quadrant.

Every model is absolute (the score depends only on the improvement's own inputs and the
settings), deterministic, and monotone: raising a benefit input never lowers the score, raising
a cost input never raises it. Breakdowns follow one of two conventions, stated per model:

* additive models (``weighted``, ``wsjf``): the contributions add up to the score;
* multiplicative models (``rice``, ``ice``, ``quadrant``): each line's contribution is the running
  result after applying that input, so the last line's contribution is the score.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.errors import SchemaValidationError
from ci_plugin.scoring.base import Contribution, Score

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(title: str, properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A complete input schema: an object of exactly these numeric properties, all required."""
    return {
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _number(description: str, **bounds: Any) -> dict[str, Any]:
    """A numeric property with bounds (``minimum``, ``maximum``, ``exclusiveMinimum``...)."""
    return {"type": "number", "description": description, **bounds}


def _is_number(value: Any) -> bool:
    """True for int and float, not for bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class WeightedModel:
    """Weighted criteria: ``sum(weight x benefit) - sum(weight x cost)``, every input on 1..10.

    Settings: ``criteria`` (benefit name -> weight) and ``costs`` (cost name -> weight), each
    defaulting to :attr:`DEFAULT_CRITERIA` / :attr:`DEFAULT_COSTS`. Weights must be numbers >= 0.
    Additive breakdown: one line per criterion; cost lines contribute negatively.
    """

    name = "weighted"
    title = "Weighted criteria"
    DEFAULT_CRITERIA: dict[str, float] = {"value": 3, "urgency": 2, "risk_reduction": 2}
    DEFAULT_COSTS: dict[str, float] = {"effort": 2}

    def weights(self, settings: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
        """The (benefit weights, cost weights) of ``settings``; SchemaValidationError when malformed."""
        parts = []
        for key, default in (("criteria", self.DEFAULT_CRITERIA), ("costs", self.DEFAULT_COSTS)):
            table = settings.get(key, default) if isinstance(settings, dict) else default
            if not isinstance(table, dict):
                raise SchemaValidationError("weighted settings", f"$.{key}",
                                            "must be a table of name = weight")
            for name, weight in table.items():
                if not _is_number(weight) or weight < 0:
                    raise SchemaValidationError("weighted settings", f"$.{key}.{name}",
                                                f"weight must be a number >= 0, got {weight!r}")
            parts.append(dict(table))
        criteria, costs = parts
        both = sorted(set(criteria) & set(costs))
        if both:
            raise SchemaValidationError("weighted settings", f"$.costs.{both[0]}",
                                        f"{both[0]!r} cannot be both a criterion and a cost")
        return criteria, costs

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Every criterion and cost of the settings, required, each 1..10."""
        criteria, costs = self.weights(settings)
        properties = {
            name: _number(f"benefit, weight {weight:g}: 1 (none) .. 10 (very high)", minimum=1, maximum=10)
            for name, weight in criteria.items()
        }
        properties.update({
            name: _number(f"cost, weight {weight:g}: 1 (very low) .. 10 (very high)", minimum=1, maximum=10)
            for name, weight in costs.items()
        })
        return _schema("Inputs of the weighted criteria model", properties)

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Weighted benefits minus weighted costs."""
        criteria, costs = self.weights(settings)
        lines = [Contribution(name, inputs[name], weight, weight * inputs[name], "benefit")
                 for name, weight in criteria.items()]
        lines += [Contribution(name, inputs[name], weight, -(weight * inputs[name]), "cost, subtracted")
                  for name, weight in costs.items()]
        total = sum(weight * inputs[name] for name, weight in criteria.items())
        total -= sum(weight * inputs[name] for name, weight in costs.items())
        return Score(total, tuple(lines))


class WSJFModel:
    """Weighted shortest job first: cost of delay / job size.

    Cost of delay = business value + time criticality + risk reduction (each 1..20). Additive
    breakdown: each part of the cost of delay contributes ``part / job_size``; the job size line
    contributes 0 and notes that it divides the cost of delay.
    """

    name = "wsjf"
    title = "Weighted shortest job first"
    PARTS = ("business_value", "time_criticality", "risk_reduction")

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Three cost-of-delay parts on 1..20 and a job size in (0, 20]."""
        scale = "relative, 1..20 (Fibonacci-like: 1, 2, 3, 5, 8, 13, 20; any number allowed)"
        bounds = {"minimum": 1, "maximum": 20}
        return _schema("Inputs of the WSJF model", {
            "business_value": _number(f"business value to users or the organisation; {scale}", **bounds),
            "time_criticality": _number(f"how fast the value decays when waiting; {scale}", **bounds),
            "risk_reduction": _number(f"risk reduction or opportunity enablement; {scale}", **bounds),
            "job_size": _number(f"relative effort; {scale}; must be > 0", exclusiveMinimum=0, maximum=20),
        })

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Cost of delay divided by job size."""
        job_size = inputs["job_size"]
        lines = [Contribution(part, inputs[part], None, inputs[part] / job_size,
                              "part of cost of delay, divided by job size") for part in self.PARTS]
        cost_of_delay = sum(inputs[part] for part in self.PARTS)
        lines.append(Contribution("job_size", job_size, None, 0, "divides cost of delay"))
        return Score(cost_of_delay / job_size, tuple(lines))


class RICEModel:
    """RICE: reach x impact x confidence / effort.

    Multiplicative breakdown: reach, then x impact, x confidence (a percentage), / effort; the
    last line's contribution is the score.
    """

    name = "rice"
    title = "Reach, impact, confidence, effort"
    IMPACTS = (0.25, 0.5, 1, 2, 3)

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Reach >= 0, impact on the RICE scale, confidence in percent, effort > 0 person-months."""
        return _schema("Inputs of the RICE model", {
            "reach": _number("people or events affected per period (e.g. per quarter), >= 0", minimum=0),
            "impact": {"type": "number", "enum": list(self.IMPACTS),
                       "description": "per person: 0.25 minimal, 0.5 low, 1 medium, 2 high, 3 massive"},
            "confidence": _number("confidence in the estimates, percent 0..100", minimum=0, maximum=100),
            "effort": _number("person-months of work, > 0", exclusiveMinimum=0),
        })

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Reach x impact x confidence / effort."""
        reach, impact, confidence, effort = (inputs[k] for k in ("reach", "impact", "confidence", "effort"))
        reached = reach * impact
        believed = reached * (confidence / 100)
        result = believed / effort
        return Score(result, (
            Contribution("reach", reach, None, reach, "reach per period"),
            Contribution("impact", impact, None, reached, "x impact"),
            Contribution("confidence", confidence, None, believed, f"x confidence {confidence:g}%"),
            Contribution("effort", effort, None, result, "/ effort in person-months = score"),
        ))


class ICEModel:
    """ICE: impact x confidence x ease, each 1..10 (ease is a benefit: higher ease, less effort).

    Multiplicative breakdown: the running product; the last line's contribution is the score.
    """

    name = "ice"
    title = "Impact, confidence, ease"
    INPUTS = ("impact", "confidence", "ease")

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Impact, confidence and ease, each 1..10."""
        return _schema("Inputs of the ICE model", {
            "impact": _number("effect on the goal: 1 (minimal) .. 10 (massive)", minimum=1, maximum=10),
            "confidence": _number("confidence in the impact: 1 (a guess) .. 10 (proven)",
                                  minimum=1, maximum=10),
            "ease": _number("ease of doing it: 1 (very hard) .. 10 (trivial); higher is less effort",
                            minimum=1, maximum=10),
        })

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Impact x confidence x ease."""
        running: float = 1
        lines = []
        for position, name in enumerate(self.INPUTS):
            running = running * inputs[name]
            note = name if position == 0 else f"x {name}"
            lines.append(Contribution(name, inputs[name], None, running, note))
        return Score(running, tuple(lines))


class QuadrantModel:
    """Value/effort quadrant: score = value / effort, label from the quadrant.

    Setting ``threshold`` (default 5.5) splits both axes: high value and low effort is a
    "quick win", high value and high effort a "major project", low value and low effort a
    "fill-in", low value and high effort a "thankless task". Multiplicative breakdown: value,
    then / effort = score.
    """

    name = "quadrant"
    title = "Value/effort quadrant"
    DEFAULT_THRESHOLD = 5.5

    def threshold(self, settings: dict[str, Any]) -> float:
        """The quadrant threshold of ``settings``; SchemaValidationError when not a number."""
        value = settings.get("threshold", self.DEFAULT_THRESHOLD) if isinstance(settings, dict) else None
        if value is None:
            value = self.DEFAULT_THRESHOLD
        if not _is_number(value):
            raise SchemaValidationError("quadrant settings", "$.threshold",
                                        f"must be a number, got {value!r}")
        return value

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Value and effort, each 1..10."""
        threshold = self.threshold(settings)
        return _schema("Inputs of the value/effort quadrant model", {
            "value": _number(f"value: 1 (none) .. 10 (very high); high from {threshold:g}",
                             minimum=1, maximum=10),
            "effort": _number(f"effort: 1 (trivial) .. 10 (huge); high from {threshold:g}",
                              minimum=1, maximum=10),
        })

    def label(self, value: float, effort: float, threshold: float) -> str:
        """The quadrant of (value, effort)."""
        if value >= threshold:
            return "quick win" if effort < threshold else "major project"
        return "fill-in" if effort < threshold else "thankless task"

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Value / effort, labelled with the quadrant."""
        value, effort = inputs["value"], inputs["effort"]
        threshold = self.threshold(settings)
        return Score(value / effort, (
            Contribution("value", value, None, value, "value"),
            Contribution("effort", effort, None, value / effort, "/ effort = score"),
        ), self.label(value, effort, threshold))


BUILTIN_MODELS: tuple[type, ...] = (WeightedModel, WSJFModel, RICEModel, ICEModel, QuadrantModel)
"""The classes of the built-in models, in the order they are registered."""
