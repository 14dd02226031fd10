"""Server time of a search and a suggestion at 1,000 entries: every query of the evaluation set.

Grows the seed page to 1,000 entries (as bench.help_page does), then asks `/sok/?q=` and
`POST /kontakt/forslag/` in this process with Django's test client, once per query, and prints
the median, the 95th percentile and the slowest, in milliseconds; the page content's build
(once per content version) is timed apart. Bar: ≤ 30 ms for each.
Run: flock /tmp/sekvens-bench.lock .venv/bin/python -m bench.search_speed
"""

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import HOST, environment_set, free_port, say
from bench.help_page import GROWN_ENTRIES, SEED, faq_entries_grow
from bench.search_quality import queries_load

BAR_MS = 30.0
# Messages as customers write them in the contact form, longer than what they type in search.
MESSAGES = [
    "Hei! Jeg bestilte visittkort for to uker siden og pakken har fortsatt ikke kommet. Kan dere "
    "sjekke hvor den er? Ordrenummeret står i eposten jeg fikk. Mvh Kari",
    "Vi har byttet kontoradresse og må endre både leveringsadressen og fakturaadressen vår, "
    "hvordan gjør jeg det i Sekvens?",
    "Jeg får ikke logget inn, har prøvd å tilbakestille passordet flere ganger men får ingen "
    "epost. Brukernavnet mitt er det samme som før.",
]


def timings(call, inputs) -> list[float]:
    spent = []
    for text in inputs:
        start = time.perf_counter()
        call(text)
        spent.append((time.perf_counter() - start) * 1000)
    slowest = sorted(zip(spent, inputs, strict=True), reverse=True)[:3]
    say("    slowest: " + "; ".join(f"{ms:.0f} ms {text[:40]!r}" for ms, text in slowest))
    return spent


def line(name: str, spent: list[float]) -> str:
    p95 = sorted(spent)[max(0, math.ceil(len(spent) * 0.95) - 1)]
    verdict = "met" if max(spent) <= BAR_MS else "not met"
    return (
        f"  {name:<28} median {statistics.median(spent):6.2f} ms  p95 {p95:6.2f} ms"
        f"  slowest {max(spent):6.2f} ms  ({len(spent)} requests; bar ≤ {BAR_MS:.0f} ms: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=GROWN_ENTRIES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        # No rate limit: the client asks from one address far faster than a visitor types.
        environment_set(Path(var_dir), free_port(), SUGGEST_RATE_LIMIT="1000000/s")
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from faq.pages import help_page_served

        call_command("migrate", "--noinput", verbosity=0)
        call_command("import_help_page", str(SEED), verbosity=0, stdout=open("/dev/null", "w"))
        faq_entries_grow(args.entries)
        start = time.perf_counter()
        page_view = help_page_served()
        built = (time.perf_counter() - start) * 1000
        queries = [q for q, _answers in queries_load()]
        client = Client(HTTP_HOST=HOST)
        version = page_view.page.content_version

        def search(query):
            response = client.get("/sok/", {"q": query, "v": version})
            assert response.status_code == 200, response.status_code

        def suggest(text):
            response = client.post("/kontakt/forslag/", {"message": text})
            assert response.status_code == 200, response.status_code

        # The first requests load templates, URL patterns and the rate limit's cache.
        timings(search, queries[:5])
        timings(suggest, queries[:5])
        say(f"Sekvens Hjelp: search and suggestions at {len(page_view.index)} entries")
        say(f"  page content (entries, search index) per content version: {built:.0f} ms")
        say(line("GET /sok/?q= (as you type)", timings(search, queries)))
        say(line("POST /kontakt/forslag/", timings(suggest, queries + MESSAGES)))
        say(line("  messages only", timings(suggest, MESSAGES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
