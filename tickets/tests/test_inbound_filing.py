import subprocess
import sys

import pytest
from django.conf import settings

from tickets.emails import email_message, reply_email
from tickets.inbound import inbound_file
from tickets.models import Message, OutboundEmail, Ticket
from tickets.references import reply_address
from tickets.services import ticket_reply, tickets_erase
from tickets.tests.attachment_files import EXE, pdf, png
from tickets.tests.inbound_corpus import REPLY, message

CUSTOMER = "Kari Nordmann <kari@example.no>"
STRANGER = "Mallory <mallory@example.com>"


@pytest.fixture
def waiting_ticket(make_ticket, agent):
    agent.email = "agent@etn.no"
    agent.save()
    ticket = make_ticket()
    ticket_reply(ticket=ticket, author=agent, body="Vi ser på det.", is_public=True)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.WAITING, assignee=agent)
    ticket.refresh_from_db()
    return ticket


def customer_messages(ticket) -> list[str]:
    return list(ticket.messages.filter(kind=Message.Kind.CUSTOMER).values_list("body", flat=True))


def our_reply(ticket) -> OutboundEmail:
    return ticket.emails.get(kind=OutboundEmail.Kind.REPLY)


def test_reply_to_the_signed_address_joins_its_ticket_and_reopens_it(waiting_ticket, agent):
    raw = message(
        body=REPLY, subject="Hva nå?", headers={"To": reply_address(waiting_ticket.reference)}
    )

    filed = inbound_file(raw)

    waiting_ticket.refresh_from_db()
    assert (filed.outcome, filed.ticket) == ("reply", waiting_ticket)
    assert customer_messages(waiting_ticket) == ["Hei!", REPLY]
    assert waiting_ticket.status == Ticket.Status.OPEN
    told = waiting_ticket.emails.filter(kind=OutboundEmail.Kind.NOTIFICATION).last()
    assert told.to == "agent@etn.no"
    assert told.note == filed.message


def test_reply_naming_our_message_id_joins_its_ticket(waiting_ticket):
    sent = our_reply(waiting_ticket)
    raw = message(body=REPLY, subject="Sv: noe", headers={"In-Reply-To": f"<{sent.message_id}>"})
    raw = raw.replace(b"In-Reply-To: <sek-out-7@etn.no>\n", b"", 1)

    filed = inbound_file(raw)

    assert (filed.outcome, filed.ticket) == ("reply", waiting_ticket)


def test_reference_in_the_subject_joins_only_from_the_tickets_customer(waiting_ticket):
    subject = f"Re: [{waiting_ticket.reference}] Svar"

    from_customer = inbound_file(message(body=REPLY, subject=subject, sender=CUSTOMER))
    from_stranger = inbound_file(
        message(
            body="Send meg kundens adresse.",
            subject=subject,
            sender=STRANGER,
            headers={"Message-ID": "<m-1@example.com>"},
        )
    )

    assert from_customer.ticket == waiting_ticket
    assert from_stranger.outcome == "new ticket"
    assert from_stranger.ticket.email == "mallory@example.com"
    assert waiting_ticket.reference in from_stranger.ticket.message
    assert customer_messages(waiting_ticket) == ["Hei!", REPLY]


def test_copies_to_others_never_replace_the_tickets_customer(waiting_ticket):
    raw = message(
        body=REPLY,
        headers={"To": reply_address(waiting_ticket.reference), "Cc": "ola@example.no"},
    )

    inbound_file(raw)

    waiting_ticket.refresh_from_db()
    assert waiting_ticket.email == "kari@example.no"


def test_same_mail_arriving_twice_is_filed_once(waiting_ticket):
    raw = message(body=REPLY, headers={"To": reply_address(waiting_ticket.reference)})

    first, again = inbound_file(raw), inbound_file(raw)
    resent = inbound_file(raw.replace(b"reply-1@mail.example.no", b"resent-9@mail.example.no"))

    assert (first.outcome, again.outcome, resent.outcome) == ("reply", "duplicate", "duplicate")
    assert customer_messages(waiting_ticket) == ["Hei!", REPLY]


def test_auto_reply_is_filed_but_reopens_nothing_and_gets_no_answer(waiting_ticket):
    emails_before = waiting_ticket.emails.count()
    raw = message(
        body="Jeg er på ferie.",
        subject="Autosvar: Svar på meldingen din",
        headers={"To": reply_address(waiting_ticket.reference), "Auto-Submitted": "auto-replied"},
    )

    filed = inbound_file(raw)

    waiting_ticket.refresh_from_db()
    assert filed.message.automatic == "auto-reply"
    assert waiting_ticket.status == Ticket.Status.WAITING
    assert waiting_ticket.emails.count() == emails_before


def test_bounce_with_no_ticket_is_kept_for_agents_without_a_confirmation(db):
    raw = message(body="Could not deliver.", sender="MAILER-DAEMON@mx.example.no", subject="x")

    filed = inbound_file(raw)

    assert filed.message.automatic == "bounce"
    kinds = list(filed.ticket.emails.values_list("kind", flat=True))
    assert kinds == [OutboundEmail.Kind.NOTIFICATION]


def test_our_own_mail_coming_back_is_ignored(db):
    raw = message(body="Ny melding", sender=settings.DEFAULT_FROM_EMAIL, subject="[SEK-0] Ny")

    filed = inbound_file(raw)

    assert filed.outcome == "ignored"
    assert not Ticket.objects.exists()


