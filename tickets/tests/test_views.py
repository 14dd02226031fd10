import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.core.signing import get_cookie_signer
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from faq.models import Block, FaqEntry, FormField, SearchQueryDay
from faq.responses import form_token_read
from tickets.attachments import attachment_check, attachments_store
from tickets.models import Message, OutboundEmail, SuggestionImpression, Ticket
from tickets.references import reference_normalize
from tickets.services import (
    IMPRESSIONS_PER_FORM,
    ticket_page_link_renew,
    ticket_reply,
    tickets_erase,
)
from tickets.tests.attachment_files import EXE, HTML, SVG, jpeg, pdf, png, upload
from tickets.tests.form_pages import error_next_to, typed_value

HELP_URL = reverse("faq:help_page")
CONTACT_URL = reverse("tickets:contact")
SUGGEST_URL = reverse("tickets:suggest")
SUCCESS_URL = "/suksess/"
TICKET_COOKIE = "sekvens_ticket"
FORGOT_PASSWORD = "Jeg har glemt passordet og får ikke logget inn"
# Our own texts on the customer's pages; in Norwegian none of them may be left in English.
ENGLISH_TEXTS = [
    "Please correct the fields marked below:",
    "The name cannot contain line breaks or control characters.",
    "The message contains characters we cannot read.",
    "Maybe one of these answers helps:",
    "Leave this field empty",
    "Thank you for your message",
    "Your reference is",
    "We have received your message",
    "Back to the help page",
    "Too many messages",
    "We have received several messages from you",
    "We have received many messages today",
]


@pytest.fixture(autouse=True)
def _empty_cache(db):
    # The rate limit counts in the default cache.
    cache.clear()


def form_token(client) -> str:
    """The token help.js fetches when the visitor starts on the form."""
    return client.get(reverse("tickets:form_token")).json()["token"]


def contact_data(client, **overrides) -> dict:
    data = {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "message": "Fakturaen for mars mangler.",
        "token": form_token(client),
    }
    return data | overrides


def suggest(client, message, token=None, **extra):
    """Ask for suggestions as the help page's script does, with the token the page gave."""
    token = token or form_token(client)
    return client.post(SUGGEST_URL, {"message": message, "token": token}, **extra)


def english_left(response) -> list[str]:
    return [text for text in ENGLISH_TEXTS if text in response.text]


INVALID_FORMS = {
    "empty": ({"name": "", "email": "", "message": ""}, ["name", "email", "message"]),
    "invalid-email": ({"email": "kari@"}, ["email"]),
    "too-long-message": ({"message": "x" * 5001}, ["message"]),
    "name-with-line-break": ({"name": "Kari\r\nBcc: alle@example.no"}, ["name"]),
    "name-with-control-character": ({"name": "Kari\x07"}, ["name"]),
}


def label_of(response, field) -> str | None:
    match = re.search(
        rf'<label\s+for="id_{field}" class="form-label[^"]*">\s*([^<]*)<', response.text
    )
    return unescape(match[1]).strip() if match else None


def test_form_shows_labels_placeholders_and_button_from_the_help_form_block(client, seed):
    response = client.get(HELP_URL)

    assert [label_of(response, name) for name in ["name", "email", "message"]] == [
        "Navn",
        "E-post",
        "Hva trenger du help til?",
    ]
    assert 'name="name" maxlength="100" autocomplete="name" placeholder="Maria Holte"' in (
        response.text
    )
    assert 'name="email" maxlength="254" autocomplete="email" placeholder="post@din-epost.no"' in (
        response.text
    )
    assert 'placeholder="Fortel oss hva problem er. "' in response.text
    assert ">Send melding</button>" in response.text


def test_form_is_rendered_by_crispy_with_bootstrap_classes(client, seed):
    response = client.get(HELP_URL)

    for name in ["name", "email", "message"]:
        field = re.search(rf'<div id="div_id_{name}" class="mb-3">(.*?)</div>', response.text, re.S)
        assert 'class="form-label requiredField"' in field[1]
        assert re.search(
            rf'<(input|textarea)[^>]*name="{name}"[^>]*class="[^"]*form-control', field[1]
        )


def test_editor_change_to_a_field_label_shows_on_the_next_request(client, seed):
    client.get(HELP_URL)
    field = FormField.objects.get(label="E-post")
    field.label = "Din e-postadresse"
    field.save()

    response = client.get(HELP_URL)

    assert label_of(response, "email") == "Din e-postadresse"


def test_valid_form_creates_one_new_normal_ticket_from_the_page(client, seed):
    data = contact_data(client)

    response = client.post(CONTACT_URL, data)

    ticket = Ticket.objects.get()
    assert response.status_code == 303
    assert response["Location"] == SUCCESS_URL
    assert ticket.status == Ticket.Status.NEW
    assert ticket.priority == Ticket.Priority.NORMAL
    assert ticket.source_page == seed
    assert (ticket.name, ticket.email, ticket.message) == (
        "Kari Nordmann",
        "kari@example.no",
        "Fakturaen for mars mangler.",
    )


def test_ticket_stores_no_ip_address(client, seed):
    data = contact_data(client)

    client.post(CONTACT_URL, data, REMOTE_ADDR="203.0.113.9")

    stored = str(list(Ticket.objects.values())) + str(list(OutboundEmail.objects.values()))
    assert Ticket.objects.count() == 1
    assert "203.0.113" not in stored


def test_success_page_thanks_with_the_ticket_reference(client, seed):
    response = client.post(CONTACT_URL, contact_data(client))

    thanks = client.get(response["Location"])

    reference = Ticket.objects.get().reference
    assert reference_normalize(reference) == reference
    assert thanks.status_code == 200
    assert f'<strong class="ticket-reference">{reference}</strong>' in thanks.text


def test_success_page_says_thank_you_in_norwegian(client, seed):
    response = client.post(CONTACT_URL, contact_data(client))

    thanks = client.get(response["Location"])

    assert '<html lang="nb">' in thanks.text
    assert "Takk" in thanks.text
    assert english_left(thanks) == []


def test_sending_the_same_form_again_keeps_one_ticket_and_its_reference(client, seed):
    data = contact_data(client)
    client.post(CONTACT_URL, data)

    again = client.post(CONTACT_URL, data)

    ticket = Ticket.objects.get()
    assert again.status_code == 303
    assert ticket.reference in client.get(again["Location"]).text


