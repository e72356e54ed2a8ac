"""``tickets.update_fields``, the generic service function the decisions go through (added to
the core for this plugin), and the ``staff_only`` extra fields it sets."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supportdesk import FieldErrors, hookimpl, tickets
from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import Event, Role
from supportdesk_disputes import disputes

from .conftest import feedback_input


def field_events() -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.kind == "fields")))


class ChangeRecorder:
    name = "change_recorder"

    def __init__(self) -> None:
        self.seen: list[dict] = []

    @hookimpl
    def ticket_changed(self, ticket, changes, actor):
        self.seen.append(dict(changes))


def test_staff_set_a_field_with_an_event_and_ticket_changed_after_the_commit(register_plugin):
    recorder = ChangeRecorder()
    app = register_plugin(recorder)
    with app.app_context():
        seller = create_user("shop@example.com", role=Role.SELLER)
        agent = create_user("a1@example.com", role=Role.AGENT, queues=["feedback"])
        ticket = disputes.file_dispute(seller, explanation="Rude", **feedback_input()).ticket
        tickets.update_fields(ticket, actor=agent, fields={"decision": "strike"})
        assert ticket.fields["decision"] == "strike" and ticket.fields["rating"] == 1
        assert recorder.seen == [{"decision": (None, "strike")}]
        tickets.update_fields(ticket, actor=agent, fields={"decision": "strike"})
        assert recorder.seen == [{"decision": (None, "strike")}]  # the same value: no change
        assert [e.data for e in field_events()] == [{"changes": {"decision": [None, "strike"]}}]


def test_values_are_checked_by_the_type_and_a_bad_one_changes_nothing(
    app, seller, feedback_agent, file
):
    ticket = file(seller).ticket
    with pytest.raises(FieldErrors) as caught:
        tickets.update_fields(ticket, actor=feedback_agent, fields={"decision": "burn", "x": 1})
    assert caught.value.errors == {
        "decision": "Choose to remove the feedback, strike its rating through or keep it.",
        "x": "This field is not accepted here.",
    }
    assert "decision" not in ticket.fields and field_events() == []


def test_only_the_fields_given_are_checked(app, seller, feedback_agent, file):
    ticket = file(seller).ticket
    tickets.update_fields(ticket, actor=feedback_agent, fields={"rating": "2"})
    assert ticket.fields["rating"] == 2 and ticket.fields["reason"] == "other"


def test_sellers_and_agents_of_other_queues_may_not_change_fields(app, seller, fraud_agent, file):
    ticket = file(seller).ticket
    for actor in (seller, fraud_agent):
        with pytest.raises(tickets.NotAllowed):
            tickets.update_fields(ticket, actor=actor, fields={"decision": "remove"})
    assert "decision" not in ticket.fields
