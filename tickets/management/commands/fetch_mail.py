"""File every message waiting in the IMAP mailbox of INBOUND_IMAP_URL, then move it aside.

Exit codes follow sysexits.h, like receive_mail's: 0 done, 75 (EX_TEMPFAIL) when the IMAP server
or the database cannot be reached (what is left waits for the next run), 77 (EX_NOPERM) when the
server refuses the login, 78 (EX_CONFIG) when no mailbox is set.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from tickets.mailbox import MailboxRefused, MailboxUnavailable, mailbox_fetch

EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78


class Command(BaseCommand):
    # Run once per message by a mail server (or every minute by cron): the system checks are
    # for `manage.py check --deploy` and the web server's start, not for each mail.
    requires_system_checks = []
    help = (
        "File each message in the IMAP mailbox of INBOUND_IMAP_URL into its ticket's thread or "
        "as a new ticket, and move it to INBOUND_IMAP_DONE_FOLDER (or, when it can never be "
        "filed, INBOUND_IMAP_FAILED_FOLDER). Prints one summary line; exits 75 when the server "
        "or the database cannot be reached."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="File at most this many messages, oldest first (default: all).",
        )

    def handle(self, *args, limit, **options):
        if settings.INBOUND_IMAP is None:
            self.stderr.write("Set INBOUND_IMAP_URL (imaps://user:password@host/INBOX).")
            sys.exit(EX_CONFIG)
        try:
            fetched = mailbox_fetch(limit=limit)
        except MailboxUnavailable as error:
            self.stderr.write(f"Mailbox unavailable, try again later: {error}")
            sys.exit(EX_TEMPFAIL)
        except MailboxRefused as error:
            self.stderr.write(str(error))
            sys.exit(EX_NOPERM)
        self.stdout.write(str(fetched))
        if fetched.database_error:
            self.stderr.write(f"Database unavailable, try again later: {fetched.database_error}")
            sys.exit(EX_TEMPFAIL)
