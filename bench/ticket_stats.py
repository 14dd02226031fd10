"""Benchmark the agents' statistics page over a million tickets on SQLite, in-process.

Run from the repo root, under the shared lock:
`flock /tmp/sekvens-bench.lock .venv/bin/python -m bench.ticket_stats`. The first run fills a
database under the system's temporary directory (tickets, their first messages, ratings, in
raw executemany batches) and builds the daily figures with `rebuild_ticket_stats`' function;
later runs reuse it. Each page is requested through Django's test client as a logged-in
superuser with DJANGO_DEBUG=0, so the times are the server's own; the raw 20 KB response of the
other benchmarks is timed the same way in the same rounds, for the ratio. The exit status is
non-zero when a page misses the bar.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
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

TICKETS = 1_000_000
VAR_DIR = Path(tempfile.gettempdir()) / "sekvens-bench-stats"
BATCH = 10_000
SPAN = timedelta(days=730)
SUPERUSER = "bench-admin"
AGENTS = ["kari.agent", "ola.agent", "ingrid.agent", "lars.agent", "siri.agent", "nils.agent"]
CHANNEL_WEIGHTS = {"form": 50, "email": 35, "page": 5, "chat": 5, "desk": 5}
RATED_SHARE = 0.25
WARMUP_REQUESTS = 3
BAR_MS = 300
RAW = "/bench/raw-20k/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, choices=range(5, 101), metavar="5-100")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="Build the daily figures again on a reused database (and time it).",
    )
    args = parser.parse_args()
    started = time.monotonic()
    # Plain HTTP in-process, as the other benchmarks: no redirect to https, no manifest.
    in_process_environment_set(VAR_DIR, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_STATIC_MANIFEST="0")
    import django

    django.setup()
    say("Sekvens Hjelp: statistics page benchmark")
    say(f"  database {VAR_DIR / 'db.sqlite3'}")
    say(f"           {_database_prepare(rebuild=args.rebuild)}")
    say(
        f"  measure  Django test client in-process, logged in as a superuser, DJANGO_DEBUG=0, "
        f"bench.settings;\n           {WARMUP_REQUESTS} warm-up requests, then {args.requests} "
        f"timed per page, pages and {RAW} alternated"
    )
    return _report(_measure(args.requests), time.monotonic() - started)


def _database_prepare(*, rebuild: bool) -> str:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tickets.daily import ticket_days_rebuild
    from tickets.models import Ticket, TicketDay

    call_command("migrate", verbosity=0)
    count = Ticket.objects.count()
    if (
        count == TICKETS
        and TicketDay.objects.exists()
        and get_user_model().objects.filter(username=SUPERUSER).exists()
    ):
        if not rebuild:
            return f"reused: {count:,} tickets (delete {VAR_DIR} to build it again)"
        aggregating = time.monotonic()
        rows = ticket_days_rebuild()
        return (
            f"reused: {count:,} tickets; daily figures ({rows:,} rows) rebuilt in "
            f"{time.monotonic() - aggregating:.0f} s"
        )
    started = time.monotonic()
    database_recreate(VAR_DIR)
    users_create(SUPERUSER, AGENTS, agent_domain="example.no", named=True)
    _rows_insert()
    inserted = time.monotonic() - started
    aggregating = time.monotonic()
    rows = ticket_days_rebuild()
    aggregated = time.monotonic() - aggregating
    size = (VAR_DIR / "db.sqlite3").stat().st_size / 1e6
    return (
        f"built: {Ticket.objects.count():,} tickets inserted in {inserted:.0f} s, daily figures "
        f"({rows:,} rows) rebuilt in {aggregated:.0f} s, {size:,.0f} MB; later runs reuse it"
    )


def _rows_insert() -> None:
    from django.contrib.auth import get_user_model

    from tickets.models import Message, Rating, Ticket

    agent_ids = list(
        get_user_model().objects.filter(username__in=AGENTS).values_list("pk", flat=True)
    )
    ticket_sql = insert_sql(
        Ticket,
        [
            "id", "reference", "name", "email", "message", "status", "priority", "assignee",
            "access_key", "created_at", "updated_at", "first_response_at", "resolved_at",
            "first_response_due", "resolution_due", "sla_paused_seconds",
        ],
    )  # fmt: skip
    message_sql = insert_sql(
        Message,
        ["ticket", "author_name", "kind", "channel", "body", "original", "message_id",
         "content_hash", "automatic", "created_at", "held_changes"],
    )  # fmt: skip
    rating_sql = insert_sql(
        Rating, ["ticket", "key", "score", "comment", "created_at", "expires_at", "rated_at"]
    )
    rows = _rows(random.Random(TICKETS), agent_ids)
    with bulk_insert_cursor() as cursor:
        for _ in range(TICKETS // BATCH):
            tickets, messages, ratings = [], [], []
            for ticket, message, rating in (next(rows) for _ in range(BATCH)):
                tickets.append(ticket)
                messages.append(message)
                if rating:
                    ratings.append(rating)
            cursor.executemany(ticket_sql, tickets)
            cursor.executemany(message_sql, messages)
            cursor.executemany(rating_sql, ratings)


def _rows(rng: random.Random, agent_ids: list[int]):
    """(ticket, first message, rating or None) rows, oldest first."""
    now = datetime.now(UTC).replace(tzinfo=None)
    first = now - SPAN
    step = SPAN / TICKETS
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    references = set()
    for number in range(TICKETS):
        created = first + step * number
        responded = created + timedelta(minutes=rng.lognormvariate(5, 1.2))
        resolved = responded + timedelta(hours=rng.lognormvariate(2.5, 1.3))
        responded = responded if responded < now else None
        resolved = resolved if responded and resolved < now else None
        status = "closed" if resolved else ("open" if responded else "new")
        reference = reference_draw(references)
        ticket_id = number + 1
        ticket = (
            ticket_id, reference, "Kari Nordmann", "kari@example.no", "Hei!", status, "normal",
            rng.choice(agent_ids) if responded else None, "bench", str(created),
            str(resolved or responded or created), responded and str(responded),
            resolved and str(resolved), str(created + timedelta(hours=8)),
            str(created + timedelta(hours=40)), 0,
        )  # fmt: skip
        message = (
            ticket_id, "Kari Nordmann", "customer", rng.choices(channels, channel_weights)[0],
            "Hei!", "", "", "", "", str(created), "{}",
        )  # fmt: skip
        rating = None
        if resolved and rng.random() < RATED_SHARE:
            rated = resolved + timedelta(hours=rng.uniform(0.1, 48))
            if rated < now:
                rating = (
                    ticket_id, "bench", "good" if rng.random() < 0.8 else "bad", "",
                    str(resolved), str(resolved + timedelta(days=14)), str(rated),
                )  # fmt: skip
        yield ticket, message, rating


def _measure(requests: int) -> dict[str, tuple[str, list[float], int, int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    client = Client()
    client.force_login(get_user_model().objects.get(username=SUPERUSER))
    url = reverse("admin:tickets_ticket_statistics")
    today = timezone.localdate()
    pages = {
        "30 days, per day": url,
        "365 days, per week": f"{url}?fra={today - timedelta(days=364)}&til={today}&per=week",
        "730 days, per week": f"{url}?fra={today - timedelta(days=729)}&til={today}&per=week",
        "365 days, CSV": f"{url}?fra={today - timedelta(days=364)}&til={today}&format=csv",
        # The longest period the page allows, per day: the most rows and bars.
        "731 days, per day": f"{url}?fra={today - timedelta(days=730)}&til={today}&per=day",
        "731 days, CSV": f"{url}?fra={today - timedelta(days=730)}&til={today}&format=csv",
        "raw 20 KB": RAW,
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    sizes, counts = {}, {}
    for name, path in pages.items():
        for _ in range(WARMUP_REQUESTS):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"error: GET {path} answered {response.status_code}, not 200")
        sizes[name] = len(response.content)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        counts[name] = len(captured)
    names = list(pages)
    for round_number in range(requests):
        for name in names if round_number % 2 == 0 else names[::-1]:
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(pages[name])
            times[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - cpu_started) * 1000)
    return {
        name: (pages[name], times[name], counts[name], sizes[name], cpu[name]) for name in pages
    }


def _report(measured: dict, elapsed: float) -> int:
    raw_ms = statistics.median(measured["raw 20 KB"][1])
    say()
    say(
        f"{'page':<20} {'median ms':>9} {'max ms':>7} {'cpu ms':>6} {'queries':>7} {'bytes':>8} "
        f"{'× raw':>7}  url"
    )
    for name, (url, times, count, size, cpu) in measured.items():
        median = statistics.median(times)
        say(
            f"{name:<20} {median:>9.1f} {max(times):>7.1f} {statistics.median(cpu):>6.1f} "
            f"{count:>7} {size:>8} {median / raw_ms:>7.1f}  {url}"
        )
    say(
        "\nms: wall time of the whole request in-process (session, login, the admin's context,"
        "\nrendering), median and slowest; cpu ms: this process's CPU time for it (median; SQLite"
        "\nruns in-process), which other load on the machine does not inflate; × raw: the median"
        "\nover the raw 20 KB response's,"
        f"\ntimed in the same rounds. Finished in {elapsed:.0f} s.\n"
    )
    pages = {name: values for name, values in measured.items() if name != "raw 20 KB"}
    for name, (_url, times, _count, _size, _cpu) in pages.items():
        median = statistics.median(times)
        verdict = "PASS" if median <= BAR_MS else "FAIL"
        say(f"{verdict}  {name:<20} {median:>6.1f} ms  (bar <= {BAR_MS} ms)")
    return 0 if all(statistics.median(v[1]) <= BAR_MS for v in pages.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
