"""Deflection: how often the contact form suggested an answer, how often it was opened from
there, how often the form was sent anyway, and per week the help page's visits against tickets.

Counted on the entries, pages and weeks with F() updates or one upsert when it happens (tickets
calls these; help.js's beacon counts a visit), so the editors' screens read counters instead of
grouping the raw impressions. Tickets per week come from the app that has them, registered
with help_week_tickets_register(): this app does not know it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Sum
from django.utils import timezone

from faq.models import FaqEntry, HelpPage, HelpWeek
from faq.search_log import counters_add

REPORT_WEEKS = 8
# A visit beacon from a client that says it is a robot is not a visit. Most robots run no script
# and never send one; this is for the few that do.
_ROBOT = re.compile(r"bot|crawl|spider|slurp|preview|lighthouse|curl|wget|python", re.I)

# (first Monday, last Monday) -> {Monday: tickets received that week}
_tickets_per_week: Callable[[date, date], dict[date, int]] | None = None


def help_week_tickets_register(tickets_per_week: Callable[[date, date], dict[date, int]]) -> None:
    """The app that keeps tickets tells the weekly report how many came in each week."""
    global _tickets_per_week
    _tickets_per_week = tickets_per_week


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


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
        _week_add(week_of(timezone.localdate()), suggested_forms=1)


def suggestion_opened(*, entry_id: int) -> None:
    """A customer opened this entry from the suggestions beside their form (once per form)."""
    FaqEntry.objects.filter(pk=entry_id).update(
        suggestion_opened_count=F("suggestion_opened_count") + 1
    )


def suggestions_sent_anyway(*, entry_ids: list[int], first_shown: datetime | None = None) -> None:
    """The form these entries were suggested to was sent all the same; it counts in the week it
    was first shown a suggestion (first_shown), so a week's share never passes 100 %."""
    if not entry_ids:
        return
    FaqEntry.objects.filter(pk__in=entry_ids).update(sent_anyway_count=F("sent_anyway_count") + 1)
    HelpPage.objects.filter(blocks__entries__in=entry_ids).update(
        sent_anyway_forms_count=F("sent_anyway_forms_count") + 1
    )
    shown_on = timezone.localdate(first_shown) if first_shown else timezone.localdate()
    _week_add(week_of(shown_on), sent_anyway_forms=1)


def help_page_visited(request) -> bool:
    """Count one help page visit this week; False for a client that says it is a robot."""
    if _ROBOT.search(request.headers.get("User-Agent", "")):
        return False
    _week_add(week_of(timezone.localdate()), page_visits=1)
    return True


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


@dataclass(frozen=True)
class WeekFigures:
    week: date
    page_visits: int
    tickets: int | None  # None when no app tells
    suggested_forms: int
    not_sent_forms: int

    @property
    def not_sent_share(self) -> int | None:
        """Of the forms shown a suggestion, the share that sent nothing (%)."""
        if not self.suggested_forms:
            return None
        return 100 * self.not_sent_forms // self.suggested_forms

    @property
    def self_service_ratio(self) -> float | None:
        """Help page visits per ticket (Zendesk's self-service score)."""
        if not self.tickets:
            return None
        return round(self.page_visits / self.tickets, 1)


def help_weeks_report(*, weeks: int = REPORT_WEEKS) -> list[WeekFigures]:
    """The last `weeks` weeks, this one first: one query for the counters, and one by the
    tickets' app for its weekly counts."""
    last = week_of(timezone.localdate())
    first = last - timedelta(weeks=weeks - 1)
    rows = {row.week: row for row in HelpWeek.objects.filter(week__range=(first, last))}
    tickets = _tickets_per_week(first, last) if _tickets_per_week else None
    report = []
    for number in range(weeks):
        week = last - timedelta(weeks=number)
        row = rows.get(week) or HelpWeek(week=week)
        report.append(
            WeekFigures(
                week=week,
                page_visits=row.page_visits,
                tickets=None if tickets is None else tickets.get(week, 0),
                suggested_forms=row.suggested_forms,
                not_sent_forms=max(row.suggested_forms - row.sent_anyway_forms, 0),
            )
        )
    return report


def _week_add(week: date, **counts: int) -> None:
    counters_add(HelpWeek, key={"week": week}, counters=HelpWeek.COUNTERS, **counts)
