"""Ids across several hosts: ``name:id`` names the host that holds a record.

With several hosts configured (``[[hosts]]``), every id the register shows is qualified by its
host's name (``redmine:42``), and an id a user types may be qualified the same way. A host name
is a lowercase identifier, so a qualified id is told from a bare one by its form alone: no id
of a supported host begins with a lowercase identifier and a colon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_QUALIFIED = re.compile(r"([a-z][a-z0-9_]{0,31}):(.+)", re.ASCII | re.DOTALL)


def split(text: str) -> tuple[str | None, str]:
    """``"redmine:42"`` -> ``("redmine", "42")``; ``"42"`` -> ``(None, "42")``."""
    match = _QUALIFIED.fullmatch(str(text).strip())
    if match is None:
        return None, str(text)
    return match.group(1), match.group(2)


def qualify(name: str, local_id: str) -> str:
    """``("redmine", "42")`` -> ``"redmine:42"`` (an id already qualified is left as it is)."""
    return local_id if split(local_id)[0] == name else f"{name}:{local_id}"


def one_host(ids: Iterable[str], chosen: str | None = None) -> tuple[str | None, list[str]]:
    """The host that ``ids`` (and ``chosen``, a ``--host``) name together, and the bare ids.

    ValueError when they name different hosts (one command acts on one host)."""
    names = {chosen} if chosen else set()
    bare = []
    for text in ids:
        name, local = split(text)
        if name:
            names.add(name)
        bare.append(local)
    if len(names) > 1:
        raise ValueError(f"the ids name different hosts ({', '.join(sorted(names))}); one command acts on one host")
    return (names.pop() if names else None), bare
