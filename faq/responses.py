"""The public help page as ready bytes, made once per content version and language.

Rendering the page (templates, the crispy contact form) costs tens of times more than serving it,
so the page an anonymous visitor gets is rendered once, with placeholders where the two
per-visitor values go: the CSRF token and the contact form's one-time token. Both sit in the
contact form near the end of the page. Each request copies the finished bytes before the first
placeholder and renders only the short rest. The gzip copy works the same way: the part before
the placeholders is compressed once, and each request appends its few kilobytes of rest as a
stored (uncompressed) deflate block and the checksum, which costs no compression at all.
"""

import re
import struct
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

CSRF_PLACEHOLDER = "csrf-9b2e4c1f7a6d"
FORM_TOKEN_PLACEHOLDER = "form-token-3f8a1d2c6e0b"
FORM_TOKEN_SALT = "sekvens.form-token"
GZIP_LEVEL = 6
# Magic, deflate, no flags, no time, no extra flags, unknown OS (RFC 1952).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
STORED_BLOCK_MAX = 0xFFFF
# "gzip", but not "gzip;q=0" (refused).
_ACCEPTS_GZIP = re.compile(r"\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\s*(?:,|$))")


@dataclass(frozen=True)
class RenderedPage:
    head: bytes
    head_deflated: bytes
    head_crc: int
    tail: str

    def response(self, request) -> HttpResponse:
        tail = (
            self.tail.replace(CSRF_PLACEHOLDER, get_token(request))
            .replace(FORM_TOKEN_PLACEHOLDER, form_token_new())
            .encode()
        )
        response = HttpResponse(content_type="text/html; charset=utf-8")
        if _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            response.content = self._gzip(tail)
            response["Content-Encoding"] = "gzip"
        else:
            response.content = self.head + tail
        patch_vary_headers(response, ["Accept-Encoding"])
        return response

    def _gzip(self, tail: bytes) -> bytes:
        blocks = []
        for start in range(0, max(len(tail), 1), STORED_BLOCK_MAX):
            chunk = tail[start : start + STORED_BLOCK_MAX]
            final = start + STORED_BLOCK_MAX >= len(tail)
            blocks.append(struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
        checksum = zlib.crc32(tail, self.head_crc)
        size = (len(self.head) + len(tail)) & 0xFFFFFFFF
        return b"".join(
            [GZIP_HEADER, self.head_deflated, *blocks, struct.pack("<II", checksum, size)]
        )


def form_token_new() -> str:
    """A fresh form token, signed: the server tells the tokens it issued from invented ones."""
    return signing.TimestampSigner(salt=FORM_TOKEN_SALT).sign(str(uuid.uuid4()))


def form_token_read(value: str) -> uuid.UUID | None:
    """The UUID inside a form token this server issued; None for anything else."""
    try:
        return uuid.UUID(signing.TimestampSigner(salt=FORM_TOKEN_SALT).unsign(value))
    except (signing.BadSignature, ValueError):
        return None


def rendered_page(page_view, template_name: str, context: Callable[[], dict]) -> RenderedPage:
    """The anonymous page for this PageView, rendered on first use and kept with the view."""
    if rendered := page_view.rendered.get(template_name):
        return rendered
    rendered = page_render(template_name, context())
    page_view.rendered[template_name] = rendered
    return rendered


def page_render(template_name: str, context: dict) -> RenderedPage:
    """The page as ready bytes, with the per-visitor values left as placeholders."""
    html = render_to_string(template_name, {**context, "csrf_token": CSRF_PLACEHOLDER})
    split = html.find(CSRF_PLACEHOLDER)
    if split < 0:
        split = len(html)
    head = html[:split].encode()
    # Raw deflate, flushed to a byte boundary and not final: the stored blocks follow it.
    stream = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    head_deflated = stream.compress(head) + stream.flush(zlib.Z_SYNC_FLUSH)
    return RenderedPage(head, head_deflated, zlib.crc32(head), html[split:])
