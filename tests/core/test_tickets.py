"""The one write path for cases."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk import FieldErrors, case_state
from supportdesk.attachments import Upload
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import (
    Attachment,
    Event,
    Message,
    Outbox,
    QueueCount,
    Status,
    Ticket,
    utcnow,
)
from supportdesk.sla import calendar
from supportdesk.testing import at_once
from supportdesk.tickets import (
    Conflict,
    NotAllowed,
    add_note,
    assign,
    claim,
    open_ticket,
    reply,
    set_priority,
    transition,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_case(seller, **kwargs):
    defaults = {"type_key": "contact", "subject": "Payment missing", "body": "Order 123 unpaid"}
    return open_ticket(seller=seller, **{**defaults, **kwargs})


def test_opening_writes_case_message_event_and_receipt_together(app, seller):
    ticket = new_case(seller, order_id=" 123-456 ", attachments=[Upload("proof.png", PNG)])
    assert re.fullmatch(r"SD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", ticket.ref)
    assert ticket.status == Status.NEW and ticket.order_id == "123-456"
    assert ticket.queue.key == "seller_support"
    business_time = calendar().between(ticket.created_at, ticket.first_response_due)
    assert business_time == timedelta(hours=8)  # the contact type's target, in open hours
    assert [m.body for m in ticket.messages] == ["Order 123 unpaid"]
    attachment = db.session.scalar(sa.select(Attachment))
    assert attachment.content_type == "image/png" and attachment.message_id == ticket.messages[0].id
    assert [e.kind for e in db.session.scalars(sa.select(Event))] == ["opened"]
    receipt = db.session.scalar(sa.select(Outbox))
    assert (receipt.kind, receipt.recipient, receipt.payload["ref"]) == (
        "ticket_opened",
        seller.email,
        ticket.ref,
    )


def test_references_are_random_and_unique(app, seller):
    refs = {new_case(seller).ref for _ in range(20)}
    assert len(refs) == 20


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(app, seller):
    with pytest.raises(FieldErrors) as caught:
        new_case(seller, subject=" ", body="")
    assert set(caught.value.errors) == {"subject", "body"}
    with pytest.raises(FieldErrors) as caught:
        new_case(seller, type_key="no_such_type")
    assert set(caught.value.errors) == {"type"}
    with pytest.raises(FieldErrors) as caught:
        new_case(seller, fields={"admin": True})  # a field the type does not declare
    assert set(caught.value.errors) == {"admin"}
    with pytest.raises(FieldErrors) as caught:
        new_case(seller, attachments=[Upload("evil.html", b"<html><script>alert(1)</script>")])
    assert set(caught.value.errors) == {"attachments"}
    assert count(Ticket) == count(Message) == count(Event) == count(Outbox) == 0
    folder = app.config["SUPPORTDESK_ATTACHMENT_DIR"]
    assert not list(Path(folder).glob("*"))


def test_the_same_idempotency_key_opens_one_case(app, seller, other_seller):
    first = new_case(seller, idempotency_key="form-abc")
    again = new_case(seller, idempotency_key="form-abc")
    assert again.id == first.id
    theirs = new_case(other_seller, idempotency_key="form-abc")  # keys are per seller
    assert theirs.id != first.id
    assert count(Ticket) == 2


def test_a_seller_reply_reopens_and_a_staff_reply_is_the_first_response(app, seller, agent):
    ticket = new_case(seller)
    reply(ticket, actor=agent, body="We are looking into it.")
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None
    assert db.session.scalar(sa.select(Outbox).where(Outbox.kind == "staff_reply")) is not None
    transition(ticket, actor=agent, status=Status.RESOLVED)
    reply(ticket, actor=seller, body="It is still missing.")
    assert ticket.status == Status.OPEN and ticket.resolved_at is None


def test_internal_notes_are_staff_only_and_never_emailed(app, seller, agent):
    ticket = new_case(seller)
    outbox_before = count(Outbox)
    note = add_note(ticket, actor=agent, body="Seller has 3 similar cases")
    assert note.internal
    assert count(Outbox) == outbox_before
    with pytest.raises(NotAllowed):
        add_note(ticket, actor=seller, body="I want to write a note")


def test_transitions_follow_the_workflow(app, seller, agent):
    ticket = new_case(seller)
    with pytest.raises(FieldErrors):
        transition(ticket, actor=agent, status="archived")
    transition(ticket, actor=agent, status=Status.CLOSED)
    with pytest.raises(FieldErrors):
        transition(ticket, actor=agent, status=Status.WAITING)  # closed: only reopen
    transition(ticket, actor=seller, status=Status.OPEN)  # the seller reopens their case
    assert ticket.status == Status.OPEN and ticket.closed_at is None
    with pytest.raises(NotAllowed):
        transition(ticket, actor=seller, status=Status.RESOLVED)  # only staff resolve
    kinds = [e.kind for e in db.session.scalars(sa.select(Event).order_by(Event.id))]
    assert kinds == ["opened", "status", "status"]


def test_another_seller_can_do_nothing_to_the_case(app, seller, other_seller):
    ticket = new_case(seller)
    with pytest.raises(NotAllowed):
        reply(ticket, actor=other_seller, body="hi")
    with pytest.raises(NotAllowed):
        transition(ticket, actor=other_seller, status=Status.CLOSED)
    with pytest.raises(NotAllowed):
        open_ticket(seller=seller, actor=other_seller, type_key="contact", subject="x", body="y")


def test_claim_and_assign(app, seller, agent, make_user):
    other_agent = make_user("agent", queues=["seller_support"])
    outsider = make_user("agent", queues=["fraud"])
    ticket = new_case(seller)
    claim(ticket, agent=agent)
    assert ticket.assignee_id == agent.id
    with pytest.raises(Conflict):
        claim(ticket, agent=other_agent)
    with pytest.raises(NotAllowed):
        claim(ticket, agent=outsider)  # not in the case's queue
    with pytest.raises(FieldErrors):
        assign(ticket, actor=agent, assignee=outsider)
    assign(ticket, actor=agent, assignee=other_agent)
    assert ticket.assignee_id == other_agent.id
    set_priority(ticket, actor=agent, priority="urgent")
    assert ticket.priority == "urgent"


def test_two_agents_racing_to_claim_exactly_one_wins(make_app, make_user, tmp_path):
    app = make_app()
    with app.app_context():
        seller = make_user()
        agents = [make_user("agent", queues=["seller_support"]) for _ in range(8)]
        ref = new_case(seller).ref
        agent_ids = [a.id for a in agents]
    barrier = threading.Barrier(len(agent_ids))
    results: list[str] = []

    def race(agent_id):
        with app.app_context():
            from supportdesk.models import User

            agent = db.session.get(User, agent_id)
            ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
            barrier.wait()
            try:
                claim(ticket, agent=agent)
                results.append("won")
            except Conflict:
                results.append("lost")

    threads = [threading.Thread(target=race, args=(i,)) for i in agent_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost"] * 7 + ["won"]
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
        claims = db.session.scalars(sa.select(Event).where(Event.kind == "claimed")).all()
        assert len(claims) == 1 and claims[0].actor_id == ticket.assignee_id


def test_concurrent_double_submit_opens_one_case(make_app, make_user):
    app = make_app()
    with app.app_context():
        seller_id = make_user().id
    barrier = threading.Barrier(4)
    refs: list[str] = []

    def submit():
        with app.app_context():
            from supportdesk.models import User

            seller = db.session.get(User, seller_id)
            barrier.wait()
            refs.append(new_case(seller, idempotency_key="same-form").ref)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refs) == 4 and len(set(refs)) == 1
    with app.app_context():
        assert count(Ticket) == 1


def test_too_many_attachments_are_refused_by_the_service(make_app, make_user):
    app = make_app(SUPPORTDESK_MAX_ATTACHMENTS=2)
    with app.app_context():
        seller = make_user()
        uploads = [Upload(f"p{i}.png", PNG) for i in range(3)]
        with pytest.raises(FieldErrors) as caught:
            new_case(seller, attachments=uploads)
        assert "at most 2 files" in caught.value.errors["attachments"]
        assert count(Ticket) == 0


def test_a_small_size_limit_reads_in_kilobytes(make_app, make_user):
    app = make_app(SUPPORTDESK_ATTACHMENT_MAX_BYTES=50 * 1024)
    with app.app_context():
        seller = make_user()
        with pytest.raises(FieldErrors) as caught:
            new_case(seller, attachments=[Upload("big.png", PNG + b"\x00" * 60 * 1024)])
        assert caught.value.errors["attachments"] == "big.png is larger than 50 KB."


def test_a_merged_duplicate_takes_no_more_messages_or_moves(app, seller, agent):
    from supportdesk.tickets import merge

    duplicate, kept = new_case(seller), new_case(seller)
    merge(duplicate, into=kept, actor=agent)
    with pytest.raises(FieldErrors) as caught:
        reply(duplicate, actor=seller, body="one more thing")
    assert kept.ref in caught.value.errors["body"]
    with pytest.raises(FieldErrors):
        transition(duplicate, actor=seller, status=Status.OPEN)


def test_a_seller_reopens_only_a_resolved_or_closed_case(app, seller, agent):
    ticket = new_case(seller)
    with pytest.raises(FieldErrors):
        transition(ticket, actor=seller, status=Status.OPEN)  # new: nothing to reopen
    transition(ticket, actor=agent, status=Status.RESOLVED)
    transition(ticket, actor=seller, status=Status.OPEN)
    assert ticket.status == Status.OPEN


def test_a_reply_that_moves_the_status_is_in_the_history(app, seller, agent):
    ticket = new_case(seller)
    reply(ticket, actor=agent, body="Could you send a photo?", status=Status.WAITING)
    kinds = [
        (e.kind, e.data.get("new")) for e in db.session.scalars(sa.select(Event).order_by(Event.id))
    ]
    assert kinds[-2:] == [("replied", None), ("status", Status.WAITING)]


def test_no_op_changes_leave_no_event(app, seller, agent):
    ticket = new_case(seller)
    before = count(Event)
    set_priority(ticket, actor=agent, priority=ticket.priority)
    assign(ticket, actor=agent, assignee=None)
    assert count(Event) == before


def test_a_type_visible_only_to_some_agents(register_plugin, make_user):
    import types

    from supportdesk import TicketType, hookimpl
    from supportdesk.case_search import search_cases

    vip = types.ModuleType("vip")
    vip.register_ticket_types = hookimpl(
        lambda app: [
            TicketType(
                "vip_case", "VIP", "seller_support", visible_to=lambda user: user.name == "VIP desk"
            )
        ]
    )
    app = register_plugin(vip)
    with app.app_context():
        seller = make_user()
        vip_agent = make_user("agent", queues=["seller_support"], name="VIP desk")
        plain_agent = make_user("agent", queues=["seller_support"], name="Plain")
        ticket = open_ticket(
            seller=seller, type_key="vip_case", subject="Gold customer", body="help"
        )
        from supportdesk.permissions import may, visible_tickets

        assert may(vip_agent, "view", ticket)
        assert not may(plain_agent, "view", ticket)
        assert db.session.scalars(visible_tickets(plain_agent)).all() == []
        assert search_cases(plain_agent, "gold") == []
        assert [t.id for t in search_cases(vip_agent, "gold")] == [ticket.id]


def test_cases_moving_opposite_ways_at_once_never_deadlock(make_app, make_user):
    """One agent moves a case open -> waiting while a seller's reply moves another waiting ->
    open, many times over, at once: each move changes the same two queue counters, in opposite
    directions. None of the moves may fail (PostgreSQL would abort one of two transactions
    that wait on each other), and the counters still match the cases."""
    app = make_app()
    rounds = 150
    with app.app_context():
        seller = make_user()
        agent = make_user("agent", queues=["seller_support"])
        first, second = new_case(seller), new_case(seller, subject="Refund missing")
        transition(first, actor=agent, status=Status.OPEN)
        transition(second, actor=agent, status=Status.WAITING)
        ids = (agent.id, first.id, second.id)

    def move(ticket_id: int, there: str, back: str) -> Callable[[threading.Barrier], None]:
        def run(barrier: threading.Barrier) -> None:
            with app.app_context():
                from supportdesk.models import User

                actor = db.session.get(User, ids[0])
                ticket = db.session.get(Ticket, ticket_id)
                barrier.wait()
                for _ in range(rounds):
                    transition(ticket, actor=actor, status=there)
                    transition(ticket, actor=actor, status=back)

        return run

    at_once(move(ids[1], Status.WAITING, Status.OPEN), move(ids[2], Status.OPEN, Status.WAITING))
    with app.app_context():
        counted = dict(
            db.session.execute(
                sa.select(QueueCount.status, QueueCount.count).where(QueueCount.count != 0)
            ).all()
        )
        assert counted == {Status.OPEN: 1, Status.WAITING: 1}


def test_a_move_rolled_back_leaves_the_counters_as_they_were(app, seller, make_user):
    """A status change whose transaction fails counts for nothing, then or at the next commit."""
    agent = make_user("agent", queues=["seller_support"])
    ticket = new_case(seller)

    def counters() -> dict[str, int]:
        query = sa.select(QueueCount.status, QueueCount.count).where(QueueCount.count != 0)
        return dict(db.session.execute(query).all())

    before = counters()
    with pytest.raises(RuntimeError), write_transaction():
        case_state.set_status(ticket, Status.RESOLVED, utcnow())
        raise RuntimeError("the rest of the change failed")
    db.session.expire_all()
    assert counters() == before == {Status.NEW: 1}
    transition(ticket, actor=agent, status=Status.OPEN)
    assert counters() == {Status.OPEN: 1}
