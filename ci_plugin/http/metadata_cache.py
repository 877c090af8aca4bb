"""A small on-disk cache of what an adapter reads about its host once per process (queues,
trackers, statuses, custom-field definitions, the register's project), so that a one-shot CLI
process does not pay those reads every time.

* Where: ``$CI_PLUGIN_CACHE_DIR`` if set (tests point it at a temporary directory), else
  ``$XDG_CACHE_HOME/ci-plugin``, else ``~/.cache/ci-plugin``.
* One file per host and configuration: its name is a SHA-256 of the host URL, the adapter, the
  adapter's own config table and the field names, and a hash of the secret (so two users with
  different rights never share entries). The secret itself is never written.
* Entries live ``[host] metadata_ttl`` seconds (600 by default; 0 turns the cache off).
* Files are written with mode 0600, to a temporary file in the same directory then renamed, so
  a reader never sees half a file. A file that is missing, unreadable, corrupt, of another
  format or from the future is a miss, never an error; a cache that cannot be written is
  skipped silently (the reads are simply paid again).
* :meth:`MetadataCache.invalidate` drops the file: adapters call it when the host answers that a
  cached id is wrong, then read the metadata again and retry once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "CI_PLUGIN_CACHE_DIR"
DEFAULT_TTL = 600.0
FORMAT = 1


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """The cache directory: ``$CI_PLUGIN_CACHE_DIR``, ``$XDG_CACHE_HOME/ci-plugin`` or
    ``~/.cache/ci-plugin``."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ci-plugin"


def cache_key(url: str, identity: Any, secret: str | None) -> str:
    """The file name of one host and configuration: a hash of the URL, ``identity`` (anything
    JSON can encode) and a hash of ``secret``; the secret cannot be read back from it."""
    secret_hash = hashlib.sha256((secret or "").encode("utf-8")).hexdigest()
    material = json.dumps([url.rstrip("/"), identity, secret_hash], sort_keys=True, default=str)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class MetadataCache:
    """Named JSON entries of one host, each kept ``ttl`` seconds in one file."""

    def __init__(self, directory: Path, key: str, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time):
        self.path = Path(directory) / f"{key}.json"
        self.ttl = float(ttl)
        self._clock = clock
        #: Names of the entries this process took from the file (not read from the host).
        self.served: set[str] = set()

    @property
    def enabled(self) -> bool:
        """Whether the cache is on (``ttl`` above 0)."""
        return self.ttl > 0

    def _entries(self) -> dict[str, Any]:
        """The file's entries, ``{}`` for a missing, unreadable or corrupt file."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return {}
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, name: str) -> Any | None:
        """The value stored under ``name`` if it is younger than the TTL, else None (a miss)."""
        if not self.enabled:
            return None
        entry = self._entries().get(name)
        if not isinstance(entry, dict) or "value" not in entry:
            return None
        written = entry.get("at")
        now = self._clock()
        if not isinstance(written, (int, float)) or not (now - self.ttl < written <= now + 1):
            return None
        self.served.add(name)
        return entry["value"]

    def put(self, name: str, value: Any) -> None:
        """Store ``value`` (JSON) under ``name``: mode 0600, written atomically; failures are ignored."""
        if not self.enabled:
            return
        entries = {k: v for k, v in self._entries().items() if isinstance(v, dict)}
        entries[name] = {"at": self._clock(), "value": value}
        self._write({"format": FORMAT, "entries": entries})

    def _write(self, document: dict[str, Any]) -> None:
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp opens it 0600
                json.dump(document, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            tmp = None
        except (OSError, TypeError, ValueError) as exc:
            log.debug("metadata cache %s not written: %s", self.path, exc.__class__.__name__)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def invalidate(self) -> None:
        """Drop every entry (the file): the next :meth:`get` is a miss."""
        self.served.clear()
        try:
            self.path.unlink()
        except OSError:
            pass


def for_config(config: Any, adapter: str, secret: str | None) -> MetadataCache:
    """The cache of the host in ``config`` for adapter ``adapter``: keyed by the host URL, the
    adapter's ``[<adapter>]`` table, ``[fields]`` and ``[states]``, and the secret's hash;
    lifetime ``[host] metadata_ttl``."""
    host = config.data["host"]
    identity = {"adapter": adapter, "section": config.section(adapter),
                "fields": config.section("fields"), "states": config.section("states")}
    environ = getattr(config, "environ", None)
    return MetadataCache(cache_dir(environ), cache_key(host["url"], identity, secret),
                         ttl=host.get("metadata_ttl", DEFAULT_TTL))
