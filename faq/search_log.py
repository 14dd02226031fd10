"""The search log: per normalised query, day and language, how often it was searched, found
nothing, had a result opened or ended in a contact form. Counters only, no visitor data.

Counted where the request already is: the search box's final query of a typing burst (help.js
asks /sok/ with logg=1), a search page (/?q=), and help.js's beacon when a result is opened
(/sok/logg/). The contact form's app reports a ticket with search_ticketed(). Opened and
ticketed count only for a query already counted that day, so no beacon makes a row.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django_ratelimit.core import is_ratelimited

from faq.models import SearchQueryDay
from faq.search import search_normalize

QUERY_MIN_LENGTH = 3
REPORT_ROWS = 20
COUNTERS = ("searches", "no_results", "opened", "ticketed")
# What a visitor might type that says who they are: an email address, a phone, order or
# account number. Left out before the query is kept.
_PERSONAL = re.compile(r"\S+@\S+|\d[\d .-]{3,}\d")
_WORD = re.compile(r"\w+")


def search_query_normalize(query: str) -> str:
    """The query as the log keeps it: search's normalising, words only, no numbers or addresses;
    "" when too short to count."""
    words = _WORD.findall(search_normalize(_PERSONAL.sub(" ", query)))
    normalised = " ".join(words)[: SearchQueryDay.QUERY_MAX_LENGTH].strip()
    return normalised if len(normalised) >= QUERY_MIN_LENGTH else ""


def search_logged(request, *, query: str, results: int) -> None:
    """Count one search in the request's language, and whether it found nothing."""
    normalised = search_query_normalize(query)
    if normalised and _allowed(request):
        _upsert(normalised, get_language(), searches=1, no_results=int(results == 0))


def search_opened(request, *, query: str) -> bool:
    """A result of this query was opened; False when it was not searched today."""
    return _allowed(request) and _counted(query, get_language(), "opened")


def search_ticketed(*, query: str, language: str) -> bool:
    """The visitor who searched this sent the contact form in the same page load; False when the
    query was not searched today. The caller limits how often (the contact form's limits)."""
    return _counted(query, language, "ticketed")


def _allowed(request) -> bool:
    # SEARCH_LOG_RATE_LIMIT per address; counts the try.
    return not is_ratelimited(
        request, group="search-log", key="ip", rate=settings.SEARCH_LOG_RATE_LIMIT, increment=True
    )


def _counted(query: str, language: str, counter: str) -> bool:
    normalised = search_query_normalize(query)
    if not normalised:
        return False
    rows = SearchQueryDay.objects.filter(
        day=timezone.localdate(), language=language, query=normalised
    )
    return bool(rows.update(**{counter: F(counter) + 1}))


def _upsert(query: str, language: str, **counts: int) -> None:
    key = {"day": timezone.localdate(), "language": language, "query": query}
    counters_add(SearchQueryDay, key=key, counters=COUNTERS, **counts)


def counters_add(model, *, key: dict, counters, **counts: int) -> None:
    """Add `counts` to the row of `model` with these `key` values (its unique columns), made
    with every one of `counters` at its count (0 when not given) if there is none yet.

    One statement, and the same on SQLite and PostgreSQL: Django's bulk_create with
    update_conflicts can only overwrite a counter, not add to it."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    values = key | {name: counts.get(name, 0) for name in counters}
    added = ", ".join(f"{quote(n)} = {table}.{quote(n)} + excluded.{quote(n)}" for n in counts)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(name) for name in values)}) "
        f"VALUES ({', '.join(['%s'] * len(values))}) "
        f"ON CONFLICT ({', '.join(quote(name) for name in key)}) DO UPDATE SET {added}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))


@dataclass(frozen=True)
class SearchReport:
    start: date
    end: date
    top: list[dict]
    no_results: list[dict]
    not_opened: list[dict]
    ticketed: list[dict]


def search_log_report(*, start: date, end: date, language: str = "") -> SearchReport:
    """The queries of these days (both included), summed over the days: the most searched, those
    that found nothing, those whose results nobody opened, and those that ended in a ticket.
    Four queries, of at most REPORT_ROWS rows each."""
    rows = SearchQueryDay.objects.filter(day__range=(start, end))
    if language:
        rows = rows.filter(language=language)
    summed = rows.values("query").annotate(
        total_searches=Sum("searches"),
        total_no_results=Sum("no_results"),
        total_opened=Sum("opened"),
        total_ticketed=Sum("ticketed"),
    )

    def listed(queryset, *order):
        return list(queryset.order_by(*order, "query")[:REPORT_ROWS])

    return SearchReport(
        start=start,
        end=end,
        top=listed(summed, "-total_searches"),
        no_results=listed(
            summed.filter(total_no_results__gt=0), "-total_no_results", "-total_searches"
        ),
        # Searches that found something, and not one of them had a result opened.
        not_opened=listed(
            summed.filter(Q(total_opened=0), total_searches__gt=F("total_no_results")),
            "-total_searches",
        ),
        ticketed=listed(summed.filter(total_ticketed__gt=0), "-total_ticketed"),
    )


def search_log_purge(*, days: int, dry_run: bool = False) -> int:
    """Delete the counts of days more than `days` days ago."""
    rows = SearchQueryDay.objects.filter(day__lt=timezone.localdate() - timedelta(days=days))
    if dry_run:
        return rows.count()
    return rows.delete()[0]
