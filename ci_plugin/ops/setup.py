"""``setup`` and ``doctor``: provision the improvement ticket type on the host, and check it.

``setup`` creates through the API whatever the API can create (idempotently), then checks
everything; what only an admin can install on the host (an RT lifecycle, a Redmine
provisioning script) is returned as :class:`~ci_plugin.hosts.base.ManualStep` with the exact
text, and setup is not complete until those are in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ci_plugin.hosts.base import Change, Finding, ManualStep
from ci_plugin.register import ImprovementRegister


@dataclass
class SetupReport:
    """What setup did, what doctor-style checks still fail, and the manual steps that fix them."""

    changes: list[Change] = field(default_factory=list)
    failing: list[Finding] = field(default_factory=list)
    pending: list[ManualStep] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing is missing on the host."""
        return not self.failing

    def to_json(self) -> dict[str, Any]:
        """A JSON document of the report (for ``--json``)."""
        return {
            "complete": self.complete,
            "changes": [{"action": c.action, "what": c.what} for c in self.changes],
            "missing": [{"name": f.name, "detail": f.detail} for f in self.failing],
            "manual_steps": [{"title": m.title, "why": m.why, "file": m.filename, "content": m.content}
                             for m in self.pending],
        }


def setup(register: ImprovementRegister) -> SetupReport:
    """Provision the host; return what changed and what still needs an admin's hand."""
    host = register.host
    host.about()
    changes = host.provision()
    failing = [f for f in host.check() if not f.ok]
    pending = [m for m in host.manual_steps() if any(f.name.startswith(m.fixes) for f in failing if m.fixes)]
    return SetupReport(changes, failing, pending)


def doctor(register: ImprovementRegister) -> list[Finding]:
    """Check connection, credentials, and every piece the register needs on the host."""
    facts = register.host.about()
    findings = [Finding("connection and credentials", True, f"{register.host.label} {facts.get('version', '')}".strip())]
    findings += register.host.check()
    return findings
