"""Deciding and appealing, in the service: who may, when, and what reaches the seller and the
marketplace plugins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk import FieldErrors, hookimpl, tickets
from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import Event, Message, Outbox, Role, Status, utcnow
from supportdesk_disputes import disputes
from supportdesk_disputes.disputes import Refused
from supportdesk_disputes.models import APPEAL, FIRST, Decision, Dispute

from .conftest import feedback_input


def decide(dispute, agent, outcome="keep", rule=None, comment=""):
    return disputes.decide(dispute, agent=agent, outcome=outcome, rule=rule, comment=comment)


def last_reply(ticket) -> Message:
    return db.session.scalars(
        sa.select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id.desc())
    ).first()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the first decision --------------------------------------------------------------------


def test_removing_records_the_decision_tells_the_seller_and_resolves_the_case(
    app, seller, feedback_agent, file
):
    dispute = file(seller, reason="obscene")
    decision = decide(dispute, feedback_agent, "remove", rule="obscene", comment="Sorry for this.")
    assert (decision.stage, decision.outcome, decision.rule) == (FIRST, "remove", "obscene")
    assert decision.agent_id == feedback_agent.id
    ticket = dispute.ticket
    assert ticket.status == Status.RESOLVED and ticket.fields["decision"] == "remove"
    body = last_reply(ticket).body
    assert body.startswith("Hello Sam Seller,")
    assert "order 402-1234567 (rated 1 out of 5" in body
    assert (
        "It breaks our feedback rules (obscene or abusive language), so we have removed it" in body
    )
    assert "appeal" not in body  # nothing to appeal once the feedback is gone
    assert "Sorry for this." in body
    mail = db.session.scalars(sa.select(Outbox).where(Outbox.kind == "staff_reply")).one()
    assert mail.recipient == seller.email
    fields_event = db.session.scalars(sa.select(Event).where(Event.kind == "fields")).one()
    assert fields_event.data == {"changes": {"decision": [None, "remove"]}}
    assert fields_event.actor_id == feedback_agent.id


def test_striking_through_is_for_a_delivery_the_marketplace_fulfilled(
    app, seller, feedback_agent, file
):
    dispute = file(seller, reason="fulfilled_by_marketplace")
    decision = decide(dispute, feedback_agent, "strike")
    assert decision.rule == "fulfilled_by_marketplace"
    body = last_reply(dispute.ticket).body
    assert "the comment stays visible but its rating is struck through" in body
    assert "you can appeal once, within 30 days" in body


def test_keeping_tells_the_seller_they_may_appeal(app, seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent, "keep", rule="other")
    assert dispute.decision(FIRST).rule is None  # a kept feedback breaks no rule
    body = last_reply(dispute.ticket).body
    assert "It does not break our feedback rules, so it stays on your profile." in body
    assert "you can appeal once, within 30 days, from your dispute's page" in body


@pytest.mark.parametrize(
    ("outcome", "rule", "errors"),
    [
        ("ban", None, {"outcome": "Choose a decision."}),
        ("remove", None, {"rule": "Choose the rule the feedback breaks."}),
        (
            "remove",
            "fulfilled_by_marketplace",
            {
                "rule": "A delivery complaint about an order the marketplace fulfilled is "
                "struck through, not removed."
            },
        ),
        (
            "strike",
            "obscene",
            {
                "rule": "Only a delivery complaint about an order the marketplace fulfilled is "
                "struck through."
            },
        ),
    ],
)
def test_a_decision_must_fit_the_rules(app, seller, feedback_agent, file, outcome, rule, errors):
    dispute = file(seller)
    with pytest.raises(FieldErrors) as caught:
        decide(dispute, feedback_agent, outcome, rule=rule)
    assert caught.value.errors == errors
    assert count(Decision) == 0 and dispute.ticket.status == Status.NEW


def test_only_staff_who_see_the_case_decide(app, seller, other_seller, fraud_agent, admin, file):
    dispute = file(seller)
    for outsider in (seller, other_seller, fraud_agent):
        with pytest.raises(tickets.NotAllowed):
            decide(dispute, outsider)
    assert count(Decision) == 0
    decide(dispute, admin, "remove", rule="other")  # admins see every queue
    assert dispute.final.outcome == "remove"


def test_a_decided_dispute_without_appeal_is_not_decided_again(app, seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    with pytest.raises(Refused, match="decided and no appeal is waiting"):
        decide(dispute, feedback_agent, "remove", rule="other")


def test_a_closed_case_is_reopened_before_deciding(app, seller, feedback_agent, file):
    dispute = file(seller)
    tickets.transition(dispute.ticket, actor=seller, status=Status.CLOSED)
    with pytest.raises(Refused, match="reopen it before deciding"):
        decide(dispute, feedback_agent)
    assert count(Decision) == 0


def test_of_two_agents_deciding_at_once_one_wins(app, seller, feedback_agent, second_agent, file):
    dispute = file(seller)
    assert dispute.decisions == []  # this agent's page was read before the other decided
    with db.engine.begin() as other_request:
        other_request.execute(
            sa.insert(Decision.__table__).values(
                dispute_id=dispute.id,
                stage=FIRST,
                outcome="keep",
                agent_id=second_agent.id,
                decided_at=utcnow(),
            )
        )
    with pytest.raises(Refused, match="Another agent has just decided"):
        decide(dispute, feedback_agent, "remove", rule="other")
    assert count(Decision) == 1


def test_a_decision_whose_case_change_fails_is_taken_back(
    app, seller, feedback_agent, file, monkeypatch
):
    dispute = file(seller)

    def conflict(*args, **kwargs):
        raise tickets.Conflict("changed meanwhile")

    monkeypatch.setattr(tickets, "reply", conflict)
    with pytest.raises(tickets.Conflict):
        decide(dispute, feedback_agent)
    assert count(Decision) == 0
    monkeypatch.undo()
    decide(dispute, feedback_agent)  # trying again does the whole change
    assert dispute.final.outcome == "keep" and dispute.ticket.status == Status.RESOLVED


# --- the appeal ----------------------------------------------------------------------------


def appeal(dispute, seller, text="The buyer insulted me, please look again."):
    disputes.appeal(dispute, seller=seller, text=text)


def test_the_seller_appeals_once_and_the_case_reopens(app, seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    assert disputes.appeal_refusal(dispute) is None
    appeal(dispute, seller)
    assert dispute.appealed_at is not None
    assert dispute.ticket.status == Status.OPEN
    assert last_reply(dispute.ticket).body == (
        "I appeal against the decision on this dispute:\n\n"
        "The buyer insulted me, please look again."
    )
    assert disputes.next_stage(dispute) == APPEAL
    with pytest.raises(Refused, match="can be appealed once"):
        appeal(dispute, seller)


def test_an_appeal_needs_a_decision_other_than_removal(app, seller, feedback_agent, file):
    dispute = file(seller)
    with pytest.raises(Refused, match="There is no decision to appeal yet"):
        appeal(dispute, seller)
    decide(dispute, feedback_agent, "remove", rule="other")
    with pytest.raises(Refused, match="The feedback was removed: there is nothing to appeal"):
        appeal(dispute, seller)


def test_an_appeal_is_made_within_30_days_of_the_decision(app, seller, feedback_agent, file):
    dispute = file(seller)
    decision = decide(dispute, feedback_agent, "strike")
    decision.decided_at = utcnow() - timedelta(days=29, hours=23)
    db.session.commit()
    assert disputes.appeal_refusal(dispute) is None
    decision.decided_at = utcnow() - timedelta(days=30, minutes=1)
    db.session.commit()
    with pytest.raises(Refused, match="The time to appeal this decision ended on"):
        appeal(dispute, seller)
    assert dispute.appealed_at is None


def test_only_the_disputes_seller_appeals(app, seller, other_seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    for outsider in (other_seller, feedback_agent):
        with pytest.raises(tickets.NotAllowed):
            appeal(dispute, outsider)
    assert dispute.appealed_at is None


def test_an_appeal_must_say_why(app, seller, feedback_agent, file):
    dispute = file(seller)
    decide(dispute, feedback_agent)
    with pytest.raises(FieldErrors) as caught:
        appeal(dispute, seller, text="  ")
    assert caught.value.errors == {"text": "Please explain why the decision should change."}
    assert dispute.appealed_at is None


def test_the_appeal_is_decided_by_another_agent_than_the_first(
    app, seller, feedback_agent, second_agent, file
):
    dispute = file(seller, reason="obscene", feedback_text="You idiot")
    decide(dispute, feedback_agent, "keep")
    appeal(dispute, seller)
    with pytest.raises(tickets.NotAllowed) as caught:
        decide(dispute, feedback_agent, "remove", rule="obscene")
    assert str(caught.value) == (
        "You made the first decision on this dispute: its appeal must be decided by another agent."
    )
    assert dispute.decision(APPEAL) is None and dispute.ticket.fields["decision"] == "keep"
    assert dispute.ticket.status == Status.OPEN

    second = decide(dispute, second_agent, "remove", rule="obscene")
    assert (second.stage, second.agent_id) == (APPEAL, second_agent.id)
    assert dispute.final.outcome == "remove" and dispute.ticket.fields["decision"] == "remove"
    assert dispute.ticket.status == Status.RESOLVED
    assert "Another member of our team reviewed your appeal: this decision is final." in (
        last_reply(dispute.ticket).body
    )
    with pytest.raises(Refused):
        decide(dispute, second_agent, "keep")
    with pytest.raises(Refused, match="can be appealed once"):
        appeal(dispute, seller)


# --- what a marketplace plugin receives ----------------------------------------------------


class DecisionRecorder:
    """A marketplace's plugin: it applies decisions to its own feedback, here it records them."""

    name = "decision_recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, dict, int | None]] = []

    @hookimpl
    def ticket_changed(self, ticket, changes, actor):
        if ticket.type_key == "feedback_dispute" and "decision" in changes:
            self.seen.append((ticket.order_id, dict(changes), actor.id if actor else None))


