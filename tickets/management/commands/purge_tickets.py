"""Anonymise tickets closed or resolved more than N days ago (TICKET_RETENTION_DAYS)."""

from tickets.management.retention import RetentionCommand
from tickets.services import tickets_purge


class Command(RetentionCommand):
    help = (
        "Anonymise tickets that were closed, or resolved and not closed, more than --days days "
        "ago: name, email, message, notes and emails are removed; the ticket's reference, status "
        "and history stay."
    )
    setting = "TICKET_RETENTION_DAYS"
    verbs = ("anonymised", "would be anonymised")
    done = "{count} tickets {verb} (closed or resolved over {days} days ago)"

    def purge(self, *, days, dry_run):
        return tickets_purge(days=days, dry_run=dry_run)