def test_double_click_lands_both_requests_on_the_same_reference(client, seed):
    data = contact_data(client)
    # The second click leaves before the answer to the first brings its cookie.
    second_click = Client()

    client.post(CONTACT_URL, data)
    second = second_click.post(CONTACT_URL, data)

    ticket = Ticket.objects.get()
    assert ticket.reference in second_click.get(second["Location"]).text


def test_two_forms_are_two_tickets(client, seed):
    first, second = contact_data(client), contact_data(client)

    client.post(CONTACT_URL, first)
    client.post(CONTACT_URL, second)

    assert Ticket.objects.count() == 2


def test_success_page_without_a_ticket_thanks_without_a_reference(client, seed):
    Client().post(CONTACT_URL, contact_data(client))

    response = client.get(SUCCESS_URL)

    assert response.status_code == 200
    assert 'class="ticket-reference"' not in response.text
    assert Ticket.objects.get().reference not in response.text


@pytest.mark.parametrize("forge", ["unsigned", "own signature"])
def test_tampered_ticket_cookie_is_ignored(client, seed, forge):
    other = Client()
    other.post(CONTACT_URL, contact_data(other, email="ola@example.no"))
    client.post(CONTACT_URL, contact_data(client))
    own = Ticket.objects.get(email="kari@example.no")
    someone_else = Ticket.objects.get(email="ola@example.no")
    signed = client.cookies[TICKET_COOKIE].value
    client.cookies[TICKET_COOKIE] = (
        someone_else.reference
        if forge == "unsigned"
        else signed.replace(f"{own.reference}:", f"{someone_else.reference}:", 1)
    )

    response = client.get(SUCCESS_URL)

    assert response.status_code == 200
    assert someone_else.reference not in response.text
    assert 'class="ticket-reference"' not in response.text


def test_ticket_cookie_signed_for_another_purpose_is_ignored(client, seed):
    Client().post(CONTACT_URL, contact_data(client))
    someone_else = Ticket.objects.get()
    client.cookies[TICKET_COOKIE] = get_cookie_signer(salt="faq_feedback").sign(
        str(someone_else.pk)
    )

    response = client.get(SUCCESS_URL)

    assert someone_else.reference not in response.text


def test_only_the_success_path_of_the_form_is_a_thanks_page(client, seed):
    response = client.get("/finnes-ikke/")

    assert response.status_code == 404


def test_editor_change_to_the_success_path_moves_the_thanks_page(client, seed):
    block = Block.objects.get(kind=Block.Kind.HELP_FORM)
    block.success_path = "/takk"
    block.save()

    response = client.post(CONTACT_URL, contact_data(client))
    thanks = client.get(response["Location"])

    assert response["Location"] == "/takk/"
    assert thanks.status_code == 200
    assert Ticket.objects.get().reference in thanks.text
    assert client.get(SUCCESS_URL).status_code == 404


def test_success_path_written_without_a_slash_still_lands_on_a_thanks_page(client, seed):
    block = Block.objects.get(kind=Block.Kind.HELP_FORM)
    block.success_path = "takk"
    block.save()

    response = client.post(CONTACT_URL, contact_data(client))
    thanks = client.get(response["Location"])

    assert response["Location"] == "/takk/"
    assert thanks.status_code == 200


def test_form_sent_from_the_english_page_lands_on_the_english_thanks_page(client, seed):
    response = client.post("/en/kontakt/", contact_data(client))
    thanks = client.get(response["Location"])

    assert response["Location"] == "/en/suksess/"
    assert "Thank you for your message!" in thanks.text
    assert Ticket.objects.get().reference in thanks.text


@pytest.mark.parametrize("success_path", ["", "/", "//evil.example/", "takk/for/meldingen"])
def test_success_path_that_is_no_single_slug_sends_the_customer_back_to_the_help_page(
    client, seed, success_path
):
    block = Block.objects.get(kind=Block.Kind.HELP_FORM)
    block.success_path = success_path
    block.save()

    response = client.post(CONTACT_URL, contact_data(client))

    assert response.status_code == 303
    assert response["Location"] == HELP_URL


@pytest.mark.parametrize("changes, fields", INVALID_FORMS.values(), ids=INVALID_FORMS.keys())
def test_invalid_form_comes_back_with_400_and_creates_no_ticket(client, seed, changes, fields):
    data = contact_data(client, **changes)

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert [name for name in ["name", "email", "message"] if error_next_to(response, name)] == (
        fields
    )


@pytest.mark.parametrize("changes, fields", INVALID_FORMS.values(), ids=INVALID_FORMS.keys())
def test_invalid_form_keeps_what_the_customer_typed(client, seed, changes, fields):
    data = contact_data(client, **changes)

    response = client.post(CONTACT_URL, data)

    assert [typed_value(response, name) for name in ["name", "email", "message", "token"]] == [
        data["name"],
        data["email"],
        data["message"],
        data["token"],
    ]


@pytest.mark.parametrize(
    "changes, field, error",
    [
        ({"name": ""}, "name", "Feltet er påkrevet."),
        ({"email": "kari@"}, "email", "Oppgi en gyldig e-postadresse"),
        (
            {"message": "x" * 5001},
            "message",
            "Sørg for at denne verdien har 5000 eller færre tegn (den har nå 5001).",
        ),
    ],
    ids=["name", "email", "message"],
)
def test_each_error_is_shown_next_to_its_field_in_norwegian(client, seed, changes, field, error):
    response = client.post(CONTACT_URL, contact_data(client, **changes))

    assert error_next_to(response, field) == error
    assert f'aria-describedby="id_{field}_error"' in response.text


def test_our_own_error_texts_are_in_norwegian(client, seed):
    response = client.post(CONTACT_URL, contact_data(client, name="Kari\nNordmann"))

    assert error_next_to(response, "name")
    assert english_left(response) == []


def test_error_summary_at_the_top_of_the_form_links_to_each_field(client, seed):
    data = contact_data(client, name="", email="kari@")

    response = client.post(CONTACT_URL, data)

    form = re.search(r"<form [^>]*data-contact-form.*?</form>", response.text, re.S)[0]
    summary = re.search(r'<div class="alert alert-danger" role="alert".*?</div>', form, re.S)[0]
    assert re.findall(r'<a href="#(id_\w+)">', summary) == ["id_name", "id_email"]
    assert form.index('role="alert"') < form.index('id="div_id_name"')


def test_form_sends_the_browser_back_to_the_form(client, seed):
    response = client.post(CONTACT_URL, contact_data(client, email="kari@"))

    assert f'action="{CONTACT_URL}#kontakt"' in response.text
    assert 'id="kontakt"' in response.text


