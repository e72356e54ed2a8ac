"""The fraud team records an outcome: confirmed, unfounded, or more information needed (a public
reply to the seller, and the case waits on them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supportdesk import hookimpl
from supportdesk.extensions import db
from supportdesk.models import Event, Message, Outbox, Status

from .conftest import field_error, text


class Listener:
    """A marketplace plugin acting on the outcome through ``ticket_changed``."""

    name = "listener"

    def __init__(self):
        self.changes = []

    @hookimpl
    def ticket_changed(self, ticket, changes, actor):
        self.changes.append((ticket.ref, dict(changes), actor.email if actor else None))


@pytest.fixture
def listener():
    return Listener()


@pytest.fixture
def app(make_app, listener):
    app = make_app(plugins=[listener])
    with app.app_context():
        yield app


@pytest.fixture
def team_client(client, login, fraud_agent):
    return login(client, fraud_agent)


@pytest.mark.parametrize("outcome", ["confirmed", "unfounded"])
def test_a_decision_is_recorded_with_an_event_and_told_to_plugins(
    team_client, report, seller, listener, outcome
):
    ticket = report(seller)
    response = team_client.post(f"/staff/fraud/{ticket.ref}", data={"outcome": outcome})
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.fields["outcome"] == outcome
    event = db.session.scalar(sa.select(Event).where(Event.kind == "fields"))
    assert event.data == {"changes": {"outcome": [None, outcome]}}
    assert listener.changes == [(ticket.ref, {"outcome": (None, outcome)}, "fay@example.com")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1  # no reply
    page = text(team_client.get(f"/staff/fraud/{ticket.ref}"))
    assert "Outcome recorded" in page


def test_a_comment_with_a_decision_is_an_internal_note(team_client, report, seller):
    ticket = report(seller)
    team_client.post(
        f"/staff/fraud/{ticket.ref}", data={"outcome": "confirmed", "message": "Card reported."}
    )
    note = db.session.scalar(sa.select(Message).where(Message.internal.is_(True)))
    assert note.body == "Card reported."
    assert db.session.scalar(sa.select(Outbox).where(Outbox.kind == "staff_reply")) is None


def test_more_information_goes_back_to_the_seller_and_the_case_waits(
    team_client, report, seller, client, login
):
    ticket = report(seller)
    response = team_client.post(
        f"/staff/fraud/{ticket.ref}",
        data={"outcome": "more_info", "message": "Please send the bank's reversal notice."},
    )
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert (ticket.status, ticket.fields["outcome"]) == (Status.WAITING, "more_info")
    reply = ticket.messages[-1]
    assert (reply.internal, reply.body) == (False, "Please send the bank's reversal notice.")
    mail = db.session.scalar(sa.select(Outbox).where(Outbox.kind == "staff_reply"))
    assert mail.recipient == seller.email
    login(client, seller)
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Please send the bank's reversal notice." in page and "waiting for your reply" in page


def test_more_information_needs_the_question(team_client, report, seller):
    ticket = report(seller)
    response = team_client.post(f"/staff/fraud/{ticket.ref}", data={"outcome": "more_info"})
    assert response.status_code == 400
    assert "Write what the seller should send" in field_error(text(response), "message")
    db.session.refresh(ticket)
    assert ticket.status == Status.NEW and "outcome" not in ticket.fields


def test_an_outcome_must_be_chosen_from_the_list(team_client, report, seller):
    ticket = report(seller)
    response = team_client.post(f"/staff/fraud/{ticket.ref}", data={"outcome": "banned"})
    assert response.status_code == 400
    db.session.refresh(ticket)
    assert "outcome" not in ticket.fields


def test_a_seller_cannot_set_an_outcome(app, seller):
    from supportdesk import FieldErrors
    from supportdesk.tickets import open_ticket

    with pytest.raises(FieldErrors) as caught:
        open_ticket(
            seller=seller,
            type_key="fraud_report",
            subject="x",
            body="y",
            fields={"outcome": "confirmed"},
        )
    assert set(caught.value.errors) == {"outcome"}


def test_the_outcome_shows_on_the_workspace_and_in_the_list(team_client, report, seller):
    ticket = report(seller)
    team_client.post(f"/staff/fraud/{ticket.ref}", data={"outcome": "unfounded"})
    assert "Outcome: <strong>Unfounded</strong>" in text(
        team_client.get(f"/staff/cases/{ticket.ref}")
    )
    assert "Unfounded" in text(team_client.get("/staff/fraud"))
