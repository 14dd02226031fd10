import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import expect

from faq.models import FaqEntry

pytestmark = pytest.mark.browser

AXE_PATH = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What axe calls serious or critical keeps people from using the page; the rest is reported by
# axe itself when run by hand, but does not fail the suite.
BLOCKING_IMPACTS = {"serious", "critical"}
FORGOT_PASSWORD = "Jeg har glemt passordet mitt og kommer ikke inn"
SUCCESS_URL = re.compile(r"/suksess/(#kontakt)?$")


@pytest.fixture
def axe_path() -> Path:
    if not AXE_PATH.exists():
        if os.environ.get("SEKVENS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SEKVENS_REQUIRE_BROWSER=1 but {AXE_PATH} is missing: run make install.")
        pytest.skip(f"{AXE_PATH} is missing: `make install` (with Node.js and npm) installs it.")
    return AXE_PATH


@pytest.fixture
def page_options() -> dict:
    # Playwright adds axe as an inline script, which our Content-Security-Policy rightly refuses.
    return {"bypass_csp": True}


@pytest.fixture(autouse=True)
def _empty_cache(transactional_db):
    # The contact form's rate limit counts in the cache table, which the flush after a test leaves.
    cache.clear()
    yield
    cache.clear()


def blocking_violations(page, axe_path: Path) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line per element."""
    page.add_script_tag(path=axe_path)
    results = page.evaluate("axe.run()")
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
        for node in violation["nodes"]
    ]


def contact_form_send(page, *, message: str):
    form = page.locator("[data-contact-form]")
    form.get_by_label("Navn").fill("Kari Nordmann")
    form.get_by_label("E-post").fill("kari@example.no")
    form.get_by_label("Hva trenger du help til?").fill(message)
    form.get_by_role("button", name="Send melding").click()


def tab_until(page, target, *, presses: int = 40) -> None:
    """Press Tab until the target has the focus, as a keyboard user moves down the page."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{presses} presses of Tab never reached {target}")


def test_help_page_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/")

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_help_page_with_an_answer_open_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/")
    page.locator("summary", has_text="Hvordan logger jeg meg inn?").click()
    expect(page.locator("details[open]")).to_have_count(1)

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_contact_form_with_errors_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/")
    page.locator("[data-contact-form]").get_by_role("button", name="Send melding").click()
    page.wait_for_url("**/kontakt/#kontakt")
    expect(page.get_by_role("alert")).to_be_visible()

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_success_page_after_sending_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/")
    contact_form_send(page, message=FORGOT_PASSWORD)
    page.wait_for_url(SUCCESS_URL)
    expect(page.locator(".ticket-reference")).to_be_visible()

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_not_found_page_has_no_serious_accessibility_violation(axe_path, page, seed):
    response = page.goto("/finnes-ikke/side/")
    assert response.status == 404

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_too_many_messages_page_has_no_serious_accessibility_violation(
    axe_path, page, seed, settings
):
    settings.CONTACT_RATE_LIMIT = "1/10m"
    page.goto("/")
    contact_form_send(page, message=FORGOT_PASSWORD)
    page.wait_for_url(SUCCESS_URL)
    page.goto("/")
    with page.expect_response("**/kontakt/") as response:
        contact_form_send(page, message="Fakturaen for mars mangler")
    assert response.value.status == 429

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_english_help_page_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)


def test_skip_link_is_the_first_tab_stop_and_moves_the_focus_to_the_main_content(page, seed):
    page.goto("/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Hopp til innholdet")
    expect(skip_link).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()


def test_keyboard_alone_searches_opens_an_answer_votes_and_reaches_the_contact_form(page, seed):
    entry = FaqEntry.objects.get(question="Jeg har glemt passordet mitt.")
    page.goto("/")
    search = page.get_by_role("searchbox")
    question = page.locator("summary", has_text=entry.question)
    answer = page.locator(f"details:has(> #{entry.anchor})")
    form = page.locator("[data-contact-form]")

    tab_until(page, search)
    page.keyboard.type("glemt")
    expect(page.locator("details.faq-entry:visible")).to_have_count(1)
    tab_until(page, question)
    page.keyboard.press("Enter")
    expect(answer).to_have_js_property("open", True)
    tab_until(page, answer.get_by_role("button", name="Ja"))
    page.keyboard.press("Tab")
    expect(answer.get_by_role("button", name="Nei")).to_be_focused()
    tab_until(page, form.get_by_label("Navn"))
    page.keyboard.press("Tab")
    expect(form.get_by_label("E-post")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Hva trenger du help til?")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Vedlegg")).to_be_focused()
    page.keyboard.press("Tab")

    expect(form.get_by_role("button", name="Send melding")).to_be_focused()


def test_customers_ticket_page_has_no_serious_accessibility_violation(axe_path, page, seed):
    page.goto("/")
    contact_form_send(page, message=FORGOT_PASSWORD)
    page.wait_for_url(SUCCESS_URL)
    page.locator("[data-ticket-page-link]").click()
    page.wait_for_url("**/sak/**")

    violations = blocking_violations(page, axe_path)

    assert not violations, "\n".join(violations)