def test_filled_in_honeypot_looks_like_success_but_creates_no_ticket(client, seed):
    data = contact_data(client, website="https://billig.example.com")

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 303
    assert response["Location"] == SUCCESS_URL
    assert not Ticket.objects.exists()
    assert TICKET_COOKIE not in response.cookies


def test_third_form_from_one_address_is_refused_by_the_rate_limit(client, seed, settings):
    settings.CONTACT_RATE_LIMIT = "2/10m"

    responses = [
        client.post(CONTACT_URL, contact_data(client), REMOTE_ADDR="203.0.113.9") for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [303, 303, 429]
    assert Ticket.objects.count() == 2


def test_rate_limit_page_is_norwegian(client, seed, settings):
    settings.CONTACT_RATE_LIMIT = "0/10m"

    response = client.post(CONTACT_URL, contact_data(client))

    assert response.status_code == 429
    assert '<html lang="nb">' in response.text
    assert "kundeservice@etn.no" in response.text
    assert english_left(response) == []


def test_rate_limit_of_one_address_does_not_touch_another(client, seed, settings):
    settings.CONTACT_RATE_LIMIT = "2/10m"
    for _ in range(3):
        client.post(CONTACT_URL, contact_data(client), REMOTE_ADDR="203.0.113.9")

    response = client.post(CONTACT_URL, contact_data(client), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 303
    assert Ticket.objects.count() == 3


def test_form_past_the_daily_confirmations_to_one_address_is_refused(client, seed, settings):
    settings.CONFIRMATION_DAILY_LIMIT = 2
    responses = [
        client.post(CONTACT_URL, contact_data(client, email=email, message=f"Melding {n}"))
        for n, email in enumerate(["kari@example.no", "Kari@Example.no", "KARI@example.no"])
    ]

    assert [r.status_code for r in responses] == [303, 303, 429]
    assert Ticket.objects.count() == 2
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CONFIRMATION).count() == 2
    assert "i morgen" in responses[-1].text


def test_daily_limit_of_one_address_does_not_touch_another(client, seed, settings):
    settings.CONFIRMATION_DAILY_LIMIT = 1
    client.post(CONTACT_URL, contact_data(client, email="kari@example.no"))

    response = client.post(CONTACT_URL, contact_data(client, email="ola@example.no"))

    assert response.status_code == 303
    assert Ticket.objects.count() == 2


def test_daily_limit_counts_only_the_last_24_hours(client, seed, settings):
    settings.CONFIRMATION_DAILY_LIMIT = 1
    client.post(CONTACT_URL, contact_data(client, email="kari@example.no"))
    Ticket.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = client.post(CONTACT_URL, contact_data(client, email="kari@example.no"))

    assert response.status_code == 303
    assert Ticket.objects.count() == 2


def test_form_past_the_daily_cap_on_all_tickets_is_refused(client, seed, settings):
    settings.CONTACT_DAILY_CAP = 2
    responses = [
        client.post(CONTACT_URL, contact_data(client, email=f"kunde{n}@example.no"))
        for n in range(3)
    ]

    assert [r.status_code for r in responses] == [303, 303, 429]
    assert Ticket.objects.count() == 2
    assert english_left(responses[-1]) == []


def test_request_body_over_the_upload_limit_is_refused(client, seed, settings):
    data = contact_data(client, message="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_submission_is_one_read_and_one_short_write_transaction(
    client, seed, settings, django_assert_num_queries
):
    settings.HELP_PAGE_VERSION_SECONDS = 60
    client.get(HELP_URL)
    data = contact_data(client)

    # One SELECT: the same form sent before, both daily counts, suggestions shown to it. Then
    # in one transaction (a savepoint in the test's): the ticket, its first message, and both
    # emails in one INSERT (the outbox is the worker's queue: no task rows).
    with django_assert_num_queries(6):
        response = client.post(CONTACT_URL, data)

    assert response.status_code == 303
    assert Ticket.objects.get().emails.count() == 2


def test_submission_sent_again_is_one_read_and_no_write(
    client, seed, settings, django_assert_num_queries
):
    settings.HELP_PAGE_VERSION_SECONDS = 60
    data = contact_data(client)
    client.post(CONTACT_URL, data)

    # The one SELECT finds the first ticket, read for its reference.
    with django_assert_num_queries(2):
        response = client.post(CONTACT_URL, data)

    assert response.status_code == 303
    assert Ticket.objects.count() == 1


def test_submission_after_suggestions_also_marks_them_sent_anyway(
    client, seed, settings, django_assert_num_queries
):
    settings.HELP_PAGE_VERSION_SECONDS = 60
    data = contact_data(client)
    shown = len(suggest(client, FORGOT_PASSWORD, token=data["token"]).json()["suggestions"])

    # As a form shown nothing, and in its transaction: the suggestions shown, marked with the
    # ticket, and the counters of their entries, page and week.
    with django_assert_num_queries(11):
        response = client.post(CONTACT_URL, data)

    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert SuggestionImpression.objects.filter(ticket=ticket).count() == shown > 0
    assert sum(FaqEntry.objects.values_list("sent_anyway_count", flat=True)) == shown


def test_contact_needs_post(client, seed):
    response = client.get(CONTACT_URL)

    assert response.status_code == 405


def test_contact_on_a_hidden_page_is_not_found(client, seed):
    data = contact_data(client)
    seed.is_hidden = True
    seed.save()

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_suggestions_are_refused_to_another_site_and_given_to_ours_without_a_csrf_cookie(seed):
    browser = Client(enforce_csrf_checks=True)

    refused = suggest(browser, FORGOT_PASSWORD, headers={"Sec-Fetch-Site": "cross-site"})
    accepted = suggest(browser, FORGOT_PASSWORD, headers={"Sec-Fetch-Site": "same-origin"})

    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_suggestion_limit_is_the_suggest_rate_limit_setting(client, seed, settings):
    settings.SUGGEST_RATE_LIMIT = "2/m"

    statuses = [suggest(client, FORGOT_PASSWORD, REMOTE_ADDR="203.0.113.7") for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 200, 429]


def test_suggestions_put_the_best_matching_answer_first_with_its_link(client, seed):
    response = suggest(client, FORGOT_PASSWORD)

    assert response.json()["suggestions"][0] == {
        "question": "Jeg har glemt passordet mitt.",
        "url": "/#jeg-har-glemt-passordet-mitt",
        "entry": FaqEntry.objects.get(question="Jeg har glemt passordet mitt.").pk,
    }


def test_suggestions_are_at_most_three(client, seed):
    response = suggest(client, "Om produktet og bestillingen")

    assert len(response.json()["suggestions"]) == 3


def test_suggestions_link_to_answers_on_the_help_page(client, seed):
    response = suggest(client, FORGOT_PASSWORD)

    anchors = {entry.anchor for entry in FaqEntry.objects.all()}
    for suggestion in response.json()["suggestions"]:
        assert suggestion["url"].startswith(f"{HELP_URL}#")
        assert suggestion["url"].removeprefix(f"{HELP_URL}#") in anchors


def test_suggestions_asked_for_on_the_english_page_link_to_the_english_help_page(client, seed):
    response = client.post(
        "/en/kontakt/forslag/", {"message": FORGOT_PASSWORD, "token": uuid.uuid4()}
    )

    assert response.json()["suggestions"][0]["url"] == "/en/#jeg-har-glemt-passordet-mitt"


def test_each_suggestion_shown_is_recorded_once_per_form(client, seed):
    token = form_token(client)

    first = suggest(client, FORGOT_PASSWORD, token)
    suggest(client, FORGOT_PASSWORD, token)

    shown = [s["question"] for s in first.json()["suggestions"]]
    assert sorted(SuggestionImpression.objects.values_list("entry__question", flat=True)) == sorted(
        shown
    )
    assert set(SuggestionImpression.objects.values_list("form_token", flat=True)) == {
        form_token_read(token)
    }


def test_suggestions_shown_get_the_ticket_the_customer_then_sends(client, seed):
    data = contact_data(client)
    suggest(client, FORGOT_PASSWORD, data["token"])
    suggest(client, "Kontakt kundeservice om bestillingen")

    client.post(CONTACT_URL, data)

    ticket = Ticket.objects.get()
    impressions = SuggestionImpression.objects.filter(form_token=form_token_read(data["token"]))
    assert impressions.exists()
    assert set(impressions.values_list("ticket", flat=True)) == {ticket.pk}
    assert not SuggestionImpression.objects.exclude(pk__in=impressions).filter(ticket__isnull=False)


def test_hidden_entry_is_never_suggested(client, seed):
    entry = FaqEntry.objects.get(question="Jeg har glemt passordet mitt.")
    entry.is_published = False
    entry.save()

    response = suggest(client, FORGOT_PASSWORD)

    questions = [s["question"] for s in response.json()["suggestions"]]
    assert "Jeg har glemt passordet mitt." not in questions
    assert not SuggestionImpression.objects.filter(entry=entry).exists()


def test_nonsense_suggests_nothing_and_records_nothing(client, seed):
    response = suggest(client, "qwzx blorpf fnargle")

    assert response.json() == {"suggestions": []}
    assert not SuggestionImpression.objects.exists()


def test_new_message_from_a_page_the_browser_brought_back_is_a_new_ticket(client, seed):
    first = contact_data(client)
    client.post(CONTACT_URL, first)

    client.post(CONTACT_URL, first | {"message": "Og leveransen er forsinket."})

    assert sorted(Ticket.objects.values_list("message", flat=True)) == [
        "Fakturaen for mars mangler.",
        "Og leveransen er forsinket.",
    ]


def test_suggestions_for_a_token_the_server_did_not_issue_are_shown_but_not_recorded(client, seed):
    response = suggest(client, FORGOT_PASSWORD, str(uuid.uuid4()))

    assert response.json()["suggestions"]
    assert not SuggestionImpression.objects.exists()


def test_suggestions_for_a_token_with_a_forged_signature_are_not_recorded(client, seed):
    token = form_token(client)
    forged = f"{uuid.uuid4()}:{token.split(':', 1)[1]}"

    suggest(client, FORGOT_PASSWORD, forged)

    assert not SuggestionImpression.objects.exists()


def test_one_form_records_at_most_a_few_suggestions(client, seed, make_entry):
    block = seed.blocks.get(kind="FAQ")
    words = [f"ord{letter}" for letter in "abcdefghijklmn"]
    for word in words:
        make_entry(block=block, question=f"Hva betyr {word}?", answer=f"{word} betyr noe.")
    token = form_token(client)

    for word in words:
        suggest(client, f"Hva betyr {word}", token)

    assert SuggestionImpression.objects.count() == IMPRESSIONS_PER_FORM == 10


def test_form_token_is_fresh_for_each_ask_and_never_stored(client, seed):
    first, second = (
        client.get(reverse("tickets:form_token")),
        client.get(reverse("tickets:form_token")),
    )

    assert first["Cache-Control"] == "no-store"
    assert form_token_read(first.json()["token"]) != form_token_read(second.json()["token"])


def test_form_without_javascript_sent_twice_from_our_page_is_one_ticket(client, seed):
    data = contact_data(client, token="")
    ours = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}

    first = client.post(CONTACT_URL, data, headers=ours)
    second = client.post(CONTACT_URL, data, headers=ours)

    assert first.status_code == second.status_code == 303
    assert Ticket.objects.count() == 1


