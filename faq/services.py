"""Visitor actions on the help page that change stored data."""

from django.db.models import F
from django.db.models.functions import Greatest

from faq.models import FaqEntry


def faq_entry_vote(*, entry_id: int, is_helpful: bool, previous: bool | None) -> str | None:
    """Count a visitor's answer to "Was this helpful?"; a changed mind moves the vote.

    Returns the entry's anchor, or None when no published entry has that id. Only counters change,
    so the cached page stays valid.
    """
    entries = FaqEntry.objects.filter(
        pk=entry_id, is_published=True, is_archived=False, block__page__is_hidden=False
    )
    anchor = entries.values_list("anchor", flat=True).first()
    if anchor is None or previous is is_helpful:
        return anchor
    chosen, other = (
        ("helpful_count", "not_helpful_count")
        if is_helpful
        else ("not_helpful_count", "helpful_count")
    )
    changes = {chosen: F(chosen) + 1}
    if previous is not None:
        changes[other] = Greatest(F(other) - 1, 0)
    entries.update(**changes)
    return anchor
