"""Search normalisation for stored entries and visitors' queries (static/faq/help.js mirrors it)."""

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
