import pytest
from django.test.signals import template_rendered
from django.utils.translation import gettext, override

from tickets.attachments import attachment_check
from tickets.models import Message, Ticket
from tickets.references import reference_normalize
from tickets.services import ticket_page_link_renew, ticket_reply
from tickets.tests.attachment_files import pdf, upload
from tickets.tests.test_admin import NEW_NOTE, change_form_data, change_url

# The worker claims and finishes tasks in transactions of its own (see worker_run).
pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(1)>"
INJECTED_NAME = "Kari\r\nBcc: victim@example.com"


def email_to(smtp_server, address):
    (message,) = [m for m in smtp_server.messages if m["To"] == address]
    return message


def text_of(message) -> str:
    # SMTP carries lines ending in CRLF; the customer wrote "\n".
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def test_creating_a_ticket_renders_no_email_template(make_ticket):
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        ticket = make_ticket()
    finally:
        template_rendered.disconnect(record)

    assert rendered == []
    assert ticket.emails.count() == 2


def test_reply_is_rendered_from_its_note_when_the_worker_sends_it(
    make_ticket, smtp_server, worker_run
):
    ticket = make_ticket(email="kari@example.no")
    ticket_reply(ticket=ticket, author=None, body="Fakturaen er sendt.", is_public=True)

    worker_run()

    reply = [m for m in smtp_server.messages if "Fakturaen er sendt." in text_of(m)]
    assert [m["To"] for m in reply] == ["kari@example.no"]


def test_contact_form_emails_the_customer_and_support_once_the_worker_runs(
    contact_submit, smtp_server, worker_run, settings
):
    response = contact_submit(email="ola@example.no", message="Fakturaen mangler")
    sent_before_the_worker = len(smtp_server.messages)

    worker_run()

    assert response.status_code == 303
    assert sent_before_the_worker == 0
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        ["ola@example.no", settings.SUPPORT_EMAIL]
    )


def test_same_form_sent_twice_is_emailed_once(contact_submit, smtp_server, worker_run):
    first = contact_submit()
    contact_submit(token=first.wsgi_request.POST["token"])

    worker_run()

    assert Ticket.objects.count() == 1
    assert len(smtp_server.messages) == 2


def test_confirmation_has_the_reference_in_the_subject(make_ticket, smtp_server, worker_run):
    ticket = make_ticket(email="kari@example.no")

    worker_run()

    assert reference_normalize(ticket.reference) == ticket.reference
    assert f"[{ticket.reference}]" in email_to(smtp_server, "kari@example.no")["Subject"]


def test_confirmation_has_a_text_and_an_html_part_with_the_reference(
    make_ticket, smtp_server, worker_run
):
    ticket = make_ticket(email="kari@example.no")

    worker_run()

    confirmation = email_to(smtp_server, "kari@example.no")
    assert confirmation.get_content_type() == "multipart/alternative"
    for body in [text_of(confirmation), html_of(confirmation)]:
        assert ticket.reference in body


def test_confirmation_repeats_neither_the_name_nor_the_message(
    make_ticket, smtp_server, worker_run
):
    make_ticket(
        name="Kjøp billig Viagra",
        email="offer@example.com",
        message="Klikk her: https://phish.example.com/logg-inn",
    )

    worker_run()

    confirmation = email_to(smtp_server, "offer@example.com")
    for text in [confirmation["Subject"], text_of(confirmation), html_of(confirmation)]:
        assert "Viagra" not in text
        assert "phish.example.com" not in text


def test_confirmation_comes_from_the_portal_address(make_ticket, smtp_server, worker_run, settings):
    make_ticket(email="kari@example.no")

    worker_run()

    assert email_to(smtp_server, "kari@example.no")["From"] == settings.DEFAULT_FROM_EMAIL


def test_notification_names_the_customer_and_replies_go_to_them(
    make_ticket, smtp_server, worker_run, settings
):
    ticket = make_ticket(name="Ola Nordmann", email="ola@example.no")

    worker_run()

    notification = email_to(smtp_server, settings.SUPPORT_EMAIL)
    assert notification["Reply-To"] == "ola@example.no"
    assert notification["Subject"].startswith(f"[{ticket.reference}]")
    assert "Ola Nordmann" in notification["Subject"]


def test_notification_links_to_the_ticket_in_the_admin(
    make_ticket, smtp_server, worker_run, settings
):
    settings.SITE_URL = "https://hjelp.example.no"
    ticket = make_ticket()

    worker_run()

    notification = email_to(smtp_server, settings.SUPPORT_EMAIL)
    link = f"https://hjelp.example.no/admin/tickets/ticket/{ticket.pk}/change/"
    assert link in text_of(notification)
    assert f'<a href="{link}">' in html_of(notification)


def test_html_part_escapes_markup_in_the_message(make_ticket, smtp_server, worker_run, settings):
    make_ticket(message=SCRIPT)

    worker_run()

    html = html_of(email_to(smtp_server, settings.SUPPORT_EMAIL))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html
    assert "<img" not in html


def test_text_part_keeps_the_message_as_written(make_ticket, smtp_server, worker_run, settings):
    make_ticket(message=SCRIPT)

    worker_run()

    assert SCRIPT in text_of(email_to(smtp_server, settings.SUPPORT_EMAIL))