def test_ticket_changed_tells_a_marketplace_plugin_each_decision(register_plugin):
    recorder = DecisionRecorder()
    app = register_plugin(recorder)
    with app.app_context():
        seller = create_user("shop@example.com", role=Role.SELLER)
        first_agent = create_user("a1@example.com", role=Role.AGENT, queues=["feedback"])
        other_agent = create_user("a2@example.com", role=Role.AGENT, queues=["feedback"])
        dispute = disputes.file_dispute(seller, explanation="Rude", **feedback_input())
        disputes.decide(dispute, agent=first_agent, outcome="keep")
        disputes.appeal(dispute, seller=seller, text="Please look again")
        disputes.decide(dispute, agent=other_agent, outcome="remove", rule="other")
        assert recorder.seen == [
            ("402-1234567", {"decision": (None, "keep")}, first_agent.id),
            ("402-1234567", {"decision": ("keep", "remove")}, other_agent.id),
        ]


def test_a_failing_marketplace_plugin_does_not_undo_the_decision(register_plugin, caplog):
    class Broken:
        name = "broken_marketplace"

        @hookimpl
        def ticket_changed(self, ticket, changes):
            raise RuntimeError("feedback service down")

    app = register_plugin(Broken())
    with app.app_context():
        seller = create_user("shop@example.com", role=Role.SELLER)
        agent = create_user("a1@example.com", role=Role.AGENT, queues=["feedback"])
        dispute = disputes.file_dispute(seller, explanation="Rude", **feedback_input())
        disputes.decide(dispute, agent=agent, outcome="remove", rule="other")
        assert db.session.get(Dispute, dispute.id).final.outcome == "remove"
        assert dispute.ticket.status == Status.RESOLVED
    assert "broken_marketplace failed in hook ticket_changed" in caplog.text
