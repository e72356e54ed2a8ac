"""Relevance on SQLite: BM25F over the title (10), tags (5) and body (1) of each candidate,
computed from its stored analysed text, with the corpus statistics it needs.

The analysed text is space-separated words, so a word's frequency is counted by the string
methods, in C. Documents holding every word of the query rank first (``ALL_WORDS_BONUS``).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument, SearchTerm
from .analysis import stem

ALL_WORDS_BONUS = 1000.0
FIELD_WEIGHTS = {"title": 10.0, "tags": 5.0, "body": 1.0}
BM25_K1, BM25_B = 1.2, 0.75

#: A candidate: rowid, key, analysed title, tags and body, and their lengths in characters.
Candidate = tuple[int, str, str, str, str, int, int, int]


def bm25f(
    candidates: list[Candidate],
    stats: CorpusStats,
    stems: list[str],
    prefixes: tuple[str, ...],
    with_every: dict[int, None],
) -> list[tuple[str, float]]:
    """``(key, -score)`` of each candidate, best first. ``prefixes`` are the forms of a word
    still being typed: every indexed word starting with one of them counts for it."""
    needles = [(f" {s} ", stats.idf(s)) for s in stems]
    starts = re.compile("|".join(rf"(?:^| ){re.escape(p)}" for p in prefixes)) if prefixes else None
    weight = stats.weight
    scored = []
    for rowid, key, title, tags, body, title_length, tags_length, body_length in candidates:
        title, body, tags = f" {title} ", f" {body} ", f" {tags} " if tags else ""
        title_weight, body_weight = weight("title", title_length), weight("body", body_length)
        tags_weight = weight("tags", tags_length) if tags else 0.0  # most documents have none
        score = 0.0
        for needle, idf in needles:
            tf = title.count(needle) * title_weight + body.count(needle) * body_weight
            if tags:
                tf += tags.count(needle) * tags_weight
            if tf:
                score += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
        if starts is not None:
            tf = (
                len(starts.findall(title)) * title_weight
                + len(starts.findall(body)) * body_weight
                + len(starts.findall(tags)) * tags_weight
            )
            if tf:
                score += tf * (BM25_K1 + 1) / (tf + BM25_K1)
        if rowid in with_every:
            score += ALL_WORDS_BONUS
        scored.append((key, -score))
    scored.sort(key=lambda item: (item[1], item[0]))
    return scored


@dataclass
class CorpusStats:
    """What BM25 knows of a source's documents in one language."""

    documents: int
    average: dict[str, float]
    frequencies: dict[str, int]
    built: float

    def idf(self, term: str) -> float:
        n = self.frequencies.get(term, 0)
        return math.log(1 + (self.documents - n + 0.5) / (n + 0.5))

    def weight(self, field: str, length: int) -> float:
        """A word's weight in a field of this length: the field's weight over BM25's length
        normalisation (1 - b + b × length / average length)."""
        return FIELD_WEIGHTS[field] / (1 - BM25_B + BM25_B * length / self.average[field])


_stats: dict[tuple[str, str, str | None], CorpusStats] = {}
STATS_SECONDS = 300.0


def corpus_stats(source: str, locale: str | None) -> CorpusStats:
    """Document count, average field lengths and term frequencies (cached five minutes: BM25
    needs them roughly, not to the document)."""
    key = (str(db.engine.url), source, locale)
    cached = _stats.get(key)
    if cached is not None and time.monotonic() - cached.built < STATS_SECONDS:
        return cached
    where = [SearchDocument.source == source] + (
        [SearchDocument.locale == locale] if locale else []
    )
    count, title, tags, body = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(sa.func.length(SearchDocument.title)),
            sa.func.avg(sa.func.length(SearchDocument.tags)),
            sa.func.avg(sa.func.length(SearchDocument.body)),
        ).where(*where)
    ).one()
    frequencies: dict[str, int] = Counter()
    term_where = [SearchTerm.source == source] + ([SearchTerm.locale == locale] if locale else [])
    rows = db.session.execute(
        sa.select(SearchTerm.term, SearchTerm.doc_count).where(*term_where)
    ).all()
    terms = [term for term, _n in rows]
    for stemmed, (_term, n) in zip(stem(terms, locale) if locale else terms, rows, strict=True):
        # Forms of one stem share documents: the most common form is the best lower bound
        # (a sum could exceed the number of documents and turn the weight negative).
        frequencies[stemmed] = max(frequencies[stemmed], n)
    # In characters, as the candidates' lengths are measured.
    average = {
        name: max(1.0, float(value or 0))
        for name, value in (("title", title), ("tags", tags), ("body", body))
    }
    cached = _stats[key] = CorpusStats(count or 0, average, dict(frequencies), time.monotonic())
    return cached


def forget_stats() -> None:
    _stats.clear()
