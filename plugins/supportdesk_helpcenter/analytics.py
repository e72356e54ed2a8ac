"""What the help pages did not answer: failed searches and unhelpful articles, for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Ticket, utcnow

from .models import Article, HelpSearch

#: A case filed this soon after a seller's search counts as failed self-help.
FAILED_SELF_HELP_WINDOW = timedelta(hours=2)


def _window_end(moment: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``moment`` + FAILED_SELF_HELP_WINDOW, in SQL. SQLite keeps dates as text
    (``YYYY-MM-DD HH:MM:SS.ffffff``): its date function writes the moment the same way, to the
    millisecond, so that the two compare as text."""
    seconds = int(FAILED_SELF_HELP_WINDOW.total_seconds())
    if db.engine.dialect.name == "sqlite":
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{seconds} seconds")
    return moment + sa.literal(FAILED_SELF_HELP_WINDOW, sa.Interval())


def followed_by_case() -> sa.ColumnElement[bool]:
    """A search after which the same seller filed a case within FAILED_SELF_HELP_WINDOW: the
    help pages did not answer them.

    Worked out when a report is read, from the seller's cases (through the core's index of
    them by date, ``ix_tickets_seller_created``: without it SQLite read every case for each
    search, 490 ms for 630 searches, with it 1.7 ms), rather than written on the searches when a case is filed: marking them cost every
    case filed after a search a second write transaction (on SQLite, a second turn on the one
    write lock: 2.5 ms in process, half as much again as the filing)."""
    case = sa.select(Ticket.id).where(
        Ticket.seller_id == HelpSearch.seller_id,
        Ticket.created_at >= HelpSearch.created_at,
        Ticket.created_at <= _window_end(HelpSearch.created_at),
    )
    return sa.exists(case)


#: The periods the staff's page offers, in days.
PERIODS = (7, 30, 90)
#: An article needs this many votes before its share of "no" means anything.
MIN_VOTES = 5


@dataclass(frozen=True)
class QueryCount:
    """A query as sellers typed it (one spelling of its normalised words) and how often."""

    query: str
    locale: str
    searches: int


@dataclass(frozen=True)
class ArticleVotes:
    slug: str
    locale: str
    title: str
    yes: int
    no: int

    @property
    def unhelpful_share(self) -> float:
        return self.no / (self.yes + self.no) if self.yes + self.no else 0.0


def _counted(days: int, *conditions: sa.ColumnElement[bool], limit: int) -> list[QueryCount]:
    """Searches since ``days`` ago meeting ``conditions``, grouped by their normalised words."""
    searches = sa.func.count().label("searches")
    rows = db.session.execute(
        sa.select(sa.func.min(HelpSearch.query), HelpSearch.locale, searches)
        .where(HelpSearch.created_at >= utcnow() - timedelta(days=days), *conditions)
        .group_by(HelpSearch.normalised, HelpSearch.locale)
        .order_by(searches.desc(), sa.func.min(HelpSearch.query))
        .limit(limit)
    ).all()
    return [QueryCount(query, locale, count) for query, locale, count in rows]


def top_queries(days: int, limit: int = 10) -> list[QueryCount]:
    return _counted(days, limit=limit)


def queries_without_results(days: int, limit: int = 10) -> list[QueryCount]:
    return _counted(days, HelpSearch.results == 0, limit=limit)


def queries_followed_by_case(days: int, limit: int = 10) -> list[QueryCount]:
    """Searches after which the seller still filed a case: the help did not answer them."""
    return _counted(days, followed_by_case(), limit=limit)


@dataclass(frozen=True)
class AnsweredQuery:
    """A query after which sellers opened ``slug`` (``title`` when it exists in the query's
    language) and filed no case: what that article answers, in the sellers' words."""

    query: str
    locale: str
    slug: str
    title: str | None
    searches: int


@dataclass(frozen=True)
class FailedQueries:
    """The failed-queries report of one language: what to teach the help search."""

    locale: str
    followed_by_case: list[QueryCount]
    without_results: list[QueryCount]
    answered: list[AnsweredQuery]


def answered_after_looking(days: int, locale: str, limit: int = 10) -> list[AnsweredQuery]:
    searches = sa.func.count().label("searches")
    rows = db.session.execute(
        sa.select(sa.func.min(HelpSearch.query), HelpSearch.clicked_slug, Article.title, searches)
        .outerjoin(
            Article,
            (Article.slug == HelpSearch.clicked_slug) & (Article.locale == HelpSearch.locale),
        )
        .where(
            HelpSearch.created_at >= utcnow() - timedelta(days=days),
            HelpSearch.locale == locale,
            HelpSearch.clicked_slug.is_not(None),
            ~followed_by_case(),
        )
        .group_by(HelpSearch.normalised, HelpSearch.clicked_slug, Article.title)
        .order_by(searches.desc(), sa.func.min(HelpSearch.query))
        .limit(limit)
    ).all()
    return [AnsweredQuery(query, locale, slug, title, n) for query, slug, title, n in rows]


def failed_queries(days: int, locale: str, limit: int = 20) -> FailedQueries:
    """Since ``days`` ago in ``locale``: queries followed by a case, queries that found
    nothing, and queries answered by the article the seller opened."""
    in_locale = HelpSearch.locale == locale
    return FailedQueries(
        locale=locale,
        followed_by_case=_counted(days, in_locale, followed_by_case(), limit=limit),
        without_results=_counted(days, in_locale, HelpSearch.results == 0, limit=limit),
        answered=answered_after_looking(days, locale, limit),
    )


def least_helpful(min_votes: int = MIN_VOTES, limit: int = 10) -> list[ArticleVotes]:
    """Articles with at least ``min_votes`` votes, the largest share of "no" first (all time:
    votes are counters, not dated rows)."""
    votes = Article.helpful_yes + Article.helpful_no
    share = sa.cast(Article.helpful_no, sa.Float) / votes
    rows = db.session.execute(
        sa.select(
            Article.slug, Article.locale, Article.title, Article.helpful_yes, Article.helpful_no
        )
        .where(votes >= min_votes, Article.helpful_no > 0)
        .order_by(share.desc(), Article.helpful_no.desc(), Article.slug, Article.locale)
        .limit(limit)
    ).all()
    return [ArticleVotes(*row) for row in rows]
