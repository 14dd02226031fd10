import gzip
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tickets.models import OutboundEmail
from tickets.services import ticket_create

HEALTHZ_URL = reverse("healthz")
SITE_SCSS = django_settings.BASE_DIR / "static" / "faq" / "site.scss"
BOOTSTRAP_SCSS = django_settings.BASE_DIR / "node_modules" / "bootstrap" / "scss"
# A port nothing listens on: connecting is refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
WHITENOISE_MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="module")
def _collected_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=_manifest_storages()):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def collected_static(settings, _collected_root):
    """Static files collected as in production: hashed, compressed, served by whitenoise."""
    settings.STATIC_ROOT = _collected_root
    settings.STORAGES = _manifest_storages()
    # Each test client builds its middleware afresh: whitenoise then indexes STATIC_ROOT.
    settings.WHITENOISE_AUTOREFRESH = False
    return _collected_root


def _manifest_storages() -> dict:
    return django_settings.STORAGES | {"staticfiles": {"BACKEND": WHITENOISE_MANIFEST}}


@pytest.mark.django_db
def test_healthz_answers_ok_for_the_database_and_the_cache_without_a_login(client):
    response = client.get(HEALTHZ_URL)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "email": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_cache_when_it_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
        }
    }

    response = client.get(HEALTHZ_URL)

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "error", "email": "ok"}


@pytest.mark.django_db
def test_healthz_answers_degraded_with_the_count_while_emails_are_unsent_over_an_hour(client):
    hour_ago = timezone.now() - timedelta(hours=1, minutes=1)
    for _ in range(2):
        ticket_create(name="Kari", email="kari@example.no", message="Hei!")
    OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CONFIRMATION).update(created_at=hour_ago)

    response = client.get(HEALTHZ_URL)

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "cache": "ok",
        "email": "degraded",
        "emails_unsent_over_1h": 2,
    }


@pytest.mark.django_db
def test_healthz_does_not_count_emails_given_up_on(client):
    ticket_create(name="Kari", email="kari@example.no", message="Hei!")
    OutboundEmail.objects.update(
        created_at=timezone.now() - timedelta(hours=2), failed_at=timezone.now()
    )

    response = client.get(HEALTHZ_URL)

    assert response.json()["email"] == "ok"


@pytest.mark.django_db
def test_healthz_refuses_a_post(client):
    response = client.post(HEALTHZ_URL)

    assert response.status_code == 405


def test_collected_static_file_has_a_hashed_name_and_a_year_long_cache(client, collected_static):
    url = static("faq/site.css")

    response = client.get(url)

    assert url.startswith("/static/faq/site.") and url != "/static/faq/site.css"
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert b"".join(response.streaming_content) == (collected_static / url[8:]).read_bytes()


def test_collected_static_file_is_sent_compressed_to_a_browser_that_accepts_gzip(
    client, collected_static
):
    url = static("faq/site.css")

    response = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert response["Content-Encoding"] == "gzip"
    body = gzip.decompress(b"".join(response.streaming_content))
    assert body == (collected_static / url[8:]).read_bytes()


def test_help_page_links_the_hashed_static_files(client, collected_static, seed):
    response = client.get(reverse("faq:help_page"))

    assert static("faq/site.css") in response.text
    assert static("faq/help.js") in response.text
    assert '"/static/faq/site.css"' not in response.text


@pytest.mark.django_db
def test_help_page_blocks_its_first_view_on_one_stylesheet_only(client, collected_static, seed):
    response = client.get(reverse("faq:help_page"))

    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', response.text)
    assert stylesheets == [static("faq/site.css")]
    assert "bootstrap.min.css" not in response.text


@pytest.mark.django_db
def test_help_page_links_its_icon(client, collected_static, seed):
    response = client.get(reverse("faq:help_page"))

    assert f'<link rel="icon" href="{static("faq/favicon.svg")}" type="image/svg+xml">' in (
        response.text
    )


def test_favicon_ico_is_redirected_to_the_hashed_icon(client, collected_static):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("faq/favicon.svg")
    assert response["Cache-Control"] == "public, max-age=86400"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"


def test_committed_site_css_is_a_fresh_build_of_site_scss():
    sass = pytest.importorskip("sass", reason="libsass builds site.css (make css)")
    if not BOOTSTRAP_SCSS.is_dir():
        pytest.skip("Bootstrap's Sass sources come from npm (npm ci)")

    # The same call as `make css` (pysassc --style compressed --include-path node_modules).
    built = sass.compile(
        filename=str(SITE_SCSS),
        include_paths=[str(django_settings.BASE_DIR / "node_modules")],
        output_style="compressed",
    )

    assert built == (SITE_SCSS.parent / "site.css").read_text(), "site.css is stale: run make css"