def test_form_without_token_or_origin_comes_back_with_a_token_to_send_again(client, seed):
    data = contact_data(client, token="")

    response = client.post(CONTACT_URL, data)
    token = re.search(r'name="token" value="([^"]+)"', response.text)[1]
    again = client.post(CONTACT_URL, data | {"token": token})

    assert response.status_code == 400
    assert again.status_code == 303
    assert Ticket.objects.count() == 1


def test_form_takes_several_files_of_the_allowed_types(client, seed):
    page = client.get(HELP_URL).text

    form = re.search(r"<form [^>]*data-contact-form[^>]*>", page)[0]
    assert 'enctype="multipart/form-data"' in form
    assert re.search(
        r'<input type="file" name="attachments"[^>]* multiple accept="image/jpeg,image/png,'
        r'image/gif,image/webp,image/heic,application/pdf"',
        page,
    )


def test_form_with_a_photo_makes_a_ticket_with_the_photo_attached(client, seed):
    photo = jpeg()
    data = contact_data(client, attachments=[upload("IMG_0042.JPG", photo, "image/jpeg")])

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 303
    first = Ticket.objects.get().messages.get()
    [attachment] = first.attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "IMG_0042.jpg",
        "image/jpeg",
        len(photo),
    )
    assert attachment.file.read() == photo


