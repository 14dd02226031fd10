"""Where a POST came from, by what the browser says (Sec-Fetch-Site, Origin, Referer).

The public help page is the same bytes for every visitor, so its forms carry no per-visitor CSRF
token; the views they post to check the request's origin instead (see README, "Cross-site
requests"). Django 6.1's CsrfViewMiddleware has no such mode: it always wants its cookie.
"""

import enum
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import get_callable
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt


class Origin(enum.Enum):
    SAME = "same"
    FOREIGN = "foreign"
    # The client said nothing usable: an old browser, a script. Such a POST needs a signed form
    # token (faq.responses) before it counts.
    UNKNOWN = "unknown"


def request_origin(request) -> Origin:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    # "none": the person started it (a bookmark, the address bar), not a page.
    if fetch_site in ("same-origin", "none"):
        return Origin.SAME
    if fetch_site == "cross-site":
        return Origin.FOREIGN
    # "same-site" (a sibling subdomain) counts only if Origin names a trusted origin.
    if (origin := request.headers.get("Origin")) is not None:
        return Origin.SAME if _is_ours(request, origin) else Origin.FOREIGN
    if fetch_site is not None:
        return Origin.FOREIGN
    if request.is_secure() and (referer := request.headers.get("Referer")) is not None:
        # As Django checks it: over HTTPS our Referrer-Policy (same-origin) sends it from our pages.
        return Origin.SAME if _referer_is_ours(request, referer) else Origin.FOREIGN
    return Origin.UNKNOWN


def cross_site_refused(view):
    """Exempt the view from the CSRF cookie check and refuse a POST from another site instead,
    with Django's CSRF failure page. A request of unknown origin reaches the view, which decides."""
    return csrf_exempt(foreign_origin_refused(view))


def foreign_origin_refused(view):
    """Refuse a POST from another site with Django's CSRF failure page, by the same reading of
    the request as cross_site_refused, for a view that keeps Django's CSRF token check too (a
    private page that can carry a token: the customer's ticket page)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST" and request_origin(request) is Origin.FOREIGN:
            failure = get_callable(settings.CSRF_FAILURE_VIEW)
            return failure(request, reason="Origin checking failed: a request from another site.")
        return view(request, *args, **kwargs)

    return checked


def _our_origin(request) -> str | None:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return None


def _is_ours(request, origin: str) -> bool:
    # "null" (a sandboxed frame, a data: URL) never matches.
    return origin in {_our_origin(request), *settings.CSRF_TRUSTED_ORIGINS}


def _referer_is_ours(request, referer: str) -> bool:
    try:
        parts = urlsplit(referer)
    except ValueError:
        return False
    if parts.scheme != "https" or not parts.netloc:
        return False
    ours = _our_origin(request)
    trusted = [urlsplit(origin).netloc.lstrip("*") for origin in settings.CSRF_TRUSTED_ORIGINS]
    return any(
        is_same_domain(parts.netloc, host)
        for host in [*trusted, ours and urlsplit(ours).netloc]
        if host
    )
