"""What the help pages list: categories and their names, popular and related articles, and
which language of an article a reader gets."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale

from supportdesk.extensions import db
from supportdesk.i18n import lazy_gettext as _l

from .models import LOCALES, Article

#: Names of the categories the help content uses; an unknown key is shown as it is.
CATEGORY_LABELS = {
    "buyer-communication": _l("Buyer communication"),
    "orders": _l("Orders"),
    "feedback": _l("Feedback"),
    "disputes": _l("Disputes"),
    "guarantee": _l("Buyer guarantee"),
    "fraud-and-safety": _l("Fraud and safety"),
    "shipping": _l("Shipping"),
    "returns": _l("Returns and refunds"),
    "listings": _l("Listings"),
    "payments": _l("Payments"),
    "account": _l("Your account"),
}
#: The languages an article can be written in, named in the reader's language.
LANGUAGE_LABELS = {"en": _l("English"), "fr": _l("French")}
#: A translation's link, said in the language it leads to (rendered under that locale).
READ_IN = {"en": _l("Read in English"), "fr": _l("Read in French")}


def category_label(key: str) -> str:
    return str(CATEGORY_LABELS.get(key, key))


def ui_locale() -> str:
    """The interface language if articles are written in it, else the first article language."""
    locale = get_locale()
    language = locale.language if locale is not None else ""
    return language if language in LOCALES else LOCALES[0]


def asked_locale(value: str | None) -> str:
    """``?lang=`` when it names an article language, else the interface language."""
    return value if value in LOCALES else ui_locale()


def other_locale(locale: str) -> str:
    return next(code for code in LOCALES if code != locale)


def readable(slug: str, locale: str, *, drafts: bool = False) -> Article | None:
    """The article in ``locale`` if this reader may see it (drafts only for staff)."""
    query = sa.select(Article).where(Article.slug == slug, Article.locale == locale)
    if not drafts:
        query = query.where(Article.published.is_(True))
    return db.session.scalar(query)


def published_in(locale: str) -> sa.Select:
    return sa.select(Article).where(Article.locale == locale, Article.published.is_(True))


def category_counts(locale: str) -> list[tuple[str, str, int]]:
    """``(key, name, published articles)`` for every category of ``locale``, by name."""
    rows = db.session.execute(
        sa.select(Article.category, sa.func.count())
        .where(Article.locale == locale, Article.published.is_(True), Article.category != "")
        .group_by(Article.category)
    ).all()
    return _by_name([(key, category_label(key), count) for key, count in rows])


def _by_name(rows: list[tuple]) -> list[tuple]:
    """Rows whose second item is a category's name, in the reader's alphabetical order."""
    return sorted(rows, key=lambda row: row[1].casefold())


def _category_keys() -> sa.Select:
    """The category keys of one language's published articles (``locale``), in key order:
    each is one seek in the listing index past the one before, where a count would read
    every article's row."""
    listed = (Article.locale == sa.bindparam("locale"), Article.published.is_(True))
    first = sa.select(sa.func.min(Article.category).label("key")).where(
        *listed, Article.category > ""
    )
    keys = first.cte("category_keys", recursive=True)
    after = sa.select(sa.func.min(Article.category)).where(*listed, Article.category > keys.c.key)
    keys = keys.union_all(sa.select(after.scalar_subquery()).where(keys.c.key.is_not(None)))
    return sa.select(keys.c.key).where(keys.c.key.is_not(None))


_CATEGORY_KEYS = _category_keys()  # built once: building it costs more than running it


def categories(locale: str) -> list[tuple[str, str]]:
    """``(key, name)`` for every category of ``locale``, by name: ``category_counts`` without
    the counts (what the search box offers)."""
    keys = db.session.scalars(_CATEGORY_KEYS, {"locale": locale})
    return _by_name([(key, category_label(key)) for key in keys])


def popular(locale: str, limit: int = 5) -> list[Article]:
    """The articles readers found most helpful (the newest first when no one voted yet)."""
    return list(db.session.scalars(popular_statement(locale, limit)))


def popular_statement(locale: str, limit: int) -> sa.Select:
    """:func:`popular`'s select, in the order of the ``ix_help_articles_popular`` index."""
    score = Article.helpful_yes - Article.helpful_no
    return (
        published_in(locale)
        .order_by(score.desc(), Article.updated_at.desc(), Article.id)
        .limit(limit)
    )


def in_category(
    locale: str, category: str, *, offset: int, limit: int
) -> tuple[list[Article], int]:
    """One page of a category's published articles, by title, and how many it has."""
    query = published_in(locale).where(Article.category == category)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Article.title, Article.id).offset(offset).limit(limit))
    return list(rows), total


def related(article: Article) -> list[Article]:
    """The published articles ``article`` points to, in its language and in its order."""
    slugs = [slug for slug in article.related or [] if slug != article.slug]
    if not slugs:
        return []
    found = {
        a.slug: a
        for a in db.session.scalars(published_in(article.locale).where(Article.slug.in_(slugs)))
    }
    return [found[slug] for slug in dict.fromkeys(slugs) if slug in found]
