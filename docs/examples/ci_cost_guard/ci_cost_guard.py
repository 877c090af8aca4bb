"""ci-cost-guard: an example third-party plugin for ci-plugin.

It adds a scoring model, ``payback`` (how fast an improvement pays for itself), and a guard that
refuses to approve an improvement whose business case costs more than the budget an admin sets
in ``[hooks.cost_guard] budget``. Install it as a package exposing the entry point
``cost_guard = "ci_cost_guard"`` in the group ``ci_plugin``.
"""

from __future__ import annotations

from ci_plugin.hookspecs import hookimpl
from ci_plugin.scoring.base import Contribution, Score


class PaybackModel:
    """Yearly benefit per unit of cost: 2.0 means the improvement pays for itself twice a year."""

    name = "payback"
    title = "Payback speed (yearly benefit / cost)"

    def input_schema(self, settings: dict) -> dict:
        """Two money amounts; cost must be positive."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "payback inputs",
            "type": "object",
            "properties": {
                "benefit": {"type": "number", "minimum": 0, "description": "yearly benefit (money)"},
                "cost": {"type": "number", "exclusiveMinimum": 0, "description": "one-off cost (money)"},
            },
            "required": ["benefit", "cost"],
            "additionalProperties": False,
        }

    def score(self, inputs: dict, settings: dict) -> Score:
        """benefit / cost, explained as the benefit's share and the cost's division."""
        value = round(inputs["benefit"] / inputs["cost"], 4)
        return Score(value, (
            Contribution("benefit", inputs["benefit"], None, value, "yearly benefit"),
            Contribution("cost", inputs["cost"], None, 0.0, "divides the benefit"),
        ))


@hookimpl
def ci_register_scoring_models(add_model):
    """Register the payback model."""
    add_model(PaybackModel())


@hookimpl
def ci_guard_transition(improvement, from_state, to_state, register):
    """Refuse approval when the business case costs more than the configured budget."""
    budget = register.config.hook_settings("cost_guard").get("budget")
    cost = (improvement.get("business_case") or {}).get("cost")
    if to_state == "approved" and budget is not None and cost is not None and cost > budget:
        return f"cost {cost:g} is over the budget of {budget:g}"
    return None
