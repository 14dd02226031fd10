"""What the purge commands share: a --days age defaulting to a retention setting, and --dry-run."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class RetentionCommand(BaseCommand):
    """Set `setting` (the retention's name), `purge` (days=, dry_run= -> count) and `done`
    (the summary, with {count}, {verb} and {days})."""

    setting: str
    verbs = ("removed", "would be removed")
    done: str

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Age in days (default: the {self.setting} setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=f"Only count what {self.verbs[1]}."
        )

    def handle(self, *args, days, dry_run, **options):
        days = getattr(settings, self.setting) if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        count = self.purge(days=days, dry_run=dry_run)
        verb = self.verbs[dry_run]
        self.stdout.write(self.style.SUCCESS(self.done.format(count=count, verb=verb, days=days)))
