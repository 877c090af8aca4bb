"""The improvement workflow: states, allowed transitions, and the map to host status names.

States follow the ITIL 4 continual improvement model::

    new -> assessing -> approved | rejected
    approved -> planned -> in-progress -> measuring -> closed
    on-hold from any open state, and back

"where are we now / where do we want to be" is captured while ``assessing`` (baseline, targets,
business case), "how do we get there" at ``planned``, "take action" at ``in-progress``, "did we
get there?" at ``measuring``, and "how do we keep the momentum going?" at ``closed`` (a missed
target proposes a follow-up). Host status names come from ``[states]`` in the configuration.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.errors import UsageError

STATES = ("new", "assessing", "approved", "rejected", "planned", "in-progress", "measuring", "on-hold", "closed")
OPEN_STATES = ("new", "assessing", "approved", "planned", "in-progress", "measuring", "on-hold")
FINAL_STATES = ("closed", "rejected")
INITIAL_STATE = "new"

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assessing", "rejected", "on-hold"),
    "assessing": ("approved", "rejected", "on-hold", "new"),
    "approved": ("planned", "assessing", "on-hold"),
    "planned": ("in-progress", "approved", "on-hold"),
    "in-progress": ("measuring", "planned", "on-hold"),
    "measuring": ("closed", "in-progress", "on-hold"),
    "on-hold": ("new", "assessing", "approved", "planned", "in-progress", "measuring"),
    "closed": ("assessing",),
    "rejected": ("new",),
}


#: Stock status names a host ships for some states (Redmine's default data has ``New``,
#: ``Closed`` and ``Rejected``): where ``[states]`` does not name a status, the register uses
#: these rather than creating ``new``, ``closed``, ``rejected`` beside them. Reading is
#: case-insensitive (:meth:`StateMap.state`), so tickets left in a lowercase ``new`` by an
#: earlier mapping still read as ``new``.
STOCK_STATUSES: dict[str, dict[str, str]] = {
    "redmine": {"new": "New", "closed": "Closed", "rejected": "Rejected"},
}


def with_stock_statuses(host_type: str, configured: dict[str, Any], filled: dict[str, Any]) -> dict[str, Any]:
    """``[states]`` with defaults: ``filled`` (the schema's defaults already in), where every state
    ``configured`` (what the file says) leaves out takes the host's stock status name, if any."""
    stock = STOCK_STATUSES.get(host_type, {})
    return {**filled, **{state: name for state, name in stock.items() if state not in configured}}


def earlier_statuses(host_type: str, states: dict[str, Any]) -> dict[str, Any]:
    """``[states]`` for a desk provisioned before :data:`STOCK_STATUSES`: every state mapped to
    its stock name (``New``) takes the lowercase name the earlier version created (``new``)."""
    stock = STOCK_STATUSES.get(host_type, {})
    return {**states, **{state: state for state, name in stock.items() if states.get(state) == name}}


class StateMap:
    """Translates workflow states to host status names and back, as ``[states]`` configures."""

    def __init__(self, states: dict[str, Any]):
        self.to_host = {state: states.get(state, state) for state in STATES}
        self.from_host = {status.lower(): state for state, status in self.to_host.items()}

    def host_status(self, state: str) -> str:
        """Host status name of a workflow state."""
        return self.to_host[check_state(state)]

    def state(self, host_status: str) -> str:
        """Workflow state of a host status (``unknown`` for a status outside the workflow)."""
        return self.from_host.get((host_status or "").lower(), "unknown")

    def host_statuses(self, states: tuple[str, ...] | list[str]) -> list[str]:
        """Host status names of several states."""
        return [self.to_host[s] for s in states]


def check_state(state: str) -> str:
    """Return ``state`` if it is a workflow state, else raise a UsageError listing them."""
    if state not in STATES:
        raise UsageError(f"unknown state {state!r}; states are: {', '.join(STATES)}")
    return state


def allowed(from_state: str, to_state: str) -> bool:
    """Whether the workflow allows ``from_state -> to_state``."""
    return to_state in TRANSITIONS.get(from_state, ())
