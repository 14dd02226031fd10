"""manage.py fetch_mail against a real Dovecot on loopback (the imap_server fixture)."""

import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tickets.inbound import TEXT_MAX_CHARS, inbound_file
from tickets.models import Message, Ticket
from tickets.references import reply_address
from tickets.tests.dovecot import free_port
from tickets.tests.inbound_corpus import CASES, REPLY, message
from tickets.tests.test_inbound_filing import customer_messages

CORPUS = {case.id: case for case in CASES}


@pytest.fixture
def ticket(make_ticket):
    return make_ticket()


def fetch_mail(*args: str) -> str:
    output = StringIO()
    call_command("fetch_mail", *args, stdout=output)
    return output.getvalue().strip()


def fetch_mail_exit_code(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        call_command("fetch_mail", *args, stdout=StringIO(), stderr=StringIO())
    return exited.value.code


def numbered(raw: bytes, number: int) -> bytes:
    """The corpus' message under a Message-ID of its own."""
    return raw.replace(b"reply-1@mail.example.no", f"corpus-{number}@mail.example.no".encode())


def test_replies_auto_replies_and_duplicates_are_filed_once_and_moved(imap_server, ticket):
    to_ticket = {"To": reply_address(ticket.reference)}
    reply = message(body=REPLY, subject="Hva nå?", headers=to_ticket)
    auto = message(
        body="Jeg er på ferie.",
        subject="Autosvar: Svar",
        headers=to_ticket | {"Auto-Submitted": "auto-replied", "Message-ID": "<auto-1@x.no>"},
    )
    new = message(
        body="Ny sak.", subject="Noe annet", headers={"Message-ID": "<new-1@x.no>"}
    ).replace(b"In-Reply-To: <sek-out-7@etn.no>\n", b"")
    imap_server.deliver(reply, auto, reply, new)

    summary = fetch_mail()

    assert summary == "3 filed, 1 duplicates, 0 ignored, 0 failed"
    assert customer_messages(ticket) == ["Hei!", REPLY, "Jeg er på ferie."]
    assert ticket.messages.get(body="Jeg er på ferie.").automatic == "auto-reply"
    assert Ticket.objects.count() == 2
    assert Ticket.objects.exclude(pk=ticket.pk).get().message == "Ny sak."
    assert imap_server.messages("INBOX") == []
    assert [m.replace(b"\r\n", b"\n") for m in imap_server.messages("Behandlet")] == [
        reply,
        auto,
        reply,
        new,
    ]
    assert imap_server.messages("Feilet") == []


def test_message_filed_before_a_crash_is_not_filed_again(imap_server, ticket):
    raw = message(body=REPLY, headers={"To": reply_address(ticket.reference)})
    # As fetch_mail killed after inbound_file committed, before the message was moved.
    inbound_file(raw)
    imap_server.deliver(raw)

    summary = fetch_mail()

    assert summary == "0 filed, 1 duplicates, 0 ignored, 0 failed"
    assert customer_messages(ticket) == ["Hei!", REPLY]
    assert imap_server.messages("INBOX") == []
    assert len(imap_server.messages("Behandlet")) == 1


def test_message_that_can_never_be_filed_goes_to_the_failed_folder_and_the_rest_go_on(
    imap_server, ticket, settings
):
    settings.INBOUND_MAX_BYTES = 100_000
    huge = numbered(message(body=REPLY + "\n" + "x" * 200_000), 1)
    after = message(body=REPLY, headers={"To": reply_address(ticket.reference)})
    imap_server.deliver(huge, after)

    summary = fetch_mail()

    assert summary == "1 filed, 0 duplicates, 0 ignored, 1 failed"
    assert customer_messages(ticket) == ["Hei!", REPLY]
    assert imap_server.messages("INBOX") == []
    failed = imap_server.messages("Feilet")
    assert len(failed) == 1 and b"corpus-1@mail.example.no" in failed[0]
    assert len(imap_server.messages("Behandlet")) == 1


def test_broken_mime_8bit_headers_and_ten_megabytes_over_imap_each_get_a_ticket(db, imap_server):
    cases = ["unterminated-multipart", "eight-bit-subject", "ten-megabytes-of-history"]
    raws = [numbered(CORPUS[case].raw, number) for number, case in enumerate(cases)]
    imap_server.deliver(*raws)

    summary = fetch_mail()

    assert summary == "3 filed, 0 duplicates, 0 ignored, 0 failed"
    firsts = Message.objects.filter(kind=Message.Kind.CUSTOMER).order_by("pk")
    assert [m.body for m in firsts] == [REPLY, REPLY, REPLY]
    assert [m.message_id for m in firsts] == [
        "broken-1@example.no",
        "corpus-1@mail.example.no",
        "corpus-2@mail.example.no",
    ]
    assert len(firsts[2].original) == TEXT_MAX_CHARS
    assert imap_server.messages("INBOX") == []
    assert len(imap_server.messages("Behandlet")) == 3


def test_without_move_the_message_is_copied_flagged_and_expunged(imap_server_without_move, ticket):
    raw = message(body=REPLY, headers={"To": reply_address(ticket.reference)})
    imap_server_without_move.deliver(raw)
    with imap_server_without_move.client() as client:
        assert not client.has_capability("MOVE")

    summary = fetch_mail()

    assert summary == "1 filed, 0 duplicates, 0 ignored, 0 failed"
    with imap_server_without_move.client() as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert len(imap_server_without_move.messages("Behandlet")) == 1


def test_limit_leaves_the_rest_for_the_next_poll(db, imap_server):
    imap_server.deliver(*[numbered(message(body=f"Sak {n}"), n) for n in range(3)])

    first, second = fetch_mail("--limit", "2"), fetch_mail()

    assert first == "2 filed, 0 duplicates, 0 ignored, 0 failed, 1 left for the next poll"
    assert second == "1 filed, 0 duplicates, 0 ignored, 0 failed"
    assert Ticket.objects.count() == 3


def test_unreachable_server_exits_75(db, settings):
    # Nothing listens on a port just freed.
    settings.INBOUND_IMAP = {
        "host": "127.0.0.1",
        "port": free_port(),
        "ssl": False,
        "username": "x",
        "password": "y",
        "folder": "INBOX",
    }

    assert fetch_mail_exit_code() == 75


def test_wrong_password_exits_77_and_files_nothing(db, imap_server, settings):
    imap_server.deliver(message(body=REPLY))
    settings.INBOUND_IMAP = imap_server.settings | {"password": "feil"}

    assert fetch_mail_exit_code() == 77
    assert not Ticket.objects.exists()
    assert len(imap_server.messages("INBOX")) == 1


def test_no_mailbox_set_exits_78(db, settings):
    settings.INBOUND_IMAP = None

    assert fetch_mail_exit_code() == 78


def test_database_down_leaves_the_mail_in_the_inbox_and_exits_75(imap_server, production_env):
    imap_server.deliver(message(body=REPLY))
    # The URL as an operator writes it, user and password URL-encoded; no database on port 9.
    env = production_env | {
        "INBOUND_IMAP_URL": imap_server.url,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/sekvens",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "fetch_mail"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert result.returncode == 75, result.stderr
    assert result.stdout.decode().strip() == (
        "0 filed, 0 duplicates, 0 ignored, 0 failed, 1 left for the next poll"
    )
    assert len(imap_server.messages("INBOX")) == 1
    assert imap_server.messages("Behandlet") == []
