"""Setting RT up for the register (``ci-plugin setup``) and checking it (``ci-plugin doctor``).

:class:`RTProvisioning` adds :meth:`~RTProvisioning.provision`,
:meth:`~RTProvisioning.manual_steps` and :meth:`~RTProvisioning.check` to
:class:`~ci_plugin.hosts.rt.metadata.RTMetadata`; :class:`~ci_plugin.hosts.rt.adapter.RTAdapter`
inherits them. What REST2 can create (queues, custom fields) is created; the lifecycle cannot
be (:mod:`.lifecycle` renders the site-config snippet), and a custom field can be attached to a
queue only when it is created, so ``check`` reports what is missing with the exact fix.
"""

from __future__ import annotations

import re
from typing import Any

from ci_plugin.domain import fields as register_fields
from ci_plugin.errors import HostRefused
from ci_plugin.hosts.base import Change, Finding, ManualStep
from ci_plugin.hosts.rt import lifecycle, scrip
from ci_plugin.hosts.rt.scrip import DEFAULT_LISTEN, DEFAULT_SECRET_ENV, DEFAULT_SECRET_FILE
from ci_plugin.hosts.rt.metadata import TICKET_CF_LOOKUP, RTMetadata
from ci_plugin.hosts.rt.refusals import refusals

# Kinds of RT custom field for each register field kind.
_CF_TYPE = {"json": ("Text", 1), "ids": ("Freeform", 0)}


