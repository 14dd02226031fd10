"""The agents' desk in a real browser: saved replies inserted at the cursor by typing a few
letters, and the keyboard shortcuts listed on "?"."""

import re

import pytest
from playwright.sync_api import expect

from tickets.models import Message, SavedReply, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "lang-og-hemmelig-passord"
# The new note's kind on the ticket page: two radio buttons (the inline's template copy has
# __prefix__ instead of 0).
KIND = "input[name='messages-2-0-kind']"


@pytest.fixture
def agent(django_user_model, agents_group):
    group = agents_group()
    user = django_user_model.objects.create_user(
        "agent", "agent@example.no", PASSWORD, is_staff=True, first_name="Ola"
    )
    user.groups.add(group)
    return user


@pytest.fixture
def ticket(make_ticket_row):
    return make_ticket_row(name="Kari Nordmann", email="kari@example.no", message="Faktura?")


def ticket_page_open(page, ticket) -> None:
    path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    page.goto(f"/admin/login/?next={path}")
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{path}")


def test_a_saved_reply_found_by_a_few_letters_is_inserted_at_the_cursor_and_sets_status(
    page, agent, ticket, make_entry
):
    SavedReply.objects.create(
        name="Faktura sendt på nytt",
        body="Hei {{ kunde.fornavn }}! Fakturaen til {{ sak.referanse }} er sendt.\n",
        status=Ticket.Status.RESOLVED,
    )
    SavedReply.objects.create(name="Passord", body="Trykk på «Glemt passord».")
    ticket_page_open(page, ticket)
    box = page.locator("[data-reply-box]").first
    box.fill("Hilsen Ola")
    box.press("Home")

    box.press("Escape")
    page.keyboard.press("m")
    page.keyboard.type("fak")
    options = page.get_by_role("listbox", name="Ferdige svar og FAQ-svar").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("Faktura sendt på nytt")
    page.keyboard.press("Enter")

    expected = f"Hei Kari! Fakturaen til {ticket.reference} er sendt.\nHilsen Ola"
    expect(box).to_have_value(expected)
    expect(box).to_be_focused()
    page.locator(f"{KIND}[value=public]").check()
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    # A browser posts a textarea's line breaks as CRLF.
    assert Message.objects.get(kind=Message.Kind.PUBLIC).body == expected.replace("\n", "\r\n")


def test_an_faq_answer_is_offered_in_the_same_picker_with_its_link(
    page, agent, ticket, make_entry, settings
):
    entry = make_entry(question="Hvor finner jeg fakturaen?", answer="Under Min side.")
    ticket_page_open(page, ticket)
    picker = page.get_by_role("combobox", name="Ferdig svar eller FAQ-svar")

    picker.fill("hvor fin")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_text(
        "Hvor finner jeg fakturaen? FAQ"
    )
    picker.press("Enter")

    box = page.locator("[data-reply-box]").first
    expect(box).to_have_value(f"Under Min side.\n\nLes mer: {settings.SITE_URL}/#{entry.anchor}")


def test_question_mark_lists_the_shortcuts_and_the_keys_act_only_outside_fields(
    page, agent, ticket
):
    ticket_page_open(page, ticket)
    box = page.locator("[data-reply-box]").first
    overlay = page.get_by_role("dialog", name="Hurtigtaster")

    page.keyboard.press("?")

    expect(overlay).to_be_visible()
    for text in [
        "Skriv et svar til kunden",
        "Skriv et internt notat",
        "Gjør saken til din",
        "Endre status",
    ]:
        expect(overlay).to_contain_text(text)
    keys = overlay.locator("kbd").all_inner_texts()
    assert {"?", "r", "n", "t", "s", "m"} <= set(keys)
    # The next ticket is there only when the page was opened from the queue.
    assert "j" not in keys
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    page.keyboard.press("r")
    expect(box).to_be_focused()
    expect(page.locator(f"{KIND}[value=public]")).to_be_checked()
    page.keyboard.type("Ja? nå ")
    expect(box).to_have_value("Ja? nå ")
    expect(overlay).to_be_hidden()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.locator(f"{KIND}[value=internal]")).to_be_checked()
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#id_status")).to_be_focused()

    page.keyboard.press("Escape")
    page.keyboard.press("t")

    expect(page.get_by_text("Du tok")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{ticket.pk}/change/$"))


def test_the_single_key_shortcuts_can_be_turned_off_and_stay_off(page, agent, ticket):
    ticket_page_open(page, ticket)
    overlay = page.get_by_role("dialog", name="Hurtigtaster")
    switch = overlay.get_by_label("Hurtigtaster med én tast på")
    status = page.locator("#id_status")

    page.keyboard.press("?")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    page.keyboard.press("s")
    page.keyboard.press("?")
    expect(status).not_to_be_focused()
    expect(overlay).to_be_hidden()
    # Remembered in this browser: off on the next page too, and the button still opens the list.
    page.reload()
    page.keyboard.press("s")
    expect(status).not_to_be_focused()
    page.get_by_role("button", name="Hurtigtaster (?)").click()
    expect(switch).not_to_be_checked()
    switch.check()
    page.keyboard.press("Escape")

    page.keyboard.press("s")
    expect(status).to_be_focused()


def test_shortcuts_never_act_in_an_editable_element(page, agent, ticket):
    ticket_page_open(page, ticket)
    page.evaluate(
        """() => {
          const editor = document.createElement("div");
          editor.contentEditable = "true";
          editor.id = "editor";
          editor.innerHTML = "<p id='inner'>x</p>";
          document.body.prepend(editor);
        }"""
    )
    page.locator("#inner").click()

    page.keyboard.type("rs?")

    expect(page.get_by_role("dialog", name="Hurtigtaster")).to_be_hidden()
    expect(page.locator("#id_status")).not_to_be_focused()
    expect(page.locator("#editor")).to_contain_text("rs?")
