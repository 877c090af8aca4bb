"""Parsing what a user types into values the operations take (numbers, NAME=VALUE, JSON files)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ci_plugin.errors import UsageError


def number(text: str) -> float:
    """An argparse ``type``: ``"8"`` -> 8, ``"2.5"`` -> 2.5; anything else is refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return int(value) if value.is_integer() and "." not in text else value


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["value=8", "effort=3"]`` -> ``{"value": "8", "effort": "3"}``; UsageError when malformed."""
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {pair!r}")
        inputs[name.strip()] = value.strip()
    return inputs


def read_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """A scoring model's inputs from ``--file`` (a JSON object, ``-`` for stdin) and ``--set``."""
    inputs: dict[str, Any] = {}
    if args.file:
        try:
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
            inputs = json.loads(text)
        except OSError as exc:
            raise UsageError(f"--file {args.file}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"--file {args.file}: not valid JSON: {exc}") from None
        if not isinstance(inputs, dict):
            raise UsageError(f"--file {args.file}: expected a JSON object of inputs")
    inputs.update(parse_assignments(args.set))
    if not inputs:
        raise UsageError("give the model's inputs with --set NAME=VALUE or --file")
    return inputs
