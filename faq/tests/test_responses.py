import gzip
import zlib

import pytest
from django.test import RequestFactory

from faq.responses import (
    CSRF_PLACEHOLDER,
    FORM_TOKEN_PLACEHOLDER,
    RenderedPage,
    form_token_read,
)


def rendered(head: str, tail: str) -> RenderedPage:
    stream = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = stream.compress(head.encode()) + stream.flush(zlib.Z_SYNC_FLUSH)
    return RenderedPage(head.encode(), deflated, zlib.crc32(head.encode()), tail)


@pytest.mark.parametrize("tail_length", [0, 10, 65_535, 65_536, 200_000])
def test_gzip_page_unpacks_to_the_plain_page_whatever_the_tail(tail_length):
    page = rendered("<p>hode</p>" * 1000, "æøå-" * (tail_length // 4) + "x" * (tail_length % 4))
    gzipped = RequestFactory().get("/", headers={"accept-encoding": "gzip"})

    response = page.response(gzipped)

    assert gzip.decompress(response.content) == page.head + page.tail.encode()


def test_tokens_are_filled_in_per_request():
    page = rendered("<p>hode</p>", f"csrf={CSRF_PLACEHOLDER} token={FORM_TOKEN_PLACEHOLDER}")

    first = page.response(RequestFactory().get("/")).content.decode()
    second = page.response(RequestFactory().get("/")).content.decode()

    assert CSRF_PLACEHOLDER not in first and FORM_TOKEN_PLACEHOLDER not in first
    assert first != second


@pytest.mark.parametrize(
    "accept, packed",
    [("gzip, deflate, br", True), ("gzip;q=0, deflate", False), ("identity", False)],
)
def test_gzip_is_sent_only_to_clients_that_accept_it(accept, packed):
    page = rendered("<p>hode</p>", "<p>hale</p>")

    response = page.response(RequestFactory().get("/", headers={"accept-encoding": accept}))

    assert (response.get("Content-Encoding") == "gzip") is packed


def test_cached_page_gets_a_form_token_the_server_signed():
    page = rendered("<p>hode</p>", f"csrf={CSRF_PLACEHOLDER} token={FORM_TOKEN_PLACEHOLDER}")

    content = page.response(RequestFactory().get("/")).content.decode()

    assert form_token_read(content.rpartition("token=")[2]) is not None
