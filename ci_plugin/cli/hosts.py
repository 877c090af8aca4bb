"""Which host a command acts on, when several are configured (``[[hosts]]``).

A command that acts on records (``convert``, ``link``, ``transition``, ``assess``, ...) acts on
the host that holds them: ids written ``name:id`` name it, ``--host NAME`` names it for bare
ids (and for the commands that take no id: ``sync``, ``setup``, ``stats``, ...). With one host
configured nothing is needed. The ids a command is given must all name one host.
"""

from __future__ import annotations

import argparse

from ci_plugin.domain import host_ids
from ci_plugin.errors import UsageError


def chosen(args: argparse.Namespace) -> str | None:
    """The host ``--host`` names, None when not given."""
    return getattr(args, "host", None)


def target(args: argparse.Namespace, *ids: str) -> tuple[str | None, list[str]]:
    """The host that ``ids`` and ``--host`` name together (None: not named), and the bare ids;
    UsageError (exit 2) when they name different hosts."""
    try:
        return host_ids.one_host(ids, chosen(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
