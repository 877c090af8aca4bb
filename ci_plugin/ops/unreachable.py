"""Stopping a batch when the host went away: a count of consecutive connection failures.

A batch (``sync``, ``prioritize``) that meets :class:`~ci_plugin.errors.HostUnavailable` on one
item goes on with the next (a single lost connection should not stop 10,000 writes), but after
``[host] max_consecutive_failures`` failures in a row (default 3) the host is taken to be down:
the batch stops with one :class:`HostUnavailable` (exit 3) instead of retrying every remaining
item with full back-off. Whatever was not done stays to do, so the next run resumes.
"""

from __future__ import annotations

from typing import Any

from ci_plugin.errors import HostUnavailable

DEFAULT_LIMIT = 3


def failure_limit(config: Any) -> int:
    """``[host] max_consecutive_failures`` of ``config`` (the default when unset)."""
    return int(config.data.get("host", {}).get("max_consecutive_failures") or DEFAULT_LIMIT)


class FailureStreak:
    """Counts connection failures in a row; :meth:`failed` raises once the limit is reached."""

    def __init__(self, limit: int, what: str):
        self.limit = max(1, limit)
        self.what = what
        self.count = 0
        self.done = 0

    def answered(self) -> None:
        """The host answered (even with a refusal): the streak starts again."""
        self.count = 0

    def succeeded(self) -> None:
        """An item went through: the host is there, the streak starts again."""
        self.count = 0
        self.done += 1

    def failed(self, exc: HostUnavailable) -> None:
        """An item met a connection failure; raise :class:`HostUnavailable` (one line, exit 3)
        when it is the ``limit``-th in a row."""
        self.count += 1
        if self.count >= self.limit:
            raise HostUnavailable(
                f"{exc}; {self.what} stopped after {self.count} consecutive connection failures "
                f"({self.done} done; the next run does the rest)"
            ) from None
