import email.policy
import re
import socket
import time
import tracemalloc
from collections import Counter
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.template.defaultfilters import linebreaksbr
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from faq.cms import IMAGE_REFERENCE, CmsFileError, help_page_import
from faq.models import Block, FaqEntry, FaqImage, FormField, HelpPage, markdown_render
from faq.responses import form_token_read
from sekvens_help.tests.hostile_inputs import (
    ACCEPTED,
    BAD_REQUEST,
    CMS_FILES,
    CONTACTS,
    CORPUS,
    CSRFS,
    IMAGE_SOURCES,
    KARI,
    QUERIES,
    RAW_CONTACTS,
    REFUSED,
    SPAM,
    SUGGESTIONS,
    VOTES,
    Contact,
    RawContact,
)
from tickets.emails import confirmation_email, email_message
from tickets.models import OutboundEmail, SuggestionImpression, Ticket
from tickets.tasks import outbound_email_send
from tickets.tests.form_pages import error_next_to, typed_value

HELP_URL = reverse("faq:help_page")
CONTACT_URL = reverse("tickets:contact")
SUCCESS_URL = "/suksess/"
FIELDS = ["name", "email", "message"]
# English that must never reach a customer: Django's own form errors and ours, untranslated.
ENGLISH_ERRORS = [
    "This field is required.",
    "Enter a valid email address.",
    "Null characters are not allowed.",
    "Ensure this value has at most",
    "The name cannot contain",
    "The message contains characters",
    "Please correct the fields marked below:",
]
CATEGORIES = {
    "script", "template", "header", "long", "empty", "control", "unicode", "utf8",
    "content-type", "csrf", "token", "honeypot", "duplicates", "query", "feedback", "suggest",
    "importer", "image",
}  # fmt: skip
IMPORT_SECONDS = 10
BOMB_BYTES = 50 * 1024 * 1024


@pytest.fixture(autouse=True)
def _empty_cache(db):
    # The rate limits count in the default cache.
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # admin_client's user is made for each of a hundred cases; the real hasher takes half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def help_page(make_page, make_block, make_entry):
    """A help page with one published and one hidden answer, and the contact form."""
    page = make_page()
    faq = make_block(page=page, title="Spørsmål")
    make_entry(
        block=faq,
        question="Jeg har glemt passordet mitt.",
        answer="Tilbakestill passordet på innloggingssiden.",
    )
    make_entry(block=faq, question="Et skjult spørsmål?", answer="Skjult.", is_published=False)
    form = make_block(
        page=page,
        kind=Block.Kind.HELP_FORM,
        title="Står du fast?",
        position=1,
        success_path="suksess",
    )
    for position, (kind, label) in enumerate(
        [
            (FormField.Kind.TEXT, "Navn"),
            (FormField.Kind.EMAIL, "E-post"),
            (FormField.Kind.TEXTAREA, "Melding"),
        ]
    ):
        FormField.objects.create(block=form, kind=kind, label=label, position=position)
    return page


