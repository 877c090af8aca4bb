"""The connection of an adapter to a memory host: address, credentials, call counts, faults.

Which store a configuration reaches: with ``CI_PLUGIN_MEMORY_STORE`` set (in the environment
the configuration was loaded with) the store kept in that JSON file, so that several processes
(the CLI, a subprocess in a test) see one host; otherwise one store per ``[host] url`` in this
process. A store that does not exist yet is created on first use and accepts the token of
that first session (installing a host creates its admin). A store answers only at the url it
was created with: any other address is unreachable, as a real host would be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ci_plugin.errors import AuthenticationError, HostRefused, HostUnavailable
from ci_plugin.hosts.memory.store import MemoryStore, digest

STORE_ENV = "CI_PLUGIN_MEMORY_STORE"
LABEL = "memory host"
_STORES: dict[str, MemoryStore] = {}
T = TypeVar("T")


def store_for(url: str, token: str, environ: dict[str, str]) -> MemoryStore:
    """The store a configuration with this url, token and environment reaches (see above)."""
    path = environ.get(STORE_ENV) or None
    key = str(Path(path).resolve()) if path else url.rstrip("/")
    if key not in _STORES:
        exists = path is not None and Path(path).exists()
        _STORES[key] = MemoryStore.load(path) if exists else MemoryStore(url, token, path=path)
    return _STORES[key]


def forget(store: MemoryStore) -> None:
    """Drop a store from this process's registry (the next session opens it afresh)."""
    for key in [k for k, v in _STORES.items() if v is store]:
        del _STORES[key]


class MemorySession:
    """Stands where an HTTP session stands: every adapter call goes through :meth:`call`, which
    checks address and token, counts the call by the HTTP method it would be (``counts``,
    as :class:`~ci_plugin.http.HostSession` does) and applies the store's injected faults."""

    def __init__(self, store: MemoryStore, url: str, token: str):
        self.store = store
        self.url = url.rstrip("/")
        self._token_digest = digest(token)
        self.counts: Counter[str] = Counter()

    @property
    def request_count(self) -> int:
        """How many calls went to the host."""
        return sum(self.counts.values())

    def call(self, op: str, method: str, action: Callable[[], T]) -> T:
        """Serve one adapter operation ``op`` (``action`` does it on the store)."""
        store = self.store
        self.counts[method] += 1
        if store.url != self.url:
            raise HostUnavailable(f"{LABEL} at {self.url} is unreachable: no memory host answers at this address")
        store.refresh()
        if self._token_digest != store.token_digest:
            raise AuthenticationError(f"{LABEL} rejected the credentials (HTTP 401)", status=401)
        fault = store.take_fault(op)
        if fault is None:
            return action()
        if fault.before is not None:
            fault.before()
            return action()
        if fault.error is not None:
            raise fault.error
        if fault.refuse is not None:
            raise HostRefused(f"{LABEL} refused {op}: {fault.refuse}", status=422, messages=[fault.refuse])
        if fault.ignore:
            return _nothing()
        if fault.lost_answer:
            action()
            raise HostUnavailable(f"{LABEL} at {self.url} is unreachable: the answer to {op} was lost")
        raise HostUnavailable(f"{LABEL} at {self.url} is unreachable: connection reset before {op}")


def _nothing() -> Any:
    return None
