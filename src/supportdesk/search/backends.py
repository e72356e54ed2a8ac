"""The two full-text backends behind the search service, with one interface.

``match`` returns a select of ``(doc_key, score)`` (lower is better) for documents holding some
of the query's words; documents holding every word rank above the others, then the engine's
relevance (BM25 with field weights on SQLite, ``ts_rank_cd`` with A/B/C weights on PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument
from .analysis import analyse, stem

#: Documents having every word rank first: this is added to their score.
ALL_WORDS_BONUS = 1000.0


class SqliteBackend:
    """FTS5 over folded, stemmed text (column weights: title 10, tags 5, body 1)."""

    name = "sqlite"
    CANDIDATE_CAP = 1000

    def stored_text(self, text: str, locale: str) -> str:
        return analyse(text, locale)

    def _expression(
        self, terms: list[str], locale: str | None, joiner: str, prefix_last: bool
    ) -> str:
        stems = stem(terms, locale) if locale else terms
        parts = [f'"{s}"' for s in stems]
        if prefix_last:
            # A word being typed: its stem or itself as a prefix ("rembour" finds "rembours…").
            parts[-1] = f'("{stems[-1]}"* OR "{terms[-1]}"*)'
        return f" {joiner} ".join(parts)

    def match(
        self,
        source: str,
        terms: list[str],
        locale: str | None,
        *,
        every_word: bool = True,
        facet: str | None = None,
        prefix_last: bool = False,
    ) -> sa.Select:
        fts = sa.literal_column("search_fts")  # FTS5 matches and ranks on the table's own name
        table = sa.table("search_fts", sa.column("rowid"))
        any_words = self._expression(terms, locale, "OR", prefix_last)
        all_words = self._expression(terms, locale, "AND", prefix_last)
        score = sa.func.bm25(fts, 10.0, 5.0, 1.0)
        if not every_word and len(terms) > 1:
            has_all = (
                sa.select(sa.literal_column("rowid"))
                .select_from(sa.text("search_fts"))
                .where(fts.op("MATCH")(all_words))
            )
            score = score - sa.case((SearchDocument.id.in_(has_all), ALL_WORDS_BONUS), else_=0.0)
        query = (
            sa.select(SearchDocument.doc_key, score.label("score"))
            .join(table, table.c.rowid == SearchDocument.id)
            .where(
                fts.op("MATCH")(all_words if every_word else any_words),
                SearchDocument.source == source,
            )
        )
        if locale:
            query = query.where(SearchDocument.locale == locale)
        if facet:
            query = query.where(SearchDocument.facet == facet)
        return query


class PostgresBackend:
    """PostgreSQL text search: ``french``/``english`` stemming on ``unaccent``ed text, a GIN
    index, ``websearch_to_tsquery``; at most ``CANDIDATE_CAP`` matches are ranked."""

    name = "postgresql"
    CANDIDATE_CAP = 1000

    def stored_text(self, text: str, locale: str) -> str:
        return text  # PostgreSQL folds and stems it in the generated tsvector column

    def _tsquery(
        self, terms: list[str], every: bool, prefix_last: bool, config: sa.ColumnElement
    ) -> sa.ColumnElement:
        if prefix_last:  # the words are folded \w+ runs, so they cannot carry tsquery syntax
            parts = [*terms[:-1], f"{terms[-1]}:*"]
            return sa.func.to_tsquery(config, (" & " if every else " | ").join(parts))
        text = (" " if every else " or ").join(terms)
        return sa.func.websearch_to_tsquery(config, sa.func.supportdesk_unaccent(text))

    def match(
        self,
        source: str,
        terms: list[str],
        locale: str | None,
        *,
        every_word: bool = True,
        facet: str | None = None,
        prefix_last: bool = False,
    ) -> sa.Select:
        config = sa.func.supportdesk_tsconfig(
            sa.literal(locale) if locale else SearchDocument.locale
        )
        tsv = sa.literal_column("search_documents.tsv")
        all_words = self._tsquery(terms, True, prefix_last, config)
        any_words = self._tsquery(terms, False, prefix_last, config)
        wanted = all_words if every_word else any_words
        candidates = sa.select(SearchDocument.id).where(
            tsv.op("@@")(wanted), SearchDocument.source == source
        )
        if locale:
            candidates = candidates.where(SearchDocument.locale == locale)
        if facet:
            candidates = candidates.where(SearchDocument.facet == facet)
        capped = candidates.limit(self.CANDIDATE_CAP).subquery()
        score = -sa.func.ts_rank_cd(tsv, wanted)
        if not every_word and len(terms) > 1:
            score = score - sa.case((tsv.op("@@")(all_words), ALL_WORDS_BONUS), else_=0.0)
        return sa.select(SearchDocument.doc_key, score.label("score")).join(
            capped, capped.c.id == SearchDocument.id
        )


def backend() -> SqliteBackend | PostgresBackend:
    return (
        PostgresBackend() if db.session.get_bind().dialect.name == "postgresql" else SqliteBackend()
    )


def count(query: sa.Select, cap: int) -> int:
    """How many rows ``query`` has, counting no further than ``cap`` + 1."""
    limited = query.limit(cap + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0
