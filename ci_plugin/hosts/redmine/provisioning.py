"""Setting Redmine up for the register (``ci-plugin setup``) and checking it (``ci-plugin doctor``).

:class:`RedmineProvisioning` adds :meth:`~RedmineProvisioning.provision`,
:meth:`~RedmineProvisioning.manual_steps` and :meth:`~RedmineProvisioning.check` to
:class:`~ci_plugin.hosts.redmine.metadata.RedmineMetadata`;
:class:`~ci_plugin.hosts.redmine.adapter.RedmineAdapter` inherits them. REST can only create
and complete the register's project; trackers, statuses, workflows, custom fields and settings
come from the ``rails runner`` script of :mod:`.rails_script`, and ``check`` verifies the same
things over REST with the same names. A wrong API key is served as the anonymous user unless
the setting ``login_required`` is on: ``check`` probes it (the script turns it on).
"""

from __future__ import annotations

from typing import Any

from ci_plugin.domain.workflow import FINAL_STATES, STATES
from ci_plugin.errors import HostError
from ci_plugin.hosts.base import Change, Finding, ManualStep
from ci_plugin.hosts.redmine import rails_script
from ci_plugin.hosts.redmine.metadata import MISSING, RedmineMetadata


class RedmineProvisioning(RedmineMetadata):
    """``setup`` and ``doctor`` for Redmine: the project over REST, the rest by script."""

    def provision(self) -> list[Change]:
        """Create or complete the register's project (the only piece REST can create)."""
        self.forget_metadata()  # setup starts from the host
        project = self.project()
        tracker = self.trackers().get(self.tracker_name)
        if project is None:
            if tracker is None:
                return []  # the provisioning script creates both, with the tracker enabled
            body = {"project": {
                "name": self.project_ident.replace("-", " ").replace("_", " ").capitalize(),
                "identifier": self.project_ident,
                "description": "Continual improvement register (ci-plugin)",
                "is_public": False,
                "tracker_ids": [self.trackers()[n]["id"] for n in rails_script.register_trackers(self.config)
                                if n in self.trackers()],
            }}
            self.session.request("POST", "projects.json", json=body)
            self.forget_project()
            return [Change("created", f"project {self.project_ident} (tracker {self.tracker_name})")]
        changes: list[Change] = []
        tracker_ids = [t["id"] for t in project.get("trackers") or []]
        known = self.trackers()
        missing = [name for name in rails_script.register_trackers(self.config)
                   if name in known and known[name]["id"] not in tracker_ids]
        if missing:
            self.session.request("PUT", f"projects/{project['id']}.json",
                                 json={"project": {"tracker_ids": tracker_ids + [known[n]["id"] for n in missing]}})
            changes.append(Change("updated", f"project {self.project_ident}: tracker {', '.join(missing)} enabled"))
        modules = [m["name"] for m in project.get("enabled_modules") or []]
        if "issue_tracking" not in modules:
            self.session.request("PUT", f"projects/{project['id']}.json",
                                 json={"project": {"enabled_module_names": modules + ["issue_tracking"]}})
            changes.append(Change("updated", f"project {self.project_ident}: issue tracking enabled"))
        if changes:
            self.forget_project()
        return changes or [Change("unchanged", f"project {self.project_ident}")]

    def manual_steps(self) -> list[ManualStep]:
        return [
            ManualStep(
                title="Redmine provisioning script (settings, statuses, trackers, workflow, custom fields, project)",
                why="Redmine's REST API cannot create trackers, issue statuses, workflows or custom fields, nor "
                    "change settings; this `rails runner` script does it (idempotently, in one transaction). Run it "
                    "on the Redmine server as the user Redmine runs as: "
                    "`bin/rails runner ci-plugin-provision.rb` in Redmine's directory with RAILS_ENV=production.",
                content=rails_script.script(self.config, self.desk_states()),
                filename="ci-plugin-provision.rb",
                fixes=("tracker ", "status ", "custom field ", "project ", "setting "),
            )
        ]

    def check(self) -> list[Finding]:
        self.forget_metadata()  # doctor checks the host, not the cache
        findings: list[Finding] = []
        trackers = self.trackers()
        improvement = trackers.get(self.tracker_name)
        if improvement is None:
            findings.append(Finding(f"tracker {self.tracker_name}", False, MISSING))
        else:
            default = (improvement.get("default_status") or {}).get("name")
            want = self.desk_states().host_status("new")
            findings.append(Finding(f"tracker {self.tracker_name}", default == want,
                                    "" if default == want else f"default status is {default!r}, the register needs {want!r}"))
        others = [self.problem_tracker] + ([self.project_tracker] if self.project_mode == "issue" else [])
        others.append(self.change_tracker)
        for name in dict.fromkeys(others + list(self.candidate_trackers)):
            if name != self.tracker_name:
                findings.append(Finding(f"tracker {name}", name in trackers, "" if name in trackers else MISSING))
        desk = self.desk_states()
        for state in STATES:
            name = desk.host_status(state)
            status = self._status(name)
            closed = state in FINAL_STATES
            if status is None:
                findings.append(Finding(f"status {name}", False, MISSING))
            elif bool(status.get("is_closed")) != closed:
                findings.append(Finding(f"status {name}", False, f"must be {'closed' if closed else 'open'} "
                                        f"(Administration > Issue statuses > {name})"))
            else:
                findings.append(Finding(f"status {name}", True))
        for wanted in rails_script.custom_fields(self.config):
            findings.append(self._check_cf(wanted, trackers))
        findings.append(self._check_project())
        findings.append(self._check_login_required())
        return findings

    def _check_cf(self, wanted: dict[str, Any], trackers: dict[str, dict[str, Any]]) -> Finding:
        name = wanted["name"]
        cf = self._cf_named(name)
        if cf is None:
            return Finding(f"custom field {name}", False, MISSING)
        problems = []
        if cf.get("field_format") != wanted["format"]:
            problems.append(f"format is {cf.get('field_format')!r}, ci-plugin needs {wanted['format']!r}: "
                            "rename or delete it, then run the provisioning script")
        enabled = {t.get("name") for t in cf.get("trackers") or []}
        missing = [t for t in wanted["trackers"] if t in trackers and t not in enabled]
        if missing:
            problems.append("not enabled for tracker " + ", ".join(missing))
        values = [v.get("value") for v in cf.get("possible_values") or []]
        absent = [v for v in wanted.get("possible_values", []) if v not in values]
        if absent and cf.get("field_format") == "list":
            problems.append("possible values lack " + ", ".join(absent))
        if wanted.get("is_filter") and not cf.get("is_filter"):
            problems.append("not usable as a filter (tick 'Used as a filter')")
        return Finding(f"custom field {name}", not problems, "; ".join(problems))

    def _check_project(self) -> Finding:
        name = f"project {self.project_ident}"
        project = self.project()
        if project is None:
            return Finding(name, False, "missing: run `ci-plugin setup` (or the provisioning script)")
        problems = []
        enabled = {t.get("name") for t in project.get("trackers") or []}
        absent = [name for name in rails_script.register_trackers(self.config) if name not in enabled]
        if absent:
            problems.append(f"tracker {', '.join(absent)} not enabled")
        if "issue_tracking" not in {m.get("name") for m in project.get("enabled_modules") or []}:
            problems.append("module issue tracking not enabled")
        return Finding(name, not problems, "; ".join(problems) + (": run `ci-plugin setup`" if problems else ""))

    def _check_login_required(self) -> Finding:
        """Whether Redmine refuses anonymous requests (else a wrong key reads as anonymous)."""
        name = "setting login_required"
        try:
            status = self.session.request("GET", "issues.json", params={"limit": 1}, ok=(200, 401),
                                          headers={"X-Redmine-API-Key": None}).status_code
        except HostError as exc:
            if exc.status is None:
                return Finding(name, False, f"could not probe anonymous access: {exc}")
            status = exc.status
        if status == 401:
            return Finding(name, True)
        return Finding(name, False, f"anonymous GET /issues.json answered HTTP {status}: a wrong API key "
                                    "would be served as anonymous (Administration > Settings > Authentication)")
