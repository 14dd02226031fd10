"""Delete the record of suggestions shown more than N days ago (SUGGESTION_RETENTION_DAYS)."""

from tickets.management.retention import RetentionCommand
from tickets.services import suggestion_impressions_purge


class Command(RetentionCommand):
    help = (
        "Delete the record of FAQ suggestions shown to customers more than --days days ago "
        "(the figures in the FAQ changelist then cover the days kept)."
    )
    setting = "SUGGESTION_RETENTION_DAYS"
    verbs = ("deleted", "would be deleted")
    done = "{count} suggestions shown {verb} (shown over {days} days ago)"

    def purge(self, *, days, dry_run):
        return suggestion_impressions_purge(days=days, dry_run=dry_run)
