"""A progress bar on stderr for long work, drawn only when stderr is a terminal.

``sync``, ``prioritize``, ``stats`` and ``report`` hand :func:`bar` (a ``tick(done, total)``
callable) to their operation. When stderr is not a terminal (a pipe, a file, cron) the tick does
nothing, so ``--json`` output and logs stay clean; stdout is never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


class Bar:
    """``label [#####.....] done/total``, redrawn in place with a carriage return; the line is
    ended when ``done`` reaches ``total``."""

    def __init__(self, label: str, stream: TextIO):
        self.label = label
        self.stream = stream
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        """Draw the bar for ``done`` of ``total`` (redrawn at most once per percent)."""
        if total <= 0:
            return
        percent = min(100, done * 100 // total)
        if percent == self.shown and done < total:
            return
        self.shown = percent
        filled = WIDTH * percent // 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def bar(label: str, stream: TextIO | None = None) -> Callable[[int, int], None] | None:
    """A tick drawing a progress bar on ``stream`` (stderr) when it is a terminal, else ``None``
    (the operation then reports nothing)."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return Bar(label, stream) if callable(isatty) and isatty() else None
