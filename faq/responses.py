"""The public help page as ready bytes, made once per content version and language.

Rendering the page (templates, the crispy contact form) costs tens of times more than serving it,
so the page an anonymous visitor gets is rendered once, plain and gzipped, and every visitor gets
the same bytes: the contact form carries no per-visitor token (help.js asks for its one-time token
when the form is used, see form_token_new), so the page is cacheable by browsers and proxies, with
a strong ETag and Last-Modified from the content version and 304 answers to conditional GETs.
"""

import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.utils.translation import get_language

FORM_TOKEN_SALT = "sekvens.form-token"
GZIP_LEVEL = 6
# "gzip", but not "gzip;q=0" (refused).
_ACCEPTS_GZIP = re.compile(r"\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\s*(?:,|$))")
# What get_conditional_response answers; without any of them the response is the page.
_CONDITIONAL_HEADERS = frozenset(
    ["HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"]
)


@dataclass(frozen=True)
class RenderedPage:
    plain: bytes
    gzipped: bytes
    # Without quotes; the gzip copy's tag ends in "-gz", as a strong tag differs per encoding.
    version: str
    modified_at: datetime

    def response(self, request) -> HttpResponse:
        # request.META, not request.headers: building that mapping costs as much as the rest.
        meta = request.META
        if _ACCEPTS_GZIP.search(meta.get("HTTP_ACCEPT_ENCODING", "")):
            response = HttpResponse(self.gzipped, content_type="text/html; charset=utf-8")
            response["Content-Encoding"] = "gzip"
            etag = f'"{self.version}-gz"'
        else:
            response = HttpResponse(self.plain, content_type="text/html; charset=utf-8")
            etag = f'"{self.version}"'
        response["ETag"] = etag
        response["Last-Modified"] = self.last_modified
        # This process may have served the version it read HELP_PAGE_VERSION_SECONDS ago
        # (faq.pages): a copy kept for the rest of max-age is still no older than max-age.
        max_age = max(int(settings.HELP_PAGE_MAX_AGE - settings.HELP_PAGE_VERSION_SECONDS), 0)
        response["Cache-Control"] = (
            f"public, max-age={max_age}, "
            f"stale-while-revalidate={settings.HELP_PAGE_STALE_WHILE_REVALIDATE}"
        )
        response["Vary"] = "Accept-Encoding"
        if _CONDITIONAL_HEADERS.intersection(meta):
            response = get_conditional_response(
                request,
                etag=etag,
                last_modified=int(self.modified_at.timestamp()),
                response=response,
            )
        # For sekvens_help.middleware.VaryDeclaredMiddleware: LocaleMiddleware would add
        # Accept-Language, though / is always in the default language.
        response.vary_declared = "Accept-Encoding"
        return response

    @cached_property
    def last_modified(self) -> str:
        return http_date(self.modified_at.timestamp())


def form_token_new() -> str:
    """A fresh form token, signed: the server tells the tokens it issued from invented ones."""
    return signing.TimestampSigner(salt=FORM_TOKEN_SALT).sign(str(uuid.uuid4()))


def form_token_read(value: str) -> uuid.UUID | None:
    """The UUID inside a form token this server issued; None for anything else."""
    try:
        return uuid.UUID(signing.TimestampSigner(salt=FORM_TOKEN_SALT).unsign(value))
    except (signing.BadSignature, ValueError):
        return None


def rendered_page(page_view, template_name: str, context) -> RenderedPage:
    """The anonymous page for this PageView, rendered on first use and kept with the view."""
    if rendered := page_view.rendered.get(template_name):
        return rendered
    rendered = page_render(template_name, context(), page_view.page)
    page_view.rendered[template_name] = rendered
    return rendered


def page_render(template_name: str, context: dict, page) -> RenderedPage:
    """The page as ready bytes, plain and gzipped, tagged with the content version."""
    plain = render_to_string(template_name, context).encode()
    # mtime 0: the same page gzips to the same bytes in every worker, as its ETag promises.
    stream = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    gzipped = stream.compress(plain) + stream.flush()
    modified_at = page.updated_at
    if modified_at.tzinfo is None:  # SQLite's raw rows are naive UTC
        modified_at = modified_at.replace(tzinfo=UTC)
    version = f"{page.content_version}-{get_language()}"
    return RenderedPage(plain, gzipped, version, modified_at)