class Mailbox:
    """The handler of an SMTP server on loopback: keeps each message and its envelope recipients."""

    def __init__(self):
        self.received: list[tuple] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((message, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def _smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server, settings):
    """The default mailer sending to a loopback SMTP server; returns what the server received."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _smtp_server.port, "timeout": 5},
        }
    }
    _smtp_server.handler.received.clear()
    return _smtp_server.handler


def envelope_address(address: str) -> str:
    local_part, _, domain = address.rpartition("@")
    return f"{local_part}@{domain.encode('idna').decode()}"


def form_token(client) -> str:
    """The token help.js fetches when the visitor starts on the form."""
    return client.get(reverse("tickets:form_token")).json()["token"]


def contact_send(client, case: Contact | RawContact):
    token = form_token(client)
    if isinstance(case, RawContact):
        body = case.body.replace(b"{token}", token.encode())
        return client.generic("POST", CONTACT_URL, data=body, content_type=case.content_type)
    data = KARI | {"token": token} | case.fields
    return client.post(
        CONTACT_URL, {name: value for name, value in data.items() if value is not None}
    )


def shown_as_text(html: str, value: str) -> bool:
    """The value is on the page escaped, and nowhere as markup."""
    escaped = linebreaksbr(value)
    return escaped in html and (escape(value) == value or value not in html)


def expected_ticket(case: Contact | RawContact) -> dict:
    sent = KARI | (case.fields if isinstance(case, Contact) else {}) | (case.stored or {})
    return {name: sent[name] for name in FIELDS}


def contact_cases(expect: str) -> list:
    return [pytest.param(c, id=c.id) for c in [*CONTACTS, *RAW_CONTACTS] if c.expect == expect]


def params(cases) -> list:
    return [pytest.param(case, id=case.id) for case in cases]


def test_corpus_holds_at_least_200_bad_inputs_in_every_category():
    categories = Counter(case.category for case in CORPUS)

    assert len(CORPUS) >= 200
    assert set(categories) == CATEGORIES
    assert len({(type(case), case.id) for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", contact_cases(REFUSED))
def test_refused_form_comes_back_with_its_errors_and_the_text_as_typed(client, help_page, case):
    response = contact_send(client, case)

    sent = response.wsgi_request.POST
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert [field for field in FIELDS if error_next_to(response, field)] == list(case.errors)
    assert [text for text in ENGLISH_ERRORS if text in response.text] == []
    # Crispy's rendering folds a value of only whitespace to one space: nothing of it is lost.
    for field in FIELDS:
        if field in sent:
            assert typed_value(response, field).strip() == sent[field].strip()
    # A broken token is replaced, so that sending again works; a good one is kept.
    token = typed_value(response, "token")
    if "token" in response.context["blocks"][-1].form.errors:
        assert form_token_read(token) and token != sent.get("token")
    else:
        assert token.strip() == sent["token"].strip()
    for value in sent.values():
        assert escape(value) == value or value not in response.text


@pytest.mark.parametrize("case", contact_cases(BAD_REQUEST))
def test_body_django_cannot_read_is_a_bad_request_and_creates_nothing(client, help_page, case):
    response = contact_send(client, case)

    assert response.status_code == 400
    assert "Forespørselen kunne ikke leses" in response.text
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("case", contact_cases(SPAM))
def test_filled_honeypot_looks_like_success_and_creates_nothing(client, help_page, case):
    response = contact_send(client, case)

    assert response.status_code == 303
    assert response["Location"] == SUCCESS_URL
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert "sekvens_ticket" not in response.cookies


@pytest.mark.parametrize("case", contact_cases(ACCEPTED))
def test_odd_but_valid_input_is_one_ticket_stored_as_sent_and_shown_as_text(
    client, admin_client, help_page, settings, case
):
    response = contact_send(client, case)

    ticket = Ticket.objects.get()
    assert response.status_code == 303
    assert {field: getattr(ticket, field) for field in FIELDS} == expected_ticket(case)
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Ticket.Status.NEW,
        Ticket.Priority.NORMAL,
        None,
    )
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert ticket.reference in thanks.text
    assert escape(ticket.message) == ticket.message or ticket.message not in thanks.text
    change = admin_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).text
    for field in FIELDS:
        assert shown_as_text(change, getattr(ticket, field)), field
    changelist = admin_client.get(reverse("admin:tickets_ticket_changelist")).text
    assert shown_as_text(changelist, f"{ticket.name} <{ticket.email}>")
    assert not list(Path(settings.MEDIA_ROOT).rglob("*"))


def bodies(message) -> tuple[str, str]:
    """The plain text and HTML bodies of a message as the worker builds it."""
    return message.body, message.alternatives[0].content


@pytest.mark.parametrize("case", contact_cases(ACCEPTED))
def test_odd_but_valid_input_is_mailed_as_text_to_exactly_its_recipients(
    client, help_page, mailbox, settings, case
):
    contact_send(client, case)
    ticket = Ticket.objects.get()
    emails = list(ticket.emails.order_by("pk"))

    results = [outbound_email_send(email_id=outbound.pk) for outbound in emails]

    customer = envelope_address(ticket.email)
    recipients = {
        OutboundEmail.Kind.CONFIRMATION: [customer],
        OutboundEmail.Kind.NOTIFICATION: [settings.SUPPORT_EMAIL],
    }
    assert results == ["sent", "sent"]
    for stored, (message, envelope) in zip(emails, mailbox.received, strict=True):
        assert envelope == recipients[stored.kind]
        assert len(message.get_all("Subject")) == 1
        # A name written as an encoded word ("=?iso-8859-1?q?K=E5re?=") is decoded on its way
        # out, by Python's email package; the form refuses one that hides a line break.
        if "=?" not in stored.subject:
            assert " ".join(message["Subject"].split()) == stored.subject
        assert [name for name in message if name.lower() in {"bcc", "cc"}] == []
        text_body, html_body = bodies(email_message(stored))
        if stored.kind == OutboundEmail.Kind.CONFIRMATION:
            # Our own words only: the customer's text never goes to the address they typed
            # (the same reference and page key, so the same page link).
            plain = confirmation_email(
                Ticket(
                    pk=ticket.pk,
                    reference=ticket.reference,
                    access_key=ticket.access_key,
                    name="X",
                    email="x@example.no",
                )
            )
            assert (text_body, html_body) == bodies(email_message(plain))
            continue
        assert ticket.message in text_body
        assert escape(ticket.message) in html_body
        assert escape(ticket.message) == ticket.message or ticket.message not in html_body
    notification = mailbox.received[[e.kind for e in emails].index("notification")][0]
    assert [a.addr_spec for a in notification["Reply-To"].addresses] == [customer]


def test_same_form_sent_twice_is_one_ticket(client, help_page):
    data = KARI | {"token": form_token(client)}

    first = client.post(CONTACT_URL, data)
    again = client.post(CONTACT_URL, data)

    ticket = Ticket.objects.get()
    assert (first.status_code, again.status_code) == (303, 303)
    assert {field: getattr(ticket, field) for field in FIELDS} == KARI
    assert ticket.reference in client.get(again["Location"]).text


def test_new_message_sent_with_a_used_token_is_a_second_ticket(client, help_page):
    data = KARI | {"token": form_token(client)}
    client.post(CONTACT_URL, data)

    response = client.post(CONTACT_URL, data | {"message": "Og en ting til."})

    assert response.status_code == 303
    assert sorted(Ticket.objects.values_list("message", flat=True)) == sorted(
        [KARI["message"], "Og en ting til."]
    )


def test_form_with_a_bad_token_tells_the_customer_what_is_wrong(client, help_page):
    response = contact_send(client, Contact("token", "garbled", {"token": "ikke-en-uuid"}, REFUSED))

    form = re.search(r"<form [^>]*data-contact-form.*?</form>", response.text, re.S)[0]
    assert response.status_code == 400
    assert "<li>" in form
    assert 'name="token" value="ikke-en-uuid"' not in form


@pytest.mark.parametrize("case", params(CSRFS))
def test_post_from_another_site_is_forbidden_and_creates_nothing(help_page, settings, case):
    settings.SECURE_SSL_REDIRECT = False
    browser = Client(enforce_csrf_checks=True)
    data = KARI | {"token": form_token(browser), "message": "Jeg har glemt passordet mitt"}

    response = browser.post(reverse(case.url_name), data, headers=case.headers, secure=case.secure)

    assert response.status_code == 403
    assert "Skjemaet var utløpt" in response.text
    assert not Ticket.objects.exists()
    assert not SuggestionImpression.objects.exists()


@pytest.mark.parametrize(
    "headers, secure",
    [
        ({"Sec-Fetch-Site": "same-origin"}, False),
        ({"Origin": "http://testserver"}, False),
        ({"Referer": "https://testserver/"}, True),
        ({}, False),
    ],
    ids=["fetch-site", "origin", "referer-over-https", "none-with-the-fetched-token"],
)
def test_post_from_our_page_without_a_csrf_cookie_goes_through(
    help_page, settings, headers, secure
):
    settings.SECURE_SSL_REDIRECT = False
    browser = Client(enforce_csrf_checks=True)

    data = KARI | {"token": form_token(browser)}
    response = browser.post(CONTACT_URL, data, headers=headers, secure=secure)

    assert response.status_code == 303
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("case", params(QUERIES))
def test_hostile_search_query_is_shown_as_text(client, help_page, case):
    response = client.get(f"{HELP_URL}?{case.query_string}")

    assert response.status_code == case.status
    if case.status == 200:
        query = response.wsgi_request.GET.get("q", "").strip()[:200]
        if query:
            assert f'name="q" value="{escape(query)}"' in response.text
            assert escape(query) == query or query not in response.text
    else:
        assert "Forespørselen kunne ikke leses" in response.text


def vote_counts() -> list:
    return list(FaqEntry.objects.order_by("pk").values_list("helpful_count", "not_helpful_count"))


@pytest.mark.parametrize("case", params(VOTES))
def test_bad_vote_is_refused_clearly_and_counts_nothing(client, help_page, case):
    entries = {
        "{published}": FaqEntry.objects.get(is_published=True).pk,
        "{hidden}": FaqEntry.objects.get(is_published=False).pk,
    }
    url = f"/svar/{entries.get(case.entry, case.entry)}/tilbakemelding/"
    url += f"?{case.query}" if case.query else ""
    data = case.data if isinstance(case.data, bytes) else urlencode(case.data or {})
    before = vote_counts()

    response = client.generic(
        case.method, url, data=data, content_type=case.content_type, headers=case.headers
    )

    assert response.status_code == case.status
    after = vote_counts()
    if case.status == 200:
        assert sum(map(sum, after)) == sum(map(sum, before)) + 1
        return
    assert after == before
    if case.status == 400:
        unreadable = "Forespørselen kunne ikke leses" in response.text
        assert response.text == "Svar «ja» eller «nei»." or unreadable
    elif case.status == 403:
        assert response["Content-Type"].startswith("text/plain")
        assert response.text
    elif case.status == 404:
        assert "Fant ikke siden" in response.text
    else:
        assert response["Allow"] == "POST"


@pytest.mark.parametrize("case", params(SUGGESTIONS))
def test_hostile_suggestion_request_answers_without_a_crash(client, help_page, case):
    token = form_token(client)
    data = case.data if isinstance(case.data, bytes) else urlencode(case.data).encode()
    data = data.replace(b"%7Btoken%7D", b"{token}").replace(b"%7Bsignature%7D", b"{signature}")
    data = data.replace(b"{token}", token.encode())
    data = data.replace(b"{signature}", token.split(":", 1)[1].encode())

    response = client.generic(
        "POST", reverse("tickets:suggest"), data=data, content_type=case.content_type
    )

    assert response.status_code == case.status
    if case.status == 200:
        suggestions = response.json()["suggestions"]
        assert len(suggestions) <= 3
        assert all(set(s) == {"question", "url", "entry"} for s in suggestions)
        assert all(isinstance(s["entry"], int) for s in suggestions)
    assert SuggestionImpression.objects.exists() == case.records


def database_snapshot() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (HelpPage, Block, FaqEntry, FormField, FaqImage)
    ]


def cms_file_write(tmp_path, case) -> Path:
    path = tmp_path / "side.md"
    if case.kind == "text":
        path.write_text(case.content, encoding="utf-8")
    elif case.kind == "bytes":
        path.write_bytes(case.content)
    elif case.kind == "directory":
        path.mkdir()
    elif case.kind == "symlink loop":
        path.symlink_to(path)
    return path


@contextmanager
def peak_memory():
    """The peak bytes allocated inside the block."""
    cost = {}
    tracemalloc.start()
    try:
        yield cost
    finally:
        cost["bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


@pytest.mark.parametrize("case", params(CMS_FILES))
def test_malformed_cms_file_is_refused_naming_it_and_changes_nothing(
    make_page, make_entry, make_block, tmp_path, case
):
    page = make_page(slug="side")
    make_entry(block=make_block(page=page), question="Hva koster det?", answer="Lite.")
    path = cms_file_write(tmp_path, case)
    before = database_snapshot()
    started = time.monotonic()

    # Tracing slows the parser down many times over, so only the memory bombs are traced.
    with peak_memory() if case.bomb else nullcontext({}) as cost:
        with pytest.raises(CmsFileError) as raised:
            help_page_import(path=path)

    assert time.monotonic() - started < IMPORT_SECONDS
    assert str(raised.value).startswith(f"{path}")
    assert case.message in str(raised.value)
    assert database_snapshot() == before
    if case.bomb:
        assert cost["bytes"] < BOMB_BYTES


@pytest.fixture
def images_dir(tmp_path) -> Path:
    """An import's images folder with a broken PNG, an HTML page, an SVG and a symlink out."""
    images, outside = tmp_path / "images", tmp_path / "outside"
    images.mkdir()
    outside.mkdir()
    Image.new("RGB", (4, 3), "navy").save(outside / "hemmelig.png")
    (images / "halv.png").write_bytes((outside / "hemmelig.png").read_bytes()[:40])
    (images / "side.html").write_text("<script>alert(1)</script>")
    (images / "tegning.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (images / "lenke.png").symlink_to(outside / "hemmelig.png")
    return images


def image_markdown(case, images_dir: Path) -> str:
    return f"![Bildetekst]({case.src.replace('{outside}', str(images_dir.parent / 'outside'))})"


@pytest.mark.parametrize("case", params(IMAGE_SOURCES))
def test_image_we_do_not_hold_is_dropped_from_answer_and_preview_keeping_its_alt_text(
    editor_client, images_dir, case
):
    markdown = image_markdown(case, images_dir)

    html = markdown_render(markdown)
    preview = editor_client.post(reverse("admin:faq_markdownify"), {"content": markdown})

    assert "<img" not in html
    assert "Bildetekst" in html
    assert preview.status_code == 200
    assert preview.text == html


@pytest.mark.parametrize(
    "case", params(case for case in IMAGE_SOURCES if IMAGE_REFERENCE.search(f"![]({case.src})"))
)
def test_image_reference_that_is_no_image_in_the_folder_is_refused_in_one_wording(
    db, tmp_path, images_dir, case
):
    markdown = image_markdown(case, images_dir)
    reference = markdown.removeprefix("![Bildetekst](")[:-1]
    path = tmp_path / "side.md"
    path.write_text(
        "---\ntemplateKey: Page\ntitle: Hjelp\nblocks:\n  - type: FAQ\n    title: Spørsmål\n"
        f"    items:\n      - title: Hvor?\n        description: '{markdown}'\n---\n",
        encoding="utf-8",
    )

    result = help_page_import(path=path)

    assert result.warnings == [
        f"image {reference} is not a readable image in {images_dir}; "
        "the page leaves it out (showing its alt text, if any)"
    ]
    assert not FaqImage.objects.exists()
    assert "<img" not in FaqEntry.objects.get().answer_html
