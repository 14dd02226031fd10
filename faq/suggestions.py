"""Deflection: how often the contact form suggested an answer, and how often it was sent anyway.

Counted on the entries and pages with F() updates when it happens (tickets calls these), so the
editors' screens read counters instead of grouping the raw impressions.
"""

from django.db.models import F, Sum

from faq.models import FaqEntry, HelpPage


def suggestions_shown(*, entry_ids: list[int], is_new_form: bool) -> None:
    """These entries were suggested to one form for the first time; the form's first time too
    when is_new_form."""
    if not entry_ids:
        return
    FaqEntry.objects.filter(pk__in=entry_ids).update(suggested_count=F("suggested_count") + 1)
    if is_new_form:
        HelpPage.objects.filter(blocks__entries__in=entry_ids).update(
            suggested_forms_count=F("suggested_forms_count") + 1
        )


def suggestions_sent_anyway(*, entry_ids: list[int]) -> None:
    """The form these entries were suggested to was sent all the same."""
    if not entry_ids:
        return
    FaqEntry.objects.filter(pk__in=entry_ids).update(sent_anyway_count=F("sent_anyway_count") + 1)
    HelpPage.objects.filter(blocks__entries__in=entry_ids).update(
        sent_anyway_forms_count=F("sent_anyway_forms_count") + 1
    )


def suggestion_deflection() -> dict | None:
    """How many forms that showed suggestions were not sent; None before any was shown."""
    totals = HelpPage.objects.aggregate(
        forms=Sum("suggested_forms_count"), sent=Sum("sent_anyway_forms_count")
    )
    if not totals["forms"]:
        return None
    not_sent = totals["forms"] - totals["sent"]
    return {
        "forms": totals["forms"],
        "not_sent": not_sent,
        "share": 100 * not_sent // totals["forms"],
    }
