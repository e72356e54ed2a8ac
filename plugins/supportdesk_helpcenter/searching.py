"""Help search: the core search service over published articles, with snippets made only for
the results shown (the top results are chosen first), from the text the index kept of each."""

from __future__ import annotations

import math
import re
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress, islice
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from markupsafe import Markup, escape

from supportdesk import search
from supportdesk.database import keeping_loaded
from supportdesk.extensions import db
from supportdesk.search.analysis import fold, stem
from supportdesk.web import url_builder

from . import lexicon
from .articles import SOURCE
from .models import Article, HelpSearch
from .rendering import plain_text

SNIPPET_WORDS = 32
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_UNTIL_SPACE = re.compile(r"\S*")


@dataclass
class Hit:
    slug: str
    locale: str
    title: str
    title_html: Markup
    url: str
    snippet: Markup
    score: float
    category: str


@dataclass
class HelpResults:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    corrected: str | None
    took_ms: float
    words: list[str]
    #: The ``HelpSearch`` row this search was logged as (None when not logged): the results'
    #: links carry it, so the article a search led to is recorded.
    search_id: int | None = None
    #: Set when more articles matched than the search counts (then ``total`` is one more):
    #: the page says "more than" this many.
    more_than: int | None = None


class _Words:
    """Says which words of a text the query asked for. Each distinct word is folded and stemmed
    once for the whole results page (its articles share most of their words), in one batch."""

    def __init__(self, query_words: list[str], locale: str):
        self.wanted = set(stem(query_words, locale)) | set(query_words)
        self.locale = locale
        self.known: dict[str, bool] = {}

    def flags(self, words: list[str]) -> list[bool]:
        known = self.known
        new = list(set(words).difference(known))
        if new:
            # Folding works character by character: one call folds every new word at once.
            folded = fold("\n".join(new)).split("\n")
            wanted = self.wanted
            found = [
                plain in wanted or stemmed in wanted
                for plain, stemmed in zip(folded, stem(folded, self.locale), strict=True)
            ]
            known.update(zip(new, found, strict=True))
        return list(map(known.__getitem__, words))


def _tokens(text: str) -> tuple[list[str], int]:
    """Words and the runs between them, alternating, and the index of the first word."""
    tokens = _TOKEN.findall(text)
    first = 0 if tokens and (tokens[0][0].isalnum() or tokens[0][0] == "_") else 1
    return tokens, first


def _marked(tokens: list[str], first: int, flags: list[bool]) -> Markup:
    """The tokens escaped, with the flagged words (``flags[i]`` is ``tokens[first + 2 * i]``)
    in <mark>; the text between two marks is escaped in one piece, and a word needs none
    (``\\w`` matches none of ``&<>"'``)."""
    pieces, done = [], 0
    for i in compress(range(len(flags)), flags):
        at = first + 2 * i
        pieces += [escape("".join(tokens[done:at])), "<mark>", tokens[at], "</mark>"]
        done = at + 1
    pieces.append(escape("".join(tokens[done:])))
    return Markup("".join(pieces))  # noqa: S704 (every piece of text was escaped above)  # nosec B704


def highlight(text: str, words: _Words) -> Markup:
    """Escape ``text`` and wrap the query's words in <mark>."""
    tokens, first = _tokens(text)
    return _marked(tokens, first, words.flags(tokens[first::2]))


def snippet(passage: search.Passage, words: _Words) -> Markup:
    """The passage of about ``SNIPPET_WORDS`` words holding most of the query's words."""
    text = passage.text
    if passage.terms is not None:  # the index analysed these words already
        flags = list(map(words.wanted.__contains__, passage.terms))
    else:
        flags = words.flags(_WORD.findall(text))
    if not flags:
        return Markup("")
    size = min(SNIPPET_WORDS, len(flags))
    # The earliest of the best windows starts with the text or just where a query word comes
    # into it: only those starts are counted.
    at = list(compress(range(len(flags)), flags))
    starts = [0, *(i - size + 1 for i in at if i >= size)]
    start = max(starts, key=lambda s: bisect_left(at, s + size) - bisect_left(at, s))
    shown = list(islice(_WORD.finditer(text), start, start + size + 1))  # and the next word
    if len(shown) < size:  # the analysed words did not line up with the text's
        return snippet(search.Passage(text), words)
    begin = shown[0].start() if start else 0
    more = len(shown) > size
    # Up to the end of the text, or with the punctuation that closes the last word shown.
    finish = _UNTIL_SPACE.match(text, shown[size - 1].end()).end() if more else len(text)
    marked = highlight(text[begin:finish], words)
    return Markup(f"{'… ' if start else ''}{marked}{' …' if more else ''}")  # noqa: S704 (escaped, and ellipses)  # nosec B704


