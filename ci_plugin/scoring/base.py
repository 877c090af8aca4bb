"""What a scoring model is, what it returns, and how its inputs are checked.

A scoring model turns the inputs of one improvement (a dict of numbers) and the model's
settings (``[scoring.NAME]`` of the configuration) into a :class:`Score`: a value rounded to
4 decimals, a breakdown that explains it line by line, and an optional label. Models are
plugins (see :func:`ci_plugin.hookspecs.ci_register_scoring_models`); every model describes
its inputs with a JSON Schema (Draft 2020-12), against which :func:`validate_inputs` checks
them before :func:`score` lets the model compute anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import jsonschema

from ci_plugin.domain import validation
from ci_plugin.errors import SchemaValidationError
from ci_plugin.scoring.fastcheck import compile_check

DECIMALS = 4
"""Scores and contributions are rounded to this many decimals."""

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NUMERIC_TYPES = ("number", "integer")


@dataclass(frozen=True)
class Contribution:
    """One line of a score's explanation: an input, its value, its weight and what it added.

    ``contribution`` is rounded to 4 decimals. ``weight`` is None for models without weights.
    """

    input: str
    value: float | str
    weight: float | None
    contribution: float
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "contribution", round(float(self.contribution), DECIMALS))

    def to_json(self) -> dict[str, Any]:
        """The line as a JSON object; ``weight`` is left out when the model has no weights."""
        line: dict[str, Any] = {"input": self.input, "value": self.value}
        if self.weight is not None:
            line["weight"] = self.weight
        line.update(contribution=self.contribution, note=self.note)
        return line


@dataclass(frozen=True)
class Score:
    """The result of scoring one improvement: value (rounded to 4 decimals), breakdown, label."""

    value: float
    breakdown: tuple[Contribution, ...]
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", round(float(self.value), DECIMALS))
        object.__setattr__(self, "breakdown", tuple(self.breakdown))

    def to_json(self) -> dict[str, Any]:
        """``{"score": ..., "breakdown": [...], "label": ...}``, the shape of an assessment document."""
        breakdown = [line.to_json() for line in self.breakdown]
        return {"score": self.value, "breakdown": breakdown, "label": self.label}


@runtime_checkable
class ScoringModel(Protocol):
    """What a scoring-model plugin implements.

    ``name`` is what ``--model`` and ``[scoring] default_model`` select (e.g. ``wsjf``);
    ``title`` is a human name. A model must be absolute (the score depends only on this
    improvement's inputs and the settings), deterministic, and monotone in its inputs.
    """

    name: str
    title: str

    def input_schema(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema (Draft 2020-12) of the inputs dict under these settings."""
        ...

    def score(self, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
        """Score inputs that passed :func:`validate_inputs`."""
        ...


def _freeze(value: Any) -> Any:
    """A hashable, order-independent stand-in for a settings value."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set):
        return tuple(sorted(repr(_freeze(v)) for v in value))
    return value


@dataclass(frozen=True)
class _Checker:
    """What validating one model's inputs needs, built once per model and settings."""

    validator: jsonschema.protocols.Validator
    numeric: frozenset[str]  # properties whose CLI text is coerced to numbers
    fast: Callable[[Any], bool] | None  # compiled check, None when the schema is outside its subset


_CHECKERS: dict[tuple[Any, ...], _Checker] = {}


def _checker(model: ScoringModel, settings: dict[str, Any]) -> _Checker:
    """The checker of ``model``'s input schema under ``settings``, built once per model and settings."""
    key = (type(model), model.name, _freeze(settings))
    found = _CHECKERS.get(key)
    if found is None:
        schema = model.input_schema(settings)
        found = _Checker(jsonschema.Draft202012Validator(schema), frozenset(_numeric_properties(schema)),
                         compile_check(schema))
        _CHECKERS[key] = found
    return found


def _numeric_properties(input_schema: dict[str, Any]) -> set[str]:
    """Names of the properties whose type is a number (or that enumerate numbers only)."""
    names = set()
    for name, spec in (input_schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        kinds = spec.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        enum = spec.get("enum")
        numeric_enum = bool(enum) and all(_is_number(v) for v in enum)
        if any(kind in _NUMERIC_TYPES for kind in kinds) or numeric_enum:
            names.add(name)
    return names


def _is_number(value: Any) -> bool:
    """True for int and float, not for bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _coerce(text: str) -> int | float | str:
    """``"3"`` -> 3, ``"2.5"`` -> 2.5; anything that is not a plain decimal number stays text."""
    stripped = text.strip()
    if not _NUMBER_TEXT.fullmatch(stripped):
        return text
    number = float(stripped)
    if not math.isfinite(number):
        return text
    if re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    return number


def validate_inputs(model: ScoringModel, inputs: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Check ``inputs`` against ``model``'s input schema; return them with numeric text coerced.

    Inputs typed on the command line arrive as strings: ``"3"`` becomes 3 for every numeric
    property before validation. Raises :class:`SchemaValidationError` (``what`` is
    ``"NAME inputs"``) with the JSON path of the offending input (``$.effort``), or ``$`` for
    a missing input.
    """
    what = f"{model.name} inputs"
    checker = _checker(model, settings)
    if isinstance(inputs, dict):
        checked: Any = {k: _coerce(v) if k in checker.numeric and isinstance(v, str) else v
                        for k, v in inputs.items()}
    else:
        checked = inputs
    if checker.fast is not None and checker.fast(checked):
        return checked  # the compiled check accepts exactly what the schema accepts, finite numbers only
    errors = list(checker.validator.iter_errors(checked))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        path = validation.json_path(error)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            if len(extra) == 1:
                path = f"{path}.{extra[0]}"
        raise SchemaValidationError(what, path, validation.describe(error))
    for key, value in checked.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaValidationError(what, f"$.{key}", f"{value!r} is not a finite number")
    return checked


def score(model: ScoringModel, inputs: dict[str, Any], settings: dict[str, Any]) -> Score:
    """Validate ``inputs`` for ``model`` and score them.

    Raises :class:`SchemaValidationError` (path ``$``) when valid but extreme inputs give a
    score that is not a finite number (an overflow), which no register could store.
    """
    result = model.score(validate_inputs(model, inputs, settings), settings)
    if not math.isfinite(result.value):
        raise SchemaValidationError(f"{model.name} inputs", "$",
                                    "the inputs give a score that is not a finite number")
    return result
