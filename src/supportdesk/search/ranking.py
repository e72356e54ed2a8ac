"""Relevance on SQLite: BM25F over the title (10), tags (5), questions (6) and body (1) of each
candidate,
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
FIELD_WEIGHTS = {"title": 10.0, "tags": 5.0, "questions": 6.0, "body": 1.0}
BM25_K1, BM25_B = 2.0, 0.75  # k1 2: a title match counts more before it saturates

#: A candidate: rowid, key, analysed title, tags, questions and body.
Candidate = tuple[int, str, str, str, str, str]


@dataclass
class Query:
    """What a query asks for, as the index holds it: for each concept, its alternatives
    ``(analysed words, weight)``; a concept scores its best alternative. ``prefix`` holds the
    forms of a word still being typed: every indexed word starting with one counts for it."""

    concepts: list[list[tuple[str, float]]]
    prefix: tuple[str, str] | None = None


#: An alternative to look for: its concept's index, ``" words "``, weight × idf, and whether it
#: is a phrase.
Needle = tuple[int, str, float, bool]


def _needles(query: Query, stats: CorpusStats) -> dict[str, list[Needle]]:
    """The alternatives of every concept, by the start of their first word (``" word"``); a
    phrase is as rare as its rarest word."""
    found: dict[str, list[Needle]] = {}
    for i, concept in enumerate(query.concepts):
        for words, weight in concept:
            if needed := words.split():
                idf = weight * max(map(stats.idf, needed))
                found.setdefault(f" {needed[0]}", []).append(
                    (i, f" {words} ", idf, len(needed) > 1)
                )
    return found


def bm25f(
    candidates: list[Candidate],
    stats: CorpusStats,
    query: Query,
    with_every: dict[int, None],
) -> list[tuple[str, float]]:
    """``(key, -score)`` of each candidate, best first: each concept scores its best
    alternative."""
    needles = _needles(query, stats)
    prefixes = query.prefix
    starts = re.compile("|".join(rf"(?:^| ){re.escape(p)}" for p in prefixes)) if prefixes else None
    weight = stats.weight
    scored = []
    for rowid, key, title, tags, questions, body in candidates:
        title_weight, body_weight = weight("title", len(title)), weight("body", len(body))
        title, body = f" {title} ", f" {body} "
        # Most documents have no tags and no questions: their fields cost nothing then.
        tags_weight = weight("tags", len(tags)) if tags else 0.0
        questions_weight = weight("questions", len(questions)) if questions else 0.0
        tags = f" {tags} " if tags else ""
        questions = f" {questions} " if questions else ""
        # Only the alternatives whose first word the document holds are counted: a lexicon
        # gives many, and most documents hold few of them. Looking for the start of the word
        # in all the fields at once costs less than splitting them into words (a longer word
        # starting the same is counted next, and counts nothing).
        text = f"{title}{tags}{questions}{body}"
        best = [0.0] * len(query.concepts)  # summed in the concepts' order, the same each time
        for start in filter(text.__contains__, needles):
            for concept, needle, idf, phrase in needles[start]:
                if phrase and needle not in text:  # fields are padded: no phrase spans two
                    continue
                tf = title.count(needle) * title_weight + body.count(needle) * body_weight
                if tags:
                    tf += tags.count(needle) * tags_weight
                if questions:
                    tf += questions.count(needle) * questions_weight
                if tf:
                    value = idf * tf * (BM25_K1 + 1) / (tf + BM25_K1)
                    if value > best[concept]:
                        best[concept] = value
        score = sum(best)
        if starts is not None:
            tf = (
                len(starts.findall(title)) * title_weight
                + len(starts.findall(body)) * body_weight
                + len(starts.findall(tags)) * tags_weight
                + len(starts.findall(questions)) * questions_weight
            )
            if tf:
                score += tf * (BM25_K1 + 1) / (tf + BM25_K1)
        if rowid in with_every:
            score += ALL_WORDS_BONUS
        scored.append((key, -score))
    scored.sort(key=lambda item: (item[1], item[0]))
    return scored


FEEDBACK_DOCUMENTS = 3
FEEDBACK_RERANK = 30  # the candidates ranked again with the feedback words
FEEDBACK_WORDS = 6
#: The feedback words together weigh this share of the query's own concepts.
FEEDBACK_SHARE = 0.25


def with_feedback(
    query: Query, candidates: list[Candidate], scored: list[tuple[str, float]], stats: CorpusStats
) -> Query:
    """``query`` and the words that the titles, tags and questions of the best-ranked
    documents share (pseudo-relevance feedback): a word counts more in a better document and
    for being rarer, and all of them together weigh ``FEEDBACK_SHARE`` of the query."""
    rank = {key: i for i, (key, _) in enumerate(scored[:FEEDBACK_DOCUMENTS])}
    asked = {word for concept in query.concepts for words, _ in concept for word in words.split()}
    weights: Counter[str] = Counter()
    for _rowid, key, title, tags, questions, *_rest in candidates:
        if key in rank:
            for word in set(f"{title} {tags} {questions}".split()) - asked:
                weights[word] += stats.idf(word) / (1 + rank[key])
    chosen = [word for word, _ in weights.most_common(FEEDBACK_WORDS)]
    total = sum(weights[word] for word in chosen)
    if not total:
        return query
    budget = FEEDBACK_SHARE * len(query.concepts)
    extra = [[(word, budget * weights[word] / total)] for word in chosen]
    return Query([*query.concepts, *extra], query.prefix)


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
    count, title, tags, questions, body = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(sa.func.length(SearchDocument.title)),
            sa.func.avg(sa.func.length(SearchDocument.tags)),
            sa.func.avg(sa.func.length(SearchDocument.questions)),
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
        for name, value in (
            ("title", title),
            ("tags", tags),
            ("questions", questions),
            ("body", body),
        )
    }
    cached = _stats[key] = CorpusStats(count or 0, average, dict(frequencies), time.monotonic())
    return cached


def forget_stats(source: str | None = None) -> None:
    """Drop the cached statistics of ``source`` (of every source unless one is named): this
    process has just changed its documents."""
    for key in [key for key in _stats if source is None or key[1] == source]:
        del _stats[key]
