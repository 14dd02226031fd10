from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from faq.models import FaqEntry
from sekvens_help.tests.processes import manage

# pytest-django's admin_user logs in as "admin" with this password.
ADMIN_PASSWORD = "password"
LOGIN_URL = reverse("admin:login")
EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def csp_directives(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives}


def admin_login(client, password, *, address="192.0.2.10"):
    data = {"username": "admin", "password": password, "next": reverse("admin:index")}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address)


def csp_violations_collect(page) -> list[str]:
    """Chromium's console reports of what the policy blocked on `page`, filled as they come."""
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    return violations


def test_deploy_check_reports_no_issue_with_production_settings(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["DJANGO_SECRET_KEY"]

    result = manage("check", env=production_env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0." in result.stderr


@pytest.mark.parametrize("url", [reverse("faq:help_page"), LOGIN_URL], ids=["help", "login"])
def test_page_sends_the_content_security_policy_without_unsafe_inline(client, seed, url):
    response = client.get(url)

    assert response.status_code == 200
    assert csp_directives(response) == EXPECTED_CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_anonymous_help_page_sends_no_nonce(client, seed):
    # The page is served from bytes rendered once; a nonce in the header would match nothing.
    first, second = client.get(reverse("faq:help_page")), client.get(reverse("faq:help_page"))

    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    assert "nonce" not in first["Content-Security-Policy"]


def test_sixth_login_with_the_right_password_is_refused_after_five_failures(client, admin_user):
    for _ in range(5):
        admin_login(client, "feil-passord")

    response = admin_login(client, ADMIN_PASSWORD)

    assert response.status_code == 429
    assert "For mange mislykkede innlogginger" in response.text
    assert "sperret i 30 minutter" in response.text
    assert "_auth_user_id" not in client.session


def test_right_password_after_four_failures_logs_in(client, admin_user):
    for _ in range(4):
        admin_login(client, "feil-passord")

    response = admin_login(client, ADMIN_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_lockout_leaves_the_same_username_free_from_another_address(client, admin_user):
    for _ in range(5):
        admin_login(client, "feil-passord", address="192.0.2.10")

    response = admin_login(client, ADMIN_PASSWORD, address="198.51.100.7")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_lockout_page_names_the_configured_lockout_time(client, admin_user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)
    for _ in range(5):
        admin_login(client, "feil-passord")

    response = admin_login(client, ADMIN_PASSWORD)

    assert response.status_code == 429
    assert "sperret i 5 minutter" in response.text


@pytest.mark.browser
def test_help_page_causes_no_content_security_policy_violation(page, seed):
    violations = csp_violations_collect(page)
    page.goto("/")
    page.locator("summary").first.click()
    page.get_by_role("searchbox").press_sequentially("passord")
    form = page.locator("[data-contact-form]")
    form.get_by_label("E-post").fill("ikke-en-adresse")

    # The form comes back with its errors, marked by Bootstrap's icons (data: images).
    form.get_by_role("button", name="Send melding").click()

    expect(page.locator("[data-form-errors]")).to_be_visible()
    assert violations == []


@pytest.mark.browser
def test_faq_entry_change_form_with_the_markdown_editor_causes_no_violation(page, seed, admin_user):
    entry = FaqEntry.objects.first()
    change_path = reverse("admin:faq_faqentry_change", args=[entry.pk])
    violations = csp_violations_collect(page)
    page.goto(f"{LOGIN_URL}?next={change_path}")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(ADMIN_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{change_path}")

    with page.expect_response(f"**{reverse('admin:faq_markdownify')}"):
        page.locator("textarea#id_answer").press_sequentially(" **Viktig:** ![logo](/media/x.png)")

    expect(page.locator(".markdownx-preview strong")).to_have_text("Viktig:")
    assert violations == []


STAFF_LOGIN_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.STAFF_REQUIRE_2FA, s.SESSION_COOKIE_AGE, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
)


def test_production_settings_require_two_factor_and_host_only_cookies(production_env):
    result = manage("shell", "--no-imports", "-c", STAFF_LOGIN_SETTINGS, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "36000", "__Host-sessionid", "__Host-csrftoken"]


def test_development_settings_leave_two_factor_off_and_cookie_names_plain(production_env):
    production_env["DJANGO_DEBUG"] = "1"
    production_env["STAFF_SESSION_HOURS"] = "8"

    result = manage("shell", "--no-imports", "-c", STAFF_LOGIN_SETTINGS, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "28800", "sessionid", "csrftoken"]


def test_host_prefixed_cookies_are_sent_secure_on_path_root_without_a_domain(
    client, admin_user, settings
):
    # __Host- cookies that lack any of these are dropped by the browser: no login at all.
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = "__Host-sessionid", "__Host-csrftoken"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True

    login_page = client.get(LOGIN_URL, secure=True)
    login = admin_login(client, ADMIN_PASSWORD)

    session, csrf = login.cookies["__Host-sessionid"], login_page.cookies["__Host-csrftoken"]
    assert login.status_code == 302
    for cookie in session, csrf:
        assert cookie["secure"] is True
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""
    assert session["httponly"] is True
    assert session["max-age"] == 10 * 3600
