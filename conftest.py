import os
import secrets
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.servers.basehttp import WSGIServer
from django.test import Client, override_settings
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import translation

from faq.cms import help_page_import
from faq.models import Block, FaqBlock, FaqEntry, HelpPage
from faq.pages import help_page_forget

SEED_PATH = Path(__file__).parent / "fixtures" / "hjelp-og-support.md"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _cache_in_tmp(tmp_path_factory):
    """The rate limits' cache files (diskcache) of this run, not var/'s."""
    default = settings.CACHES["default"]
    if default["BACKEND"] != "sekvens_help.caches.DiskCache":
        yield
        return
    location = str(tmp_path_factory.mktemp("cache"))
    with override_settings(CACHES={"default": default | {"LOCATION": location}}):
        yield


@pytest.fixture(autouse=True)
def _cache_clear(_cache_in_tmp):
    # No test transaction rolls the cache files back: each test starts with no counts.
    cache.clear()


@pytest.fixture(autouse=True)
def _page_rows_forget():
    # Rolling a test's transaction back sends no signal: the next test must not be served the
    # page row this process kept from the last one (faq.pages, HELP_PAGE_VERSION_SECONDS).
    help_page_forget()


@pytest.fixture(autouse=True)
def _language_reset():
    # LocaleMiddleware activates each request's language in the test's own thread and nothing
    # ends it: after a request to /en/, reverse() in the next test would answer /en/ too.
    yield
    translation.deactivate()


@pytest.fixture
def seed(db, settings):
    """The real help page, imported from the CMS file in fixtures/."""
    settings.HELP_PAGE_SLUG = SEED_PATH.stem
    help_page_import(path=SEED_PATH)
    return HelpPage.objects.get(slug=SEED_PATH.stem)


# The staff groups and their permissions as the migrations leave them, read once the test
# database is made: a transactional test's flush removes them, and _staff_in makes them again.
MIGRATED_GROUPS: dict[str, list[tuple[str, str]]] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        for group in Group.objects.prefetch_related("permissions__content_type"):
            MIGRATED_GROUPS[group.name] = [
                (p.content_type.app_label, p.codename) for p in group.permissions.all()
            ]


def _migrated_group(name: str) -> Group:
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for app_label, codename in MIGRATED_GROUPS[name]:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def _staff_in(django_user_model, username: str, group: str):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(_migrated_group(group))
    return user


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor(django_user_model):
    """A staff user in the Redaktør group, as a data migration makes it."""
    return _staff_in(django_user_model, "redaktor", "Redaktør")


@pytest.fixture
def editor_client(editor):
    return _logged_in(editor)


@pytest.fixture
def agent(django_user_model):
    """A staff user in the Kundeservice group, as a data migration makes it."""
    return _staff_in(django_user_model, "agent", "Kundeservice")


@pytest.fixture
def agent_client(agent):
    return _logged_in(agent)


@pytest.fixture
def make_page(db, settings):
    def make(**overrides) -> HelpPage:
        values = {"slug": settings.HELP_PAGE_SLUG, "title": "Hjelp", "introduction": "Vi hjelper"}
        return HelpPage.objects.create(**values | overrides)

    return make


@pytest.fixture
def make_block(make_page):
    def make(page=None, **overrides) -> Block:
        values = {"kind": Block.Kind.FAQ, "title": "Spørsmål", "position": 0}
        return Block.objects.create(page=page or make_page(), **values | overrides)

    return make


@pytest.fixture
def make_entry(make_block):
    def make(block=None, **overrides) -> FaqEntry:
        if block is None:
            block = FaqBlock.objects.first() or make_block()
        position = FaqEntry.objects.count()
        values = {"question": f"Spørsmål {position}?", "answer": "Et svar.", "position": position}
        return FaqEntry.objects.create(block=block, **values | overrides)

    return make


# Django's live server answers each request in a thread of its own, but with the in-memory
# SQLite test database every thread shares the test's one connection: two requests at once (the
# ticket page's heartbeat beside a page load) then misuse it ("bad parameter or other API
# misuse", a lost session). One request at a time there, as Django's own tests do for SQLite:
# the single-threaded server closes each connection, so the browser's requests queue.
# (The server thread itself takes the shared connection: LiveServerThread.run.)
def _single_threaded_server(thread, connections_override=None):
    address = (thread.host, thread.port)
    return WSGIServer(address, QuietWSGIRequestHandler, allow_reuse_address=False)


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LiveServerThread._create_server = _single_threaded_server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _live_server_drain(item)
    return (yield)


def _live_server_drain(item) -> None:
    """Before any fixture is torn down (the transactional tests' flush among them): close the
    test's browser contexts, then wait until the live server has answered what they sent. A
    heartbeat from a page still open reached the server during the flush and broke the next
    test ("UNIQUE constraint failed" on a user the flush had not removed)."""
    funcargs = getattr(item, "funcargs", {})
    if (server := funcargs.get("live_server")) is None:
        return
    if (browser := funcargs.get("browser")) is not None:
        for context in list(browser.contexts):
            context.close()
    # On SQLite the server answers one request at a time, in the order they came: when this
    # one (a static file, no database) is answered, so is every request sent before it.
    with urllib.request.urlopen(f"{server.url}{settings.STATIC_URL}tickets/desk.js", timeout=30):
        pass


CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download its own browser here, so it drives Debian's Chromium.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# One browser per test module, not per session: Playwright's sync API keeps an event loop
# running in this thread while it lives, and the tests of async code after a browser module
# (the chat's sockets, async_to_sync) cannot run beside it.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("SEKVENS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SEKVENS_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: install chromium.")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests.")
    from playwright.sync_api import sync_playwright

    # From start() to stop(), Playwright's sync API leaves its event loop marked as running in
    # this thread, so Django refuses every ORM call made meanwhile (the tests' own, and the
    # flush after each live_server test) as "async-unsafe". Nothing here is async; the flag
    # lives exactly as long as Playwright does.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def page_options() -> dict:
    """More options for the page fixture's browser context; a test module overrides this."""
    return {}


@pytest.fixture
def page(browser, live_server, page_options):
    """A fresh Norwegian tab on the live server; a script error on the page fails the test."""
    context = browser.new_context(locale="nb-NO", base_url=live_server.url, **page_options)
    context.set_default_timeout(5_000)
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))
    yield page
    context.close()
    assert not script_errors, f"JavaScript errors on the page: {script_errors}"


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "hjelp.example.no",
        "SITE_URL": "https://hjelp.example.no",
        # Behind the README's nginx, which names the client in X-Real-IP.
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        # Off by default (see settings); on here, so the check has nothing left to report.
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
        "SEKVENS_VAR_DIR": str(tmp_path),
    }


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    """Attachments of each test in its own folder, never in var/."""
    location = tmp_path / "attachments"
    settings.ATTACHMENTS_ROOT = location
    settings.STORAGES = settings.STORAGES | {
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        }
    }
