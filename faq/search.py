"""Search over FAQ entries: normalising, Norwegian stemming, compounds, typos, synonyms, ranking.

One SearchIndex is built per content version of the help page from the entries' questions and
answers and the editors' synonyms; the search box and the contact form's suggestions rank with it.
"""

import bisect
import math
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

# U+030A COMBINING RING ABOVE is kept so "å" stays "å" while "é" folds to "e"; æ and ø never
# decompose.
_KEPT_MARK = "\u030a"
_WORD = re.compile(r"\w+")

# Snowball's Norwegian stop list, common adverbs and verbs that say nothing of the topic
# ("kommet frem ennå"), the few English ones an /en/ visitor types, and greetings.
STOP_WORDS = frozenset(
    """
    og i jeg det at en et den til er som på de med han av ikke der så var meg seg men ett har om
    vi min mitt mine ha hadde hun nå over da ved fra du ut sin dem oss opp man kan hans hvor eller
    hva skal selv her alle vil bli ble blitt kunne inn når være kom noen noe ville dere deres kun
    ja etter ned skulle denne for deg si sine sitt mot å meget hvorfor dette disse uten hvordan
    ingen din ditt dine blir samme hvilken hvilke sånn mellom vår våre hver hvem hvis både bare
    enn fordi før mange også slik vært få får fått gjør gjøre går gå må mye hos litt nei
    hei hallo takk hilsen vennlig mvh lurer lurte gjerne hjelp trenger finne finner
    frem fram ennå enda igjen fortsatt allerede helt veldig ganske kanskje egentlig faktisk
    dessverre snart altså visst liksom kommer kommet komme
    the a an my me how do does can could to is it of in on for what where when why with you
    your we our and or not have has had be am are was there this that please hi hello thanks
    """.split()
)

FIELD_WEIGHTS = (3.0, 1.0)  # question, answer
K1 = 1.2
B = 0.75
# How much a term found in a roundabout way counts against the word as typed.
SYNONYM_WEIGHT = 0.9
COMPONENT_WEIGHT = 0.75  # the typed word is the start or end of an indexed compound, or v.v.
SPLIT_WEIGHT = 0.6  # a part of a typed compound
TYPO_WEIGHTS = {1: 0.7, 2: 0.5}
COMPONENT_MIN = 4
REST_MIN = 3  # the shortest other part of a compound: "pris" + "liste", never "be" + "stilling"
TYPO_MIN = 5
EXPANSIONS_KEPT = 10_000  # words whose expansions an index remembers
WORD_TERMS_MAX = 12  # indexed terms one typed word may stand for
# A word found in most entries still counts this much: "kundeservice" is answered by them all.
IDF_FLOOR = 0.5
# An entry is shown when it scores at least this (one rare word, exactly, in an answer scores
# about 1), and only while it scores at least this share of the best entry.
SCORE_MIN = 0.45
SCORE_SHARE_MIN = 0.3
# ...and when the words it matched carry at least this share of the query's informative weight
# (each word's IDF): "bytte språk på siden" is not answered by an entry about changing an address.
COVERAGE_MIN = 0.4
UNKNOWN_WEIGHT = 0.75  # a word no entry has: most are the topic, some are filler
# A term in at least this share of the entries ("kundeservice", "kontakt" on the seed page) says
# nothing about which entry answers: it ranks, but it neither covers a query nor is owed coverage.
GENERIC_SHARE = 0.5
# A word matched only in an entry's answer covers this much of what it would in its question:
# "Hvordan sletter jeg brukeren min?" is not answered by "...med brukernavn og passord".
ANSWER_COVERAGE = 0.8

_FOLD_NORWEGIAN = str.maketrans({"æ": "a", "ø": "o", "å": "a"})
_local = threading.local()


