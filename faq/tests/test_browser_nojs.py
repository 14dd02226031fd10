"""The help page in a browser with JavaScript off: what help.js adds must not be needed."""

import re

import pytest
from playwright.sync_api import expect

from faq.models import FaqEntry

pytestmark = pytest.mark.browser


@pytest.fixture
def page_options() -> dict:
    return {"java_script_enabled": False}


def test_deep_link_opens_its_answer_without_javascript(page, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")

    page.goto(f"/#{entry.anchor}")

    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_attribute("open", "")
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_visible()
    expect(page.locator("details.faq-entry[open]")).to_have_count(1)


def test_following_a_deep_link_on_the_page_opens_that_answer_without_javascript(page, seed):
    first = FaqEntry.objects.get(question="Hvordan logger jeg meg inn?")
    second = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    page.goto(f"/#{first.anchor}")

    page.goto(f"/#{second.anchor}")

    expect(page.locator(f"details:has(> #{second.anchor})")).to_have_attribute("open", "")
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_visible()


def test_answer_page_leads_back_to_the_answer_open_on_the_help_page_without_javascript(page, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    page.goto(f"/svar/{entry.anchor}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(entry.question)
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_visible()

    page.get_by_role("link", name="Flere svar på hjelpesiden").click()

    expect(page).to_have_url(re.compile(rf"^[^#]*/#{entry.anchor}$"))
    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_attribute("open", "")
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_visible()


def test_text_found_inside_a_closed_answer_opens_it_without_javascript(page, seed):
    # Chromium's find-in-page (Ctrl+F) has no API a test can drive; a text fragment link runs the
    # same search for text and the same "ancestor details revealing algorithm" (HTML, since
    # whatwg/html#6466; Chromium 97), which opens a closed <details> around the text it finds.
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    page.goto("/")
    expect(page.locator("details.faq-entry[open]")).to_have_count(0)

    page.goto("/#:~:text=fakturaadressen%20l%C3%A5st%20etter%20avtale")

    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_attribute("open", "")
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_in_viewport()
    expect(page.locator("details.faq-entry[open]")).to_have_count(1)
