import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from faq.models import FaqEntry, FaqFeedback, SearchQueryDay

pytestmark = pytest.mark.browser

# Not asserted: pictures of the page for a person to look at after the run.
SCREENSHOTS = Path("/tmp/sekvens-shots")
EDITOR_PASSWORD = "lang-og-hemmelig-passord"


def admin_log_in(page, *, username: str, password: str, next_path: str) -> None:
    page.goto(f"/admin/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def mouse_drag(page, source, target) -> None:
    """Drag with real mouse events, in small steps, the way a person moves a row."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] - 5, steps=5)
    page.mouse.move(end["x"] + start["width"] / 2, end["y"] + end["height"] / 4, steps=10)
    page.mouse.up()


def test_help_page_is_titled_hjelp_og_support_in_bokmal(page, seed):
    page.goto("/")

    expect(page.locator("h1")).to_have_text("Hjelp & Support")
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def test_english_link_in_the_header_opens_the_help_page_in_english_and_norsk_leads_back(page, seed):
    page.goto("/")

    page.locator("header").get_by_role("link", name="English").click()

    page.wait_for_url("**/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("searchbox", name="Search the questions")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Hjelp & Support")
    page.locator("header").get_by_role("link", name="Norsk").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def test_help_page_shows_every_question_with_its_answer_collapsed(page, seed):
    questions = list(FaqEntry.objects.values_list("question", flat=True))

    page.goto("/")

    expect(page.locator("details.faq-entry > summary:visible")).to_have_text(questions)
    expect(page.locator("details.faq-entry:not([open])")).to_have_count(11)
    expect(page.locator(".faq-answer:visible")).to_have_count(0)


def test_clicking_a_question_shows_its_answer(page, seed):
    entry = FaqEntry.objects.get(question="Hvordan logger jeg meg inn?")
    page.goto("/")

    page.locator("summary", has_text=entry.question).click()

    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_js_property("open", True)
    expect(page.get_by_text("Du logger inn med ditt brukernavn og passord")).to_be_visible()


def test_text_found_inside_a_closed_answer_opens_it_and_help_js_keeps_it_open(page, seed):
    # A text fragment link searches the page for text as find-in-page does and opens the closed
    # <details> around what it finds (see test_browser_nojs.py); help.js must not undo that.
    entry = FaqEntry.objects.get(question="Hvordan ivaretar Sekvens mitt personvern?")
    page.goto("/")
    expect(page.locator("details.faq-entry[open]")).to_have_count(0)

    page.goto("/#:~:text=individuell%20databehandleravtale")

    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_js_property("open", True)
    expect(page.get_by_text("individuell databehandleravtale", exact=False)).to_be_in_viewport()
    expect(page.locator("details.faq-entry[open]")).to_have_count(1)


def test_typing_in_the_search_field_keeps_only_matching_questions(page, seed):
    page.goto("/")

    page.get_by_role("searchbox").press_sequentially("passord")

    expect(page.locator("details.faq-entry > summary:visible")).to_have_text(
        ["Jeg har glemt passordet mitt.", "Hvordan logger jeg meg inn?"]
    )
    expect(page.locator("[data-faq-status]")).to_have_text("2 svar passer med søket ditt.")


def test_only_the_final_query_of_typing_is_logged_and_an_opened_result_with_it(page, seed):
    page.goto("/")
    search = page.get_by_role("searchbox")

    search.press_sequentially("glemt pass")
    page.wait_for_timeout(400)  # results shown for "glemt pass"; the burst goes on
    search.press_sequentially("ord")
    with page.expect_response(lambda response: "logg=1" in response.url):
        pass  # counted once the typing has rested
    with page.expect_response("**/sok/logg/"):
        page.locator("summary", has_text="Jeg har glemt passordet mitt.").click()

    # Another test's page, closed as it typed, may still report its own query: only ours counts.
    rows = SearchQueryDay.objects.filter(query__startswith="glemt")
    assert list(rows.values_list("query", "searches", "opened")) == [("glemt passord", 1, 1)]


def test_clearing_the_search_field_shows_every_question_again(page, seed):
    page.goto("/")
    search = page.get_by_role("searchbox")
    search.press_sequentially("passord")
    expect(page.locator("details.faq-entry:visible")).to_have_count(2)

    search.clear()

    expect(page.locator("details.faq-entry:visible")).to_have_count(11)
    expect(page.locator("[data-faq-status]")).to_have_text("")


def test_search_without_a_match_says_so(page, seed):
    page.goto("/")

    page.get_by_role("searchbox").press_sequentially("blomsterpotte")

    expect(page.locator("details.faq-entry:visible")).to_have_count(0)
    expect(page.get_by_text("Ingen svar passer med søket ditt.")).to_be_visible()


def test_deep_link_opens_its_answer(page, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")

    page.goto(f"/#{entry.anchor}")

    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_js_property("open", True)
    expect(page.get_by_text("Ofte er fakturaadressen låst etter avtale.")).to_be_visible()


def test_yes_under_an_answer_counts_a_helpful_vote_without_leaving_the_page(page, seed):
    entry = FaqEntry.objects.get(question="Hvordan logger jeg meg inn?")
    page.goto("/")
    page.locator("summary", has_text=entry.question).click()
    answer = page.locator(f"details:has(> #{entry.anchor})")
    address = page.url

    answer.get_by_role("button", name="Ja").click()

    expect(answer.get_by_role("status")).to_have_text("Takk for tilbakemeldingen!")
    assert page.url == address
    entry.refresh_from_db()
    assert entry.helpful_count == 1


def test_no_under_an_answer_asks_what_was_missing_and_files_it_for_review(page, seed):
    entry = FaqEntry.objects.get(question="Hvordan logger jeg meg inn?")
    page.goto("/")
    page.locator("summary", has_text=entry.question).click()
    answer = page.locator(f"details:has(> #{entry.anchor})")
    address = page.url

    answer.get_by_role("button", name="Nei").click()
    answer.get_by_label("Svaret var feil eller utdatert").check()
    answer.get_by_label("Fortell oss mer (valgfritt)").fill("<b>Lenken</b> virker ikke")
    answer.get_by_role("button", name="Send").click()

    expect(answer.locator("[data-faq-reasons-status]")).to_have_text(
        "Takk! Vi bruker det til å gjøre svaret bedre."
    )
    expect(answer.get_by_role("button", name="Send")).to_be_hidden()
    expect(page.locator("[data-faq-reasons-form]")).to_have_count(1)
    assert page.url == address
    feedback = FaqFeedback.objects.get()
    assert (feedback.entry, feedback.reasons, feedback.text) == (
        entry,
        ["wrong"],
        "<b>Lenken</b> virker ikke",
    )


def test_dragging_an_entry_to_the_top_in_the_admin_reorders_the_help_page(
    page, seed, django_user_model, settings
):
    # The browser may keep the anonymous page for max-age, the staff preview included (README,
    # "Caching"); with 0 it asks again at once.
    settings.HELP_PAGE_MAX_AGE = 0
    django_user_model.objects.create_superuser("redaktor", "redaktor@example.no", EDITOR_PASSWORD)
    first, second = FaqEntry.objects.values_list("question", flat=True)[:2]
    # Renders, and so caches, the page in the old order: the reorder must replace that.
    page.goto("/")
    admin_log_in(
        page, username="redaktor", password=EDITOR_PASSWORD, next_path="/admin/faq/faqentry/"
    )
    rows = page.locator("#result_list tbody tr")

    with page.expect_response("**/adminsortable2_update/") as update:
        mouse_drag(page, rows.nth(1).locator(".handle"), rows.nth(0))

    assert update.value.ok
    page.goto("/")
    expect(page.locator("details.faq-entry > summary").nth(0)).to_have_text(second)
    expect(page.locator("details.faq-entry > summary").nth(1)).to_have_text(first)


@pytest.mark.parametrize(
    ("device", "viewport"),
    [("phone", {"width": 375, "height": 800}), ("desktop", {"width": 1280, "height": 800})],
    ids=["phone", "desktop"],
)
def test_help_page_with_an_answer_open_has_no_horizontal_scrollbar(page, seed, device, viewport):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(viewport)
    page.goto("/")
    page.screenshot(path=SCREENSHOTS / f"{device}.png", full_page=True, animations="disabled")

    page.locator("summary", has_text="Hvor lang leveringstid er det?").click()

    page.screenshot(
        path=SCREENSHOTS / f"{device}-open-entry.png", full_page=True, animations="disabled"
    )
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width


def test_typing_a_sentence_ranks_the_answers_and_marks_the_matched_words(page, seed):
    page.goto("/")

    page.get_by_role("searchbox").press_sequentially("ny leveringsadresse")

    expect(page.locator("details.faq-entry > summary:visible").first).to_have_text(
        "Kan jeg endre leveringsadressen min?"
    )
    expect(page.locator("details.faq-entry:visible mark").first).to_have_text("leveringsadressen")
