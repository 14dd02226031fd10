"""Search normalisation for stored entries and visitors' queries (static/faq/help.js mirrors it),
and the ranking of entries suggested while a message is written."""

import unicodedata

# U+030A COMBINING RING ABOVE is kept so "å" stays "å" while "é" folds to "e"; æ and ø never
# decompose.
_KEPT_MARK = "\u030a"


def search_normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept = "".join(c for c in decomposed if c == _KEPT_MARK or not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def search_terms(query: str) -> list[str]:
    return search_normalize(query).split()


def search_matches(search_text: str, terms: list[str]) -> bool:
    """Every word of the query (see search_terms) must occur in the entry's normalised text."""
    return all(term in search_text for term in terms)


SUGGEST_MIN_WORD = 4
# Common Norwegian words of four letters or more that say nothing about what a customer needs.
SUGGEST_IGNORED_WORDS = frozenset(
    "hvordan hvorfor hvor også eller ikke noen mine mitt min meg dere deres med være blir "
    "bare etter denne dette disse kunne skulle ville hvis fordi hallo takk hilsen vennlig".split()
)


def search_suggestions(entries, text: str, *, limit: int) -> list:
    """The entries (with .question and .search_text) that share the most words with the text,
    best first; a word in the question counts double."""
    terms = {t for t in search_normalize(text).split() if len(t) >= SUGGEST_MIN_WORD}
    terms -= SUGGEST_IGNORED_WORDS
    scored = []
    for entry in entries:
        question = search_normalize(entry.question)
        score = sum((2 if term in question else 1) for term in terms if term in entry.search_text)
        if score:
            scored.append((-score, len(scored), entry))
    return [entry for *_, entry in sorted(scored)[:limit]]
