"""Delete the search log's counts of days more than N days ago (SEARCH_LOG_RETENTION_DAYS)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faq.search_log import search_log_purge


class Command(BaseCommand):
    # The shape of tickets' purge commands (tickets.management.retention), which faq may not use.
    help = (
        "Delete the search log's daily counts (the editors' search report) of days more than "
        "--days days ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: the SEARCH_LOG_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, days, dry_run, **options):
        days = settings.SEARCH_LOG_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        count = search_log_purge(days=days, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            self.style.SUCCESS(f"{count} search counts {verb} (days over {days} days ago)")
        )
