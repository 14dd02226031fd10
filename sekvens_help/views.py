"""The health check a load balancer or monitor polls: can this process reach its services?"""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database_check, "cache": _cache_check}
    results = {}
    for name, check in checks.items():
        # Any failure counts, whatever the driver raises (Redis's errors are not Django's).
        try:
            check()
        except Exception:
            logger.exception("Health check failed: %s", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    is_healthy = all(result == "ok" for result in results.values())
    return JsonResponse(results, status=200 if is_healthy else 503)


def _database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache_check() -> None:
    # A key of its own per request, so two processes checking at once cannot mix up their values.
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=60)
    if cache.get(key) != value:
        raise RuntimeError("The cache did not return the value just stored.")
    cache.delete(key)
