"""Where the CLI writes: data to stdout (one JSON document with ``--json``), messages to stderr."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ci_plugin.domain.model import Improvement


def out(text: str) -> None:
    """Print a line to stdout."""
    sys.stdout.write(text + "\n")


def out_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def err(text: str) -> None:
    """Print a line to stderr."""
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    """Print a warning line to stderr."""
    err(f"ci-plugin: warning: {text}")


def improvement_or_id(args: argparse.Namespace, improvement: Improvement, extra: dict[str, Any] | None = None) -> None:
    """With ``--json`` the improvement's record (plus ``extra``), else just its id."""
    if args.json:
        out_json({**improvement.to_record(), **(extra or {})})
    else:
        out(improvement.id)
