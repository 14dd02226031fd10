"""Close tickets resolved more than N days ago with no answer since (TICKET_AUTOCLOSE_DAYS)."""

from tickets.management.retention import RetentionCommand
from tickets.services import tickets_autoclose


class Command(RetentionCommand):
    help = (
        "Close the tickets resolved more than --days days ago: the customer has not answered "
        "since (an answer opens a ticket again). Each gets a history entry. The worker "
        "(run_worker) does this at every upkeep."
    )
    setting = "TICKET_AUTOCLOSE_DAYS"
    verbs = ("closed", "would be closed")
    done = "{count} tickets {verb} (resolved over {days} days ago)"

    def purge(self, *, days, dry_run):
        return tickets_autoclose(days=days, dry_run=dry_run)
