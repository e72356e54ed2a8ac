"""The staff dashboard: open cases, response times, SLA breaches, satisfaction, 30 days of cases.

Every figure counts only the cases the signed-in staff member may see (``visible_tickets``: an
agent their queues, an admin all), leaves out duplicates merged into another case, and reads
only the columns it needs over the period, never whole tickets.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask import render_template
from flask_babel import format_date, format_decimal, get_locale, ngettext, pgettext
from markupsafe import Markup
from sqlalchemy.orm import InstrumentedAttribute

from .. import charts, sla
from ..accounts import current_user
from ..case_state import RUNNING
from ..extensions import db
from ..i18n import gettext as _
from ..models import Queue, QueueCount, Status, Ticket, User, utcnow
from ..permissions import hidden_type_keys, may, visible_tickets
from . import bp, staff_required

PERIOD_DAYS = 30
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


@dataclass(frozen=True)
class Median:
    """The median time from opening to an event, and over how many cases."""

    value: timedelta | None
    cases: int


@dataclass(frozen=True)
class Breaches:
    late_first_response: int
    late_resolution: int
    overdue_now: int
    #: Cases with at least one of the above (a case may be late twice).
    cases: int


@dataclass(frozen=True)
class Satisfaction:
    counts: dict[int, int]

    @property
    def ratings(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> float | None:
        total = sum(rating * n for rating, n in self.counts.items())
        return total / self.ratings if self.ratings else None


def _visible(actor: User, *columns: sa.ColumnElement) -> sa.Select:
    """The actor's cases (merged duplicates left out), selecting only ``columns``."""
    query = visible_tickets(actor).with_only_columns(*columns)
    return query.where(Ticket.merged_into_id.is_(None))


def open_cases_per_queue(actor: User) -> list[tuple[Queue, int]]:
    """Cases still to be worked on in each queue the actor may view, from the queue counters."""
    queues = [
        queue
        for queue in db.session.scalars(sa.select(Queue).order_by(Queue.name, Queue.id))
        if may(actor, "view", queue)
    ]
    if hidden_type_keys(actor):
        # Some cases of these queues are hidden from the actor: count only those they may see.
        query = (
            visible_tickets(actor)
            .with_only_columns(Ticket.queue_id, sa.func.count(Ticket.id))
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.queue_id)
        )
    else:
        query = (
            sa.select(QueueCount.queue_id, sa.func.sum(QueueCount.count))
            .where(QueueCount.status.in_(OPEN_STATUSES))
            .where(QueueCount.queue_id.in_([queue.id for queue in queues]))
            .group_by(QueueCount.queue_id)
        )
    counts = dict(db.session.execute(query).all())
    return [(queue, int(counts.get(queue.id) or 0)) for queue in queues]


def median_time(actor: User, event: InstrumentedAttribute, since: datetime) -> Median:
    """Median of ``event - created_at`` over the cases whose ``event`` came after ``since``."""
    rows = db.session.execute(_visible(actor, Ticket.created_at, event).where(event >= since))
    spans = [end - start for start, end in rows]
    return Median(statistics.median(spans) if spans else None, len(spans))


def count_breaches(actor: User, since: datetime, now: datetime) -> Breaches:
    """Deadlines missed in the period (first response or resolution after its deadline) and
    cases overdue now."""
    late_first = sa.and_(
        Ticket.first_response_at >= since, Ticket.first_response_at > Ticket.first_response_due
    )
    late_resolution = sa.and_(
        Ticket.resolved_at >= since, Ticket.resolved_at > Ticket.resolution_due
    )
    overdue = sa.and_(Ticket.status.in_(RUNNING), Ticket.next_due_at < now)
    count = sa.func.count(Ticket.id)
    row = db.session.execute(
        _visible(
            actor,
            count.filter(late_first),
            count.filter(late_resolution),
            count.filter(overdue),
            count,
        ).where(sa.or_(late_first, late_resolution, overdue))
    ).one()
    return Breaches(*row)


def satisfaction(actor: User, since: datetime) -> Satisfaction:
    """How many of each rating (1 to 5) sellers gave in the period."""
    rows = db.session.execute(
        _visible(actor, Ticket.rating, sa.func.count(Ticket.id))
        .where(Ticket.rated_at >= since, Ticket.rating.is_not(None))
        .group_by(Ticket.rating)
    )
    return Satisfaction({int(rating): int(n) for rating, n in rows})


