"""The shared cache without Redis: diskcache, with its SQLite connections kept between requests."""

from diskcache import DjangoCache


class DiskCache(DjangoCache):
    """diskcache.DjangoCache that stays connected.

    Django closes every cache after each request. diskcache's close() closes its SQLite files,
    and closing the last connection to a WAL database checkpoints it and syncs it to disk: each
    submission that counted a rate limit paid about 8 ms for it, more than the ticket's own
    commit, and the next request opened the files again. The connections now stay open in each
    thread for the life of the process, like the database's (CONN_MAX_AGE); diskcache opens new
    ones after a fork.
    """

    def close(self, **kwargs):
        pass
