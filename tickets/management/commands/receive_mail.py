"""File one email read from standard input: what a Postfix or Exim pipe transport runs.

Exit codes follow sysexits.h, which mail servers read: 0 filed, 75 (EX_TEMPFAIL) when the
database cannot be reached or is busy, so the server keeps the mail and tries again later.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, OperationalError, connection

from tickets.inbound import inbound_file

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    # Run once per message by a mail server (or every minute by cron): the system checks are
    # for `manage.py check --deploy` and the web server's start, not for each mail.
    requires_system_checks = []
    help = (
        "Read one RFC 5322 email from standard input and file it into its ticket's thread, or "
        "as a new ticket. Exits 75 on a temporary failure, so the mail server retries."
    )

    def handle(self, *args, **options):
        # Past the limit it is no customer's reply; the mail server bounces it (and loses nothing).
        limit = settings.INBOUND_MAX_BYTES
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            self.stderr.write(f"The email is over {limit} bytes; refused.")
            sys.exit(EX_DATAERR)
        try:
            filed = inbound_file(raw)
        except OperationalError as error:
            # Unreachable, locked or restarting: the same mail will go in later.
            self.stderr.write(f"Database unavailable, try again later: {error}")
            connection.close()
            sys.exit(EX_TEMPFAIL)
        except DatabaseError as error:
            self.stderr.write(f"Database error: {error}")
            sys.exit(EX_TEMPFAIL)
        where = f": {filed.ticket.reference}" if filed.ticket else ""
        self.stdout.write(f"{filed.outcome}{where}")
        sys.exit(EX_OK)
