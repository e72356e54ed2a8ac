"""The two full-text backends behind the search service, with one interface.

Both rank at most ``CANDIDATE_CAP`` candidates, so a query made of common words costs the same
on 100,000 documents as on 1,000. Candidates are gathered best tiers first: every word in the
title or tags, every word anywhere, some word in the title or tags, some word anywhere. When a
query matches fewer documents than the cap, every match is ranked.

Ranking puts documents holding every word first, then by relevance: BM25F over title (10),
tags (5) and body (1) on SQLite, computed here from the stored analysed text of the
candidates; ``ts_rank_cd`` with A/B/C weights on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument, SearchTerm
from .analysis import analyse, stem

ALL_WORDS_BONUS = 1000.0
FIELD_WEIGHTS = {"title": 10.0, "tags": 5.0, "body": 1.0}
BM25_K1, BM25_B = 1.2, 0.75


def scope_token(source: str, locale: str | None) -> str:
    """An index token naming a source and language (``s`` + hash: letters and digits only)."""
    return "s" + hashlib.sha1(f"{source}|{locale or ''}".encode()).hexdigest()[:16]  # noqa: S324


def facet_token(source: str, facet: str) -> str:
    return "f" + hashlib.sha1(f"{source}|{facet}".encode()).hexdigest()[:16]  # noqa: S324


def scope_text(source: str, locale: str, facet: str) -> str:
    tokens = [scope_token(source, locale), scope_token(source, None)]
    if facet:
        tokens.append(facet_token(source, facet))
    return " ".join(tokens)


@dataclass
class Ranked:
    keys: list[str]
    scores: list[float]
    total: int


class SqliteBackend:
    """FTS5 over folded, stemmed text."""

    name = "sqlite"
    CANDIDATE_CAP = 200
    COUNT_CAP = 1000

    def stored_text(self, text: str, locale: str) -> str:
        return analyse(text, locale)

    # -- query text -------------------------------------------------------------------------

    def _terms(self, terms: list[str], locale: str | None, prefix_last: bool) -> list[str]:
        stems = stem(terms, locale) if locale else list(terms)
        parts = [f'"{s}"' for s in stems]
        if prefix_last:  # a word being typed: its stem or itself as a prefix
            parts[-1] = f'("{stems[-1]}"* OR "{terms[-1]}"*)'
        return parts

    def _filter(self, source: str, locale: str | None, facet: str | None) -> str:
        clause = f'scope : "{scope_token(source, locale)}"'
        if facet:
            clause += f' AND scope : "{facet_token(source, facet)}"'
        return clause

    def _rowids(self, expression: str, limit: int) -> list[int]:
        statement = sa.text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q LIMIT :n")
        return list(db.session.scalars(statement, {"q": expression, "n": limit}).all())

    # -- the service's entry points -----------------------------------------------------------

    def matching_ids(
        self, source: str, terms: list[str], locale: str | None, every_word: bool
    ) -> sa.Select:
        parts = self._terms(terms, locale, False)
        words = " AND ".join(parts) if every_word else " OR ".join(parts)
        expression = f"{self._filter(source, locale, None)} AND ({words})"
        fts = sa.table("search_fts", sa.column("rowid"))
        match = sa.literal_column("search_fts").op("MATCH")(expression)
        return (
            sa.select(SearchDocument.doc_key)
            .join(fts, fts.c.rowid == SearchDocument.id)
            .where(match)
        )

    def search(
        self,
        source: str,
        terms: list[str],
        locale: str | None,
        *,
        facet: str | None,
        prefix_last: bool,
        limit: int,
        offset: int,
    ) -> Ranked:
        parts = self._terms(terms, locale, prefix_last)
        base = self._filter(source, locale, facet)
        every, some = " AND ".join(parts), " OR ".join(parts)
        tiers = [f"{{title tags}} : ({every})", f"({every})"]
        if len(parts) > 1:
            tiers += [f"{{title tags}} : ({some})", f"({some})"]
        candidates: dict[int, None] = {}
        with_every: set[int] = set()
        for number, tier in enumerate(tiers):
            if len(candidates) >= self.CANDIDATE_CAP:
                break
            found = self._rowids(f"{base} AND {tier}", self.CANDIDATE_CAP)
            for rowid in found:
                if len(candidates) >= self.CANDIDATE_CAP:
                    break
                candidates.setdefault(rowid)
                if number < 2:
                    with_every.add(rowid)
        if not candidates:
            return Ranked([], [], 0)
        total = len(candidates)
        if total >= self.CANDIDATE_CAP:
            total = len(self._rowids(f"{base} AND ({some})", self.COUNT_CAP + 1))
        stems = stem(terms, locale) if locale else list(terms)
        prefixes = (stems[-1], terms[-1]) if prefix_last else ()
        whole = stems[:-1] if prefix_last else stems
        scored = self._bm25(source, locale, list(candidates), whole, prefixes, with_every)
        page = scored[offset : offset + limit]
        return Ranked([k for k, _ in page], [s for _, s in page], total)

    def _bm25(
        self,
        source: str,
        locale: str | None,
        rowids: list[int],
        stems: list[str],
        prefixes: tuple[str, ...],
        with_every: set[int],
    ) -> list[tuple[str, float]]:
        """BM25F over the candidates' stored text (space-separated analysed words, so counting
        is done by the string methods, in C). ``prefixes`` are the forms of a word still being
        typed: every indexed word starting with one of them counts for it."""
        rows = db.session.execute(
            sa.select(
                SearchDocument.id,
                SearchDocument.doc_key,
                SearchDocument.title,
                SearchDocument.tags,
                SearchDocument.body,
            ).where(SearchDocument.id.in_(rowids))
        ).all()
        stats = corpus_stats(source, locale)
        idf = {s: stats.idf(s) for s in stems}
        starts = (
            re.compile("|".join(rf"(?:^| ){re.escape(p)}" for p in prefixes)) if prefixes else None
        )
        scored = []
        for rowid, key, title, tags, body in rows:
            fields = (("title", f" {title} "), ("tags", f" {tags} "), ("body", f" {body} "))
            norms = {
                name: 1 - BM25_B + BM25_B * (text.count(" ") - 1) / stats.average[name]
                for name, text in fields
            }
            score = 0.0
            for term in stems:
                needle = f" {term} "
                tf = sum(
                    FIELD_WEIGHTS[name] * text.count(needle) / norms[name] for name, text in fields
                )
                score += idf[term] * tf * (BM25_K1 + 1) / (tf + BM25_K1) if tf else 0.0
            if starts is not None:
                tf = sum(
                    FIELD_WEIGHTS[name] * len(starts.findall(text)) / norms[name]
                    for name, text in fields
                )
                score += tf * (BM25_K1 + 1) / (tf + BM25_K1) if tf else 0.0
            score += ALL_WORDS_BONUS if rowid in with_every else 0.0
            scored.append((key, -score))
        scored.sort(key=lambda item: (item[1], item[0]))
        return scored

    def has_term(self, source: str, locale: str | None, word: str) -> bool:
        """True when some document holds the word once stemmed (so it is no typo)."""
        stemmed = stem([word], locale)[0] if locale else word
        expression = f'{self._filter(source, locale, None)} AND "{stemmed}"'
        return bool(self._rowids(expression, 1))


@dataclass
class CorpusStats:
    documents: int
    average: dict[str, float]
    frequencies: dict[str, int]
    built: float

    def idf(self, term: str) -> float:
        n = self.frequencies.get(term, 0)
        return math.log(1 + (self.documents - n + 0.5) / (n + 0.5))


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
    for term, n in db.session.execute(
        sa.select(SearchTerm.term, SearchTerm.doc_count).where(*term_where)
    ):
        for stemmed in stem([term], locale) if locale else [term]:
            # Forms of one stem share documents: the most common form is the best lower bound
            # (a sum could exceed the number of documents and turn the weight negative).
            frequencies[stemmed] = max(frequencies[stemmed], n)
    # Characters to words: analysed words average about six characters with their space.
    average = {
        name: max(1.0, float(value or 0) / 6)
        for name, value in (("title", title), ("tags", tags), ("body", body))
    }
    cached = _stats[key] = CorpusStats(count or 0, average, dict(frequencies), time.monotonic())
    return cached


def forget_stats() -> None:
    _stats.clear()


class PostgresBackend:
    """PostgreSQL text search: ``french``/``english`` stemming on ``unaccent``ed text, a GIN
    index, ``websearch_to_tsquery``; at most ``CANDIDATE_CAP`` matches are ranked.

    The scope tokens (source, language, facet) are part of the ``tsvector`` too, so the GIN
    index finds the matches of one source and language by itself, never by reading rows."""

    name = "postgresql"
    # ts_rank_cd reads each candidate's whole tsvector: fewer candidates than on SQLite.
    CANDIDATE_CAP = 100
    COUNT_CAP = 300  # counting reads the matches: past this the page says "300+"

    def stored_text(self, text: str, locale: str) -> str:
        return text  # PostgreSQL folds and stems it in the generated tsvector column

    def _config(self, locale: str | None) -> sa.ColumnElement:
        return sa.func.supportdesk_tsconfig(sa.literal(locale) if locale else SearchDocument.locale)

    def _scope(self, source: str, locale: str | None, facet: str | None) -> sa.ColumnElement:
        tokens = [scope_token(source, locale)] + ([facet_token(source, facet)] if facet else [])
        return sa.func.to_tsquery("simple", " & ".join(tokens))  # letters and digits only

    def _tsquery(
        self, terms: list[str], every: bool, prefix_last: bool, config: sa.ColumnElement
    ) -> sa.ColumnElement:
        if prefix_last:  # the words are folded \\w+ runs, so they cannot carry tsquery syntax
            parts = [*terms[:-1], f"{terms[-1]}:*"]
            return sa.func.to_tsquery(config, (" & " if every else " | ").join(parts))
        text = (" " if every else " or ").join(terms)
        return sa.func.websearch_to_tsquery(config, sa.func.supportdesk_unaccent(text))

    def _ids(self, wanted: sa.ColumnElement, scope: sa.ColumnElement, limit: int) -> list[int]:
        tsv = sa.literal_column("search_documents.tsv")
        # A MATERIALIZED CTE is planned on its own, without the LIMIT: a LIMIT in sight makes
        # the planner read rows until enough match, which is every row when none does. Alone,
        # it takes the GIN index for a rare word and still stops early for a common one.
        matches = (
            sa.select(SearchDocument.id)
            .where(tsv.op("@@")(wanted.op("&&")(scope)))
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        return list(db.session.scalars(sa.select(matches.c.id).limit(limit)))

    def has_term(self, source: str, locale: str | None, word: str) -> bool:
        """True when some document holds the word once stemmed (so it is no typo)."""
        return bool(
            self._ids(
                sa.func.to_tsquery(self._config(locale), word), self._scope(source, locale, None), 1
            )
        )

    def matching_ids(
        self, source: str, terms: list[str], locale: str | None, every_word: bool
    ) -> sa.Select:
        tsv = sa.literal_column("search_documents.tsv")
        wanted = self._tsquery(terms, every_word, False, self._config(locale))
        scope = self._scope(source, locale, None)
        return sa.select(SearchDocument.doc_key).where(tsv.op("@@")(wanted.op("&&")(scope)))

    def search(
        self,
        source: str,
        terms: list[str],
        locale: str | None,
        *,
        facet: str | None,
        prefix_last: bool,
        limit: int,
        offset: int,
    ) -> Ranked:
        config = self._config(locale)
        tsv = sa.literal_column("search_documents.tsv")
        scope = self._scope(source, locale, facet)
        every = self._tsquery(terms, True, prefix_last, config)
        some = self._tsquery(terms, False, prefix_last, config)
        candidates = dict.fromkeys(self._ids(every, scope, self.CANDIDATE_CAP))
        if len(candidates) < self.CANDIDATE_CAP and len(terms) > 1:
            for found in self._ids(some, scope, self.CANDIDATE_CAP):
                if len(candidates) >= self.CANDIDATE_CAP:
                    break
                candidates.setdefault(found)
        if not candidates:
            return Ranked([], [], 0)
        total = len(candidates)
        if total >= self.CANDIDATE_CAP:
            total = len(self._ids(some, scope, self.COUNT_CAP + 1))
        score = -(
            sa.func.ts_rank_cd(tsv, some)
            + sa.case((tsv.op("@@")(every), ALL_WORDS_BONUS), else_=0.0)
        )
        rows = db.session.execute(
            sa.select(SearchDocument.doc_key, score.label("score"))
            .where(SearchDocument.id.in_(list(candidates)))
            .order_by(sa.literal_column("score"), SearchDocument.doc_key)
            .offset(offset)
            .limit(limit)
        ).all()
        return Ranked([r[0] for r in rows], [float(r[1]) for r in rows], total)


def backend() -> SqliteBackend | PostgresBackend:
    return (
        PostgresBackend() if db.session.get_bind().dialect.name == "postgresql" else SqliteBackend()
    )
