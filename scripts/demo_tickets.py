"""Service-desk traffic for scripts/demo.sh: makes tickets directly in the host, as agents and
users would, and prints their ids on one line: four incidents (the last one flagged as an
improvement candidate), a problem record and a project record. With ``recurring``: six incidents
"VPN drops after sleep" with varying numbers (on Redmine in the helpdesk's ``Network`` issue
category, the grouping key there), for ``propose``.

Uses the host session of the demo's config (``CI_PLUGIN_CONFIG``), so it works for RT and
Redmine alike.
"""

from __future__ import annotations

import sys

from ci_plugin import config
from ci_plugin.errors import NotFound
from ci_plugin.register import ImprovementRegister

TICKETS = [
    ("incident", "Password reset takes 2 days", "User locked out since Monday.", False),
    ("incident", "Laptop setup for new hire not ready", "Starter on 1st had no laptop.", False),
    ("incident", "Laptop setup late again", "Second starter this month without a laptop.", False),
    ("incident", "Email outage, 6 hours to restore", "MTTR far above target.", True),
    ("problem", "Self-service password reset missing", "Root cause of many reset calls.", False),
    ("project", "Identity platform 2027", "Programme that will deliver SSPR.", False),
]


def rt_tickets(register: ImprovementRegister) -> list[str]:
    """Tickets in RT's General, Problems and Projects queues."""
    settings = register.config.section("rt")
    queues = {"incident": "General", "problem": settings["problem_queue"], "project": settings["project_queue"]}
    flag = register.config.section("fields")["candidate"]
    ids = []
    for kind, subject, text, flagged in TICKETS:
        body = {"Queue": queues[kind], "Subject": subject, "Content": text, "ContentType": "text/plain"}
        if flagged:
            body["CustomFields"] = {flag: register.config.section("candidate")["value"]}
        ids.append(str(register.host.session.request("POST", "ticket", json=body).json()["id"]))
    return ids


def redmine_tickets(register: ImprovementRegister) -> list[str]:
    """Issues in a ``helpdesk`` project (created if missing): Bugs, a Problem and a Project."""
    session = register.host.session
    settings = register.config.section("redmine")
    trackers = {t["name"]: t["id"] for t in session.request("GET", "trackers.json").json()["trackers"]}
    tracker = {"incident": trackers["Bug"], "problem": trackers[settings["problem_tracker"]],
               "project": trackers[settings["project_tracker"]]}
    try:
        project = session.request("GET", "projects/helpdesk.json").json()["project"]
    except NotFound:
        body = {"project": {"name": "Helpdesk", "identifier": "helpdesk", "tracker_ids": sorted(set(tracker.values()))}}
        project = session.request("POST", "projects.json", json=body).json()["project"]
    flag = next(cf for cf in register.host.custom_fields() if cf["name"] == register.config.section("fields")["candidate"])
    ids = []
    for kind, subject, text, flagged in TICKETS:
        issue = {"project_id": project["id"], "tracker_id": tracker[kind], "subject": subject, "description": text}
        if flagged:
            issue["custom_fields"] = [{"id": flag["id"], "value": register.config.section("candidate")["value"]}]
        ids.append(str(session.request("POST", "issues.json", json={"issue": issue}).json()["issue"]["id"]))
    return ids


RECURRING = [f"VPN drops after sleep on laptop {100 + 7 * n} (#{4711 + n})" for n in range(6)]


def recurring_tickets(register: ImprovementRegister) -> list[str]:
    """The recurring incidents: RT's General queue, or Redmine Bugs of the helpdesk project in
    its ``Network`` category (created if missing)."""
    session = register.host.session
    ids = []
    if register.host.name == "rt":
        for subject in RECURRING:
            body = {"Queue": "General", "Subject": subject, "Content": "Again after the lid was closed.",
                    "ContentType": "text/plain"}
            ids.append(str(session.request("POST", "ticket", json=body).json()["id"]))
        return ids
    project = session.request("GET", "projects/helpdesk.json").json()["project"]
    categories = session.request("GET", f"projects/{project['id']}/issue_categories.json").json()["issue_categories"]
    category = next((c for c in categories if c["name"] == "Network"), None) or session.request(
        "POST", f"projects/{project['id']}/issue_categories.json", json={"issue_category": {"name": "Network"}}
    ).json()["issue_category"]
    bug = next(t["id"] for t in session.request("GET", "trackers.json").json()["trackers"] if t["name"] == "Bug")
    for subject in RECURRING:
        issue = {"project_id": project["id"], "tracker_id": bug, "category_id": category["id"], "subject": subject,
                 "description": "Again after the lid was closed."}
        ids.append(str(session.request("POST", "issues.json", json={"issue": issue}).json()["issue"]["id"]))
    return ids


def main(argv: list[str]) -> None:
    """Print the ids of the demo's tickets (``recurring``: of the recurring incidents)."""
    register = ImprovementRegister(config.load())
    if argv[:1] == ["recurring"]:
        make = recurring_tickets
    else:
        make = rt_tickets if register.host.name == "rt" else redmine_tickets
    print(" ".join(make(register)))


if __name__ == "__main__":
    main(sys.argv[1:])
