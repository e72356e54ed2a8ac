"""The staff dashboard: figures over the cases each staff member may see, and its charts.

Cases are written through the ticket service; their timestamps are then set by hand with a
direct UPDATE (acceptable in tests only) so that every figure is known in advance.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from supportdesk import hookimpl
from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import Queue, Status, Ticket, utcnow
from supportdesk.staff.dashboard import (
    Breaches,
    Median,
    count_breaches,
    daily_cases,
    format_duration,
    median_time,
    open_cases_per_queue,
    satisfaction,
)
from supportdesk.tickets import open_ticket, reply

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def set_columns(ticket: Ticket, **values) -> None:
    db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(**values))
    db.session.commit()


def case(seller, agent, type_key="contact", status=Status.RESOLVED):
    ticket = open_ticket(seller=seller, type_key=type_key, subject="Payout", body="Missing")
    if status is not None:
        reply(ticket, actor=agent, body="Answered.", status=status)
    return ticket


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def support_agent(make_user):
    return make_user("agent", queues=["seller_support"])


@pytest.fixture
def fraud_agent(make_user):
    return make_user("agent", queues=["fraud"])


@pytest.fixture
def cases(app, seller, agent, now):
    """Seller support: A, B, C, E in the period, D before it. Fraud: F resolved, G new.

    =====  ===============  ==========  ==============================  ======
    case   first response   resolution  deadlines                       rating
    =====  ===============  ==========  ==============================  ======
    A      1 h              10 h        in time                         5
    B      2 h (late)       20 h        first response due after 1 h    3
    C      4 h              -           resolution due 1 h ago: overdue -
    D      (60 days ago: out of the period, late twice)                 1
    E      30 min           50 h (late) resolution due after 40 h       4
    F      6 h              7 h (late)  resolution due after 6 h        2
    G      -                -           new, due later                  -
    =====  ===============  ==========  ==============================  ======
    """

    def timeline(ticket, opened, first, resolved=None, first_due=8 * HOUR, due=40 * HOUR, **more):
        set_columns(
            ticket,
            created_at=opened,
            first_response_at=opened + first,
            first_response_due=opened + first_due,
            resolved_at=opened + resolved if resolved else None,
            resolution_due=opened + due,
            **more,
        )

    a, b, d, e = (case(seller, agent) for _ in range(4))
    c = case(seller, agent, status=Status.OPEN)
    f = case(seller, agent, "fraud_report")
    case(seller, agent, "fraud_report", status=None)
    timeline(a, now - 10 * DAY, HOUR, 10 * HOUR, rating=5, rated_at=now - 5 * DAY)
    timeline(b, now - 9 * DAY, 2 * HOUR, 20 * HOUR, first_due=HOUR, rating=3, rated_at=now - DAY)
    timeline(c, now - 8 * DAY, 4 * HOUR, due=8 * DAY - HOUR, next_due_at=now - HOUR)
    timeline(
        d, now - 60 * DAY, DAY, 2 * DAY, first_due=HOUR, due=DAY, rating=1, rated_at=now - 50 * DAY
    )
    timeline(e, now - 5 * DAY, HOUR / 2, 50 * HOUR, rating=4, rated_at=now - 2 * DAY)
    timeline(f, now - 3 * DAY, 6 * HOUR, 7 * HOUR, due=6 * HOUR, rating=2, rated_at=now - DAY)
    return now


def test_figures_for_an_admin_cover_every_queue(cases, admin, now):
    since = now - 30 * DAY
    assert median_time(admin, Ticket.first_response_at, since) == Median(2 * HOUR, 5)
    assert median_time(admin, Ticket.resolved_at, since) == Median(15 * HOUR, 4)
    assert count_breaches(admin, since, now) == Breaches(
        late_first_response=1, late_resolution=2, overdue_now=1, cases=4
    )
    ratings = satisfaction(admin, since)
    assert ratings.counts == {5: 1, 4: 1, 3: 1, 2: 1} and ratings.average == 3.5
    open_counts = {queue.key: n for queue, n in open_cases_per_queue(admin)}
    assert open_counts == {"seller_support": 1, "fraud": 1, "guarantee": 0, "feedback": 0}


def test_an_agent_sees_only_the_figures_of_their_queues(cases, support_agent, fraud_agent, now):
    since = now - 30 * DAY
    assert median_time(support_agent, Ticket.first_response_at, since) == Median(
        timedelta(minutes=90), 4
    )
    assert median_time(support_agent, Ticket.resolved_at, since) == Median(20 * HOUR, 3)
    assert count_breaches(support_agent, since, now) == Breaches(1, 1, 1, 3)
    assert satisfaction(support_agent, since).average == 4
    assert [q.key for q, _n in open_cases_per_queue(support_agent)] == ["seller_support"]

    assert median_time(fraud_agent, Ticket.first_response_at, since) == Median(6 * HOUR, 1)
    assert count_breaches(fraud_agent, since, now) == Breaches(0, 1, 0, 1)
    assert satisfaction(fraud_agent, since).counts == {2: 1}
    assert [(q.key, n) for q, n in open_cases_per_queue(fraud_agent)] == [("fraud", 1)]


def test_the_page_shows_the_figures_of_the_signed_in_agent(cases, client, login, support_agent):
    html = login(client, support_agent).get("/staff/dashboard").get_data(as_text=True)
    assert "1 h 30 min" in html  # median first response
    assert "20 h 0 min" in html  # median resolution
    assert "4.0 out of 5" in html and "from 3 ratings" in html
    assert '<th scope="row">Seller support</th>' in html
    assert "Fraud" not in html  # neither the queue nor its figures
    assert 'href="/staff/dashboard" aria-current="page"' in html


def test_the_page_in_french_uses_french_numbers(cases, client, login, admin):
    page = login(client, admin).get("/staff/dashboard", headers={"Accept-Language": "fr"})
    assert "3,5" in page.get_data(as_text=True)


def test_cases_are_counted_per_day_in_the_desk_time_zone(app, seller, agent, admin):
    paris = ZoneInfo("Europe/Paris")
    today = datetime.now(paris).date()
    day = today - timedelta(days=5)
    late_evening = datetime.combine(day, time(23, 30), UTC)  # already the next day in Paris
    evening = datetime.combine(day, time(21, 0), UTC)  # still the same day in Paris
    set_columns(case(seller, agent), created_at=late_evening, resolved_at=late_evening + HOUR)
    set_columns(case(seller, agent, status=None), created_at=evening)
    figures = {d: (o, r) for d, o, r in daily_cases(admin, today, paris)}
    assert len(figures) == 30 and max(figures) == today
    assert figures[day] == (1, 0)
    assert figures[day + timedelta(days=1)] == (1, 1)
    assert sum(o for o, _r in figures.values()) == 2


class FraudReportsForAdminsOnly:
    """A plugin that keeps one ticket type from the agents of its own queue."""

    @hookimpl
    def permission_allowed(self, actor, action, obj):
        if action == "view_type" and obj.key == "fraud_report" and not actor.is_admin:
            return False
        return None


def test_open_counts_leave_out_the_types_an_agent_may_not_see(register_plugin):
    with register_plugin(FraudReportsForAdminsOnly()).app_context():
        seller = create_user("seller@example.com")
        admin = create_user("admin@example.com", role="admin")
        fraud_agent = create_user("agent@example.com", role="agent", queues=["fraud"])
        case(seller, admin, "fraud_report", status=None)
        assert [(q.key, n) for q, n in open_cases_per_queue(fraud_agent)] == [("fraud", 0)]
        assert ("fraud", 1) in [(q.key, n) for q, n in open_cases_per_queue(admin)]


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=20), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(hours=3, minutes=19, seconds=40), "3 h 20 min"),
        (timedelta(days=2, hours=4, minutes=10), "2 d 4 h"),
    ],
)
def test_durations_read_like_a_person_would_write_them(app, span, text):
    assert format_duration(span) == text


def test_sellers_may_not_open_the_dashboard(client, login, seller):
    assert login(client, seller).get("/staff/dashboard").status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/dashboard")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_charts_are_inline_svg_with_every_text_escaped(cases, client, login, admin):
    db.session.execute(
        sa.update(Queue).where(Queue.key == "fraud").values(name="<script>alert(1)</script>")
    )
    db.session.commit()
    html = login(client, admin).get("/staff/dashboard").get_data(as_text=True)
    assert "<script" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)
    assert len(svgs) == 4
    for svg in svgs:
        assert re.match(r'<svg [^>]*role="img" aria-labelledby="([\w-]+)-title \1-desc"', svg)
        assert "<title id=" in svg and "<desc id=" in svg
        assert " style=" not in svg and "href" not in svg and "on" + "load" not in svg
    queues = next(svg for svg in svgs if 'id="chart-queues-title"' in svg)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in queues  # in the description and tooltip
    assert "&lt;script&gt;alert(1)&lt;/scrip…" in queues  # the cut label on the axis
