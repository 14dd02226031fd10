"""The public help page as ready bytes, made once per content version and language.

Rendering the page (templates, the crispy contact form) costs tens of times more than serving it,
so the page an anonymous visitor gets is rendered once, with placeholders where the two
per-visitor values go: the CSRF token and the contact form's one-time token. Both sit in the
contact form near the end of the page. Each request copies the finished bytes before the first
placeholder and renders only the short rest. The compressed copy works the same way: the gzip
stream is kept open after the bytes before the placeholders, and each request continues a copy of
that stream with its own end, which costs a few kilobytes of compression whatever the page's size.
"""

import re
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

CSRF_PLACEHOLDER = "csrf-9b2e4c1f7a6d"
FORM_TOKEN_PLACEHOLDER = "form-token-3f8a1d2c6e0b"
GZIP_LEVEL = 6
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


@dataclass(frozen=True)
class RenderedPage:
    head: bytes
    head_gzip: bytes
    gzip_stream: "zlib._Compress"
    tail: str

    def response(self, request) -> HttpResponse:
        tail = self.tail.replace(CSRF_PLACEHOLDER, get_token(request)).replace(
            FORM_TOKEN_PLACEHOLDER, str(uuid.uuid4())
        )
        response = HttpResponse(content_type="text/html; charset=utf-8")
        if _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            stream = self.gzip_stream.copy()
            response.content = self.head_gzip + stream.compress(tail.encode()) + stream.flush()
            response["Content-Encoding"] = "gzip"
        else:
            response.content = self.head + tail.encode()
        patch_vary_headers(response, ["Accept-Encoding"])
        return response


def rendered_page(page_view, template_name: str, context: Callable[[], dict]) -> RenderedPage:
    """The anonymous page for this PageView, rendered on first use and kept with the view."""
    if rendered := page_view.rendered.get(template_name):
        return rendered
    html = render_to_string(template_name, {**context(), "csrf_token": CSRF_PLACEHOLDER})
    split = html.find(CSRF_PLACEHOLDER)
    if split < 0:
        split = len(html)
    head = html[:split].encode()
    stream = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head_gzip = stream.compress(head) + stream.flush(zlib.Z_SYNC_FLUSH)
    rendered = RenderedPage(head, head_gzip, stream, html[split:])
    page_view.rendered[template_name] = rendered
    return rendered
