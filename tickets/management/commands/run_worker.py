"""The background worker: the outbox's emails, django-tasks-db's tasks, and the upkeep."""

import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from tickets.chat import chats_abandoned_end
from tickets.daily import ticket_days_update
from tickets.mailbox import MailboxUnavailable, mailbox_fetch
from tickets.services import tickets_autoclose, tickets_sla_breaches_record
from tickets.tasks import SEND_BATCH, outbound_emails_send

logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600
# Messages filed per poll of the mailbox, so a full mailbox never holds the sending up for long.
POLL_LIMIT = 200


class Command(BaseCommand):
    help = (
        "Run the background worker: send every email that is due (new ones, retries, and those "
        "a killed worker claimed over EMAIL_TASK_STALE_SECONDS ago), run every due task as "
        "manage.py db_worker does, and at start and every --upkeep-every seconds the upkeep: "
        "record missed response targets, close tickets resolved over TICKET_AUTOCLOSE_DAYS days "
        "ago, end the live chats whose customer was gone for CHAT_ABANDON_SECONDS, compute the "
        "statistics' days touched since the last upkeep, and, hourly, delete "
        "finished task rows older than TASK_RESULT_RETENTION_DAYS. With "
        "INBOUND_IMAP_URL set, every INBOUND_POLL_SECONDS it also files the mailbox's mail, as "
        "manage.py fetch_mail does."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when no email or task is due (default: 1).",
        )
        parser.add_argument(
            "--upkeep-every",
            type=float,
            default=60.0,
            help="Seconds between two upkeeps (default: 60).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Do the upkeep once, send every email and run every task that is due, then exit.",
        )

    def handle(self, *args, interval, upkeep_every, batch, verbosity, **options):
        self._logging_configure(verbosity)
        # db_worker's own loop, in batch mode: it returns whenever the queue is empty, so the
        # upkeep runs between batches, in this process, and never beside a task.
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        logger.info("Worker started: sending the outbox's emails and running due tasks")
        upkeep_due = prune_due = poll_due = time.monotonic()
        while worker.running:
            if (now := time.monotonic()) >= upkeep_due:
                prune = now >= prune_due
                self._upkeep(prune=prune)
                upkeep_due = now + upkeep_every
                if prune:
                    prune_due = now + PRUNE_EVERY_SECONDS
            if settings.INBOUND_IMAP is not None and time.monotonic() >= poll_due:
                # A backlog is taken POLL_LIMIT at a time, with the due tasks run in between.
                more_waiting = self._poll()
                poll_due = time.monotonic() + (0 if more_waiting else settings.INBOUND_POLL_SECONDS)
            # A batch run sends everything due in one pass; a long run a batch at a time, and
            # with no wait after one sent, as more may be due.
            sent = self._send(limit=None if batch else SEND_BATCH)
            worker.run()
            if batch:
                return
            if not sent:
                time.sleep(interval)

    def _upkeep(self, *, prune: bool) -> None:
        # A failed upkeep (the database away for a moment) must not stop the sending: it is
        # logged and tried again at the next one.
        try:
            if missed := tickets_sla_breaches_record():
                logger.info("Response targets missed: %d", missed)
            if closed := tickets_autoclose(days=settings.TICKET_AUTOCLOSE_DAYS):
                logger.info("Resolved tickets closed: %d", closed)
            if left := chats_abandoned_end():
                logger.info("Chats left by the customer ended: %d", left)
            # After the changes above, so the statistics count the tickets they closed.
            if days := ticket_days_update():
                logger.info("Statistics brought up to date: %d days", days)
            if prune:
                call_command(
                    "prune_db_task_results",
                    queue_name="*",
                    min_age_days=settings.TASK_RESULT_RETENTION_DAYS,
                    stdout=self.stdout,
                )
        except Exception:
            logger.exception("Worker upkeep failed; trying again at the next one")

    def _send(self, *, limit: int | None) -> int:
        """Send the emails that are due, `limit` at most; how many were tried."""
        # Like the upkeep: the database away for a moment is logged, and tried again.
        try:
            return outbound_emails_send(limit=limit)
        except Exception:
            logger.exception("Sending the outbox failed; trying again")
            return 0

    def _poll(self) -> bool:
        """File the mailbox's mail, POLL_LIMIT at most; True when more is waiting there."""
        # Like the upkeep: a mailbox that cannot be reached is logged, and the sending goes on.
        failed = "Mailbox poll failed; trying again in %d s"
        try:
            fetched = mailbox_fetch(limit=POLL_LIMIT)
        except MailboxUnavailable as error:
            logger.warning(failed + ": %s", settings.INBOUND_POLL_SECONDS, error)
            return False
        except Exception:
            logger.exception(failed, settings.INBOUND_POLL_SECONDS)
            return False
        if fetched.database_error:
            logger.warning("Mailbox poll stopped, database unavailable: %s", fetched.database_error)
        if fetched.filed or fetched.duplicates or fetched.ignored or fetched.failed:
            logger.info("Mailbox: %s", fetched)
        return bool(fetched.left) and not fetched.database_error

    def _logging_configure(self, verbosity: int) -> None:
        # Task starts and ends, and our upkeep, as db_worker logs them; django-tasks-db's own
        # "no more tasks" line would come after every batch, so only its warnings are shown.
        levels = {
            "django.tasks": logging.INFO,
            "tickets.tasks": logging.INFO,
            __name__: logging.INFO,
            "tickets.mailbox": logging.INFO,
            "django_tasks_db": logging.WARNING,
        }
        for name, level in levels.items():
            named = logging.getLogger(name)
            # LOG_LEVEL can make them quieter, never chattier than this.
            named.setLevel(max(level, settings.LOG_LEVEL) if verbosity else logging.CRITICAL)
            if not named.hasHandlers():
                named.addHandler(logging.StreamHandler(self.stdout))