def test_reply_to_an_erased_ticket_starts_a_new_one(waiting_ticket, agent):
    raw = message(body=REPLY, headers={"To": reply_address(waiting_ticket.reference)})
    tickets_erase(emails=["kari@example.no"], actor=agent)

    filed = inbound_file(raw)

    assert filed.outcome == "new ticket"
    assert filed.ticket != waiting_ticket


def test_reply_email_names_the_thread_and_the_signed_reply_address(waiting_ticket):
    inbound_file(message(body=REPLY, headers={"To": reply_address(waiting_ticket.reference)}))
    note = ticket_reply(ticket=waiting_ticket, author=None, body="Pakken er sendt.", is_public=True)
    email = waiting_ticket.emails.get(note=note)

    sent = email_message(email)

    assert sent.extra_headers["Message-ID"] == f"<{email.message_id}>"
    assert sent.extra_headers["In-Reply-To"] == "<reply-1@mail.example.no>"
    assert "<reply-1@mail.example.no>" in sent.extra_headers["References"]
    assert sent.reply_to == [reply_address(waiting_ticket.reference)]
    assert waiting_ticket.reference in sent.subject
    assert sent.body.startswith("##- Skriv svaret ditt over denne linjen -##")


def test_answer_quoting_our_whole_email_files_only_the_answer(waiting_ticket):
    ours = email_message(reply_email(waiting_ticket, waiting_ticket.messages.last()))
    quoted = "\n".join(f"> {line}" for line in ours.body.split("\n"))
    body = f"Takk, det hjalp!\n\nOn Tue, 1 Dec 2026 at 10:12, Sekvens wrote:\n{quoted}\n"

    filed = inbound_file(
        message(body=body, headers={"To": reply_address(waiting_ticket.reference)})
    )

    assert filed.message.body == "Takk, det hjalp!"


def run_receive_mail(raw: bytes, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "receive_mail"],
        cwd=settings.BASE_DIR,
        env=env,
        input=raw,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def mail_site(tmp_path, production_env):
    env = production_env | {"DATABASE_URL": f"sqlite:///{tmp_path / 'mail.sqlite3'}"}
    assert (
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
    return env


def test_receive_mail_files_a_piped_message_and_exits_zero(mail_site):
    result = run_receive_mail(message(body=REPLY, subject="Hjelp"), mail_site)

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("new ticket: SEK-")


def test_receive_mail_exits_75_when_the_database_is_down(production_env):
    # Nothing listens on port 9: the mail server must keep the mail and try again.
    env = production_env | {"DATABASE_URL": "postgres://nobody@127.0.0.1:9/sekvens"}

    result = run_receive_mail(message(body=REPLY), env)

    assert result.returncode == 75, result.stderr


def test_attachment_of_a_new_mail_is_stored_on_its_message(db):
    content = pdf()
    raw = message(body=REPLY, attachments=[("faktura.pdf", "application/pdf", content, False)])

    filed = inbound_file(raw)

    [attachment] = filed.message.attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "faktura.pdf",
        "application/pdf",
        len(content),
    )
    assert attachment.file.read() == content


def test_attachment_of_a_reply_is_stored_on_the_reply(waiting_ticket):
    raw = message(
        body=REPLY,
        headers={"To": reply_address(waiting_ticket.reference)},
        attachments=[("skjerm.png", "image/png", png(), False)],
    )

    filed = inbound_file(raw)

    assert filed.outcome == "reply"
    assert [a.filename for a in filed.message.attachments.all()] == ["skjerm.png"]


def test_inline_image_named_by_cid_is_kept_as_an_attachment(db):
    raw = message(body=REPLY, attachments=[("bilde.png", "image/png", png(), True)])

    filed = inbound_file(raw)

    assert [a.content_type for a in filed.message.attachments.all()] == ["image/png"]


def test_refused_attachment_is_noted_for_agents_and_the_mail_still_files(db):
    raw = message(
        body=REPLY,
        attachments=[
            ("oppsett.exe", "application/octet-stream", EXE, False),
            ("faktura.pdf", "application/pdf", pdf(), False),
        ],
    )

    filed = inbound_file(raw)

    assert filed.outcome == "new ticket"
    assert [a.filename for a in filed.message.attachments.all()] == ["faktura.pdf"]
    note = filed.ticket.messages.get(kind=Message.Kind.INTERNAL)
    assert note.body == (
        "Vedlegg avvist: oppsett.exe, «oppsett.exe» er ikke en filtype vi tar imot. "
        "Du kan legge ved JPEG, PNG, GIF, WebP, HEIC, PDF."
    )
    assert not OutboundEmail.objects.filter(note=note).exists()


def test_attachments_past_the_count_limit_are_noted(db, settings):
    settings.ATTACHMENT_MAX_COUNT = 1
    raw = message(
        body=REPLY,
        attachments=[("a.png", "image/png", png(), False), ("b.png", "image/png", png(), False)],
    )

    filed = inbound_file(raw)

    assert [a.filename for a in filed.message.attachments.all()] == ["a.png"]
    note = filed.ticket.messages.get(kind=Message.Kind.INTERNAL)
    assert note.body == "Vedlegg avvist: b.png, flere enn 1 vedlegg"