def test_form_with_a_photo_and_a_pdf_attaches_both(client, seed):
    data = contact_data(client, attachments=[upload("a.png", png()), upload("b.pdf", pdf())])

    client.post(CONTACT_URL, data)

    assert [a.content_type for a in Ticket.objects.get().messages.get().attachments.all()] == [
        "image/png",
        "application/pdf",
    ]


REFUSED_FILES = {
    "exe-as-png": ([("oppsett.png", EXE)], "«oppsett.png» er ikke en filtype vi tar imot."),
    "html-as-jpg": ([("bilde.jpg", HTML)], "«bilde.jpg» er ikke en filtype vi tar imot."),
    "svg": ([("logo.svg", SVG)], "«logo.svg» er ikke en filtype vi tar imot."),
    "truncated": ([("bilde.png", png()[:60])], "«bilde.png» er skadet eller ufullstendig"),
    "too-big": ([("stor.jpg", jpeg())], "«stor.jpg» er på "),
    "too-many": ([(f"{n}.png", png()) for n in range(6)], "Du kan legge ved høyst 5 filer"),
    "rtl-name": ([("faktura\u202efdp.exe", EXE)], "«fakturafdp.exe» er ikke en filtype"),
}


@pytest.mark.parametrize("files, error", REFUSED_FILES.values(), ids=REFUSED_FILES.keys())
def test_refused_file_is_explained_by_its_field_and_the_text_is_kept(
    client, seed, settings, files, error
):
    settings.ATTACHMENT_MAX_BYTES = len(jpeg()) - 1
    data = contact_data(client, attachments=[upload(name, content) for name, content in files])

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 400
    assert not Ticket.objects.exists()
    shown = error_next_to(response, "attachments")
    assert error in shown
    assert shown.endswith("Alt annet du skrev er tatt vare på, men filene må velges på nytt.")
    assert [typed_value(response, name) for name in ["name", "email", "message"]] == [
        data["name"],
        data["email"],
        data["message"],
    ]
    assert [name for name in ["name", "email", "message"] if error_next_to(response, name)] == []


@pytest.mark.parametrize(
    "name, stored",
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\x\\y.png", "y.png"),
        ("..\\..\\.bashrc.png", "bashrc.png"),
    ],
    ids=["posix-path", "windows-path", "dotfile"],
)
def test_path_in_a_file_name_is_dropped(client, seed, name, stored):
    client.post(CONTACT_URL, contact_data(client, attachments=[upload(name, png())]))

    attachment = Ticket.objects.get().messages.get().attachments.get()
    assert attachment.filename == stored
    assert "passwd" not in attachment.file.name and "y.png" not in attachment.file.name


def test_good_file_on_a_form_refused_for_another_field_must_be_chosen_again(client, seed):
    data = contact_data(client, email="kari@", attachments=[upload("a.png", png())])

    response = client.post(CONTACT_URL, data)

    assert response.status_code == 400
    assert error_next_to(response, "attachments") == (
        "Alt annet du skrev er tatt vare på, men filene må velges på nytt."
    )