def test_contact_form_refuses_a_name_with_a_line_break(contact_submit, settings):
    response = contact_submit(name=INJECTED_NAME)

    assert response.status_code == 400
    with override(settings.LANGUAGE_CODE):
        error = gettext("The name cannot contain line breaks or control characters.")
    assert error in response.text
    assert not Ticket.objects.exists()


def test_name_with_a_line_break_adds_no_header_to_the_notification(
    make_ticket, smtp_server, worker_run, settings
):
    ticket = make_ticket(name=INJECTED_NAME, email="kari@example.no")

    worker_run()

    subject = email_to(smtp_server, settings.SUPPORT_EMAIL)["Subject"]
    assert subject.startswith(f"[{ticket.reference}]")
    assert subject.endswith(" Kari Bcc: victim@example.com")
    assert "\r" not in subject and "\n" not in subject
    assert all(message["Bcc"] is None for message in smtp_server.messages)
    assert sorted(smtp_server.recipients) == sorted([["kari@example.no"], [settings.SUPPORT_EMAIL]])


def test_public_reply_emails_the_customer_with_the_reference_in_the_subject(
    make_ticket, smtp_server, worker_run, admin_user
):
    ticket = make_ticket(email="kari@example.no")
    worker_run()

    ticket_reply(
        ticket=ticket, author=admin_user, body="Fakturaen er sendt på nytt.", is_public=True
    )
    worker_run()

    assert len(smtp_server.messages) == 3
    reply = smtp_server.messages[-1]
    assert reply["To"] == "kari@example.no"
    assert f"[{ticket.reference}]" in reply["Subject"]
    assert "Fakturaen er sendt på nytt." in text_of(reply)
    assert "Fakturaen er sendt på nytt." in html_of(reply)


def test_public_reply_is_the_first_response(make_ticket, admin_user):
    ticket = make_ticket()

    note = ticket_reply(ticket=ticket, author=admin_user, body="Vi ser på det.", is_public=True)

    assert Ticket.objects.get().first_response_at == note.created_at


def test_internal_note_sends_no_email(make_ticket, smtp_server, worker_run, admin_user):
    ticket = make_ticket()
    worker_run()

    note = ticket_reply(ticket=ticket, author=admin_user, body="Sjekk fakturaen.", is_public=False)
    worker_run()

    assert note.kind == Message.Kind.INTERNAL
    assert len(smtp_server.messages) == 2
    assert Ticket.objects.get().first_response_at is None


def test_agents_reply_with_a_pdf_reaches_the_customer_with_the_pdf_attached(
    admin_client, make_ticket, smtp_server, worker_run, settings
):
    # Sent at once: the undo window has its own tests (test_undo).
    settings.REPLY_UNDO_SECONDS = 0
    # A superuser: the agents' group is migration data, gone after an earlier flush.
    ticket = make_ticket()
    document = pdf()
    data = change_form_data(
        admin_client,
        ticket,
        **{
            f"{NEW_NOTE}-kind": "public",
            f"{NEW_NOTE}-body": "Kvitteringen ligger ved.",
            f"{NEW_NOTE}-attachments": [upload("kvittering mars.pdf", document, "text/plain")],
        },
    )
    admin_client.post(change_url(ticket), data)

    worker_run()

    reply = [m for m in smtp_server.messages if m["Subject"].endswith("Svar på henvendelsen din")]
    [attached] = list(reply[0].iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == (
        "kvittering mars.pdf",
        "application/pdf",
    )
    assert attached.get_content() == document
    assert "Kvitteringen ligger ved." in text_of(reply[0])


def test_internal_note_with_a_file_sends_nothing(make_ticket, smtp_server, worker_run):
    ticket = make_ticket()
    smtp_server.messages.clear()
    checked = attachment_check(name="notat.pdf", content=pdf())

    ticket_reply(ticket=ticket, author=None, body="Intern", is_public=False, attachments=[checked])
    worker_run()

    assert [m["To"] for m in smtp_server.messages] == ["kari@example.no", "kundeservice@etn.no"]


def test_reply_links_to_the_customers_page_as_it_is_when_sent(
    make_ticket, smtp_server, worker_run, settings
):
    ticket = make_ticket(email="kari@example.no")
    ticket_reply(ticket=ticket, author=None, body="Fakturaen er sendt.", is_public=True)
    # Renewed after the reply was written, before the worker sent it: the new link goes out.
    ticket_page_link_renew(ticket=ticket, actor=None)

    worker_run()

    reply = next(m for m in smtp_server.messages if "Fakturaen er sendt." in text_of(m))
    link = settings.SITE_URL + Ticket.objects.get().page_url()
    assert f"Se saken din og svar på den her: {link}\n" in text_of(reply)
    assert f'<a href="{link}">Se saken din og svar på den her</a>' in html_of(reply)


def test_confirmation_links_to_the_customers_page(make_ticket, smtp_server, worker_run, settings):
    ticket = make_ticket(email="kari@example.no")

    worker_run()

    link = settings.SITE_URL + ticket.page_url()
    assert link.startswith(f"{settings.SITE_URL}/sak/{ticket.reference}.")
    assert link in text_of(email_to(smtp_server, "kari@example.no"))


def test_notification_to_support_has_no_customer_page_link(
    make_ticket, smtp_server, worker_run, settings
):
    make_ticket()

    worker_run()

    assert "/sak/" not in text_of(email_to(smtp_server, settings.SUPPORT_EMAIL))