class RTProvisioning(RTMetadata):
    """``setup`` and ``doctor`` for RT: queues, custom fields, the lifecycle snippet."""

    def _cf_body(self, spec: register_fields.FieldSpec, queue: str) -> dict[str, Any]:
        cf_type, max_values = _CF_TYPE.get(spec.kind, ("Freeform", 1))
        if spec.kind == "flag":
            pattern = "^(" + "|".join(re.escape(v) for v in {self.candidate["value"], self.candidate["cleared"]} if v) + ")?$"
        else:
            pattern = spec.pattern()
        body = {
            "Name": self.cf_names[spec.key],
            "Type": cf_type,
            "MaxValues": max_values,
            "LookupType": TICKET_CF_LOOKUP,
            "Description": f"ci-plugin: {spec.description}",
            "Queue": queue,
        }
        if pattern:
            body["Pattern"] = pattern
        return body

    def provision(self) -> list[Change]:
        self.forget_metadata()  # setup starts from the host, and leaves no stale queue id behind
        changes: list[Change] = []
        queue = self.queue(self.queue_name)
        if queue is None:
            body = {"Name": self.queue_name, "Description": "Continual improvement register (ci-plugin)",
                    "Lifecycle": self.lifecycle_name}
            try:
                self.session.request("POST", "queue", json=body)
            except HostRefused:
                body["Lifecycle"] = "default"  # lifecycle not installed yet: see manual_steps()
                self.session.request("POST", "queue", json=body)
            self._queues.pop(self.queue_name, None)
            changes.append(Change("created", f"queue {self.queue_name}"))
        elif queue.get("Lifecycle") != self.lifecycle_name:
            answer = self.session.request("PUT", f"queue/{queue['id']}", json={"Lifecycle": self.lifecycle_name}).json()
            if not refusals(answer):
                self._queues.pop(self.queue_name, None)
                changes.append(Change("updated", f"queue {self.queue_name} lifecycle -> {self.lifecycle_name}"))
        else:
            changes.append(Change("unchanged", f"queue {self.queue_name}"))
        for name in (self.problem_queue, self.project_queue, self.change_queue):
            if self.queue(name) is None:
                self.session.request("POST", "queue", json={"Name": name, "Description": "Linked from improvements (ci-plugin)"})
                self._queues.pop(name, None)
                changes.append(Change("created", f"queue {name}"))
            else:
                changes.append(Change("unchanged", f"queue {name}"))
        for spec in register_fields.FIELDS:
            queues = self.candidate_queues if spec.on_candidates else [self.queue_name]
            changes.extend(self._ensure_cf(spec, queues))
        self._cfs = None
        self.forget_metadata()
        return changes

    def _ensure_cf(self, spec: register_fields.FieldSpec, queues: list[str]) -> list[Change]:
        name = self.cf_names[spec.key]
        if self._cf(spec.key) is not None:
            return [Change("unchanged", f"custom field {name}")]
        self.session.request("POST", "customfield", json=self._cf_body(spec, queues[0]))
        self._cfs = None
        self._queues.pop(queues[0], None)  # its cached record lists the fields it had before
        return [Change("created", f"custom field {name} (applied to {queues[0]})")]

    def manual_steps(self) -> list[ManualStep]:
        return [
            ManualStep(
                title=f"RT lifecycle {self.lifecycle_name!r}",
                why="RT's REST2 cannot create lifecycles; they live in RT's site configuration.",
                content=lifecycle.render(self.lifecycle_name, self.states),
                filename="/etc/request-tracker5/RT_SiteConfig.d/60-ci-plugin-lifecycle.pm",
                fixes=("lifecycle",),
                name="lifecycle",
            ),
            self.scrip_step(),
        ]

    def scrip_step(self) -> ManualStep:
        """The RT initialdata file whose scrip pushes flagged tickets to ``ci-plugin serve``
        (optional: without it ``sync``/``watch`` still find them; so it fixes no finding)."""
        hooks = self.config.section("webhooks")
        url = hooks.get("url") or f"http://{hooks.get('listen', DEFAULT_LISTEN)}"
        content = scrip.render(queues=self.candidate_queues, cf_name=self.cf_names["candidate"],
                               value=self.candidate["value"], url=url,
                               secret_env=hooks.get("secret_env", DEFAULT_SECRET_ENV),
                               secret_file=hooks.get("secret_file", DEFAULT_SECRET_FILE))
        return ManualStep(
            title="RT scrip pushing flagged tickets to `ci-plugin serve`",
            why="RT has no webhooks; a scrip installed from an initialdata file posts the signed event.",
            content=content, filename="ci-plugin-scrip.pm", name="scrip",
        )

    def check(self) -> list[Finding]:
        self.forget_metadata()  # doctor checks the host, not the cache
        findings: list[Finding] = []
        queue = self.queue(self.queue_name)
        findings.append(Finding(f"queue {self.queue_name}", queue is not None, "" if queue else "missing: run `ci-plugin setup`"))
        if queue is not None:
            ok = queue.get("Lifecycle") == self.lifecycle_name
            findings.append(Finding(
                f"lifecycle {self.lifecycle_name}", ok,
                "" if ok else f"queue uses lifecycle {queue.get('Lifecycle')!r}: install the snippet `ci-plugin setup` prints, restart RT, run setup again",
            ))
        for name in (self.problem_queue, self.project_queue, self.change_queue):
            present = self.queue(name) is not None
            findings.append(Finding(f"queue {name}", present, "" if present else "missing: run `ci-plugin setup`"))
        applied: dict[str, set[str]] = {}
        for spec in register_fields.FIELDS:
            name = self.cf_names[spec.key]
            if self._cf(spec.key) is None:
                findings.append(Finding(f"custom field {name}", False, "missing: run `ci-plugin setup`"))
                continue
            queues = self.candidate_queues if spec.on_candidates else [self.queue_name]
            missing_in = []
            for queue_name in queues:
                if self.queue(queue_name) is None:
                    missing_in.append(f"{queue_name} (no such queue)")
                    continue
                if queue_name not in applied:
                    applied[queue_name] = self._queue_cf_names(queue_name)
                if name not in applied[queue_name]:
                    missing_in.append(queue_name)
            detail = ("not applied to queue " + ", ".join(missing_in) + ": apply it in RT (Admin > Custom Fields > "
                      f"{name} > Applies to)") if missing_in else ""
            findings.append(Finding(f"custom field {name}", not missing_in, detail))
        return findings
