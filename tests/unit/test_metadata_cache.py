"""The on-disk metadata cache: lifetime, file mode, atomic writes, corrupt files, invalidation,
and how an adapter's metadata layer uses it (re-read on a stale id, retry once)."""

from __future__ import annotations

import json
import os
import stat
from types import SimpleNamespace

import pytest

from ci_plugin.errors import HostRefused
from ci_plugin.hosts.cached_metadata import CachedMetadata
from ci_plugin.http import metadata_cache
from ci_plugin.http.metadata_cache import MetadataCache, cache_dir, cache_key


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(tmp_path, ttl=600, clock=None):
    return MetadataCache(tmp_path, "k", ttl=ttl, clock=clock or Clock())


def test_a_value_is_served_within_its_lifetime_and_missed_after(tmp_path):
    clock = Clock()
    cache = make(tmp_path, ttl=600, clock=clock)
    cache.put("queues", {"Improvements": "3"})
    clock.now += 599
    assert make(tmp_path, clock=clock).get("queues") == {"Improvements": "3"}
    clock.now += 2
    assert make(tmp_path, clock=clock).get("queues") is None


def test_a_ttl_of_zero_turns_the_cache_off(tmp_path):
    cache = make(tmp_path, ttl=0)
    cache.put("queues", {"a": "1"})
    assert not cache.path.exists() and cache.get("queues") is None


def test_the_file_is_private_and_no_temporary_file_is_left(tmp_path):
    directory = tmp_path / "cache"
    cache = MetadataCache(directory, "k", clock=Clock())
    cache.put("trackers", {"Improvement": {"id": 4}})
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert sorted(p.name for p in directory.iterdir()) == ["k.json"]


def test_a_write_replaces_the_file_whole(tmp_path, monkeypatch):
    cache = make(tmp_path)
    cache.put("a", 1)
    calls = []
    real = os.replace
    monkeypatch.setattr(metadata_cache.os, "replace", lambda src, dst: (calls.append((src, dst)), real(src, dst)))
    cache.put("b", 2)
    assert len(calls) == 1 and str(calls[0][1]) == str(cache.path) and str(calls[0][0]) != str(cache.path)
    assert (cache.get("a"), cache.get("b")) == (1, 2)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    cache = make(tmp_path)
    cache.put("a", 1)
    monkeypatch.setattr(metadata_cache.os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("disk full")))
    cache.put("a", 2)  # no error
    assert cache.get("a") == 1 and [p.name for p in tmp_path.iterdir()] == ["k.json"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[]", b'{"format": 99, "entries": {}}',
                                     b'{"format": 1, "entries": {"a": 5}}', b'{"format": 1, "entries": {"a": {"at": "x", "value": 1}}}',
                                     b"[" * 100000])
def test_a_corrupt_file_is_a_miss_never_an_error(tmp_path, content):
    cache = make(tmp_path)
    cache.path.write_bytes(content)
    assert cache.get("a") is None
    cache.put("a", 1)  # and it is overwritten cleanly
    assert cache.get("a") == 1


def test_an_entry_from_the_future_is_a_miss(tmp_path):
    clock = Clock()
    make(tmp_path, clock=clock).put("a", 1)
    clock.now -= 3600
    assert make(tmp_path, clock=clock).get("a") is None


