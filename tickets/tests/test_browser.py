import re
import sys
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from io import BytesIO, StringIO, TextIOWrapper

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from faq.models import FaqEntry, HelpWeek
from staffauth.tests.conftest import app_code
from tickets.attachments import attachment_check, attachments_store
from tickets.models import Ticket
from tickets.references import reference_normalize
from tickets.services import ticket_reply
from tickets.tests.attachment_files import jpeg, pdf, png
from tickets.tests.conftest import AGENT_PERMISSIONS

# The live server and the worker each commit in transactions of their own (see worker_run).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENT_PASSWORD = "lang-og-hemmelig-passord"
FORGOT_PASSWORD = "Jeg har glemt passordet mitt og kommer ikke inn"
# The form posts to /kontakt/#kontakt and the redirect names no fragment, so the browser keeps it.
SUCCESS_URL = re.compile(r"/suksess/(#kontakt)?$")
HOSTILE_MESSAGE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(autouse=True)
def _empty_cache(transactional_db):
    # The rate limit counts in the cache table, which the flush after each test leaves.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(
        "agent", "agent@example.no", AGENT_PASSWORD, is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tickets", codename__in=AGENT_PERMISSIONS)
    )
    return user


@pytest.fixture
def make_ticket(make_ticket_row):
    """A ticket row as a customer left it, with no emails queued: the SMTP server gets only
    what the test itself causes."""

    def make(**overrides) -> Ticket:
        values = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei!"}
        return make_ticket_row(**values | overrides)

    return make


