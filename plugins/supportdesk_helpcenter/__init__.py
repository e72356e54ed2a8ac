"""Help centre: bilingual help pages and their search, answering sellers before a case is filed."""

from __future__ import annotations

from pathlib import Path

from supportdesk import Link, Suggestion, hookimpl
from supportdesk.i18n import lazy_gettext as _l

from . import models  # noqa: F401  (the tables must be known to the metadata)

__version__ = "0.1.0"

PACKAGE = Path(__file__).parent


@hookimpl
def register_blueprints(app):
    from .api import api_bp
    from .views import bp

    return [bp, api_bp]


@hookimpl
def menu_links(actor):
    from flask import url_for

    from supportdesk.permissions import may

    links = [
        Link(
            _l("Help"), url_for("desk.helpcenter.index"), order=10, endpoint="desk.helpcenter.index"
        )
    ]
    if may(actor, "view", "staff"):
        links += [
            Link(
                _l("Help articles"),
                url_for("desk.helpcenter.manage"),
                section="staff",
                order=60,
                endpoint="desk.helpcenter.manage",
            ),
            Link(
                _l("Help analytics"),
                url_for("desk.helpcenter.analytics_page"),
                section="staff",
                order=61,
                endpoint="desk.helpcenter.analytics_page",
            ),
        ]
    if may(actor, "view", "admin"):
        links.append(
            Link(
                _l("Search lexicon"),
                url_for("desk.helpcenter.lexicon_admin"),
                section="staff",
                order=62,
                endpoint="desk.helpcenter.lexicon_admin",
            )
        )
    return links


@hookimpl
def warm_up_pages(app):
    from flask import url_for

    # A search's second page: the first is logged for the analytics.
    return [
        url_for("desk.helpcenter.index"),
        url_for("desk.helpcenter.search", q="how do I get paid for an order", page=2),
    ]


@hookimpl
def prepare_for_workers(app):
    from .lexicon import build_shipped

    build_shipped(app)


@hookimpl
def register_migrations(app):
    return PACKAGE / "migrations" / "versions"


@hookimpl
def register_commands(cli):
    from .commands import export_articles, import_articles

    cli.add_command(import_articles)
    cli.add_command(export_articles)


@hookimpl
def register_search_sources(app):
    from supportdesk.search import SearchSource

    from .articles import SOURCE, all_documents

    return [SearchSource(SOURCE, all_documents)]


@hookimpl
def load_demo_content(app):
    from . import articles, files

    files.import_folder(PACKAGE / "demo_articles", articles.save)


@hookimpl
def suggest_articles(text, locale, limit):
    from .searching import suggestions

    return [
        Suggestion(title=s.title, url=s.url, snippet=s.snippet, score=s.score)
        for s in suggestions(text, locale, limit)
    ]
