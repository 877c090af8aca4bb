"""Recording the business case of an improvement.

The case is validated, its ROI and payback are derived (:mod:`ci_plugin.domain.business_case`),
and it is stored on the host in one update, with a readable audit comment.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain import business_case as business_case_module
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import SchemaValidationError, UsageError
from ci_plugin.register import ImprovementRegister


def refuse_malformed(improvement: Improvement, key: str, register: ImprovementRegister) -> None:
    """UsageError when the stored value of ``key`` that an update would merge into is
    malformed (an agent typed something else into the host's field): merging would silently
    drop what it holds, so the user is asked to fix or empty the field in the host first."""
    reason = improvement.malformed.get(key)
    if reason is not None:
        name = register.config.section("fields").get(key, key)
        raise UsageError(f"improvement {improvement.id}: field {name!r} holds a value ci-plugin cannot read "
                         f"({reason}); correct or empty it in the host, then run this again")


def record_business_case(register: ImprovementRegister, improvement_id: str, case: dict[str, Any]) -> Improvement:
    """Validate a business case, derive ROI and payback, store it; returns the re-read improvement."""
    improvement = register.get(improvement_id, links=False)
    refuse_malformed(improvement, "business_case", register)
    merged = {**(improvement.get("business_case") or {}), **{k: v for k, v in case.items() if v is not None}}
    for derived in ("roi", "payback_months"):
        merged.pop(derived, None)
    try:
        document = business_case_module.derive(merged)
    except SchemaValidationError as exc:
        raise UsageError(str(exc)) from None
    register.write_values(improvement.id, {"business_case": document})
    register.audit(improvement.id, "Business case: " + business_case_module.summary(document))
    return register.get(improvement.id)
