"""The part every HTTP adapter's metadata layer shares: reads of the host's own configuration
(queues, trackers, statuses, custom-field definitions, the register's project) kept in memory
for the process and on disk between processes (:mod:`ci_plugin.http.metadata_cache`).

A value taken from the disk cache may be stale (an admin renamed a queue, re-created a field):
:meth:`CachedMetadata._fresh_retry` runs a write again once, with every metadata value read
afresh from the host, when the host refused it while cached values were in use; a name looked up
in cached metadata and not found there is read afresh before it is an error
(:meth:`CachedMetadata._refresh_if_cached`). ``setup`` and ``doctor`` start from the host
(:meth:`CachedMetadata.forget_metadata`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ci_plugin.errors import ConfigError, HostRefused, NotFound, NotProvisionedError
from ci_plugin.hosts.base import HostAdapter
from ci_plugin.http import metadata_cache

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What a host answers when an id it was sent does not exist (any more).
STALE_ANSWERS = (HostRefused, NotFound, NotProvisionedError)


class CachedMetadata(HostAdapter):
    """Named metadata reads, each once per process and cached on disk for ``[host] metadata_ttl``."""

    _meta: dict[str, Any]
    _disk: metadata_cache.MetadataCache | None = None

    @property
    def metadata_cache(self) -> metadata_cache.MetadataCache:
        """This host's on-disk metadata cache (keyed by URL, config and the secret's hash)."""
        if self._disk is None:
            try:
                secret: str | None = self.config.token()
            except ConfigError:
                secret = None
            self._disk = metadata_cache.for_config(self.config, self.name, secret)
        return self._disk

    def _metadata(self, name: str, load: Callable[[], T], valid: Callable[[Any], bool]) -> T:
        """The metadata value ``name``: from memory, else from the disk cache when ``valid``
        accepts it, else ``load()`` from the host (then stored on disk)."""
        store = self.__dict__.setdefault("_meta", {})
        if name not in store:
            value = self.metadata_cache.get(name)
            if value is None or not valid(value):
                self.metadata_cache.served.discard(name)
                value = load()
                if value is not None:
                    self.metadata_cache.put(name, value)
            store[name] = value
        return store[name]

    def from_cache(self, *names: str) -> bool:
        """Whether any of ``names`` (any metadata at all without names) came from the disk cache."""
        served = self.metadata_cache.served
        return bool(served & set(names)) if names else bool(served)

    def forget_metadata(self) -> None:
        """Drop the metadata of this process and the disk cache: the next reads go to the host."""
        self.__dict__.setdefault("_meta", {}).clear()
        self.metadata_cache.invalidate()

    def _refresh_if_cached(self, *names: str) -> bool:
        """Read ``names`` afresh when they came from the disk cache (a lookup in them failed);
        returns whether anything was dropped."""
        if not self.from_cache(*names):
            return False
        log.info("%s: cached metadata (%s) looks stale; reading it again", self.label, ", ".join(names))
        self.forget_metadata()
        return True

    def _fresh_retry(self, action: Callable[[], T]) -> T:
        """Run ``action``; if the host refuses it while cached metadata was in use, drop the
        cache, and run it once more with metadata read afresh."""
        try:
            return action()
        except STALE_ANSWERS:
            if not self.from_cache():
                raise
            log.info("%s refused a write made with cached metadata; reading it again and retrying once", self.label)
            self.forget_metadata()
            return action()
