"""Core plugin that registers the built-in scoring models: weighted, wsjf, rice, ice, quadrant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ci_plugin.hookspecs import hookimpl
from ci_plugin.scoring import models


@hookimpl
def ci_register_scoring_models(add_model: Callable[[Any], None]) -> None:
    """Register one instance of each built-in model (see :mod:`ci_plugin.scoring.models`)."""
    for model_class in models.BUILTIN_MODELS:
        add_model(model_class())
