"""Benchmark the agents' ticket changelist with a million tickets on SQLite, in-process.

Run from the repo root: `.venv/bin/python -m bench.ticket_changelist`. The first run fills a
database under the system's temporary directory (a minute or two); later runs reuse it. Each page
is requested through Django's test client as a logged-in superuser with DJANGO_DEBUG=0, so the
times are the server's own: no HTTP, no load generator. The exit status is non-zero when a page
misses the bar.
"""

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    bulk_insert_cursor,
    database_recreate,
    in_process_environment_set,
    insert_sql,
    reference_draw,
    say,
    users_create,
)
from bench.help_page import PLACES, SENTENCES, TASKS

TICKETS = 1_000_000
VAR_DIR = Path(tempfile.gettempdir()) / "sekvens-bench-changelist"
BATCH = 10_000
SPAN = timedelta(days=730)
SUPERUSER = "bench-admin"
AGENTS = ["kari.agent", "ola.agent", "ingrid.agent", "lars.agent", "siri.agent"]
PAGES = {
    "default list": "",
    "unassigned + Ny": "?assignee=none&status__exact=new",
    "search SEK-000123": "?q=SEK-000123",
}
# How many rows each page must show: a page that shows nothing is fast for the wrong reason.
ROWS_AT_LEAST = {"default list": 50, "unassigned + Ny": 50, "search SEK-000123": 1}
ROW_MARK = b'name="_selected_action"'
WARMUP_REQUESTS = 3
BAR_MS = 100

FIRST_NAMES = [
    "Kari", "Ola", "Ingrid", "Lars", "Siri", "Øystein", "Åse", "Nils", "Marte", "Jørgen",
    "Emma", "Jonas", "Nora", "Henrik", "Sofie", "Magnus", "Ida", "Sander", "Thea", "Eirik",
]  # fmt: skip
LAST_NAMES = [
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
    "Kristiansen", "Jensen", "Karlsen", "Berg", "Haugen", "Hagen", "Dahl", "Lie", "Bakken",
]  # fmt: skip
DOMAINS = ["example.no", "firma.no", "kommune.example.no", "skole.example.no", "mail.example"]
ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
# A desk's tickets: the last two weeks still moving, everything older mostly done.
RECENT = timedelta(days=14)
STATUS_WEIGHTS_RECENT = {"new": 35, "open": 30, "waiting": 15, "resolved": 15, "closed": 5}
STATUS_WEIGHTS_OLDER = {"new": 1, "open": 2, "waiting": 2, "resolved": 10, "closed": 85}
PRIORITY_WEIGHTS = {"low": 20, "normal": 60, "high": 15, "urgent": 5}
# Unassigned: most new tickets, 28 % of the rest; about 30 % in all.
UNASSIGNED_NEW = 0.7
UNASSIGNED_OTHER = 0.28


@dataclass
class Query:
    ms: float
    sql: str
    params: tuple


@dataclass
class Timing:
    name: str
    url: str
    times_ms: list[float]
    cpu_ms: list[float]
    query_count: int
    queries: list[Query]
    rows: int

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


