"""The one search service: documents from any source, indexed for full-text search.

A source (cases, help articles, a plugin's own records) writes documents with :func:`index` in
the same transaction as the change they mirror, and asks :func:`search` (ranked, paginated,
typo-tolerant) or :func:`matching` (a select to join against its own tables) for them. Ranking
weighs the title above the tags above the body. Pages show the source's own records; the
snippets of the few results shown are made from the body text the index kept (:func:`passages`).

Backends: SQLite FTS5 over Python-stemmed text, and PostgreSQL's own ``french``/``english``
text search with ``unaccent``; see :mod:`supportdesk.search.schema` and ``backends``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import SearchDocument, SearchTerm, utcnow
from ..plugins import plugin_host
from . import blending, vocabulary
from .analysis import fold, query_words, words
from .backends import Passage, backend, scope_text
from .lexicon import LONG_QUERY, Lexicon, plain_concepts, question_concepts
from .ranking import forget_stats

__all__ = [
    "Document",
    "Lexicon",
    "Passage",
    "Results",
    "SearchSource",
    "fold",
    "index",
    "matching",
    "passages",
    "remove",
    "search",
]


QUERY_WORDS = 12
QUESTION_WORDS = 40  # read from a long question before its filler is dropped


@dataclass(frozen=True)
class Document:
    """``facet`` is one value a source filters on (a help article's category); ``questions``
    are other ways of asking what the document answers, weighed between title and body."""

    source: str
    key: str
    locale: str
    title: str
    body: str = ""
    tags: list[str] = field(default_factory=list)
    facet: str = ""
    questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchSource:
    """What ``register_search_sources`` returns: a name and every document, for ``reindex``."""

    name: str
    documents: Callable[[], Iterable[Document]]


@dataclass
class Results:
    keys: list[str]
    scores: list[float]
    total: int
    words: list[str]
    corrected: str | None = None  # the query as we understood it, when a word was corrected
    #: How many of them pages can show, at most ``total``: only the best candidates are
    #: ranked, and a page past them is empty however many documents match.
    reachable: int = 0
    #: Set when more documents match than the backend counts (``total`` is then one more):
    #: a page says "more than" this many.
    more_than: int | None = None


def _surface_terms(document: Document) -> set[str]:
    text = " ".join([document.title, *document.tags, *document.questions, document.body])
    return set(words(text))


_INSERT_DOCUMENT = sa.insert(SearchDocument.__table__)


def index(document: Document, *, new: bool = False) -> None:
    """Add or replace a document, inside the caller's transaction. ``new`` says the index
    cannot hold it yet (a case just opened): it is added without looking for it first."""
    store = backend()
    prepare = store.stored_text
    values = {
        "title": prepare(document.title, document.locale),
        "tags": prepare(" ".join(document.tags), document.locale),
        "questions": prepare("\n".join(document.questions), document.locale),
        "body": prepare(document.body, document.locale),
        "body_text": store.kept_body_text(document.body),
        "facet": document.facet,
        "scope": scope_text(document.source, document.locale, document.facet),
        "terms": " ".join(sorted(_surface_terms(document))),
        "updated_at": utcnow(),
    }
    existing = None if new else _find(document.source, document.key, document.locale)
    old_terms = set(existing.terms.split()) if existing is not None else set()
    row = {"source": document.source, "doc_key": document.key, "locale": document.locale}
    if new:  # a plain insert: the session never needs the row as an object
        db.session.execute(_INSERT_DOCUMENT, {**row, **values})
    elif existing is None:
        db.session.add(SearchDocument(**row, **values))
    else:
        for name, value in values.items():
            setattr(existing, name, value)
    vocabulary.update_counts(
        document.source, document.locale, old_terms, set(values["terms"].split())
    )
    db.session.flush()
    # Only this source's: a case filed or answered would otherwise have the next help search
    # of this process read the help pages' statistics again (20 ms at 10,000 articles).
    forget_stats(document.source)
    plugin_host().call_isolated("search_document_indexed", document=document)


def _find(source: str, key: str, locale: str) -> SearchDocument | None:
    return db.session.scalar(
        sa.select(SearchDocument).where(
            SearchDocument.source == source,
            SearchDocument.doc_key == key,
            SearchDocument.locale == locale,
        )
    )


def remove(source: str, key: str, locale: str | None = None) -> None:
    """Take a document (every locale unless one is named) out of the index."""
    query = sa.select(SearchDocument).where(
        SearchDocument.source == source, SearchDocument.doc_key == key
    )
    if locale:
        query = query.where(SearchDocument.locale == locale)
    for document in db.session.scalars(query):
        vocabulary.update_counts(source, document.locale, set(document.terms.split()), set())
        db.session.delete(document)
    db.session.flush()
    plugin_host().call_isolated(
        "search_document_removed", source=source, key=key, locale=locale or None
    )


def clear(source: str) -> None:
    """Forget every document and word of a source (before rebuilding it)."""
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.source == source))
    db.session.execute(sa.delete(SearchTerm).where(SearchTerm.source == source))
    vocabulary.forget_counts(source)
    vocabulary.forget()
    plugin_host().call_isolated("search_source_cleared", source=source)


def matching(
    source: str, text: str, *, locale: str | None = None, every_word: bool = True
) -> sa.Select | None:
    """A select of the ``doc_key`` of documents matching ``text``, to join against a source's
    own table (which orders the rows). None when the query has no word. No typo correction."""
    terms = query_words(text, locale)
    if not terms:
        return None
    return backend().matching_ids(source, terms, locale, every_word)


def passages(source: str, keys: list[str], locale: str) -> dict[str, Passage]:
    """The body of each document as it was given to :func:`index`, for the snippets of the
    results shown: cheaper than rebuilding it from the source's records. A document indexed
    before the index kept it has none until ``supportdesk reindex``."""
    return backend().passages(source, keys, locale) if keys else {}


def search(
    source: str,
    text: str,
    *,
    locale: str | None = None,
    facet: str | None = None,
    limit: int = 10,
    offset: int = 0,
    correct_typos: bool = True,
    prefix: bool = False,
    lexicon: Lexicon | None = None,
    feedback: bool = False,
    all_words_first: bool = True,
) -> Results:
    """Ranked results for a person's query: documents with every word first, then those with
    some. Unknown words are replaced by the nearest known one, and ``corrected`` says how the
    query was read (not in a long question). ``prefix`` treats the last word as unfinished
    (search as you type).

    ``lexicon`` (of the query's language) lets the words it knows be answered by the words that
    mean the same, weighed lower, and drops the filler of long questions; a long question needs
    none of its words in particular. ``feedback`` re-ranks with the words that the best
    documents share (pseudo-relevance feedback). ``all_words_first=False`` ranks by relevance
    alone, where a document holding every word would otherwise come first (the candidates are
    still gathered those first)."""
    terms = query_words(text, locale, limit=QUESTION_WORDS)
    if lexicon is not None and len(terms) > LONG_QUERY:
        terms = lexicon.without_filler(terms)
    terms = terms[:QUERY_WORDS]
    if not terms:
        return Results([], [], 0, [])
    corrected = None
    # In a long question an unknown word is more often one the documents do not use than a
    # typo: read as the nearest known word, it sent the question elsewhere.
    if correct_typos and locale and len(terms) <= LONG_QUERY:
        last = terms[-1:] if prefix else []
        typed = terms[: len(terms) - len(last)]
        fixed, changed = vocabulary.correct(
            source, locale, typed, keep=lexicon.knows if lexicon is not None else None
        )
        if changed:
            terms, corrected = [*fixed, *last], " ".join([*fixed, *last])
    concepts = lexicon.concepts(terms) if lexicon is not None else plain_concepts(terms)
    near = blending.neighbours(source, text, locale, facet, blending.window(limit, offset))
    store = backend()
    ranked = store.search(
        source,
        question_concepts(concepts),
        locale,
        facet=facet,
        prefix_last=prefix,
        limit=blending.window(limit, offset) if near else limit,
        offset=0 if near else offset,
        feedback=feedback,
        all_words_first=all_words_first,
    )
    if near:  # a plugin found documents near in meaning: the page is chosen from the blend
        ranked = blending.page(ranked, near, limit, offset)
    reachable = ranked.total if ranked.reachable is None else min(ranked.reachable, ranked.total)
    more_than = store.COUNT_CAP if ranked.total > store.COUNT_CAP else None
    return Results(ranked.keys, ranked.scores, ranked.total, terms, corrected, reachable, more_than)
