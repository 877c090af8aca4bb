"""Editing an improvement's record: title, owner, size, category, dates, outcome, lessons.

Every value is checked before anything is sent (a bad date, a size, category or outcome the
improvement schema does not know, an unknown user for the owner: UsageError, exit 2, nothing
written). Only what differs from what the host holds is written, in one update through
:meth:`ci_plugin.register.ImprovementRegister.update`; the improvement is read back and an audit
comment lists each change. An empty value clears a field (not the title or the owner).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ci_plugin.domain import validation
from ci_plugin.domain.model import Improvement
from ci_plugin.errors import UsageError
from ci_plugin.register import ImprovementRegister

#: The register fields ``update`` edits, with the option that sets each.
EDITABLE = {"size": "--size", "category": "--category", "target_date": "--target-date",
            "review_date": "--review-date", "outcome": "--outcome", "lessons": "--lessons"}
MAX_TITLE = 200
MAX_LESSONS = 10_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_LOGIN = re.compile(r"[^\s\x00-\x1f\x7f/]{1,100}")


@dataclass
class UpdateResult:
    """The improvement as the host has it after the update, and what changed (key -> old, new)."""

    improvement: Improvement
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def choices(key: str) -> tuple[str, ...]:
    """The values the improvement schema allows for an enumerated field (``size``, ``outcome``...)."""
    schema = validation.schema("improvement")
    node = schema["properties"][key]
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return tuple(node["enum"])


def check_value(key: str, value: str) -> str:
    """``value`` of register field ``key`` as it will be stored (``""`` clears it); UsageError
    naming the option when it is not a value of the field."""
    option = EDITABLE[key]
    if value == "":
        return ""
    if key in ("target_date", "review_date"):
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
        return value
    if key == "lessons":
        if len(value) > MAX_LESSONS:
            raise UsageError(f"{option}: {len(value)} characters, at most {MAX_LESSONS}")
        return value.strip()
    allowed = choices(key)
    if value not in allowed:
        raise UsageError(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


def closure_values(outcome: str | None, lessons: str | None) -> dict[str, str]:
    """The checked ``outcome`` and ``lessons`` given when closing (only those given)."""
    given = {"outcome": outcome, "lessons": lessons}
    return {key: check_value(key, value) for key, value in given.items() if value is not None}


def check_title(title: str) -> str:
    """A title as it will be stored: one line, not empty, at most :data:`MAX_TITLE` characters."""
    cleaned = title.strip()
    if not cleaned or "\n" in cleaned or "\r" in cleaned or len(cleaned) > MAX_TITLE:
        raise UsageError(f"--title: give one line of 1 to {MAX_TITLE} characters")
    return cleaned


def check_login(login: str) -> str:
    """A user login as given to ``--owner`` (no spaces or control characters)."""
    if not _LOGIN.fullmatch(login):
        raise UsageError(f"--owner: {login[:40]!r} is not a user login")
    return login


def update(register: ImprovementRegister, improvement_id: str, *, title: str | None = None,
           owner: str | None = None, **values: str | None) -> UpdateResult:
    """Change the given fields of an improvement (keys of :data:`EDITABLE`, plus ``title`` and
    ``owner``, a user login) in one write; UsageError before anything is written when a value is
    bad or nothing is given. Values equal to the host's are not written again."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise UsageError(f"update: cannot edit {', '.join(sorted(unknown))}")
    wanted = {key: check_value(key, value) for key, value in values.items() if value is not None}
    new_title = check_title(title) if title is not None else None
    login = check_login(owner) if owner is not None else None
    if not wanted and new_title is None and login is None:
        raise UsageError("update: nothing to change (give --title, --owner, --size, --category, --target-date, "
                         "--review-date, --outcome or --lessons)")
    improvement = register.get(improvement_id)
    changes: dict[str, tuple[Any, Any]] = {}
    write: dict[str, Any] = {}
    for key, value in wanted.items():
        old = improvement.get(key) or ""
        if str(old) != value:
            changes[key] = (old, value)
            write[key] = value or None
    if new_title is not None and new_title != improvement.title:
        changes["title"] = (improvement.title, new_title)
    else:
        new_title = None
    user = None
    if login is not None and login != improvement.owner:
        user = register.find_user(login)
        if user is None:
            raise UsageError(f"--owner: {register.host.label} has no user {login!r}")
        changes["owner"] = (improvement.owner, login)
    if not changes:
        return UpdateResult(improvement)
    register.update(improvement.id, write, title=new_title, owner=user)
    after = register.get(improvement.id)
    lines = [f"{key}: {_shown(old)} -> {_shown(new)}" for key, (old, new) in changes.items()]
    register.audit(improvement.id, "Updated:\n" + "\n".join(lines))
    return UpdateResult(after, changes)


def _shown(value: Any) -> str:
    text = str(value) if value not in (None, "") else "(none)"
    return text if len(text) <= 80 else text[:79] + "\u2026"