def article_url(slug: str, locale: str) -> str:
    return url_for("desk.helpcenter.article", slug=slug, lang=locale)


def _article_urls(locale: str) -> Callable[[str], str]:
    """``article_url`` for the articles of a results page, the address built once."""
    return url_builder("desk.helpcenter.article", "slug", lang=locale)


#: What a result shows of its article (built once: building it costs more than running it).
_SHOWN = sa.select(Article.slug, Article.title, Article.category).where(
    Article.slug.in_(sa.bindparam("slugs", expanding=True)),
    Article.locale == sa.bindparam("locale"),
)


def _hits(results: search.Results, locale: str) -> list[Hit]:
    if not results.keys:
        return []
    rows = {
        row.slug: row
        for row in db.session.execute(_SHOWN, {"slugs": results.keys, "locale": locale})
    }
    passages = search.passages(SOURCE, list(rows), locale)
    if missing := [slug for slug in rows if slug not in passages]:
        passages.update(_passages_from_articles(missing, locale))
    words = _Words(results.words, locale)  # shared: the articles of a page share most words
    url = _article_urls(locale)
    hits = []
    for key, score in zip(results.keys, results.scores, strict=True):
        article = rows.get(key)
        if article is None:
            continue
        hits.append(
            Hit(
                slug=article.slug,
                locale=locale,
                title=article.title,
                title_html=highlight(article.title, words),
                url=url(article.slug),
                snippet=snippet(passages[key], words),
                score=round(-score, 4),
                category=article.category,
            )
        )
    return hits


def _passages_from_articles(slugs: list[str], locale: str) -> dict[str, search.Passage]:
    """The text of articles the index does not hold (indexed before it kept the text)."""
    return {
        slug: search.Passage(unicodedata.normalize("NFC", plain_text(body)))
        for slug, body in db.session.execute(
            sa.select(Article.slug, Article.body).where(
                Article.slug.in_(slugs), Article.locale == locale
            )
        )
    }


def expansion(locale: str) -> dict[str, Any]:
    """How help searches reach past the words typed: the language's lexicon and, when
    ``SUPPORTDESK_HELP_FEEDBACK`` is on, pseudo-relevance feedback (off by default: on the
    hard quality set it ranked the right page lower more often than higher)."""
    return {
        "lexicon": lexicon.for_locale(locale),
        # A page answering in other words than the query's ranks on its merits, not below
        # every page that merely holds all of them (measured on the hard quality set).
        "all_words_first": False,
        "feedback": bool(current_app.config.get("SUPPORTDESK_HELP_FEEDBACK", False)),
    }


#: A search written for the analytics: a plain insert, as the session's unit of work would cost
#: more than the row.
_LOGGED = sa.insert(HelpSearch.__table__)


def search_help(
    query: str,
    locale: str,
    *,
    category: str | None = None,
    page: int = 1,
    per_page: int = 10,
    seller_id: int | None = None,
    log: bool = True,
) -> HelpResults:
    """Search the published articles of one language; logs the search for the analytics."""
    started = time.perf_counter()
    page = max(1, min(page, 1000))
    results = search.search(
        SOURCE,
        query,
        locale=locale,
        facet=category or None,
        limit=per_page,
        offset=(page - 1) * per_page,
        **expansion(locale),
    )
    hits = _hits(results, locale)
    took = (time.perf_counter() - started) * 1000
    search_id = None
    if log and results.words:
        text = " ".join(query.split())[:300]
        logged = db.session.execute(
            _LOGGED,
            {
                "query": text,
                "normalised": " ".join(results.words)[:300],
                "locale": locale,
                "results": results.total,
                "seller_id": seller_id,
            },
        )
        search_id = logged.inserted_primary_key[0]
        with keeping_loaded() as session:
            session.commit()
    return HelpResults(
        hits=hits,
        total=results.total,
        page=page,
        # Pages past the ranked results would be empty: the pager does not offer them.
        pages=max(1, math.ceil(results.reachable / per_page)),
        corrected=results.corrected,
        took_ms=round(took, 2),
        words=results.words,
        search_id=search_id,
        more_than=results.more_than,
    )


def suggestions(text: str, locale: str, limit: int = 5) -> list[Hit]:
    """Articles for a query being typed (the last word may be unfinished); not logged."""
    results = search.search(
        SOURCE, text, locale=locale, limit=limit, prefix=True, **expansion(locale)
    )
    if not results.keys:
        results = search.search(SOURCE, text, locale=locale, limit=limit, **expansion(locale))
    return _hits(results, locale)
