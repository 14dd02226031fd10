import asyncio
import email
import email.policy
import os
import signal
import socket
import threading
from email.message import EmailMessage
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tickets.models import AGENT_GROUP, Message, Ticket
from tickets.services import ticket_create
from tickets.tasks import outbound_emails_send
from tickets.tests.dovecot import DOVECOT, dovecot_start, dovecot_stop

# What the agents' group may do on the desk's pages (as the migrations grant it).
AGENT_PERMISSIONS = [
    "view_ticket",
    "change_ticket",
    "view_message",
    "add_message",
    "view_ticketevent",
    "view_outboundemail",
]
# db_worker takes these over for its graceful stop; pytest needs Ctrl+C back afterwards.
WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


class SmtpServer:
    """An SMTP server on loopback that keeps what it receives; it can go down and come back.

    With `refusing` set it answers every recipient "451 try again later", as a greylisting or
    overloaded server does; addresses in `unknown` get "550 no such user" for good. With
    `stalling` set it takes a message's DATA and does not answer until `stalling` is cleared,
    then refuses it (it keeps nothing); `stalled` is set once a sender is waiting so.
    """

    def __init__(self, port: int):
        self.port = port
        self.refusing = False
        self.unknown: set[str] = set()
        self.stalling = False
        self.stalled = threading.Event()
        self.messages: list[EmailMessage] = []
        # The envelope recipients of each message, in the same order: who really got it.
        self.recipients: list[list[str]] = []
        self._controller = None

    def start(self) -> None:
        # A stopped Controller has closed its event loop, so each start makes a new one.
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
        self._controller = None

    @property
    def is_running(self) -> bool:
        return self._controller is not None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "451 4.7.1 Try again later"
        if address in self.unknown:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stalling:
            self.stalled.set()
            while self.stalling:
                await asyncio.sleep(0.05)
            return "451 4.4.2 Timed out"
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running SmtpServer, and the default mailer pointed at it instead of Django's locmem."""
    server = SmtpServer(port=_free_port())
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    yield server
    if server.is_running:
        server.stop()


@pytest.fixture
def worker_run():
    """Send every email that is due, as run_worker's send pass does; returns how many it tried.

    Tests using it need @pytest.mark.django_db(transaction=True), as the worker's own claims and
    sends commit as they go.
    """

    def run() -> int:
        return outbound_emails_send(limit=None)

    return run


@pytest.fixture
def run_worker_run():
    """Run `manage.py run_worker --batch`: the upkeep once, every email and task that is due,
    then exit; returns its log. Tests using it need @pytest.mark.django_db(transaction=True):
    between tasks the worker closes connections left inside a transaction, and on PostgreSQL
    that would end the test's own."""

    def run() -> str:
        output = StringIO()
        handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
        try:
            call_command("run_worker", "--batch", stdout=output)
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
        return output.getvalue()

    return run


@pytest.fixture
def make_ticket(db):
    """A ticket as the contact form creates it, with its two emails queued."""

    def make(**overrides) -> Ticket:
        values = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei!"}
        ticket, _ = ticket_create(**values | overrides)
        return ticket

    return make


@pytest.fixture
def make_ticket_row(db):
    """A ticket row with any field set (pk, status, assignee) and no emails queued, its thread
    starting with what the customer wrote, as ticket_create starts it."""

    def make(**values) -> Ticket:
        ticket = Ticket.objects.create(**values)
        Message.objects.create(
            ticket=ticket,
            kind=Message.Kind.CUSTOMER,
            channel=Message.Channel.FORM,
            author_name=ticket.name,
            body=ticket.message,
        )
        return ticket

    return make


@pytest.fixture
def agents_group():
    """Make the agents' group again, with `codenames` of the tickets app's permissions, and
    return it: it is migration data, which the flush after a transactional test removes."""

    def remake(codenames: list[str] = AGENT_PERMISSIONS) -> Group:
        group, _ = Group.objects.get_or_create(name=AGENT_GROUP)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames)
        )
        return group

    return remake


@pytest.fixture
def contact_submit(seed):
    """Send the help page's contact form as a client without Origin headers does: fetch the
    form's token as help.js does, then post it with Kari's details updated by `fields`, with the
    CSRF checks on. Returns the response."""
    client = Client(enforce_csrf_checks=True)
    # The rate limit counts in the cache table, which flushing after a transactional test leaves.
    cache.clear()

    def submit(**fields):
        client.get(reverse("faq:help_page"))
        hidden = {"token": client.get(reverse("tickets:form_token")).json()["token"]}
        data = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei!"}
        return client.post(reverse("tickets:contact"), hidden | data | fields)

    yield submit
    cache.clear()


def dovecot_required() -> None:
    """Skip without Dovecot, or fail when CI asks for every service (SEKVENS_REQUIRE_SERVICES)."""
    if DOVECOT.exists():
        return
    required = [
        name
        for name in ["SEKVENS_REQUIRE_SERVICES", "SEKVENS_REQUIRE_BROWSER"]
        if os.environ.get(name) == "1"
    ]
    if required:
        pytest.fail(f"{required[0]}=1 but {DOVECOT} is missing: apt-get install dovecot-imapd.")
    pytest.skip(f"{DOVECOT} is missing: apt-get install dovecot-imapd to run the IMAP tests.")


@pytest.fixture
def imap_server(settings):
    """A private Dovecot on loopback, and INBOUND_IMAP pointed at its INBOX."""
    dovecot_required()
    server = dovecot_start()
    settings.INBOUND_IMAP = server.settings
    yield server
    dovecot_stop(server)


@pytest.fixture
def imap_server_without_move(settings):
    """The same, with a server that does not offer MOVE."""
    dovecot_required()
    server = dovecot_start(without_move=True)
    settings.INBOUND_IMAP = server.settings
    yield server
    dovecot_stop(server)