def admin_log_in(page, *, username: str, password: str, next_path: str) -> None:
    page.goto(f"/admin/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def contact_form_fill(page, *, name="Kari Nordmann", email="kari@example.no", message=""):
    form = page.locator("[data-contact-form]")
    form.get_by_label("Navn").fill(name)
    form.get_by_label("E-post").fill(email)
    form.get_by_label("Hva trenger du help til?").fill(message)
    return form


def received(smtp_server) -> list[tuple[list[str], str]]:
    """(envelope recipients, subject) of each message the SMTP server got, in order."""
    return [
        (recipients, message["Subject"])
        for recipients, message in zip(smtp_server.recipients, smtp_server.messages, strict=True)
    ]


def test_typing_a_message_suggests_a_matching_answer_as_a_link(page, seed):
    page.goto("/")
    message = page.locator("[data-contact-form]").get_by_label("Hva trenger du help til?")

    message.press_sequentially(FORGOT_PASSWORD)

    suggestion = page.locator("[data-suggestions]").get_by_role(
        "link", name="Jeg har glemt passordet mitt."
    )
    expect(suggestion).to_be_visible()
    expect(suggestion).to_have_attribute("href", re.compile(r"^/#"))


def test_help_page_visit_and_a_suggestion_opened_are_counted_and_the_form_still_sent(page, seed):
    page.goto("/")
    message = page.locator("[data-contact-form]").get_by_label("Hva trenger du help til?")
    message.press_sequentially(FORGOT_PASSWORD)
    suggestion = page.locator("[data-suggestions]").get_by_role(
        "link", name="Jeg har glemt passordet mitt."
    )

    suggestion.click()

    entry = FaqEntry.objects.get(question="Jeg har glemt passordet mitt.")
    expect(page.locator(f"details:has(> #{entry.anchor})")).to_have_js_property("open", True)
    for _ in range(50):
        entry.refresh_from_db()
        if entry.suggestion_opened_count and HelpWeek.objects.filter(page_visits=1).exists():
            break
        page.wait_for_timeout(100)
    assert entry.suggestion_opened_count == 1
    assert HelpWeek.objects.get().page_visits == 1
    # The same visit sends the form all the same: the entry counts it as sent anyway.
    contact_form_fill(page, message=FORGOT_PASSWORD).get_by_role(
        "button", name="Send melding"
    ).click()
    page.wait_for_url(SUCCESS_URL)
    entry.refresh_from_db()
    assert (entry.suggested_count, entry.suggestion_opened_count, entry.sent_anyway_count) == (
        1,
        1,
        1,
    )


def test_sent_contact_form_shows_the_ticket_reference_on_the_success_page(page, seed):
    page.goto("/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url(SUCCESS_URL)
    ticket = Ticket.objects.get()
    assert (ticket.email, ticket.message) == ("kari@example.no", FORGOT_PASSWORD)
    assert reference_normalize(ticket.reference) == ticket.reference
    expect(page.locator(".ticket-reference")).to_have_text(ticket.reference)


def test_sent_contact_form_emails_the_customer_a_confirmation_and_support_a_notification(
    page, seed, smtp_server, worker_run, settings
):
    page.goto("/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)
    form.get_by_role("button", name="Send melding").click()
    page.wait_for_url(SUCCESS_URL)
    reference = page.locator(".ticket-reference").inner_text()

    worker_run()

    assert sorted(received(smtp_server)) == [
        (["kari@example.no"], f"[{reference}] Vi har mottatt meldingen din"),
        ([settings.SUPPORT_EMAIL], f"[{reference}] Ny henvendelse fra Kari Nordmann"),
    ]


def test_double_clicking_send_sends_the_form_once_and_makes_one_ticket(page, seed):
    page.goto("/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)
    requests = []
    page.on("request", lambda request: requests.append(request))

    # A person's click holds the button down for a moment. Without a pause Chromium merges the
    # two submissions into one request, and the test could not fail.
    form.get_by_role("button", name="Send melding").dblclick(delay=50)

    page.wait_for_url(SUCCESS_URL)
    expect(page.locator(".ticket-reference")).to_have_text(Ticket.objects.get().reference)
    posts = [r.url for r in requests if r.method == "POST" and r.url.endswith("/kontakt/")]
    assert len(posts) == 1


def test_form_with_errors_comes_back_with_the_input_kept_and_each_error_beside_its_field(
    page, seed
):
    page.goto("/")
    form = contact_form_fill(page, email="kari@", message="")

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url("**/kontakt/#kontakt")
    form = page.locator("[data-contact-form]")
    expect(form.get_by_label("Navn")).to_have_value("Kari Nordmann")
    expect(form.get_by_label("E-post")).to_have_value("kari@")
    expect(form.get_by_label("E-post")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#id_email_error")).to_have_text("Oppgi en gyldig e-postadresse")
    expect(form.locator("#id_message_error")).to_have_text("Feltet er påkrevet.")
    expect(form.locator("#id_name_error")).to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("Rett opp feltene som er merket nedenfor:")
    assert not Ticket.objects.exists()


def test_english_form_with_errors_comes_back_in_english(page, seed):
    page.goto("/en/")
    form = contact_form_fill(page, email="kari@", message=FORGOT_PASSWORD)

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url("**/en/kontakt/#kontakt")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below:")
    expect(page.locator("#id_email_error")).to_have_text("Enter a valid email address.")


def test_english_form_sent_lands_on_the_english_thanks_page(page, seed):
    page.goto("/en/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url(re.compile(r"/en/suksess/(#kontakt)?$"))
    expect(page.locator("h1")).to_have_text("Thank you for your message!")
    expect(page.locator(".ticket-reference")).to_have_text(Ticket.objects.get().reference)


def test_form_with_errors_comes_back_scrolled_to_the_form(page, seed):
    page.goto("/")
    form = contact_form_fill(page, email="kari@", message="")

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url("**/kontakt/#kontakt")
    expect(page.locator("#kontakt")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0


def test_form_with_errors_puts_the_focus_on_the_error_summary(page, seed):
    page.goto("/")
    form = contact_form_fill(page, email="kari@", message="")

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url("**/kontakt/#kontakt")
    expect(page.get_by_role("alert")).to_be_focused(timeout=1_000)


def test_agent_assigns_an_unassigned_ticket_to_themselves_from_the_changelist(
    page, agent, make_ticket
):
    ticket = make_ticket(message="Fakturaen for mars mangler")
    make_ticket(message="Allerede tatt", assignee=agent)
    admin_log_in(
        page, username="agent", password=AGENT_PASSWORD, next_path="/admin/tickets/ticket/"
    )
    page.locator("#changelist-filter").get_by_role("link", name="Ikke tildelt").click()
    page.wait_for_url("**/admin/tickets/ticket/?assignee=none")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)

    rows.filter(has_text=ticket.reference).get_by_role("checkbox").check()
    actions = page.locator("#changelist-form .actions")
    actions.get_by_label("Handling").select_option(label="Tildel meg")
    # Found by place, not name: Django 6.1 calls it "Run", a text its Norwegian catalogue lacks.
    actions.get_by_role("button").click()

    expect(page.locator(".messagelist")).to_have_text("1 sak tildelt deg.")
    expect(rows.filter(has_text=ticket.reference)).to_have_count(0)
    page.locator("#changelist-filter").get_by_role("link", name="Mine").click()
    page.get_by_role("link", name=ticket.reference).click()
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{ticket.pk}/change/"))
    # Rows of changes only: the table also ends in a hidden "add" row.
    history = page.get_by_role("group", name="Historikk").locator("tbody tr.dynamic-events")
    # Taking a new ticket opens it too: two changes, the assignee's first.
    expect(history).to_have_count(2)
    history = history.filter(has_text="saksbehandler")
    expect(history.locator("td.field-actor")).to_have_text("agent")
    expect(history.locator("td.field-old_value")).to_have_text("-")
    expect(history.locator("td.field-new_value")).to_have_text("agent")
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_agent_reply_on_the_ticket_page_is_emailed_to_the_customer_and_shown_in_the_thread(
    page, agent, make_ticket, smtp_server, worker_run, settings
):
    # Sent at once, without the undo window (test_compose_browser.py proves the window).
    settings.REPLY_UNDO_SECONDS = 0
    reply = "Hei Kari, fakturaen er sendt på nytt."
    ticket = make_ticket(message="Fakturaen for mars mangler", assignee=agent)
    change_path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    admin_log_in(page, username="agent", password=AGENT_PASSWORD, next_path=change_path)
    # The new-note inline's one form; the inline also holds a hidden template to copy.
    new_note = page.get_by_role("group", name="Nytt notat eller svar").locator("#messages-2-0")
    new_note.get_by_label("Svar til kunden").check()
    new_note.get_by_label("Tekst").fill(reply)

    page.get_by_role("button", name="Lagre og fortsett å redigere").click()
    # The page comes back at the same address, so the saved message tells that the save is done.
    expect(page.locator(".messagelist .success")).to_be_visible()
    worker_run()

    assert received(smtp_server) == [
        (["kari@example.no"], f"[{ticket.reference}] Svar på henvendelsen din")
    ]
    assert reply in smtp_server.messages[0].get_body(["plain"]).get_content()
    thread = page.get_by_role("group", name="Samtalen")
    # The customer's message first, then the reply, in the order they were written.
    expect(thread.locator(".field-kind_shown .readonly")).to_have_text(
        ["Fra kunden", "Svar til kunden"]
    )
    expect(thread.locator(".field-body .readonly")).to_have_text([ticket.message, reply])


def test_customer_markup_on_the_admin_ticket_page_is_shown_as_text_and_never_run(
    page, agent, make_ticket
):
    ticket = make_ticket(message=HOSTILE_MESSAGE)
    change_path = f"/admin/tickets/ticket/{ticket.pk}/change/"

    admin_log_in(page, username="agent", password=AGENT_PASSWORD, next_path=change_path)

    assert page.evaluate("window.__pwned") is None
    expect(page.locator(".field-message .readonly")).to_have_text(HOSTILE_MESSAGE)


@pytest.mark.parametrize(
    "page_options", [{}, {"java_script_enabled": False}], ids=["script", "no-script"]
)
def test_photo_chosen_on_the_contact_form_is_attached_to_the_ticket(page, seed, tmp_path):
    photo = tmp_path / "ferie.jpg"
    photo.write_bytes(jpeg())
    page.goto("/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)
    form.get_by_label("Vedlegg").set_input_files(photo)

    form.get_by_role("button", name="Send melding").click()

    page.wait_for_url(SUCCESS_URL)
    [attachment] = Ticket.objects.get().messages.get().attachments.all()
    assert (attachment.filename, attachment.size) == ("ferie.jpg", len(jpeg()))


def test_refused_file_on_the_contact_form_keeps_the_text_and_says_to_choose_again(
    page, seed, tmp_path
):
    page_file = tmp_path / "side.png"
    page_file.write_bytes(b"<!doctype html><html><script>alert(1)</script></html>")
    page.goto("/")
    form = contact_form_fill(page, message=FORGOT_PASSWORD)
    form.get_by_label("Vedlegg").set_input_files(page_file)

    form.get_by_role("button", name="Send melding").click()

    expect(page.locator("#id_attachments_error")).to_contain_text(
        "«side.png» er ikke en filtype vi tar imot."
    )
    expect(page.locator("#id_attachments_error")).to_contain_text("filene må velges på nytt")
    expect(page.locator("#id_message")).to_have_value(FORGOT_PASSWORD)
    assert not Ticket.objects.exists()


def test_agent_sees_the_customers_photo_as_a_thumbnail_in_the_thread(page, agent, make_ticket):
    ticket = make_ticket(message="Se bildet")
    attachments_store(
        message=ticket.messages.get(), files=[attachment_check(name="skjerm.png", content=png())]
    )
    change_path = f"/admin/tickets/ticket/{ticket.pk}/change/"

    admin_log_in(page, username="agent", password=AGENT_PASSWORD, next_path=change_path)

    thumbnail = page.get_by_role("img", name="skjerm.png")
    expect(thumbnail).to_be_visible()
    # Loaded, not blocked by the Content-Security-Policy nor refused.
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth") == 40


def test_agent_lands_on_the_queue_opens_a_ticket_and_j_goes_to_the_next(
    page, django_user_model, make_ticket, settings, agents_group
):
    group = agents_group()
    agent = django_user_model.objects.create_user("agent", "agent@example.no", AGENT_PASSWORD)
    agent.is_staff = True
    agent.save()
    agent.groups.add(group)
    device = TOTPDevice.objects.create(user=agent, name="Telefon", confirmed=True)
    settings.STAFF_REQUIRE_2FA = True
    now = timezone.now()
    tickets = [
        make_ticket(
            message=f"Sak nummer {n}",
            first_response_due=now + timedelta(minutes=10 * n),
            resolution_due=now + timedelta(hours=n),
        )
        for n in (1, 2, 3)
    ]
    make_ticket(message="Venter på kunden", status=Ticket.Status.WAITING)

    page.goto("/admin/")
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(AGENT_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.get_by_label("Kode").fill(app_code(device))
    page.get_by_label("Kode").press("Enter")

    page.wait_for_url("**/admin/tickets/ticket/queue/")
    expect(page.get_by_role("heading", name="Trenger svar")).to_be_visible()
    expect(page.locator("[data-count=all]")).to_have_text("3")
    rows = page.locator("table.desk-list tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(tickets[0].reference)
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{tickets[0].pk}/change/\?queue=all$"))

    page.keyboard.press("j")

    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{tickets[1].pk}/change/\?queue=all$"))
    expect(page.get_by_role("link", name="Neste sak (j)")).to_be_visible()
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{tickets[2].pk}/change/\?queue=all$"))
    # The last of the queue: no next, and j stays put.
    expect(page.get_by_role("link", name="Neste sak (j)")).to_have_count(0)
    expect(page.get_by_role("link", name="Tilbake til køen")).to_be_visible()


def test_customer_opens_the_link_in_a_reply_reads_it_and_answers_on_the_page(
    page, live_server, agent, make_ticket, smtp_server, worker_run, settings
):
    settings.SITE_URL = live_server.url
    agent.first_name, agent.last_name = "Ola", "Hemmeligsen"
    agent.save()
    ticket = make_ticket(message="Fakturaen for mars mangler", assignee=agent, status="waiting")
    ticket_reply(ticket=ticket, author=agent, body="Vi har sendt den på nytt.", is_public=True)
    ticket_reply(ticket=ticket, author=agent, body="Kunden er utålmodig.", is_public=False)
    worker_run()
    text = smtp_server.messages[0].get_body(["plain"]).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/sak/\S+/", text)[0]

    page.goto(link)

    thread = page.locator("[data-ticket-thread] li")
    expect(page.locator("h1")).to_have_text(f"Saken din {ticket.reference}")
    expect(thread).to_have_count(2)
    expect(thread.nth(1)).to_contain_text("Ola")
    expect(thread.nth(1)).to_contain_text("Vi har sendt den på nytt.")
    expect(page.get_by_text("Kunden er utålmodig.")).to_have_count(0)
    expect(page.get_by_text("Hemmeligsen")).to_have_count(0)

    page.get_by_label("Svaret ditt").fill("Takk! Men den har ikke kommet ennå.")
    page.get_by_role("button", name="Send svar").click()

    expect(page.get_by_role("status")).to_have_text("Takk! Svaret ditt er lagt til i saken.")
    expect(thread).to_have_count(3)
    expect(thread.nth(2)).to_contain_text("Takk! Men den har ikke kommet ennå.")
    expect(page.locator("[data-ticket-status]")).to_have_text("Vi jobber med saken")
    assert page.url == link
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def answer_to(sent, *, body: str) -> bytes:
    """The customer's answer to an email we sent, as their mail program writes it: to its
    Reply-To, naming its Message-ID, our text quoted below."""
    answer = EmailMessage()
    answer["From"] = "Kari Nordmann <kari@example.no>"
    answer["To"] = sent["Reply-To"]
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = make_msgid(domain="example.no")
    answer["In-Reply-To"] = sent["Message-ID"]
    answer["References"] = sent["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in sent.get_body(["plain"]).get_content().splitlines())
    answer.set_content(f"{body}\n\nOn Wed, 2 Dec 2026 at 10:12, Sekvens wrote:\n{quoted}\n")
    return answer.as_bytes()


def receive_mail(raw: bytes, monkeypatch) -> str:
    """`manage.py receive_mail` with the email on its standard input, as the mail server's pipe
    runs it (in this process: the test database lives in it); returns what it printed."""
    monkeypatch.setattr(sys, "stdin", TextIOWrapper(BytesIO(raw)))
    output = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("receive_mail", stdout=output)
    assert exited.value.code == 0
    return output.getvalue().strip()


def test_customer_and_agent_write_by_form_email_mailbox_admin_and_ticket_page_with_files(
    page,
    browser,
    live_server,
    seed,
    agent,
    smtp_server,
    imap_server,
    worker_run,
    settings,
    monkeypatch,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    # Sent at once: the undo window has its own test (test_compose_browser).
    settings.REPLY_UNDO_SECONDS = 0
    photo, answer_pdf = tmp_path / "ødelagt skjerm.jpg", tmp_path / "bruksanvisning.pdf"
    photo.write_bytes(jpeg())
    answer_pdf.write_bytes(pdf())
    # The customer writes with a photo attached.
    page.goto("/")
    form = contact_form_fill(page, message="Skjermen er knust, se bildet.")
    form.get_by_label("Vedlegg").set_input_files(photo)
    form.get_by_role("button", name="Send melding").click()
    page.wait_for_url(SUCCESS_URL)
    ticket = Ticket.objects.get()
    worker_run()
    confirmation = next(m for m in smtp_server.messages if m["To"] == "kari@example.no")
    assert confirmation["Subject"] == f"[{ticket.reference}] Vi har mottatt meldingen din"

    # Two answers to the confirmation: one through the mail server's pipe, one into the mailbox.
    piped = receive_mail(answer_to(confirmation, body="Den er kjøpt i mars."), monkeypatch)
    imap_server.deliver(answer_to(confirmation, body="Serienummeret er 12345."))
    call_command("fetch_mail", stdout=StringIO())

    assert piped.endswith(ticket.reference)
    assert imap_server.messages("INBOX") == []
    # The agent sees both in the thread, and the photo's thumbnail.
    desk = browser.new_context(locale="nb-NO", base_url=live_server.url)
    desk.set_default_timeout(5_000)
    agent_page = desk.new_page()
    change_path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    admin_log_in(agent_page, username="agent", password=AGENT_PASSWORD, next_path=change_path)
    thread = agent_page.get_by_role("group", name="Samtalen")
    expect(thread.locator(".field-body .readonly")).to_have_text(
        ["Skjermen er knust, se bildet.", "Den er kjøpt i mars.", "Serienummeret er 12345."]
    )
    thumbnail = agent_page.get_by_role("img", name="ødelagt skjerm.jpg")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth") == 200

    # The agent answers with a PDF; the worker sends it.
    new_note = agent_page.get_by_role("group", name="Nytt notat eller svar").locator(
        "#messages-2-0"
    )
    new_note.get_by_label("Svar til kunden").check()
    new_note.get_by_label("Tekst").fill("Her er bruksanvisningen for bytte av skjerm.")
    new_note.locator("input[type=file]").set_input_files(answer_pdf)
    agent_page.get_by_role("button", name="Lagre og fortsett å redigere").click()
    expect(agent_page.locator(".messagelist .success")).to_be_visible()
    worker_run()
    reply = next(
        m
        for m in smtp_server.messages
        if m["Subject"] == f"[{ticket.reference}] Svar på henvendelsen din"
    )
    assert [part.get_filename() for part in reply.iter_attachments()] == ["bruksanvisning.pdf"]
    text = reply.get_body(["plain"]).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/sak/\S+/", text)[0]

    # The customer opens the page from that email, reads the answer and downloads the PDF.
    page.goto(link)
    messages = page.locator("[data-ticket-thread] > li")
    expect(messages).to_have_count(4)
    expect(messages.nth(3)).to_contain_text("Her er bruksanvisningen for bytte av skjerm.")
    expect(messages.nth(0).get_by_role("link")).to_have_text("ødelagt skjerm.jpg")
    download_link = messages.nth(3).get_by_role("link", name="bruksanvisning.pdf")
    with page.expect_download() as download_info:
        download_link.click()
    assert download_info.value.suggested_filename == "bruksanvisning.pdf"
    assert download_info.value.path().read_bytes() == answer_pdf.read_bytes()
    response = page.request.get(download_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.body() == answer_pdf.read_bytes()

    # And answers on the page: there, and in the agent's thread.
    page.get_by_label("Svaret ditt").fill("Takk, da bytter jeg den selv.")
    page.get_by_role("button", name="Send svar").click()
    expect(page.get_by_role("status")).to_have_text("Takk! Svaret ditt er lagt til i saken.")
    expect(messages).to_have_count(5)
    expect(messages.nth(4)).to_contain_text("Takk, da bytter jeg den selv.")
    agent_page.reload()
    expect(thread.locator(".field-body .readonly").last).to_have_text(
        "Takk, da bytter jeg den selv."
    )
    desk.close()
