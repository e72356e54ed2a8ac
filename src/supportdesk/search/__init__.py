"""The one search service: documents from any source, indexed for full-text search.

A source (cases, help articles, a plugin's own records) writes documents with :func:`index` in
the same transaction as the change they mirror, and asks :func:`matching` for the ids of its
documents that match a query, best first. Ranking weighs the title above the tags above the
body. What the index holds is analysed text (:func:`analyse`); pages show the source's own
records, never the index.

Backends: SQLite FTS5 (``search_fts``) and PostgreSQL ``tsvector`` with a GIN index; see
:mod:`supportdesk.search.schema`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument, utcnow

WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12


@dataclass(frozen=True)
class Document:
    source: str
    key: str
    locale: str
    title: str
    body: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchSource:
    """What ``register_search_sources`` returns: a name and every document, for ``reindex``."""

    name: str
    documents: Callable[[], Iterable[Document]]


def fold(text: str) -> str:
    """Lower case without accents: « Réclamation » and « reclamation » are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def analyse(text: str, locale: str | None = None) -> str:
    """The words of ``text`` as the index stores them."""
    return " ".join(WORD.findall(fold(text or "")))


def index(document: Document) -> None:
    """Add or replace a document, inside the caller's transaction."""
    values = {
        "title": analyse(document.title, document.locale),
        "tags": analyse(" ".join(document.tags), document.locale),
        "body": analyse(document.body, document.locale),
        "updated_at": utcnow(),
    }
    existing = db.session.scalar(
        sa.select(SearchDocument).where(
            SearchDocument.source == document.source,
            SearchDocument.doc_key == document.key,
            SearchDocument.locale == document.locale,
        )
    )
    if existing is None:
        db.session.add(
            SearchDocument(
                source=document.source, doc_key=document.key, locale=document.locale, **values
            )
        )
    else:
        for name, value in values.items():
            setattr(existing, name, value)
    db.session.flush()


def remove(source: str, key: str) -> None:
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.source == source, SearchDocument.doc_key == key
        )
    )


def query_words(text: str, locale: str | None = None) -> list[str]:
    """The words a query asks for, analysed like the documents; operators mean nothing."""
    return analyse(text[:2000], locale).split()[:MAX_QUERY_WORDS]


def matching(source: str, text: str, *, locale: str | None = None) -> sa.Select | None:
    """A select of ``(doc_key, score)`` for documents having every word of ``text``; lower
    score is better. None when the query has no word at all."""
    words = query_words(text, locale)
    if not words:
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgres(source, words, locale)
    return _sqlite(source, words, locale)


def _sqlite(source: str, words: list[str], locale: str | None) -> sa.Select:
    fts = sa.table("search_fts", sa.column("rowid"), sa.column("search_fts"))
    # Each word quoted: FTS5 operators typed by a user are plain words here.
    expression = " ".join(f'"{w}"' for w in words)
    score = sa.func.bm25(sa.literal_column("search_fts"), 10.0, 5.0, 1.0)
    query = (
        sa.select(SearchDocument.doc_key, score.label("score"))
        .join(fts, fts.c.rowid == SearchDocument.id)
        .where(
            sa.literal_column("search_fts").op("MATCH")(expression), SearchDocument.source == source
        )
    )
    return query.where(SearchDocument.locale == locale) if locale else query


def _postgres(source: str, words: list[str], locale: str | None) -> sa.Select:
    tsv = sa.literal_column("search_documents.tsv")
    tsquery = sa.func.to_tsquery("simple", " & ".join(words))
    score = -sa.func.ts_rank_cd(tsv, tsquery)
    query = sa.select(SearchDocument.doc_key, score.label("score")).where(
        tsv.op("@@")(tsquery), SearchDocument.source == source
    )
    return query.where(SearchDocument.locale == locale) if locale else query
