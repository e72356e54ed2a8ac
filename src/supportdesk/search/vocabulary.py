"""Typo tolerance: the words the index knows, and the nearest known word to an unknown one.

Each source keeps a vocabulary of folded surface words with the number of documents holding
them (table ``search_terms``). A query word that is not in it is replaced by the closest known
word (edit distance 1, or 2 for longer words; the more common word wins a tie), and the page
offers "did you mean …". Candidates come from trigrams: PostgreSQL's ``pg_trgm`` index, or on
SQLite an in-memory trigram map of the vocabulary, rebuilt when it is older than a minute.
How each query word reads (itself, or its correction) is remembered for a minute as well, and
both are forgotten as soon as this process writes new word counts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ..database import CommitTimeCounts
from ..extensions import db
from ..models import SearchTerm

CACHE_SECONDS = 60.0
MIN_LENGTH = 4


def trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein (adjacent swaps count once), giving up past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2


@dataclass
class _TrigramMap:
    built: float
    counts: dict[str, int]
    by_trigram: dict[str, list[str]]


_maps: dict[tuple[str, str, str], _TrigramMap] = {}
# Per source and language, the query words checked lately and how each reads (itself when the
# index holds it): most queries reuse a few hundred words, each costing lookups otherwise.
_checked: dict[tuple[str, str, str], tuple[float, dict[str, str | None]]] = {}
CHECKED_LIMIT = 50_000


def forget() -> None:
    """Drop every cached vocabulary (a source's words are being deleted)."""
    _maps.clear()
    _checked.clear()


def forget_written(keys: list[tuple]) -> None:
    """Drop the cached vocabularies of the sources and languages whose word counts this
    process has just written (``keys``: ``(source, locale, term)``), and no other's: a case
    filed would otherwise have the next help search check its words and build its typo map
    again."""
    written = {(source, locale) for source, locale, _term in keys}
    for cache in (_maps, _checked):
        for key in [key for key in cache if key[1:] in written]:
            del cache[key]


def _checked_words(source: str, locale: str) -> dict[str, str | None]:
    """Forgotten after ``CACHE_SECONDS``, as the vocabulary of other processes may change."""
    key = (str(db.engine.url), source, locale)
    built, checked = _checked.get(key, (0.0, {}))
    if time.monotonic() - built > CACHE_SECONDS or len(checked) > CHECKED_LIMIT:
        built, checked = _checked[key] = (time.monotonic(), {})
    return checked


def _sqlite_candidates(source: str, locale: str, word: str) -> dict[str, int]:
    key = (str(db.engine.url), source, locale)
    cached = _maps.get(key)
    if cached is None or time.monotonic() - cached.built > CACHE_SECONDS:
        rows = db.session.execute(
            sa.select(SearchTerm.term, SearchTerm.doc_count).where(
                SearchTerm.source == source, SearchTerm.locale == locale, SearchTerm.doc_count > 0
            )
        ).all()
        by_trigram: dict[str, list[str]] = defaultdict(list)
        for term, _count in rows:
            if len(term) >= MIN_LENGTH - 1:
                for gram in trigrams(term):
                    by_trigram[gram].append(term)
        cached = _maps[key] = _TrigramMap(time.monotonic(), dict(rows), dict(by_trigram))
    shared: dict[str, int] = defaultdict(int)
    for gram in trigrams(word):
        for term in cached.by_trigram.get(gram, ()):
            shared[term] += 1
    best = sorted(shared, key=lambda t: -shared[t])[:50]
    return {term: cached.counts[term] for term in best}


def _postgres_candidates(source: str, locale: str, word: str) -> dict[str, int]:
    """The nearest known words by trigram distance, straight from the GiST index."""
    rows = db.session.execute(
        sa.select(SearchTerm.term, SearchTerm.doc_count)
        .where(SearchTerm.source == source, SearchTerm.locale == locale, SearchTerm.doc_count > 0)
        .order_by(SearchTerm.term.op("<->")(word))
        .limit(20)
    ).all()
    return dict(rows)


#: Which of some words (``terms``) the index holds (built once: building it costs more than
#: running it).
_KNOWN = sa.select(SearchTerm.term).where(
    SearchTerm.source == sa.bindparam("source"),
    SearchTerm.locale == sa.bindparam("locale"),
    SearchTerm.term.in_(sa.bindparam("terms", expanding=True)),
    SearchTerm.doc_count > 0,
)


def known(source: str, locale: str, terms: list[str]) -> set[str]:
    if not terms:
        return set()
    return set(db.session.scalars(_KNOWN, {"source": source, "locale": locale, "terms": terms}))


def closest(source: str, locale: str, word: str) -> str | None:
    """The known word nearest to ``word``, or None when nothing is near enough."""
    if len(word) < MIN_LENGTH or word.isdigit():
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = _postgres_candidates(source, locale, word)
    else:
        candidates = _sqlite_candidates(source, locale, word)
    limit = allowed_distance(word)
    scored = []
    for term, count in candidates.items():
        distance = edit_distance(word, term, limit)
        if distance <= limit:
            scored.append((distance, -count, term))
    return min(scored)[2] if scored else None


def correct(
    source: str, locale: str, words: list[str], keep: Callable[[str], bool] | None = None
) -> tuple[list[str], bool]:
    """Replace unknown words by their closest known word; also says whether anything changed.
    Words for which ``keep`` is true (a lexicon knows them) are left as typed."""
    from .backends import backend

    checked = _checked_words(source, locale)
    if unsure := [w for w in words if w not in checked and not (keep and keep(w))]:
        present = known(source, locale, unsure)
        for word in unsure:
            held = word in present or backend().has_term(source, locale, word)
            checked[word] = word if held else closest(source, locale, word)
    corrected = [checked.get(word) or word for word in words]
    return corrected, corrected != words


#: Each word's document count, written at commit: two cases filed at once share common words,
#: and a rebuild of the case index changes thousands while cases are filed. The vocabularies
#: this process keeps are forgotten once new counts are written.
_counts = CommitTimeCounts(SearchTerm, ("source", "locale", "term"), "doc_count", forget_written)


def update_counts(source: str, locale: str, old: set[str], new: set[str]) -> None:
    """Keep each word's document count as a document's words change (written at commit)."""
    _counts.add_all([(source, locale, term) for term in new - old], +1)
    _counts.add_all([(source, locale, term) for term in old - new], -1)


def forget_counts(source: str) -> None:
    """Drop the changes not yet written for ``source`` (its words are being deleted)."""
    _counts.forget(lambda key: key[0] == source)
