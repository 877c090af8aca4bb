"""Environment variables a fixture host's session exports (its token, a store file) for as long
as it runs, so that the CLI processes the tests start find them; restored afterwards."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def exported(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the block; afterwards each variable is as it was
    (unset again if it was unset)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
