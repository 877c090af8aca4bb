"""The hooks of ci-plugin: what a plugin may implement.

Every hook name starts with ``ci_``. A plugin is a module or object with functions decorated by
:data:`hookimpl` (import it from ``ci_plugin.hookspecs`` or ``ci_plugin``'s plugin API), made
known through the ``ci_plugin`` entry-point group, or shipped in ``hooks/`` for admins to enable.

Three kinds of hook, with one failure policy each (enforced by :mod:`ci_plugin.plugins`):

* **registries** (``ci_register_*``) run when the plugin manager starts; an exception there is a
  broken plugin and stops the command.
* **guards** (``ci_before_convert``, ``ci_guard_transition``) may refuse an operation by
  returning a reason string; every implementation is asked, the first refusal stops the
  operation and names the plugin. A guard that raises also stops the operation: guards fail
  closed.
* **notifiers** (``ci_after_*``) are told what happened; their return value is ignored and an
  exception is logged with the plugin's name and otherwise isolated: the operation has already
  happened on the host and stays done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ci_plugin.config import Config
    from ci_plugin.domain.model import ConversionDraft, Improvement, Ticket
    from ci_plugin.domain.workflow import StateMap
    from ci_plugin.hosts.base import HostAdapter
    from ci_plugin.scoring.base import ScoringModel

PROJECT_NAME = "ci_plugin"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class RegisterView(Protocol):
    """What a hook may use of the ``register`` it is given (``ci_plugin.register.ImprovementRegister``).

    ``config`` is the validated configuration (``register.config.hook_settings("my_plugin")``
    reads ``[hooks.my_plugin]``; a plugin-owned section is ``register.config.section("name")``);
    ``host`` the host adapter; ``states`` the workflow-state map; ``actor`` who is acting.
    ``get(id)`` re-reads an improvement, ``list(states)`` iterates the register and
    ``audit(id, text)`` leaves a signed comment on a host ticket.
    """

    config: Config
    host: HostAdapter
    states: StateMap

    @property
    def actor(self) -> str: ...

    def get(self, improvement_id: str, *, links: bool = True) -> Improvement: ...

    def list(self, states: list[str] | None = None) -> Iterator[Improvement]: ...

    def audit(self, ticket_id: str, text: str) -> None: ...


# --- registries -------------------------------------------------------------------------------


@hookspec
def ci_register_hosts(add_host: Callable[[str, type[HostAdapter]], None]) -> None:
    """Register host adapters.

    Fires once when the plugin manager starts. Call ``add_host(name, adapter_class)`` for each
    adapter; ``name`` is what ``[host] type`` selects. ``adapter_class`` subclasses
    :class:`ci_plugin.hosts.base.HostAdapter` and is built as ``adapter_class(config)``.
    Registering a name twice is an error. Return value: ignored.
    """


@hookspec
def ci_register_scoring_models(add_model: Callable[[ScoringModel], None]) -> None:
    """Register scoring models for ``assess`` and ``prioritize``.

    Fires once when the plugin manager starts. Call ``add_model(model)`` with an object that
    follows :class:`ci_plugin.scoring.base.ScoringModel` (a ``name``, an input JSON Schema and
    a ``score(inputs, settings)`` method). A name registered twice is an error. Return value:
    ignored.
    """


@hookspec
def ci_register_config_sections(add_section: Callable[[str, dict[str, Any]], None]) -> None:
    """Declare the plugin's own top-level configuration table and its JSON Schema.

    Fires once when a configuration is loaded, after the plugins. Call
    ``add_section(name, schema)``: the ``[name]`` table of the file is then validated against
    ``schema`` (Draft 2020-12; defaults are filled in) with the rest of the file, and errors
    name their JSON path (``$.name.key``). Without a declaration, an unknown table is an error
    (``$.name: unknown key 'name'``). A name the core already uses, or declared twice, is an
    error. Return value: ignored.
    """


# --- guards -----------------------------------------------------------------------------------


@hookspec
def ci_before_convert(
    draft: ConversionDraft, sources: list[Ticket], register: RegisterView
) -> str | None:
    """Inspect, enrich or refuse a conversion before anything is written to the host.

    Fires in ``convert`` and ``sync`` once per new improvement, after the source tickets were
    read and before the improvement is created (not when the source was converted already).
    ``draft`` holds ``title``, ``description`` and ``values`` (register fields such as
    ``category``, ``source``); a plugin may change them. ``sources`` are the host tickets being
    converted. Return a non-empty string to refuse the conversion with that reason, or None.
    Guard policy: every implementation is called; the first refusal stops the conversion and
    names the plugin; an exception stops it too.
    """


@hookspec
def ci_guard_transition(
    improvement: Improvement, from_state: str, to_state: str, register: RegisterView
) -> str | None:
    """Allow or refuse a workflow transition of an improvement.

    Fires in ``transition`` after the improvement was re-read from the host and before the
    host status is changed. ``from_state``/``to_state`` are workflow state names (``new``,
    ``assessing``, ``approved``...), not host status names. Return a non-empty string to
    refuse with that reason, or None to allow. Guard policy (see module docstring).
    """


# --- notifiers --------------------------------------------------------------------------------


@hookspec
def ci_after_convert(
    improvement: Improvement, sources: list[Ticket], created: bool, register: RegisterView
) -> None:
    """Be told that source tickets were converted.

    Fires after ``convert``/``sync`` finished on the host. ``created`` is False when the
    sources had been converted before and the existing improvement is returned. Notifier policy:
    a failure is logged and does not undo or fail the conversion.
    """


@hookspec
def ci_after_link(
    improvement: Improvement, kind: str, target: Ticket, register: RegisterView
) -> None:
    """Be told that an improvement was linked to a record.

    Fires once per new link after ``link`` (or ``convert --problem/--project``, or ``plan``
    creating a project or change record) wrote it; ``kind`` is ``problem``, ``project``,
    ``change`` or ``follow_up``; ``target`` is the linked host record. Neither record is read
    again for the hook: on hosts where a description is a request of its own (RT), ``target``'s
    and, after ``link`` without ``--json``, the improvement's ``description`` may be empty
    (``register.get(id)`` reads it).
    Notifier policy.
    """


@hookspec
def ci_after_transition(
    improvement: Improvement, from_state: str, to_state: str, register: RegisterView
) -> None:
    """Be told that an improvement changed state.

    Fires after the host confirmed the new status (``improvement`` is the re-read record).
    Notifier policy. The built-in ``followup_on_missed`` hook uses it to open a follow-up
    improvement when one is closed with a missed target.
    """


@hookspec
def ci_review_due(improvement: Improvement, due_field: str, due_date: str, register: RegisterView) -> None:
    """Be told that a review or target date of an open improvement has come.

    Fired by ``watch`` once per improvement and due date, on the date or at the first pass
    after it: ``due_field`` is ``review_date`` or ``target_date`` and ``due_date`` its value
    (``YYYY-MM-DD``). The announcement is recorded on the host first (an audit comment with a
    marker, see :mod:`ci_plugin.ops.due`), so it is not repeated; a moved date is announced
    again. An implementation may declare only ``improvement`` and ``register``. Notifier policy.
    """


@hookspec
def ci_watch_pass(register: RegisterView) -> None:
    """Be told that a ``watch`` pass reached the host (after its sync and due announcements).

    Fired once per pass that did not fail as a whole; the built-in ``propose_recurring`` opens
    improvements from recurring incidents here. Notifier policy.
    """


@hookspec
def ci_after_assess(improvement: Improvement, assessment: dict[str, Any], register: RegisterView) -> None:
    """Be told that an improvement was assessed.

    Fires after ``assess`` stored the assessment (a document of ``schemas/assessment``) on the
    host. Notifier policy.
    """


@hookspec
def ci_after_measure(improvement: Improvement, measurement: dict[str, Any], register: RegisterView) -> None:
    """Be told that a KPI of an improvement was recorded.

    Fires after ``measure`` stored the measurement (a document of ``schemas/measurement``).
    Notifier policy.
    """
