"""Site-wide answers outside the apps: the health check a load balancer or monitor polls (can this
process reach its services?) and /favicon.ico."""

import logging
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from tickets.models import OutboundEmail

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
    # Mail stuck is "degraded", not an error: the site still takes tickets, so it stays in the
    # load balancer, while a monitor can alert on it.
    try:
        unsent = _emails_unsent_over_an_hour()
    except Exception:
        logger.exception("Health check failed: email")
        results["email"] = "error"
    else:
        results["email"] = "degraded" if unsent else "ok"
    is_healthy = all(result in ("ok", "degraded") for result in results.values())
    if results["email"] == "degraded":
        results["emails_unsent_over_1h"] = unsent
    return JsonResponse(results, status=200 if is_healthy else 503)


# Browsers and crawlers ask for /favicon.ico whatever the page links. Not permanent: a browser keeps
# a 301 for good, and the hashed name it points to changes with the icon.
@cache_control(public=True, max_age=24 * 60 * 60)
@require_safe
def favicon(request):
    return HttpResponseRedirect(static("faq/favicon.svg"))


def _emails_unsent_over_an_hour() -> int:
    """Emails neither sent nor given up on (failed_at: the agents see those on the ticket)."""
    hour_ago = timezone.now() - timedelta(hours=1)
    return OutboundEmail.objects.filter(
        sent_at=None, failed_at=None, created_at__lt=hour_ago
    ).count()


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
