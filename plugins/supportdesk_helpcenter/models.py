"""The help centre's tables: articles (one row per language), searches, and the entries that
admins add to the search lexicon."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supportdesk.extensions import db
from supportdesk.models import JSONType, UTCDateTime, utcnow

LOCALES = ("en", "fr")


class Article(db.Model):
    """One language of a help article; the same slug in another locale is its translation."""

    __tablename__ = "help_articles"
    __table_args__ = (
        sa.UniqueConstraint("slug", "locale", name="uq_help_articles_slug_locale"),
        # Every help page lists the categories of a language: read from this index alone,
        # not from a scan of every article's text.
        sa.Index("ix_help_articles_listing", "locale", "published", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), index=True)
    locale: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    # Markdown as written; ``body_html`` is its sanitised rendering, made when it is saved.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(64), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    related: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Other ways sellers ask what the article answers; searched as a field of their own.
    questions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    published: Mapped[bool] = mapped_column(default=False)
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Article {self.slug} {self.locale}>"


#: The start page's most helpful articles of a language, in the order ``catalogue.popular``
#: asks: its first rows are read from this index, where the same list sorted every published
#: article's row (5 ms at 5,000 articles a language, read from pages holding their text).
sa.Index(
    "ix_help_articles_popular",
    Article.locale,
    Article.published,
    (Article.helpful_yes - Article.helpful_no).self_group().desc(),
    Article.updated_at.desc(),
    Article.id,
)


class HelpSearch(db.Model):
    """One search made on the help pages, for the staff's analytics."""

    __tablename__ = "help_searches"
    __table_args__ = (sa.Index("ix_help_searches_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(300))
    normalised: Mapped[str] = mapped_column(sa.String(300), index=True)
    locale: Mapped[str] = mapped_column(sa.String(8))
    results: Mapped[int] = mapped_column(default=0)
    seller_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Whether the same seller filed a case soon after is read from their cases
    # (analytics.followed_by_case).
    # The article the seller opened from this search's results, if any.
    clicked_slug: Mapped[str | None] = mapped_column(sa.String(120), default=None)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "locale": self.locale, "results": self.results}


class LexiconEntry(db.Model):
    """One line an admin added to a language's search lexicon, in the lexicon file format
    (``lexicon.py``): read after the lines shipped with the desk."""

    __tablename__ = "help_lexicon_entries"
    __table_args__ = (sa.Index("ix_help_lexicon_entries_locale", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(8))
    line: Mapped[str] = mapped_column(sa.String(500))
    # Where it came from: "admin" (typed on the lexicon page) or "report" (the failed-queries
    # report's one-click action).
    origin: Mapped[str] = mapped_column(sa.String(16), default="admin")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
