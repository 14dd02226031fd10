import gzip
import zlib
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory

from faq.responses import RenderedPage, form_token_new, form_token_read

MODIFIED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rendered(html: str) -> RenderedPage:
    stream = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return RenderedPage(
        html.encode(), stream.compress(html.encode()) + stream.flush(), "v1-nb", MODIFIED_AT
    )


def test_gzip_page_unpacks_to_the_plain_page():
    page = rendered("<p>hode</p>" * 1000)
    gzipped = RequestFactory().get("/", headers={"accept-encoding": "gzip"})

    response = page.response(gzipped)

    assert gzip.decompress(response.content) == page.plain


def test_every_request_gets_the_same_bytes():
    page = rendered("<p>hode</p>")

    first = page.response(RequestFactory().get("/")).content
    second = page.response(RequestFactory().get("/")).content

    assert first == second


@pytest.mark.parametrize(
    "accept, packed",
    [("gzip, deflate, br", True), ("gzip;q=0, deflate", False), ("identity", False)],
)
def test_gzip_is_sent_only_to_clients_that_accept_it(accept, packed):
    page = rendered("<p>hode</p>")

    response = page.response(RequestFactory().get("/", headers={"accept-encoding": accept}))

    assert (response.get("Content-Encoding") == "gzip") is packed


def test_plain_and_gzipped_page_have_different_strong_etags():
    page = rendered("<p>hode</p>")

    plain = page.response(RequestFactory().get("/"))
    packed = page.response(RequestFactory().get("/", headers={"accept-encoding": "gzip"}))

    assert plain["ETag"] == '"v1-nb"' and packed["ETag"] == '"v1-nb-gz"'


def test_form_tokens_are_signed_and_new_each_time():
    first, second = form_token_new(), form_token_new()

    assert form_token_read(first) and form_token_read(first) != form_token_read(second)
    assert form_token_read(first + "x") is None
