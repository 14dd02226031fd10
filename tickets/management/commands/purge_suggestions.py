"""Delete the record of suggestions shown more than N days ago (SUGGESTION_RETENTION_DAYS)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tickets.services import suggestion_impressions_purge


class Command(BaseCommand):
    help = (
        "Delete the record of FAQ suggestions shown to customers more than --days days ago "
        "(the figures in the FAQ changelist then cover the days kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: the SUGGESTION_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, days, dry_run, **options):
        days = settings.SUGGESTION_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        count = suggestion_impressions_purge(days=days, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            self.style.SUCCESS(f"{count} suggestions shown {verb} (shown over {days} days ago)")
        )
