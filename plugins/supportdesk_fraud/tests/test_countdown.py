"""A guarantee claim's response deadline, shown as a countdown to the seller and to staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Status, Ticket, utcnow
from supportdesk.tickets import open_ticket, reply, transition
from supportdesk_fraud.countdown import countdown, duration_text

from .conftest import text


@pytest.fixture
def claim(app, seller):
    return open_ticket(
        seller=seller,
        type_key="guarantee_claim",
        subject="Guarantee claim for order 1",
        body="Never arrived",
        order_id="1",
        fields={"claim_reason": "not_received"},
    )


def due_in(ticket: Ticket, delta: timedelta) -> None:
    due = utcnow() + delta
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(first_response_due=due, next_due_at=due)
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(days=1, hours=3, minutes=20), "1 day 3 h"),
        (timedelta(days=2, minutes=5), "2 days"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(minutes=7, seconds=30), "7 min"),
        (timedelta(seconds=10), "1 min"),
    ],
)
def test_durations_read_as_days_and_hours_or_hours_and_minutes(app, delta, shown):
    assert duration_text(delta) == shown


def test_the_deadline_is_48_hours_around_the_clock(claim):
    assert claim.first_response_due - claim.created_at == timedelta(hours=48)


def test_the_deadline_is_a_setting(make_app, seller):
    app = make_app(SUPPORTDESK_GUARANTEE_RESPONSE_HOURS=24)
    with app.app_context():
        ticket = open_ticket(seller=seller, type_key="guarantee_claim", subject="x", body="y")
        assert ticket.first_response_due - ticket.created_at == timedelta(hours=24)


def test_time_left_then_overdue(claim):
    opened = claim.created_at
    assert countdown(claim, opened).text == "2 days left"
    assert countdown(claim, opened + timedelta(hours=20, minutes=30)).text == "1 day 3 h left"
    assert countdown(claim, opened + timedelta(hours=47, minutes=30)).text == "30 min left"
    late = countdown(claim, opened + timedelta(hours=50))
    assert (late.state, late.text) == ("overdue", "overdue by 2 h")


def test_the_clock_stops_while_the_claim_waits_on_the_seller(claim, agent):
    transition(claim, actor=agent, status=Status.WAITING)
    shown = countdown(claim, utcnow() + timedelta(days=5))
    assert shown.state == "stopped" and shown.text.startswith("Clock stopped, 1 day 23 h left")


def test_an_answered_claim_says_so(claim, agent):
    reply(claim, actor=agent, body="We are on it.")
    assert countdown(claim, utcnow()).text == "Answered"


def test_the_seller_and_staff_see_the_countdown(client, login, claim, seller, support_agent):
    due_in(claim, timedelta(days=1, hours=3, minutes=10))
    login(client, seller)
    page = text(client.get(f"/cases/{claim.ref}"))
    assert "1 day 3 h left" in page and "The item was not received" in page
    assert "/fraud/static/countdown.js" in page
    assert f'data-countdown-url="/fraud/claims/{claim.ref}/countdown"' in page
    login(client, support_agent)
    due_in(claim, timedelta(hours=-2, minutes=-5))
    page = text(client.get(f"/staff/cases/{claim.ref}"))
    assert "overdue by 2 h" in page and "Download the evidence pack" in page


def test_the_script_asks_the_server_for_the_current_text(
    client, login, claim, seller, other_seller
):
    due_in(claim, timedelta(hours=5, minutes=30))
    login(client, seller)
    response = client.get(f"/fraud/claims/{claim.ref}/countdown")
    assert response.json == {"state": "left", "text": "5 h 29 min left"}
    assert response.headers["Cache-Control"] == "private, no-store"
    login(client, other_seller)
    assert client.get(f"/fraud/claims/{claim.ref}/countdown").status_code == 404


def test_the_script_is_served_from_the_desk(client):
    response = client.get("/fraud/static/countdown.js")
    assert response.status_code == 200 and b"fraud-countdown" in response.data


def test_only_claims_have_a_countdown(client, login, report, seller):
    ticket = report(seller)
    login(client, seller)
    assert client.get(f"/fraud/claims/{ticket.ref}/countdown").status_code == 404
    assert "data-countdown-url" not in text(client.get(f"/cases/{ticket.ref}"))
