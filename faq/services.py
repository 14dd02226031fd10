"""Actions on the help page that change stored data: visitors' votes and feedback, and the
editors' drafts from what visitors searched."""

from django.db.models import F, Max
from django.db.models.functions import Greatest

from faq.models import Block, FaqEntry, FaqFeedback
from faq.pages import help_page_served


def faq_entry_vote(*, entry_id: int, is_helpful: bool, previous: bool | None) -> str | None:
    """Count a visitor's answer to "Was this helpful?"; a changed mind moves the vote.

    Returns the entry's anchor, or None when the served page shows no entry of that id. Only
    counters change, so the cached page stays valid.
    """
    page_view = help_page_served()
    entry = page_view.entry_published(entry_id) if page_view else None
    if entry is None or previous is is_helpful:
        return entry and entry.anchor
    chosen, other = (
        ("helpful_count", "not_helpful_count")
        if is_helpful
        else ("not_helpful_count", "helpful_count")
    )
    changes = {chosen: F(chosen) + 1}
    if previous is not None:
        changes[other] = Greatest(F(other) - 1, 0)
    FaqEntry.objects.filter(pk=entry_id).update(**changes)
    return entry.anchor


def faq_feedback_record(*, entry_id: int, reasons: list[str], text: str) -> str | None:
    """Put what a visitor says was missing from an answer in the editors' review queue.

    Returns the entry's anchor, or None when the served page shows no entry of that id.
    """
    page_view = help_page_served()
    entry = page_view.entry_published(entry_id) if page_view else None
    if entry is None:
        return None
    order = list(FaqFeedback.Reason.values)
    FaqFeedback.objects.create(
        entry_id=entry_id, reasons=sorted(set(reasons), key=order.index), text=text
    )
    return entry.anchor


def faq_entry_draft(
    *, question: str, answer: str = "", reason: str = "draft from the search report"
) -> FaqEntry | None:
    """A hidden entry asking this (answered, if an answer is given), last in the help page's
    first FAQ block, for an editor to finish; None when there is no FAQ block to put it in."""
    page_view = help_page_served(preview=True)
    blocks = (
        [b.block for b in page_view.blocks if b.block.kind == Block.Kind.FAQ] if page_view else []
    )
    block = blocks[0] if blocks else Block.objects.filter(kind=Block.Kind.FAQ).first()
    if block is None:
        return None
    last = FaqEntry.objects.aggregate(last=Max("position"))["last"]
    entry = FaqEntry(
        block=block,
        question=(question[:1].upper() + question[1:])[
            : FaqEntry._meta.get_field("question").max_length
        ],
        answer=answer,
        is_published=False,
        position=0 if last is None else last + 1,
    )
    entry._change_reason = reason
    entry.save()
    return entry