class QueryTimer:
    """An execute wrapper that times each query to the microsecond (the query log rounds to
    the millisecond). SQLite does a query's work when it is executed; fetching the rows of a
    page of 50 adds little."""

    def __init__(self):
        self.queries: list[Query] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.queries.append(Query(ms, sql, tuple(params or ())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, choices=range(5, 101), metavar="5-100")
    args = parser.parse_args()
    started = time.monotonic()
    # Plain HTTP in-process: no redirect to https, no manifest (the page is measured, not its CSS).
    in_process_environment_set(VAR_DIR, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_STATIC_MANIFEST="0")
    import django

    django.setup()
    say("Sekvens Hjelp: ticket changelist benchmark")
    say(f"  database {VAR_DIR / 'db.sqlite3'}")
    built = _database_prepare()
    say(f"           {built}")
    say(
        f"  measure  Django test client in-process, logged in as a superuser, DJANGO_DEBUG=0, "
        f"bench.settings;\n           {WARMUP_REQUESTS} warm-up requests, then {args.requests} "
        "timed per page, pages alternated"
    )
    timings = _measure(args.requests)
    return _report(timings, time.monotonic() - started)


def _database_prepare() -> str:
    """Migrate, and fill the tickets unless an earlier run left exactly TICKETS of them."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    count = Ticket.objects.count()
    if count == TICKETS and get_user_model().objects.filter(username=SUPERUSER).exists():
        return f"reused: {count:,} tickets (delete {VAR_DIR} to build it again)"
    started = time.monotonic()
    database_recreate(VAR_DIR)
    users_create(SUPERUSER, AGENTS, agent_domain="etn.no", named=False)
    _tickets_create()
    size = (VAR_DIR / "db.sqlite3").stat().st_size / 1e6
    return (
        f"built: {Ticket.objects.count():,} tickets in {time.monotonic() - started:.0f} s, "
        f"{size:,.0f} MB; later runs reuse it"
    )


def _tickets_create() -> None:
    from django.contrib.auth import get_user_model

    from tickets.models import Ticket

    agent_ids = list(
        get_user_model().objects.filter(username__in=AGENTS).values_list("pk", flat=True)
    )
    columns = [
        "name",
        "email",
        "message",
        "status",
        "priority",
        "assignee",
        "submission_token",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "reference",
        "access_key",
        "sla_paused_seconds",
    ]
    sql = insert_sql(Ticket, columns)
    rows = _ticket_rows(random.Random(TICKETS), agent_ids)
    with bulk_insert_cursor() as cursor:
        for _ in range(TICKETS // BATCH):
            cursor.executemany(sql, [next(rows) for _ in range(BATCH)])


def _ticket_rows(rng: random.Random, agent_ids: list[int]):
    """Tickets oldest first, as they arrive: ids and created_at rise together."""
    now = datetime.now(UTC).replace(tzinfo=None)
    first = now - SPAN
    step = SPAN / TICKETS
    messages = _messages(rng)
    statuses = {
        age: (list(weights), list(weights.values()))
        for age, weights in [("recent", STATUS_WEIGHTS_RECENT), ("older", STATUS_WEIGHTS_OLDER)]
    }
    priorities, priority_weights = list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values())
    references = set()
    for number in range(TICKETS):
        created = first + step * number
        choices, weights = statuses["recent" if now - created < RECENT else "older"]
        status = rng.choices(choices, weights)[0]
        unassigned = rng.random() < (UNASSIGNED_NEW if status == "new" else UNASSIGNED_OTHER)
        responded = resolved = None
        if status != "new":
            responded = created + timedelta(minutes=rng.randint(5, 2 * 24 * 60))
        if status in ("resolved", "closed"):
            resolved = responded + timedelta(hours=rng.randint(1, 10 * 24))
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email_name = f"{first_name}.{last_name}".lower().translate(ASCII)
        yield (
            f"{first_name} {last_name}",
            f"{email_name}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}",
            rng.choice(messages),
            status,
            rng.choices(priorities, priority_weights)[0],
            None if unassigned else rng.choice(agent_ids),
            f"{rng.getrandbits(128):032x}",
            str(created),
            str(min(resolved or responded or created, now)),
            responded and str(responded),
            resolved and str(resolved),
            reference_draw(references),
            "bench",
            0,
        )


def _messages(rng: random.Random) -> list[str]:
    messages = []
    for _ in range(5000):
        task, where = rng.choice(TASKS), rng.choice(PLACES)
        sentences = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
        messages.append(f"Hei! Jeg får ikke til å {task}{where}. {sentences}")
    return messages


def _measure(requests: int) -> list[Timing]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(get_user_model().objects.get(username=SUPERUSER))
    changelist = reverse("admin:tickets_ticket_changelist")
    timings = [Timing(name, changelist + query, [], [], 0, [], 0) for name, query in PAGES.items()]
    for timing in timings:
        _warm_up(client, timing)
    for round_number in range(requests):
        # Alternating order, so a page is not always measured right after the same other one.
        for timing in timings if round_number % 2 == 0 else timings[::-1]:
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(timing.url)
            timing.times_ms.append((time.perf_counter() - started) * 1000)
            timing.cpu_ms.append((time.process_time() - cpu_started) * 1000)
    for timing in timings:
        _queries_record(client, timing)
    return timings


def _warm_up(client, timing: Timing) -> None:
    for _ in range(WARMUP_REQUESTS):
        response = client.get(timing.url)
        if response.status_code != 200:
            raise SystemExit(f"error: GET {timing.url} answered {response.status_code}, not 200")
    timing.rows = response.content.count(ROW_MARK)
    if timing.rows < ROWS_AT_LEAST[timing.name]:
        raise SystemExit(
            f"error: GET {timing.url} shows {timing.rows} tickets, "
            f"not {ROWS_AT_LEAST[timing.name]} or more"
        )


def _queries_record(client, timing: Timing) -> None:
    """One more request, apart from the timed ones: recording each query costs time itself."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timer = QueryTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        client.get(timing.url)
    timing.query_count = len(captured)
    timing.queries = timer.queries


def _report(timings: list[Timing], elapsed: float) -> int:
    say()
    say(
        f"{'page':<19} {'median ms':>9} {'p95 ms':>7} {'cpu ms':>6} {'queries':>7} {'rows':>5}  url"
    )
    for timing in timings:
        say(
            f"{timing.name:<19} {timing.median:>9.1f} {timing.p95:>7.1f} "
            f"{statistics.median(timing.cpu_ms):>6.1f} {timing.query_count:>7} {timing.rows:>5}"
            f"  {timing.url}"
        )
    say(
        "\nms: wall time of the whole request in-process, median and 95th percentile; cpu ms: the"
        "\nprocess's CPU time for it (median), which other load on the machine does not inflate."
    )
    slowest = max(timings, key=lambda timing: timing.median)
    say(f"\nQueries of the slowest page ({slowest.name}), ms each, from one more request:")
    for query in slowest.queries:
        say(f"  {query.ms:>7.2f}  {_shorten(query.sql)}")
    say("\nThe slowest query of each page, and how SQLite runs it (EXPLAIN QUERY PLAN):")
    for timing in timings:
        query = max(timing.queries, key=lambda query: query.ms)
        say(f"  {timing.name:<19} {query.ms:>6.2f} ms  {_shorten(query.sql, 70)}")
        say(f"  {'':<19} {'':>9}  {_plan(query)}")
    say(f"\nThe bar is judged on the median. Finished in {elapsed:.0f} s.\n")
    for timing in timings:
        verdict = "PASS" if timing.median <= BAR_MS else "FAIL"
        say(f"{verdict}  {timing.name:<19} {timing.median:>6.1f} ms  (bar <= {BAR_MS} ms)")
    return 0 if all(timing.median <= BAR_MS for timing in timings) else 1


def _plan(query: Query) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)
        return "; ".join(row[-1] for row in cursor.fetchall())


def _shorten(sql: str, length: int = 150) -> str:
    return sql if len(sql) <= length else f"{sql[: length - 3]}..."


if __name__ == "__main__":
    sys.exit(main())
