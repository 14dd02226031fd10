import pytest
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