def search_normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept = "".join(c for c in decomposed if c == _KEPT_MARK or not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def search_stem(word: str) -> str:
    # PyStemmer's stemmer objects must not be shared between threads.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("norwegian")
    return stemmer.stemWord(word)


def search_words(text: str) -> list[str]:
    """The normalised words of a text that say something: stop words left out, not stemmed."""
    return [w for w in _WORD.findall(search_normalize(text)) if w not in STOP_WORDS]


def search_terms(text: str) -> list[str]:
    return [search_stem(word) for word in search_words(text)]


@dataclass(frozen=True)
class SearchDocument:
    key: object
    question: str
    answer_text: str


@dataclass(frozen=True)
class SearchHit:
    key: object
    score: float


@dataclass(frozen=True)
class QueryPlan:
    """A query's terms: for each word typed, the indexed terms it may stand for, with weights."""

    words: tuple[dict[str, float], ...]

    @property
    def matched_terms(self) -> frozenset[str]:
        return frozenset(term for word in self.words for term in word)


class SearchIndex:
    def __init__(
        self, documents: Iterable[SearchDocument], synonyms: Mapping[str, Collection[str]] = {}
    ):
        self.keys = []
        # term -> {document number: (frequency in the question, in the answer)}
        self.postings: dict[str, dict[int, list[float]]] = defaultdict(dict)
        lengths = []
        self.groups = _synonym_groups(synonyms)
        for number, document in enumerate(documents):
            self.keys.append(document.key)
            fields = (search_terms(document.question), search_terms(document.answer_text))
            lengths.append(tuple(max(len(terms), 1) for terms in fields))
            for field_number, terms in enumerate(fields):
                counts = defaultdict(float)
                for term in terms:
                    counts[term] += 1
                # Synonyms at index time put the editors' words in the vocabulary, so their
                # compounds, prefixes and typos are found as the entries' own words are.
                for term, count in list(counts.items()):
                    for other in self.groups.get(term, ()):
                        counts[other] = max(counts[other], count * SYNONYM_WEIGHT)
                for term, count in counts.items():
                    posting = self.postings[term].setdefault(number, [0.0, 0.0])
                    posting[field_number] += count
        self.lengths = lengths
        count = max(len(self.keys), 1)
        self.average_lengths = [sum(length[f] for length in lengths) / count for f in (0, 1)]
        self.terms = sorted(self.postings)
        self.reversed_terms = sorted(term[::-1] for term in self.terms)
        # The weight of a word found in one entry, so that scores mean the same for any count.
        self._idf_scale = math.log(1 + (count - 0.5) / 1.5) or 1.0
        self._expanded: dict[str, dict[str, float]] = {}
        # What each term brings each entry, worked out once per index: a query only multiplies.
        self.idfs = {term: self._idf(term) for term in self.terms}
        self.scored = {
            term: {number: self._saturate(number, f) for number, f in posting.items()}
            for term, posting in self.postings.items()
        }
        # How much of its weight a term covers in each entry: generic terms nothing.
        generic = max(GENERIC_SHARE * len(self.keys), 3)  # never on a page of a few entries
        self.coverage = {
            term: (
                {}
                if len(posting) >= generic
                else {n: 1.0 if f[0] else ANSWER_COVERAGE for n, f in posting.items()}
            )
            for term, posting in self.postings.items()
        }

    def __len__(self):
        return len(self.keys)

    def plan(self, query: str) -> QueryPlan:
        words = []
        for word in search_words(query):
            expansions = self._expansions(word)
            if expansions:
                words.append(expansions)
        return QueryPlan(tuple(words))

    def _expansions(self, word: str) -> dict[str, float]:
        # A word's expansions depend on the index only: worked out once per word and index.
        found = self._expanded.get(word)
        if found is None:
            if len(self._expanded) >= EXPANSIONS_KEPT:
                self._expanded.clear()
            expanded = self._expand(word)
            # A short or common word can stand for scores of terms on a large page; the surest
            # ones, and of those the rarest (which say more and have shorter lists), are enough.
            kept = sorted(expanded, key=lambda t: (-expanded[t], len(self.postings.get(t, ()))))
            found = {term: expanded[term] for term in kept[:WORD_TERMS_MAX]}
            self._expanded[word] = found
        return found

    def rank(self, query: str, *, allowed=None, limit: int | None = None) -> list[SearchHit]:
        """Entries by relevance, best first; none when nothing answers the query well enough."""
        words = search_words(query)
        totals: dict[int, float] = defaultdict(float)
        covered: dict[int, float] = defaultdict(float)
        # The query's own best: each word weighs what its best term could bring (its IDF); a
        # word the entries do not know weighs as much as a word found in one entry.
        possible = 0.0
        for word in words:
            expansions = self._expansions(word)
            shares = {term: weight * self.idfs[term] for term, weight in expansions.items()}
            if not shares:
                possible += UNKNOWN_WEIGHT
            else:
                possible += max((s for t, s in shares.items() if self.coverage[t]), default=0.0)
            best: dict[int, float] = {}
            best_cover: dict[int, float] = {}
            for term, share in shares.items():
                coverage = self.coverage[term]
                for number, saturated in self.scored[term].items():
                    score = share * saturated
                    if score > best.get(number, 0.0):
                        best[number] = score
                    cover = share * coverage.get(number, 0.0)
                    if cover > best_cover.get(number, 0.0):
                        best_cover[number] = cover
            for number, score in best.items():
                totals[number] += score
            for number, cover in best_cover.items():
                covered[number] += cover
        hits = sorted(
            (
                SearchHit(self.keys[n], s)
                for n, s in totals.items()
                if covered[n] and covered[n] >= COVERAGE_MIN * possible
            ),
            key=lambda hit: -hit.score,
        )
        if allowed is not None:
            hits = [hit for hit in hits if hit.key in allowed]
        if not hits or hits[0].score < SCORE_MIN:
            return []
        floor = max(SCORE_MIN, hits[0].score * SCORE_SHARE_MIN)
        hits = [hit for hit in hits if hit.score >= floor]
        return hits[:limit] if limit is not None else hits

    def _idf(self, term: str) -> float:
        found = len(self.postings.get(term, ()))
        if not found:
            return 0.0
        idf = math.log(1 + (len(self.keys) - found + 0.5) / (found + 0.5)) / self._idf_scale
        return max(idf, IDF_FLOOR)

    def _saturate(self, number: int, frequencies: list[float]) -> float:
        weighted = sum(
            FIELD_WEIGHTS[f]
            * frequencies[f]
            / (1 - B + B * self.lengths[number][f] / (self.average_lengths[f] or 1))
            for f in (0, 1)
        )
        return weighted * (K1 + 1) / (K1 + weighted)

    def _expand(self, word: str) -> dict[str, float]:
        stem = search_stem(word)
        found: dict[str, float] = {}

        def add(term, weight):
            if weight > found.get(term, 0.0):
                found[term] = weight

        if stem in self.postings:
            add(stem, 1.0)
        else:
            for term, distance in self._typos(stem):
                add(term, TYPO_WEIGHTS[distance])
        for term in self._components(stem):
            add(term, COMPONENT_WEIGHT)
        for term, weight in list(found.items()) or [(stem, 1.0)]:
            for other in self.groups.get(term, ()):
                if other in self.postings:
                    add(other, weight * SYNONYM_WEIGHT)
                # "regning" -> "faktura", found in "fakturaadressen".
                for part in self._components(other):
                    add(part, weight * SYNONYM_WEIGHT * COMPONENT_WEIGHT)
        if not found:
            for part in _compound_parts(stem, self._known_part):
                for term in [part, *self._components(part)]:
                    if term in self.postings:
                        add(term, SPLIT_WEIGHT)
        return found

    def _components(self, piece: str) -> list[str]:
        """Indexed terms that begin or end with the piece: "adress" in "leveringsadress"."""
        if len(piece) < COMPONENT_MIN:
            return []
        # What is left of the compound must be a word too: "stilling" is not in "bestilling".
        found = [t for t in _prefixed(self.terms, piece) if len(t) - len(piece) >= REST_MIN]
        found += [
            term[::-1]
            for term in _prefixed(self.reversed_terms, piece[::-1])
            if len(term) - len(piece) >= REST_MIN
        ]
        return found

    def _known_part(self, piece: str) -> bool:
        """A piece of a typed compound is known when it is an indexed term, or a whole part of
        one: the rest of that compound is an indexed term too, or they are joined by a linking
        s ("adress" in "leveringsadress"), never a chance run of letters ("ering" in "levering")."""
        if piece in self.postings:
            return True
        if len(piece) <= COMPONENT_MIN:
            return False
        for term in self._components(piece):
            if term.endswith(piece):
                rest, joint = term[: -len(piece)], term[-len(piece) - 1]
            else:
                rest, joint = term[len(piece) :], term[len(piece)]
            unlinked = rest[:-1] if term.endswith(piece) else rest[1:]
            if rest in self.postings or (joint in "se" and unlinked in self.postings):
                return True
            # A linking s marks a joint even when the other part is not a word of its own here.
            if joint == "s" and len(rest) > COMPONENT_MIN:
                return True
        return False

    def _typos(self, stem: str) -> list[tuple[str, int]]:
        if len(stem) < TYPO_MIN:
            return []
        cutoff = 1 if len(stem) < 9 else 2
        # Customers rarely mistype the first letter (the first two, in a short word): only the
        # terms that start like the word and are about as long are compared ("slett" is not
        # "sett"), which also keeps a large index fast.
        prefix = stem[:2] if len(stem) < TYPO_MIN + 1 else stem[:1]
        candidates = [
            term
            for term in _prefixed(self.terms, prefix)
            if abs(len(term) - len(stem)) <= cutoff
            and (len(term) >= TYPO_MIN + 1 or term[:2] == stem[:2])
        ]
        matches = process.extract(
            stem, candidates, scorer=OSA.distance, score_cutoff=cutoff, limit=8
        )
        # æ, ø and å are letters of their own: "stott" is not a typo of "støtt".
        folded = stem.translate(_FOLD_NORWEGIAN)
        return [
            (term, int(distance))
            for term, distance, _ in matches
            if distance and term.translate(_FOLD_NORWEGIAN) != folded
        ]


def _prefixed(terms: list[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(terms, prefix)
    end = bisect.bisect_left(terms, prefix + "\U0010ffff")
    return terms[start:end]


def _compound_parts(stem: str, known) -> list[str]:
    """The parts of a compound the index knows, joined directly or by a linking s or e."""
    best: list[str] = []
    for cut in range(3, len(stem) - 2):
        head, tail = stem[:cut], stem[cut:]
        tails = [tail]
        if tail[0] in "se" and len(tail) > 3:
            tails.append(tail[1:])
        for rest in tails:
            pieces = (search_stem(head), search_stem(rest))
            parts = [p for p in pieces if len(p) >= COMPONENT_MIN and known(p)]
            # A part nobody knows must at least be long enough to be a word ("åpn|ingstid").
            if any(len(p) < COMPONENT_MIN for p in pieces if p not in parts):
                continue
            if sum(map(len, parts)) > sum(map(len, best)):
                best = parts
    return best


def _synonym_groups(synonyms: Mapping[str, Collection[str]]) -> dict[str, frozenset[str]]:
    """Each term of a synonym row stands for every other term of it, in both directions."""
    groups: dict[str, set[str]] = defaultdict(set)
    for word, equivalents in synonyms.items():
        terms = {t for text in [word, *equivalents] for t in search_terms(text)}
        for term in terms:
            groups[term] |= terms - {term}
    return {term: frozenset(others) for term, others in groups.items()}


def search_highlight(text: str, terms: Collection[str]) -> list[tuple[str, bool]]:
    """The text in pieces, each marked True when it is a word the query matched.

    Pieces are plain text: whoever shows them escapes them (the template, or textContent in
    help.js), so a question can never bring markup into the page.
    """
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _WORD.finditer(text):
        word = search_normalize(match.group())
        if word in STOP_WORDS or search_stem(word) not in terms:
            continue
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(), True))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces
