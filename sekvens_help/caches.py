"""The shared cache without Redis: diskcache, with its SQLite connections kept between requests."""

import threading

from diskcache import DjangoCache, FanoutCache
from django.core.cache.backends.base import BaseCache

# One diskcache per directory and settings in a process, whatever asks for it.
_OPENED: dict[tuple, FanoutCache] = {}
_OPENED_LOCK = threading.Lock()


class DiskCache(DjangoCache):
    """diskcache.DjangoCache that stays connected, one per process.

    Django closes every cache after each request. diskcache's close() closes its SQLite files,
    and closing the last connection to a WAL database checkpoints it and syncs it to disk: each
    submission that counted a rate limit paid about 8 ms for it, more than the ticket's own
    commit, and the next request opened the files again. The connections now stay open in each
    thread for the life of the process, like the database's (CONN_MAX_AGE); diskcache opens new
    ones after a fork.

    Django makes a cache object per thread and, under ASGI, per async context: every websocket
    and every request daphne serves. Each made its own diskcache, opening its 8 shards' SQLite
    files again (about 10 ms, at a chat socket's first rate-limited message) and keeping them
    open. They now share the process's diskcache, which is thread-safe (a connection per thread).
    """

    def __init__(self, directory, params):
        BaseCache.__init__(self, params)
        shards = params.get("SHARDS", 8)
        timeout = params.get("DATABASE_TIMEOUT", 0.010)
        options = params.get("OPTIONS", {})
        key = (directory, shards, timeout, repr(sorted(options.items())))
        with _OPENED_LOCK:
            if key not in _OPENED:
                _OPENED[key] = FanoutCache(directory, shards, timeout, **options)
            self._cache = _OPENED[key]

    def close(self, **kwargs):
        pass
