"""The help centre's JSON API under ``/api/v1/help``: public, read-only, published articles only.

``GET /search?q=&lang=&limit=`` answers ``{"results": [{"slug", "locale", "title", "url",
"snippet", "score"}], "total", "took_ms"}``. ``snippet`` is plain text, not HTML: the passage
of the article that holds the query's words, each matched word between « and » (a client
shows it as text, or turns the guillemets into its own highlighting). ``url`` is absolute.

``GET /articles/<slug>?lang=`` answers the article in that language (without ``lang``: the
interface language, else the other one), its Markdown and its sanitised HTML, and the
``questions`` it answers (other phrasings the search finds it by; possibly empty).

Bad input is a 400 ``application/problem+json`` naming the field in ``errors``; an unknown or
unpublished article is a 404 problem.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from markupsafe import Markup

from supportdesk.accounts import current_user
from supportdesk.api import API_PREFIX, problem
from supportdesk.extensions import csrf
from supportdesk.i18n import gettext as _

from . import articles, catalogue, searching
from .models import LOCALES, Article

api_bp = Blueprint("helpcenter_api", __name__, url_prefix=f"{API_PREFIX}/help")
csrf.exempt(api_bp)  # read-only and public; a marketplace's widget calls it from anywhere

DEFAULT_LIMIT = 10
MAX_LIMIT = 50


def plain_snippet(snippet: Markup) -> str:
    """The highlighted snippet as text, matched words in «…». Text inside was escaped, so the
    only ``<mark>`` tags are the highlighter's own."""
    marked = str(snippet).replace("<mark>", "«").replace("</mark>", "»")
    return html.unescape(marked)


def parse_limit(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_LIMIT else None


def bad_request(errors: dict[str, str]) -> Response:
    return problem(
        400, _("The request has invalid parameters."), kind="invalid-parameters", errors=errors
    )


@api_bp.get("/search")
def search() -> Response:
    query = (request.args.get("q") or "").strip()
    lang = request.args.get("lang")
    limit = parse_limit(request.args.get("limit"))
    errors = {}
    if not query:
        errors["q"] = _("Give the words to search for.")
    if lang is not None and lang not in LOCALES:
        errors["lang"] = _("The language must be en or fr.")
    if limit is None:
        errors["limit"] = _("The limit is a whole number from 1 to %(max)d.", max=MAX_LIMIT)
    if errors:
        return bad_request(errors)
    results = searching.search_help(
        query,
        lang or catalogue.ui_locale(),
        per_page=limit,
        seller_id=current_user.id if current_user.is_authenticated else None,
    )
    return jsonify(
        results=[
            {
                "slug": hit.slug,
                "locale": hit.locale,
                "title": hit.title,
                "url": url_for(
                    "desk.helpcenter.article", slug=hit.slug, lang=hit.locale, _external=True
                ),
                "snippet": plain_snippet(hit.snippet),
                "score": hit.score,
            }
            for hit in results.hits
        ],
        total=results.total,
        took_ms=results.took_ms,
    )


def article_json(article: Article) -> dict[str, Any]:
    others = [a for a in articles.translations(article) if a.published]
    return {
        "slug": article.slug,
        "locale": article.locale,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags or []),
        "related": list(article.related or []),
        "questions": list(article.questions or []),
        "body_markdown": article.body,
        "body_html": article.body_html,
        "updated_at": article.updated_at.isoformat(),
        "url": url_for(
            "desk.helpcenter.article", slug=article.slug, lang=article.locale, _external=True
        ),
        "translations": [
            {
                "locale": other.locale,
                "title": other.title,
                "url": url_for(
                    "desk.helpcenter.article", slug=other.slug, lang=other.locale, _external=True
                ),
            }
            for other in others
        ],
    }


@api_bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    lang = request.args.get("lang")
    if lang is not None and lang not in LOCALES:
        return bad_request({"lang": _("The language must be en or fr.")})
    wanted = (
        [lang] if lang else [catalogue.ui_locale(), catalogue.other_locale(catalogue.ui_locale())]
    )
    for locale in wanted:
        found = catalogue.readable(slug, locale)
        if found is not None:
            return jsonify(article_json(found))
    return problem(404, _("There is no published article with this slug in this language."))
