"""Compute the statistics' daily figures again from every ticket and rating."""

from django.core.management.base import BaseCommand

from tickets.daily import ticket_days_rebuild


class Command(BaseCommand):
    help = (
        "Compute the statistics page's daily figures (per day, channel and agent) again from "
        "every ticket and rating, in one pass. The worker keeps them current after that; run "
        "this after changing the figures' rules, or after restoring a backup."
    )

    def handle(self, *args, **options):
        rows = ticket_days_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{rows} daily rows written"))
