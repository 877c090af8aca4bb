"""Parsing what a user types into values the operations take (numbers, NAME=VALUE, JSON files).

Every value is checked here, before anything is sent to the host, and refused with one line
(exit 2) when it is not what the documentation promises:

- numbers (``case``, ``measure``) are plain ASCII decimals (``8``, ``-2.5``, ``1e3``): NaN,
  infinities, ``1e400`` (which is infinite as a float), ``1_000``, Unicode digits (``５７``) and
  hexadecimal are refused;
- ``--set NAME=VALUE`` names each input once: a repeated name is refused rather than silently
  keeping the last; a value with non-ASCII digits is refused; ``--set`` wins over ``--file``;
- ``--file`` is a JSON object of numbers and text, UTF-8 (with or without a byte-order mark):
  UTF-16/UTF-32, binary data, ``NaN``/``Infinity``, nested objects or arrays are refused;
- ``--model ''`` (an empty model name) is refused, never taken for the default model.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from ci_plugin.errors import UsageError

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
#: Longest number text accepted (a 5,000-digit integer is refused, not converted).
MAX_NUMBER_TEXT = 40
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def parse_number(text: str) -> int | float:
    """``"8"`` -> 8, ``"2.5"`` -> 2.5, ``"1e3"`` -> 1000.0; ValueError for anything else
    (NaN, infinities, numbers too large for a float, ``1_000``, non-ASCII digits)."""
    stripped = str(text).strip()
    if len(stripped) > MAX_NUMBER_TEXT or not _DECIMAL.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a number")
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    value = float(stripped)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large")
    return value


def number(text: str) -> float:
    """An argparse ``type``: ``"8"`` -> 8, ``"2.5"`` -> 2.5; anything else is refused (see
    :func:`parse_number`)."""
    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def model_name(value: str | None) -> str | None:
    """``--model``: None when not given; an empty or blank name is refused."""
    if value is None:
        return None
    if not value.strip():
        raise UsageError("--model: empty model name; see `ci-plugin models`")
    return value.strip()


def _foreign_digits(value: str) -> bool:
    return any(not c.isascii() and (c.isdigit() or c.isnumeric()) for c in value)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["value=8", "effort=3"]`` -> ``{"value": "8", "effort": "3"}``; UsageError when
    malformed, when a name is given twice, or when a value holds non-ASCII digits."""
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UsageError(f"--set expects NAME=VALUE, got {pair!r}")
        if name in inputs:
            raise UsageError(f"--set {name} is given twice ({inputs[name]!r} and {value!r}); give it once")
        if _foreign_digits(value):
            raise UsageError(f"--set {name}={value!r}: write numbers with ASCII digits 0-9")
        inputs[name] = value
    return inputs


def decode_text(data: bytes, what: str) -> str:
    """Bytes of a file the user gave as UTF-8 text (a UTF-8 byte-order mark is dropped);
    UsageError naming the problem for UTF-16/UTF-32 or anything that is not UTF-8 text."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise UsageError(f"{what}: the file is {name}; save it as UTF-8")
    if b"\x00" in data:
        raise UsageError(f"{what}: binary data, not UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json_object(text: str, what: str) -> dict[str, Any]:
    """A flat JSON object of numbers and text (a model's inputs); UsageError otherwise."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what}: not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"{what}: nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, or an integer longer than Python converts
        raise UsageError(f"{what}: {exc}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{what}: expected a JSON object of inputs")
    for key, value in document.items():
        if isinstance(value, (dict, list)):
            raise UsageError(f"{what}: $.{key}: expected a number or text, not {'an object' if isinstance(value, dict) else 'an array'}")
        if isinstance(value, str) and _foreign_digits(value):
            raise UsageError(f"{what}: $.{key}: write numbers with ASCII digits 0-9")
    return document


def read_inputs(args: argparse.Namespace, *, required: bool = True) -> dict[str, Any]:
    """A scoring model's inputs from ``--file`` (a JSON object, ``-`` for stdin) and ``--set``
    (which wins over the file); none at all is refused when ``required``."""
    inputs: dict[str, Any] = {}
    if args.file is not None:
        what = f"--file {args.file}"
        try:
            if args.file == "-":
                stream = getattr(sys.stdin, "buffer", None)
                data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
            else:
                data = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"{what}: {exc.strerror or exc}") from None
        inputs = load_json_object(decode_text(data, what), what)
    inputs.update(parse_assignments(args.set))
    if not inputs and required:
        raise UsageError("give the model's inputs with --set NAME=VALUE or --file")
    return inputs
