"""What the help pages did not answer: failed searches and unhelpful articles, for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import Ticket, utcnow

from .models import Article, HelpSearch

#: A case filed this soon after a seller's search counts as failed self-help.
FAILED_SELF_HELP_WINDOW = timedelta(hours=2)


#: A seller's searches since a moment that no case followed yet; built once, as every case
#: filed asks.
_UNMARKED = (
    HelpSearch.seller_id == sa.bindparam("searcher"),
    HelpSearch.created_at >= sa.bindparam("since", type_=HelpSearch.created_at.type),
    HelpSearch.followed_by_case.is_(False),
)
_ANY_UNMARKED = sa.select(sa.exists().where(*_UNMARKED))
_MARK = sa.update(HelpSearch).where(*_UNMARKED).values(followed_by_case=True)


def mark_failed_self_help(ticket: Ticket) -> None:
    """After a case is opened: the seller's searches just before it did not answer them.

    Most cases follow no search: a read tells, and only a seller with searches to mark costs
    a write transaction (on SQLite, a second turn on the write lock for every case filed)."""
    values = {"searcher": ticket.seller_id, "since": ticket.created_at - FAILED_SELF_HELP_WINDOW}
    if db.session.scalar(_ANY_UNMARKED, values):
        with write_transaction() as session:
            session.execute(_MARK, values)


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
    return _counted(days, HelpSearch.followed_by_case.is_(True), limit=limit)


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
            HelpSearch.followed_by_case.is_(False),
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
        followed_by_case=_counted(
            days, in_locale, HelpSearch.followed_by_case.is_(True), limit=limit
        ),
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
