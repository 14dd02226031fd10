"""Search quality on the seed page: top-1, top-3 and mean reciprocal rank, tuned and held out.

Scores the search box (?q=) and the contact form's suggestions against the seed page and the seed
synonyms, and the share of no-answer queries showing nothing: on faq/tests/search_queries.yaml (the
queries the search is tuned on) and on faq/tests/search_heldout.yaml (queries it never was).
Run: flock /tmp/sekvens-bench.lock .venv/bin/python -m bench.search_quality
"""

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.common import ROOT, environment_set, free_port, say

QUERIES = ROOT / "faq" / "tests" / "search_queries.yaml"
HELD_OUT = ROOT / "faq" / "tests" / "search_heldout.yaml"
SEED = ROOT / "fixtures" / "hjelp-og-support.md"
SUGGESTIONS_SHOWN = 3


@dataclass
class Quality:
    answered: int
    first: float
    top3: float
    mrr: float
    unanswered: int
    nothing_shown: float

    def line(self, name: str) -> str:
        return (
            f"  {name:<22} top-1 {self.first:6.1%}  top-3 {self.top3:6.1%}  MRR {self.mrr:.3f}"
            f"  ({self.answered} queries)   no answer, nothing shown {self.nothing_shown:6.1%}"
            f" ({self.unanswered})"
        )


def queries_load(path: Path = QUERIES) -> list[tuple[str, set[str]]]:
    """The queries of one file, each with the anchors of the entries that answer it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    anchors = data["entries"]
    return [
        (item["q"], {anchors[name] for name in item["a"]})
        for part in ("seen", "held_out")
        for item in data.get(part, ())
    ]


def quality(rank, queries: list[tuple[str, set[str]]]) -> Quality:
    """rank(query) gives anchors best first; a query with no answer must give none."""
    first = top3 = reciprocal = nothing = 0.0
    answered = [(q, a) for q, a in queries if a]
    unanswered = [q for q, a in queries if not a]
    for query, answers in answered:
        ranked = rank(query)
        position = next((n for n, anchor in enumerate(ranked, 1) if anchor in answers), None)
        first += position == 1
        top3 += position is not None and position <= 3
        reciprocal += 1 / position if position else 0
    for query in unanswered:
        nothing += not rank(query)
    return Quality(
        len(answered),
        first / len(answered),
        top3 / len(answered),
        reciprocal / len(answered),
        len(unanswered),
        nothing / len(unanswered) if unanswered else 1.0,
    )


def rankers(page_view) -> dict:
    def search(query):
        ranked, _terms = page_view.search(query, preview=False)
        return sorted(ranked, key=ranked.get)

    def suggestions(query):
        return [e.anchor for e in page_view.suggestions(query, limit=SUGGESTIONS_SHOWN)]

    return {"search (?q=, as typed)": search, "suggestions": suggestions}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        environment_set(Path(var_dir), free_port())
        import django

        django.setup()
        from django.core.management import call_command

        from faq.pages import help_page_served

        call_command("migrate", "--noinput", verbosity=0)
        call_command("import_help_page", str(SEED), verbosity=0, stdout=open("/dev/null", "w"))
        page_view = help_page_served()
        say("Sekvens Hjelp: search quality on the seed page and the seed synonyms")
        for part, path in (("tuned", QUERIES), ("held out", HELD_OUT)):
            queries = queries_load(path)
            say(f"{part}: {path.name} ({len(queries)} queries)")
            for name, rank in rankers(page_view).items():
                say(quality(rank, queries).line(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
