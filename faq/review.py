"""The editors' review queue ("Til gjennomgang"): entries flagged by their votes or their age.

The visitors' reasons are rows of FaqFeedback; this adds the entries the counters point at.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import NullIf
from django.utils import timezone

from faq.models import FaqEntry


@dataclass(frozen=True)
class FlaggedEntry:
    entry: FaqEntry
    votes: int
    helpful_share: int | None
    is_unhelpful: bool
    changed_before: datetime | None


def faq_entries_flagged() -> list[FlaggedEntry]:
    """Entries (not archived) whose helpful share is below the setting after enough votes, and
    entries not changed for FAQ_REVIEW_STALE_DAYS; one query."""
    stale_before = timezone.now() - timedelta(days=settings.FAQ_REVIEW_STALE_DAYS)
    votes = F("helpful_count") + F("not_helpful_count")
    # Whole percents, rounded down alike on SQLite and PostgreSQL (integer division).
    entries = (
        FaqEntry.objects.filter(is_archived=False)
        .annotate(votes=votes, share=F("helpful_count") * 100 / NullIf(votes, 0))
        .filter(
            Q(votes__gte=settings.FAQ_REVIEW_MIN_VOTES, share__lt=settings.FAQ_REVIEW_HELPFUL_SHARE)
            | Q(updated_at__lt=stale_before)
        )
        .order_by(F("share").asc(nulls_last=True), "updated_at")
    )
    return [
        FlaggedEntry(
            entry=entry,
            votes=entry.votes,
            helpful_share=entry.share,
            is_unhelpful=(
                entry.votes >= settings.FAQ_REVIEW_MIN_VOTES
                and entry.share < settings.FAQ_REVIEW_HELPFUL_SHARE
            ),
            changed_before=entry.updated_at if entry.updated_at < stale_before else None,
        )
        for entry in entries
    ]