def daily_cases(actor: User, last_day: date, zone: ZoneInfo) -> list[tuple[date, int, int]]:
    """``(day, opened, resolved)`` for the period's days, counted in the desk's time zone."""
    days = [last_day - timedelta(days=n) for n in reversed(range(PERIOD_DAYS))]
    since = datetime.combine(days[0], time(0), zone)

    def per_day(column: InstrumentedAttribute) -> Counter[date]:
        moments = db.session.scalars(_visible(actor, column).where(column >= since))
        return Counter(moment.astimezone(zone).date() for moment in moments)

    opened, resolved = per_day(Ticket.created_at), per_day(Ticket.resolved_at)
    return [(day, opened[day], resolved[day]) for day in days]


def format_duration(span: timedelta) -> str:
    """``3 h 20 min``, ``2 d 4 h`` or ``45 min``, in the reader's language."""
    minutes = round(span.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def _charts(
    queues: list[tuple[Queue, int]],
    breaches: Breaches,
    ratings: Satisfaction,
    days: list[tuple[date, int, int]],
) -> dict[str, Markup]:
    day_labels = [format_skeleton("MMMd", day, locale=get_locale()) for day, _o, _r in days]
    opened, resolved = [o for _d, o, _r in days], [r for _d, _o, r in days]
    queue_rows = [(queue.name, n) for queue, n in queues]
    return {
        "daily": charts.daily_chart(
            "chart-daily",
            _("Cases opened and resolved per day"),
            _(
                "From %(first)s to %(last)s: %(opened)s, %(resolved)s.",
                first=day_labels[0],
                last=day_labels[-1],
                opened=ngettext("%(num)d case opened", "%(num)d cases opened", sum(opened)),
                resolved=ngettext("%(num)d resolved", "%(num)d resolved", sum(resolved)),
            ),
            day_labels,
            [
                charts.Series(pgettext("cases per day", "Opened"), opened, charts.BLUE),
                charts.Series(pgettext("cases per day", "Resolved"), resolved, charts.GREEN),
            ],
            value_axis=_("Cases"),
        ),
        "queues": charts.bar_chart(
            "chart-queues",
            _("Open cases per queue"),
            _listing(queue_rows),
            queue_rows,
            empty=_("No queue"),
        ),
        "breaches": charts.bar_chart(
            "chart-breaches",
            _("SLA breaches"),
            _listing(_breach_rows(breaches)),
            _breach_rows(breaches),
            colour=charts.RED,
        ),
        "ratings": charts.bar_chart(
            "chart-ratings",
            _("Ratings"),
            _listing(_rating_rows(ratings)),
            _rating_rows(ratings),
        ),
    }


def _listing(rows: list[tuple[str, int]]) -> str:
    """The bars of a chart in words, for its description: ``Fraud: 3; Guarantee: 1``."""
    return "; ".join(_("%(label)s: %(n)d", label=label, n=n) for label, n in rows)


def _breach_rows(breaches: Breaches) -> list[tuple[str, int]]:
    return [
        (_("Late first response"), breaches.late_first_response),
        (_("Late resolution"), breaches.late_resolution),
        (_("Overdue now"), breaches.overdue_now),
    ]


def _rating_rows(ratings: Satisfaction) -> list[tuple[str, int]]:
    return [(_("%(n)d out of 5", n=n), ratings.counts.get(n, 0)) for n in range(5, 0, -1)]


@bp.get("/dashboard")
@staff_required
def dashboard():
    now = utcnow()
    since = now - timedelta(days=PERIOD_DAYS)
    zone = sla.calendar().timezone
    queues = open_cases_per_queue(current_user)
    breaches = count_breaches(current_user, since, now)
    ratings = satisfaction(current_user, since)
    days = daily_cases(current_user, now.astimezone(zone).date(), zone)
    first_response = median_time(current_user, Ticket.first_response_at, since)
    resolution = median_time(current_user, Ticket.resolved_at, since)
    return render_template(
        "desk/staff/dashboard.html",
        period_days=PERIOD_DAYS,
        zone=zone.key,
        queues=queues,
        open_total=sum(n for _q, n in queues),
        first_response=first_response,
        resolution=resolution,
        breaches=breaches,
        breach_rows=_breach_rows(breaches),
        ratings=ratings,
        rating_rows=_rating_rows(ratings),
        average_rating=format_decimal(ratings.average, "0.0") if ratings.ratings else None,
        days=[(format_date(day, "medium"), o, r) for day, o, r in days],
        duration=format_duration,
        charts=_charts(queues, breaches, ratings, days),
    )
