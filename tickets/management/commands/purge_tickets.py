"""Anonymise tickets closed or resolved more than N days ago (TICKET_RETENTION_DAYS)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tickets.services import tickets_purge


class Command(BaseCommand):
    help = (
        "Anonymise tickets that were closed, or resolved and not closed, more than --days days "
        "ago: name, email, message, "
        "notes and emails are removed; the ticket's reference, status and history stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: the TICKET_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be anonymised."
        )

    def handle(self, *args, days, dry_run, **options):
        days = settings.TICKET_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        count = tickets_purge(days=days, dry_run=dry_run)
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(
            self.style.SUCCESS(f"{count} tickets {verb} (closed or resolved over {days} days ago)")
        )
