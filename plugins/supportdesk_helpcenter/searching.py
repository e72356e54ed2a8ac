"""Help search: the core search service over published articles, with snippets made only for
the results shown (the top results are chosen first)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from markupsafe import Markup, escape

from supportdesk import search
from supportdesk.extensions import db
from supportdesk.search.analysis import fold, stem

from .articles import SOURCE
from .models import Article, HelpSearch
from .rendering import plain_text

SNIPPET_WORDS = 32
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


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


def _wanted(words: list[str], locale: str) -> set[str]:
    return set(stem(words, locale)) | set(words)


class _Matcher:
    """Says whether a word of the text is one the query asked for, folding and stemming each
    distinct word once (snippets look at every word of an article)."""

    def __init__(self, wanted: set[str], locale: str):
        self.wanted, self.locale, self.known = wanted, locale, {}

    def __call__(self, token: str) -> bool:
        found = self.known.get(token)
        if found is None:
            folded = fold(token)
            found = self.known[token] = (
                folded in self.wanted or stem([folded], self.locale)[0] in self.wanted
            )
        return found


def highlight(text: str, wanted: set[str], locale: str, matcher: _Matcher | None = None) -> Markup:
    """Escape ``text`` and wrap the query's words in <mark>."""
    is_wanted = matcher or _Matcher(wanted, locale)
    parts = []
    for token in _TOKEN.findall(text):
        if token[0].isalnum() or token[0] == "_":
            parts.append(Markup("<mark>%s</mark>") % token if is_wanted(token) else escape(token))
        else:
            parts.append(escape(token))
    return Markup("").join(parts)


def snippet(text: str, wanted: set[str], locale: str, matcher: _Matcher | None = None) -> Markup:
    """The passage of about ``SNIPPET_WORDS`` words holding most of the query's words."""
    is_wanted = matcher or _Matcher(wanted, locale)
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not spans:
        return Markup("")
    flags = [is_wanted(text[a:b]) for a, b in spans]
    size = min(SNIPPET_WORDS, len(spans))
    window = best = sum(flags[:size])
    best_start = 0
    for start in range(1, len(spans) - size + 1):
        window += flags[start + size - 1] - flags[start - 1]
        if window > best:
            best_start, best = start, window
    first = 0 if best_start == 0 else spans[best_start][0]
    last = spans[best_start + size - 1][1]
    if best_start + size == len(spans):
        last = len(text)
    else:  # keep the punctuation that closes the last word
        while last < len(text) and not text[last].isspace():
            last += 1
    prefix = "… " if best_start else ""
    suffix = " …" if best_start + size < len(spans) else ""
    return Markup("%s%s%s") % (
        prefix,
        highlight(text[first:last], wanted, locale, is_wanted),
        suffix,
    )


def article_url(slug: str, locale: str) -> str:
    return url_for("desk.helpcenter.article", slug=slug, lang=locale)


def _hits(results: search.Results, locale: str) -> list[Hit]:
    if not results.keys:
        return []
    rows = {
        a.slug: a
        for a in db.session.scalars(
            sa.select(Article).where(Article.slug.in_(results.keys), Article.locale == locale)
        )
    }
    wanted = _wanted(results.words, locale)
    matcher = _Matcher(wanted, locale)  # shared: the articles of a page share most words
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
                title_html=highlight(article.title, wanted, locale, matcher),
                url=article_url(article.slug, locale),
                snippet=snippet(plain_text(article.body), wanted, locale, matcher),
                score=round(-score, 4),
                category=article.category,
            )
        )
    return hits


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
    )
    hits = _hits(results, locale)
    took = (time.perf_counter() - started) * 1000
    if log and results.words:
        text = " ".join(query.split())[:300]
        db.session.add(
            HelpSearch(
                query=text,
                normalised=" ".join(results.words)[:300],
                locale=locale,
                results=results.total,
                seller_id=seller_id,
            )
        )
        db.session.commit()
    return HelpResults(
        hits=hits,
        total=results.total,
        page=page,
        pages=max(1, math.ceil(results.total / per_page)),
        corrected=results.corrected,
        took_ms=round(took, 2),
        words=results.words,
    )


def suggestions(text: str, locale: str, limit: int = 5) -> list[Hit]:
    """Articles for a query being typed (the last word may be unfinished); not logged."""
    results = search.search(SOURCE, text, locale=locale, limit=limit, prefix=True)
    if not results.keys:
        results = search.search(SOURCE, text, locale=locale, limit=limit)
    return _hits(results, locale)
