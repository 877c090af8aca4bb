"""The in-memory host (``[host] type = "memory"``): the adapter contract without HTTP, for fast
tests of every operation, with fault injection (see :mod:`.store`)."""

from ci_plugin.hosts.memory.adapter import MemoryAdapter
from ci_plugin.hosts.memory.session import STORE_ENV, MemorySession, store_for
from ci_plugin.hosts.memory.store import MemoryStore, Record

__all__ = ["MemoryAdapter", "MemorySession", "MemoryStore", "Record", "STORE_ENV", "store_for"]
