import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.core.signals import request_finished


def _connections(cache) -> list:
    return [getattr(shard._local, "con", None) for shard in cache._cache._shards]


@pytest.mark.django_db
def test_the_disk_cache_stays_connected_when_a_request_ends(settings):
    cache = caches["default"]
    if settings.CACHES["default"]["BACKEND"] != "sekvens_help.caches.DiskCache":
        pytest.skip("the shared cache is Redis here")
    cache.set("counted", 1)
    before = _connections(cache)

    request_finished.send(sender=None)  # Django closes every cache here
    cache.incr("counted")

    assert any(before)
    assert _connections(cache) == before
    assert cache.get("counted") == 2


@pytest.mark.django_db
def test_every_socket_and_request_shares_the_process_disk_cache(settings):
    # Under ASGI each websocket and request is an async context of its own, and Django makes a
    # cache object for each: they must not each open the cache's SQLite files again.
    if settings.CACHES["default"]["BACKEND"] != "sekvens_help.caches.DiskCache":
        pytest.skip("the shared cache is Redis here")

    def opened():
        caches["default"].add("seen", 1)
        return caches["default"]._cache

    async def contexts():
        return [await asyncio.create_task(sync_to_async(opened)()) for _ in range(3)]

    # As daphne runs them: an event loop in a thread whose context never used the cache.
    made = []
    server = threading.Thread(target=lambda: made.extend(asyncio.run(contexts())))
    server.start()
    server.join()

    assert len(made) == 3
    assert all(other is made[0] for other in made)
    assert made[0] is caches["default"]._cache
