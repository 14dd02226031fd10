import pytest
from django.test import RequestFactory
from django.urls import reverse

from faq.models import FaqEntry
from sekvens_help.checks import client_address_check
from sekvens_help.clients import UNKNOWN_ADDRESS, client_ip

PROXY = "127.0.0.1"


def request_from(remote: str, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.fixture
def behind_proxy(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.CLIENT_IP_PROXY_COUNT = 0
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "::1"]


def test_without_a_configured_header_the_connection_address_counts(settings):
    settings.CLIENT_IP_HEADER = ""

    assert client_ip(request_from("203.0.113.7", HTTP_X_REAL_IP="198.51.100.1")) == "203.0.113.7"


def test_header_from_the_trusted_proxy_names_the_client(behind_proxy):
    assert client_ip(request_from(PROXY, HTTP_X_REAL_IP="203.0.113.7")) == "203.0.113.7"


def test_header_from_anyone_else_is_ignored(behind_proxy):
    assert client_ip(request_from("198.51.100.9", HTTP_X_REAL_IP="203.0.113.7")) == "198.51.100.9"


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "203.0.113.7, 198.51.100.1", "999.1.1.1", "203.0.113.7\x00", "::ffff:zz"],
    ids=["missing", "empty", "garbage", "chained", "out-of-range", "nul", "bad-ipv6"],
)
def test_unusable_header_falls_back_to_the_connection_address(behind_proxy, header):
    headers = {} if header is None else {"HTTP_X_REAL_IP": header}

    assert client_ip(request_from(PROXY, **headers)) == PROXY


def test_forwarded_for_chain_takes_the_address_our_proxy_saw(settings, behind_proxy):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1
    # The client wrote the first address itself; nginx appended the one it saw.
    request = request_from(PROXY, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")

    assert client_ip(request) == "203.0.113.7"


def test_request_without_any_address_shares_one_bucket(behind_proxy):
    assert client_ip(request_from("")) == UNKNOWN_ADDRESS


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "not, an; address"], ids=["missing", "garbage"])
def test_rate_limited_vote_with_a_bad_proxy_header_is_no_server_error(
    client, seed, behind_proxy, header
):
    entry = FaqEntry.objects.filter(is_published=True).first()
    headers = {} if header is None else {"HTTP_X_REAL_IP": header}

    response = client.post(
        reverse("faq:feedback", args=[entry.pk]), {"svar": "ja"}, REMOTE_ADDR=PROXY, **headers
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_login_lockout_counts_per_client_behind_the_proxy(client, admin_user, behind_proxy):
    data = {"username": "admin", "password": "feil"}
    for _ in range(5):
        client.post("/admin/login/", data, REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="203.0.113.7")

    other = client.post(
        "/admin/login/",
        {"username": "admin", "password": "password"},
        REMOTE_ADDR=PROXY,
        HTTP_X_REAL_IP="198.51.100.1",
    )

    assert other.status_code == 302


def warnings_of(settings) -> list[str]:
    return [message.id for message in client_address_check(None)]


def test_check_warns_when_production_sits_behind_a_local_proxy_naming_no_client(settings):
    settings.DEBUG = False
    settings.CLIENT_IP_HEADER = ""
    settings.GUNICORN_BIND = "127.0.0.1:8000"

    assert warnings_of(settings) == ["sekvens.W001"]


@pytest.mark.parametrize(
    "header, bind", [("HTTP_X_REAL_IP", "127.0.0.1:8000"), ("", "0.0.0.0:8000")]
)
def test_check_is_quiet_with_a_client_header_or_a_public_bind(settings, header, bind):
    settings.DEBUG = False
    settings.CLIENT_IP_HEADER = header
    settings.GUNICORN_BIND = bind

    assert warnings_of(settings) == []