def test_an_unwritable_directory_is_skipped_silently(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = MetadataCache(blocker / "sub", "k", clock=Clock())
    cache.put("a", 1)
    assert cache.get("a") is None


def test_invalidate_drops_every_entry(tmp_path):
    cache = make(tmp_path)
    cache.put("a", 1)
    assert cache.get("a") == 1 and cache.served == {"a"}
    cache.invalidate()
    assert cache.get("a") is None and cache.served == set() and not cache.path.exists()


def test_the_directory_follows_the_override_then_xdg_then_home(tmp_path):
    assert cache_dir({"CI_PLUGIN_CACHE_DIR": "/x/y", "XDG_CACHE_HOME": "/z"}) == metadata_cache.Path("/x/y")
    assert cache_dir({"XDG_CACHE_HOME": "/z"}) == metadata_cache.Path("/z/ci-plugin")
    assert cache_dir({}) == metadata_cache.Path.home() / ".cache" / "ci-plugin"


def test_the_key_depends_on_url_config_and_secret_but_never_holds_the_secret():
    base = cache_key("http://rt", {"queue": "Improvements"}, "s3cret-token")
    assert base == cache_key("http://rt/", {"queue": "Improvements"}, "s3cret-token")
    assert base != cache_key("http://other", {"queue": "Improvements"}, "s3cret-token")
    assert base != cache_key("http://rt", {"queue": "Register"}, "s3cret-token")
    assert base != cache_key("http://rt", {"queue": "Improvements"}, "another-token")
    assert "s3cret" not in base and len(base) == 32


def test_the_file_never_holds_the_secret(tmp_path):
    config = SimpleNamespace(data={"host": {"url": "http://rt", "metadata_ttl": 60}}, section=lambda name: {},
                             environ={"CI_PLUGIN_CACHE_DIR": str(tmp_path)})
    cache = metadata_cache.for_config(config, "rt", "s3cret-token")
    cache.put("queues", {"Improvements": "3"})
    assert cache.path.parent == tmp_path and cache.ttl == 60
    assert "s3cret" not in cache.path.read_text() and "s3cret" not in cache.path.name


class Adapter(CachedMetadata):
    """The metadata layer alone, over a fake host that counts its reads."""

    name, label = "fake", "Fake"

    def __init__(self, cache: MetadataCache, host_ids: dict[str, int]):  # noqa: D107 - no session
        self._disk = cache
        self.host_ids = host_ids
        self.reads = 0

    def ids(self) -> dict[str, int]:
        def load():
            self.reads += 1
            return dict(self.host_ids)
        return self._metadata("ids", load, lambda v: isinstance(v, dict))

    def write(self, name: str) -> int:
        def attempt() -> int:
            sent = self.ids()[name]
            if sent != self.host_ids[name]:
                raise HostRefused(f"invalid id {sent}", status=422, messages=[])
            return sent
        return self._fresh_retry(attempt)

    for _abstract in CachedMetadata.__abstractmethods__:
        locals()[_abstract] = lambda self, *a, **k: None


def test_metadata_is_read_once_per_process_and_served_from_disk_to_the_next(tmp_path):
    first = Adapter(make(tmp_path), {"Improvements": 3})
    assert first.ids() == {"Improvements": 3} and first.ids() and first.reads == 1
    second = Adapter(make(tmp_path), {"Improvements": 3})
    assert second.ids() == {"Improvements": 3} and second.reads == 0 and second.from_cache("ids")


def test_a_write_refused_with_a_stale_cached_id_drops_the_cache_and_is_retried_once(tmp_path):
    Adapter(make(tmp_path), {"Improvements": 3}).ids()  # cached: 3
    moved = Adapter(make(tmp_path), {"Improvements": 7})  # an admin re-created the queue
    assert moved.write("Improvements") == 7 and moved.reads == 1
    assert json.loads(make(tmp_path).path.read_text())["entries"]["ids"]["value"] == {"Improvements": 7}


def test_a_refusal_with_metadata_fresh_from_the_host_is_not_retried(tmp_path):
    adapter = Adapter(make(tmp_path), {"Improvements": 3})
    adapter.ids()
    adapter.host_ids = {"Improvements": 9}  # changes under the same process: not the cache's fault
    with pytest.raises(HostRefused):
        adapter.write("Improvements")
    assert adapter.reads == 1


def test_a_cached_value_the_adapter_finds_malformed_is_read_again(tmp_path):
    cache = make(tmp_path)
    cache.put("ids", ["not", "a", "dict"])
    adapter = Adapter(make(tmp_path), {"Improvements": 3})
    assert adapter.ids() == {"Improvements": 3} and adapter.reads == 1 and not adapter.from_cache("ids")