@pytest.fixture
def stored_attachment(make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Se vedlagt")
    checked = attachment_check(name="kvittering.pdf", content=pdf())
    [attachment] = attachments_store(message=ticket.messages.get(), files=[checked])
    return attachment


def test_agent_downloads_an_attachment_with_private_headers(agent_client, stored_attachment):
    response = agent_client.get(reverse("tickets:attachment", args=[stored_attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes_of(stored_attachment)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"kvittering.pdf\"; filename*=UTF-8''kvittering.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def pdf_bytes_of(attachment) -> bytes:
    attachment.file.open("rb")
    with attachment.file:
        return attachment.file.read()


@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_anyone_but_an_agent_is_told_the_attachment_does_not_exist(
    client, editor_client, stored_attachment, who
):
    visitor = client if who == "anonymous" else editor_client

    responses = [
        visitor.get(reverse("tickets:attachment", args=[stored_attachment.pk])),
        visitor.get(reverse("tickets:attachment", args=[stored_attachment.pk + 1])),
    ]

    assert [r.status_code for r in responses] == [404, 404]


def test_agent_asking_for_a_missing_attachment_gets_404(agent_client, stored_attachment):
    response = agent_client.get(reverse("tickets:attachment", args=[stored_attachment.pk + 1]))

    assert response.status_code == 404


def test_attachment_is_not_reachable_as_a_media_file(client, settings, stored_attachment):
    path = f"{settings.MEDIA_URL}{stored_attachment.file.name}"

    response = client.get(path)

    assert response.status_code == 404
    assert (settings.ATTACHMENTS_ROOT / stored_attachment.file.name).exists()


def test_contact_form_sent_after_a_search_counts_a_ticket_for_that_search(client, seed):
    client.get(HELP_URL, {"q": "faktura mangler"})

    response = client.post(CONTACT_URL, contact_data(client, search_query="Faktura mangler"))

    assert response.status_code == 303
    assert SearchQueryDay.objects.get(query="faktura mangler").ticketed == 1


def test_contact_form_naming_a_search_nobody_made_counts_nothing(client, seed):
    response = client.post(CONTACT_URL, contact_data(client, search_query="aldri søkt"))

    assert response.status_code == 303
    assert not SearchQueryDay.objects.exists()


# The customer's ticket page: /sak/<token>/.

PAGE_ENGLISH_TEXTS = [
    "Your case",
    "The conversation",
    "Customer service",
    "Send reply",
    "Your reply",
    "Received",
    "Thank you! Your reply",
]
HOSTILE_TEXT = '<script>alert("x")</script>'


@pytest.fixture
def page_ticket(make_ticket_row, agent):
    """A ticket an agent has answered: the customer's message, a public reply, an internal note,
    and the customer's out-of-office reply that the mailbox filed."""
    agent.first_name, agent.last_name, agent.email = "Ola", "Hemmeligsen", "ola@etn.no"
    agent.save()
    ticket = make_ticket_row(
        name="Kari Nordmann",
        email="kari@example.no",
        message="Fakturaen for mars mangler.",
        assignee=agent,
        status=Ticket.Status.WAITING,
    )
    Message.objects.create(
        ticket=ticket, author=agent, kind=Message.Kind.PUBLIC, body="Vi har sendt den på nytt."
    )
    Message.objects.create(
        ticket=ticket,
        author=agent,
        kind=Message.Kind.INTERNAL,
        body="Kunden har purret to ganger.",
    )
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.CUSTOMER,
        channel=Message.Channel.EMAIL,
        automatic="auto-reply",
        body="Jeg er på ferie til mandag.",
    )
    return ticket


def page_path(ticket) -> str:
    return ticket.page_url()


def page_reply(client, ticket, body="Takk, men den er fortsatt ikke kommet.", **extra):
    return client.post(page_path(ticket), {"body": body}, **extra)


def test_ticket_page_shows_reference_status_date_and_the_public_thread_in_order(
    client, page_ticket
):
    response = client.get(page_path(page_ticket))

    assert response.status_code == 200
    assert f"Saken din {page_ticket.reference}" in response.text
    assert "<dd data-ticket-status>Venter på svar fra deg</dd>" in response.text
    created = timezone.localtime(page_ticket.created_at)
    assert f'datetime="{created.isoformat()}">{date_format(created)}</time>' in response.text
    bodies = re.findall(r'<div class="ticket-message-body">(.*?)</div>', response.text, re.S)
    assert bodies == ["Fakturaen for mars mangler.", "Vi har sendt den på nytt."]


def test_ticket_page_never_shows_internal_notes_or_automatic_mail(client, page_ticket):
    response = client.get(page_path(page_ticket))

    assert "Kunden har purret" not in response.text
    assert "på ferie" not in response.text


def test_ticket_page_names_the_agent_by_first_name_only(client, page_ticket):
    response = client.get(page_path(page_ticket))

    senders = re.findall(r'<strong class="ticket-message-sender">(.*?)</strong>', response.text)
    assert senders == ["Du", "Ola"]
    assert "Hemmeligsen" not in response.text


def test_agent_without_a_first_name_is_shown_as_customer_service(client, make_ticket_row, agent):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    ticket_reply(ticket=ticket, author=agent, body="Hei Kari", is_public=True)

    response = client.get(page_path(ticket))

    senders = re.findall(r'<strong class="ticket-message-sender">(.*?)</strong>', response.text)
    assert senders == ["Du", "Kundeservice"]
    assert "agent" not in senders


def test_ticket_page_is_kept_from_search_engines_caches_and_other_sites(client, page_ticket):
    response = client.get(page_path(page_ticket))

    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex">' in response.text
    # No address of the page (its token) in the head for anything to pick up.
    assert 'rel="alternate"' not in response.text


def test_ticket_page_shows_customer_markup_as_text(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message=HOSTILE_TEXT)

    response = client.get(page_path(ticket))

    assert HOSTILE_TEXT not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text


def test_ticket_page_is_norwegian(client, page_ticket):
    response = client.get(page_path(page_ticket))

    assert '<html lang="nb">' in response.text
    assert [text for text in PAGE_ENGLISH_TEXTS if text in response.text] == []


def test_ticket_page_at_en_is_english(client, page_ticket):
    path = page_path(page_ticket)

    response = client.get(f"/en{path}")

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert f"Your case {page_ticket.reference}" in response.text
    assert "Waiting for your reply" in response.text
    assert 'action=""' in response.text


def test_english_reply_goes_back_to_the_english_page(client, page_ticket):
    path = page_path(page_ticket)

    response = client.post(f"/en{path}", {"body": "Thanks"})

    assert response.status_code == 303
    assert response["Location"] == f"/en{path}"
    assert "Thank you! Your reply has been added" in client.get(response["Location"]).text


def test_reply_on_the_page_joins_the_thread_reopens_the_ticket_and_tells_its_agent(
    client, page_ticket
):
    response = page_reply(client, page_ticket, body="Den er fortsatt ikke kommet.")

    assert response.status_code == 303
    assert response["Location"] == page_path(page_ticket)
    message = page_ticket.messages.last()
    assert (message.kind, message.channel, message.body, message.author_name) == (
        Message.Kind.CUSTOMER,
        Message.Channel.PAGE,
        "Den er fortsatt ikke kommet.",
        "Kari Nordmann",
    )
    page_ticket.refresh_from_db()
    assert page_ticket.status == Ticket.Status.OPEN
    notification = OutboundEmail.objects.get(ticket=page_ticket)
    assert (notification.kind, notification.to, notification.note) == (
        OutboundEmail.Kind.NOTIFICATION,
        "ola@etn.no",
        message,
    )


def test_page_after_a_reply_thanks_once_and_shows_the_reply(client, page_ticket):
    sent = page_reply(client, page_ticket, body="Den er fortsatt ikke kommet.")

    after = client.get(sent["Location"])
    again = client.get(sent["Location"])

    assert '<div class="alert alert-success" role="status" data-reply-sent>' in after.text
    assert "Takk! Svaret ditt er lagt til i saken." in after.text
    assert "Den er fortsatt ikke kommet." in after.text
    assert "Takk! Svaret ditt" not in again.text


def test_reply_sent_twice_is_one_message_and_one_notification(client, page_ticket):
    page_reply(client, page_ticket, body="Hallo?")
    page_reply(client, page_ticket, body="Hallo?")

    assert page_ticket.messages.filter(channel=Message.Channel.PAGE).count() == 1
    assert OutboundEmail.objects.filter(ticket=page_ticket).count() == 1


@pytest.mark.parametrize(
    "body, error",
    [
        ("   ", "Feltet er påkrevet."),
        ("x" * 5001, "Sørg for at denne verdien har 5000 eller færre tegn"),
    ],
)
def test_empty_or_too_long_reply_comes_back_with_its_error(client, page_ticket, body, error):
    response = page_reply(client, page_ticket, body=body)

    assert response.status_code == 400
    assert error in error_next_to(response, "body")
    assert not page_ticket.messages.filter(channel=Message.Channel.PAGE).exists()


def test_closed_ticket_page_asks_for_a_new_message_instead_of_a_reply(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="k@example.no", message="Hei", status="closed")

    response = client.get(page_path(ticket))

    assert "Denne saken er avsluttet" in response.text
    assert f'<a href="{HELP_URL}#kontakt">Skriv en ny melding</a>' in response.text
    assert "data-reply-form" not in response.text


def test_reply_to_a_closed_ticket_is_refused_and_leaves_it_closed(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="k@example.no", message="Hei", status="closed")

    response = page_reply(client, ticket)

    assert response.status_code == 409
    assert "Denne saken er avsluttet" in response.text
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.messages.count() == 1
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()


def test_resolved_ticket_is_reopened_by_a_reply_on_its_page(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="k@example.no", message="Hei", status="resolved")

    page_reply(client, ticket)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def _forged(ticket):
    token = ticket.page_url().split("/")[-2]
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _other_key(ticket):
    # A key of the right form, signed by us, that is not the ticket's.
    from tickets.references import access_key_new, page_token

    return page_token(ticket.reference, access_key_new())


def _renewed(ticket):
    old = ticket.page_url().split("/")[-2]
    ticket_page_link_renew(ticket=ticket, actor=None)
    return old


def _erased(ticket):
    old = ticket.page_url().split("/")[-2]
    tickets_erase(emails=[ticket.email], actor=None)
    return old


@pytest.mark.parametrize(
    "token_of",
    [
        lambda ticket: "nonsense",
        lambda ticket: ticket.reference,
        _forged,
        _other_key,
        _renewed,
        _erased,
    ],
    ids=["nonsense", "reference-only", "forged-signature", "wrong-key", "renewed", "erased"],
)
def test_a_link_that_is_not_the_tickets_current_one_is_a_plain_404(
    client, make_ticket_row, token_of
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hemmelig faktura")
    token = token_of(ticket)

    path = reverse("tickets:ticket_page", kwargs={"token": token})

    response = client.get(path)
    reply = client.post(path, {"body": "Hei"})

    assert (response.status_code, reply.status_code) == (404, 404)
    assert "Hemmelig" not in response.text
    # The site's 404 for any address: it says nothing about tickets or links.
    assert response.text.replace(path, "/finnes-ikke/") == client.get("/finnes-ikke/").text
    assert ticket.messages.count() == 1


def test_renewed_link_opens_the_page(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    ticket_page_link_renew(ticket=ticket, actor=None)

    assert client.get(page_path(ticket)).status_code == 200


def test_wrong_links_past_the_miss_limit_get_429(client, page_ticket, settings):
    settings.TICKET_PAGE_MISS_RATE_LIMIT = "3/10m"
    wrong = reverse("tickets:ticket_page", kwargs={"token": _other_key(page_ticket)})
    forged = reverse("tickets:ticket_page", kwargs={"token": _forged(page_ticket)})

    statuses = [client.get(url).status_code for url in [wrong, forged, wrong, forged, wrong]]

    assert statuses == [404, 404, 404, 429, 429]
    assert "For mange forespørsler" in client.get(wrong).text


def test_right_link_opens_the_page_from_an_address_past_the_miss_limit(
    client, page_ticket, settings
):
    settings.TICKET_PAGE_MISS_RATE_LIMIT = "1/10m"
    wrong = reverse("tickets:ticket_page", kwargs={"token": "x"})
    [client.get(wrong) for _ in range(3)]

    response = client.get(page_path(page_ticket))

    assert response.status_code == 200


def test_misses_of_one_address_do_not_limit_another(client, page_ticket, settings):
    settings.TICKET_PAGE_MISS_RATE_LIMIT = "1/10m"
    wrong = reverse("tickets:ticket_page", kwargs={"token": "x"})
    [client.get(wrong) for _ in range(3)]

    response = client.get(wrong, REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 404


def test_replies_past_the_reply_limit_get_429_and_are_not_filed(client, page_ticket, settings):
    settings.TICKET_PAGE_REPLY_RATE_LIMIT = "2/10m"

    statuses = [page_reply(client, page_ticket, body=f"Svar {n}").status_code for n in range(3)]

    assert statuses == [303, 303, 429]
    assert page_ticket.messages.filter(channel=Message.Channel.PAGE).count() == 2
    assert client.get(page_path(page_ticket)).status_code == 200


def test_ticket_page_is_read_in_three_queries(client, page_ticket, django_assert_num_queries):
    path = page_path(page_ticket)

    # The ticket, its public thread, the thread's attachments.
    with django_assert_num_queries(3):
        response = client.get(path)

    assert response.status_code == 200


def test_reply_on_the_ticket_page_costs_a_fixed_number_of_queries(
    client, page_ticket, django_assert_num_queries
):
    path = page_path(page_ticket)

    # The ticket; then in one transaction (a savepoint in the test's): the locked ticket and
    # its agent, the repeat check, the message, the status change (its own savepoint, locked
    # read, update, event, release), the notification (the outbox is the worker's queue), the
    # release.
    with django_assert_num_queries(12):
        response = client.post(path, {"body": "Hallo?"})

    assert response.status_code == 303


def test_reply_without_the_csrf_token_is_refused(page_ticket):
    client = Client(enforce_csrf_checks=True)

    response = page_reply(client, page_ticket)

    assert response.status_code == 403
    assert not page_ticket.messages.filter(channel=Message.Channel.PAGE).exists()


def test_reply_from_another_site_is_refused_even_with_the_csrf_token(page_ticket):
    client = Client(enforce_csrf_checks=True)
    page = client.get(page_path(page_ticket))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]

    response = client.post(
        page_path(page_ticket),
        {"body": "Hei", "csrfmiddlewaretoken": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    ours = client.post(
        page_path(page_ticket),
        {"body": "Hei", "csrfmiddlewaretoken": token},
        headers={"Sec-Fetch-Site": "same-origin"},
    )

    assert (response.status_code, ours.status_code) == (403, 303)
    assert page_ticket.messages.filter(channel=Message.Channel.PAGE).count() == 1


def test_success_page_links_to_the_new_tickets_own_page(client, seed):
    sent = client.post(CONTACT_URL, contact_data(client))

    thanks = client.get(sent["Location"])

    ticket = Ticket.objects.get()
    assert f'<a href="{ticket.page_url()}" data-ticket-page-link>' in thanks.text
    assert thanks["Cache-Control"] == "private, no-store"


def test_success_page_without_a_ticket_cookie_links_to_no_ticket_page(client, seed, make_ticket):
    make_ticket()

    thanks = client.get(SUCCESS_URL)

    assert "data-ticket-page-link" not in thanks.text
    assert "/sak/" not in thanks.text


@pytest.mark.django_db(transaction=True)
def test_customer_opens_their_page_by_the_link_in_the_confirmation_email(
    seed, smtp_server, worker_run
):
    client = Client()
    client.post(CONTACT_URL, contact_data(client, message="Fakturaen for mars mangler."))
    worker_run()
    confirmation = next(m for m in smtp_server.messages if m["To"] == "kari@example.no")
    text = confirmation.get_body(["plain"]).get_content()
    link = re.search(r"(http://127\.0\.0\.1:8000/sak/[^\s/]+/)", text)[1]

    response = Client().get(link.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 200
    assert Ticket.objects.get().reference in response.text
    assert "Fakturaen for mars mangler." in response.text
    html = confirmation.get_body(["html"]).get_content()
    assert f'<a href="{link}">' in html


def _attach(message, *files):
    return attachments_store(
        message=message,
        files=[attachment_check(name=name, content=content) for name, content in files],
    )


def _file_path(ticket, attachment, token=None):
    token = token or ticket.page_url().split("/")[-2]
    return reverse("tickets:ticket_page_attachment", kwargs={"token": token, "pk": attachment.pk})


def test_ticket_page_lists_the_files_of_the_public_thread_with_their_links(client, page_ticket):
    first, reply, note = page_ticket.messages.order_by("pk")[:3]
    [photo] = _attach(first, ("kvittering.png", png()))
    [invoice] = _attach(reply, ("faktura mars.pdf", pdf()))
    [secret] = _attach(note, ("notat.pdf", pdf()))

    response = client.get(page_path(page_ticket))

    lists = re.findall(
        r"<ul class=\"ticket-message-attachments\"[^>]*>(.*?)</ul>", response.text, re.S
    )
    links = [
        re.findall(r'<a href="([^"]+)" download>([^<]+)</a> \(([^)]+)\)', each) for each in lists
    ]
    assert links == [
        [(_file_path(page_ticket, photo), "kvittering.png", filesizeformat(photo.size))],
        [(_file_path(page_ticket, invoice), "faktura mars.pdf", filesizeformat(invoice.size))],
    ]
    assert "notat.pdf" not in response.text
    assert _file_path(page_ticket, secret) not in response.text


def test_file_link_on_the_ticket_page_downloads_the_file(client, page_ticket):
    reply = page_ticket.messages.get(kind=Message.Kind.PUBLIC)
    [invoice] = _attach(reply, ("faktura mars.pdf", pdf()))

    response = client.get(_file_path(page_ticket, invoice))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"faktura mars.pdf\"; filename*=UTF-8''faktura%20mars.pdf"
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_file_links_for_anything_but_the_tickets_own_public_files_are_a_plain_404(
    client, page_ticket, make_ticket_row
):
    note = page_ticket.messages.get(kind=Message.Kind.INTERNAL)
    [noted] = _attach(note, ("notat.pdf", pdf()))
    other = make_ticket_row(name="Per", email="per@example.no", message="Min faktura")
    [others] = _attach(other.messages.get(), ("per.pdf", pdf()))
    [own] = _attach(page_ticket.messages.get(kind=Message.Kind.PUBLIC), ("svar.pdf", pdf()))
    old = page_ticket.page_url().split("/")[-2]
    ticket_page_link_renew(ticket=page_ticket, actor=None)

    paths = [
        _file_path(page_ticket, others),
        _file_path(page_ticket, noted),
        _file_path(page_ticket, own, token=old),
        _file_path(page_ticket, own, token=_forged(page_ticket)),
        _file_path(page_ticket, own).replace(f"/{own.pk}/", "/999999/"),
    ]

    assert [client.get(path).status_code for path in paths] == [404] * 5
    assert client.get(_file_path(page_ticket, own)).status_code == 200


def test_wrong_file_links_count_as_misses_of_the_page(client, page_ticket, settings):
    settings.TICKET_PAGE_MISS_RATE_LIMIT = "2/10m"
    note = page_ticket.messages.get(kind=Message.Kind.INTERNAL)
    [noted] = _attach(note, ("notat.pdf", pdf()))
    wrong_page = reverse("tickets:ticket_page", kwargs={"token": "x"})

    statuses = [
        client.get(_file_path(page_ticket, noted)).status_code,
        client.get(wrong_page).status_code,
        client.get(_file_path(page_ticket, noted)).status_code,
    ]

    assert statuses == [404, 404, 429]


@pytest.mark.parametrize("count", [1, 6])
def test_ticket_page_with_files_is_read_in_three_queries(
    client, page_ticket, django_assert_num_queries, count
):
    first, reply = page_ticket.messages.order_by("pk")[:2]
    for message in (first, reply):
        _attach(message, *[(f"bilde {n}.png", png()) for n in range(count)])
    path = page_path(page_ticket)

    with django_assert_num_queries(3):
        response = client.get(path)

    assert response.text.count(" download>bilde ") == 2 * count


def test_reply_on_the_page_with_files_stores_them_on_the_reply(client, page_ticket):
    response = client.post(
        page_path(page_ticket),
        {
            "body": "Her er kvitteringen.",
            "attachments": [upload("kvittering.jpg", jpeg(), "image/jpeg"), upload("a.pdf", pdf())],
        },
    )

    assert response.status_code == 303
    message = page_ticket.messages.get(channel=Message.Channel.PAGE)
    assert message.body == "Her er kvitteringen."
    assert [(a.filename, a.content_type, bool(a.thumbnail)) for a in message.attachments.all()] == [
        ("kvittering.jpg", "image/jpeg", True),
        ("a.pdf", "application/pdf", False),
    ]
    page = client.get(page_path(page_ticket))
    assert "kvittering.jpg</a>" in page.text


def test_reply_box_is_a_multipart_form_that_names_the_file_rules(client, page_ticket):
    response = client.get(page_path(page_ticket))

    assert 'enctype="multipart/form-data"' in response.text
    assert re.search(r'<input type="file" name="attachments"[^>]* multiple', response.text)
    assert 'accept="image/jpeg,' in response.text
    assert "Opptil" in response.text


def test_refused_file_on_the_page_says_why_in_norwegian_and_keeps_the_reply(client, page_ticket):
    response = client.post(
        page_path(page_ticket),
        {
            "body": "Se vedlagt program.",
            "attachments": [upload("faktura.exe", EXE, "application/pdf")],
        },
    )

    assert response.status_code == 400
    assert error_next_to(response, "attachments") == (
        "«faktura.exe» er ikke en filtype vi tar imot. "
        "Du kan legge ved JPEG, PNG, GIF, WebP, HEIC, PDF. "
        "Alt annet du skrev er tatt vare på, men filene må velges på nytt."
    )
    assert typed_value(response, "body") == "Se vedlagt program."
    assert not page_ticket.messages.filter(channel=Message.Channel.PAGE).exists()


def test_reply_with_files_costs_a_fixed_number_of_queries(
    client, page_ticket, django_assert_num_queries
):
    path = page_path(page_ticket)
    files = [upload(f"bilde {n}.png", png()) for n in range(3)]

    # As a reply without files, and one bulk insert of the attachments.
    with django_assert_num_queries(13):
        response = client.post(path, {"body": "Bilder", "attachments": files})

    assert response.status_code == 303
    assert page_ticket.messages.get(channel=Message.Channel.PAGE).attachments.count() == 3
