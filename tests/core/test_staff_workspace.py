"""The case workspace: what an agent sees of a case, and every change made from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk import ExtraField, Score, TicketType, hookimpl
from supportdesk.extensions import db
from supportdesk.models import Event, Message, Outbox, Status, Ticket
from supportdesk.tickets import add_note, assign, claim, open_ticket, reply, transition

TAKEN = "Another agent has already taken this case."
WHEN = r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}"  # 26 Nov 2026 14:02


class Refunds:
    """Two ticket types with extra fields (one shown by its own template), a risk signal, and
    a type trainees may not see."""

    name = "refunds_sample"

    @hookimpl
    def register_ticket_types(self, app):
        return [
            TicketType(
                key="refund_request",
                label="Refund request",
                queue="refunds",
                extra_fields=[
                    ExtraField("amount", "Amount", required=True),
                    ExtraField("iban", "IBAN"),
                ],
                fields_template="refund_fields.html",
            ),
            TicketType(
                key="refund_question",
                label="Refund question",
                queue="refunds",
                extra_fields=[ExtraField("amount", "Amount paid")],
            ),
        ]

    @hookimpl
    def score_ticket(self, ticket):
        if ticket.type_key == "refund_request":
            return [Score(40, "Account created yesterday", {"days": 1})]
        return []

    @hookimpl
    def permission_allowed(self, actor, action, obj):
        hidden = action == "view_type" and getattr(obj, "key", None) == "refund_request"
        return False if hidden and actor.email.startswith("trainee") else None


@pytest.fixture
def app(make_app):
    app = make_app(plugins=[Refunds()])
    templates = Path(app.config["SUPPORTDESK_INSTANCE_PATH"]) / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "refund_fields.html").write_text(
        '<p class="refund-fields">Refund of {{ ticket.fields.amount }} to {{ ticket.fields.iban }}</p>'
    )
    with app.app_context():
        yield app


@pytest.fixture
def colleague(make_user):
    return make_user("agent", email="bob@example.com", name="Bob Agent", queues=["seller_support"])


@pytest.fixture
def outsider(make_user):
    return make_user("agent", email="fay@example.com", name="Fay Fraud", queues=["fraud"])


def new_case(seller, **kwargs):
    defaults = {"type_key": "contact", "subject": "Payment missing", "body": "Order 123 unpaid"}
    return open_ticket(seller=seller, **{**defaults, **kwargs})


def text(html):
    """The page's text, tags removed and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def flashes(html):
    return [
        re.sub(r"\s+", " ", t) for t in re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S)
    ]


def page(client, ticket):
    response = client.get(f"/staff/cases/{ticket.ref}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- what the page shows ----------------------------------------------------------------------


def test_a_seller_with_many_cases_is_shown_as_more_than_a_count(client, login, seller, agent):
    """The side box counts a seller's other cases up to a hundred: past that it says "more
    than 99" (in French too) and links to all of them, and the newest are still listed."""
    ticket = new_case(seller)
    queue_id = ticket.queue_id
    db.session.execute(
        sa.insert(Ticket),
        [
            {
                "type_key": "contact",
                "seller_id": seller.id,
                "subject": f"Earlier {i}",
                "queue_id": queue_id,
            }
            for i in range(120)
        ],
    )
    db.session.commit()
    html = page(login(client, agent), ticket)
    assert "More than 99 other cases:" in text(html)
    assert html.count('<li><a href="/staff/cases/') == 5
    assert f'href="/staff/search?q={seller.email}">All cases of this seller</a>' in html
    french = client.get(f"/staff/cases/{ticket.ref}", headers={"Accept-Language": "fr"})
    assert "Plus de 99 autres demandes\xa0:" in french.get_data(as_text=True)


def test_the_workspace_shows_the_thread_the_seller_and_the_case(
    client, login, seller, agent, other_seller
):
    ticket = new_case(
        seller,
        type_key="refund_request",
        subject="Refund please",
        order_id="ORD-9",
        fields={"amount": "12.50", "iban": "FR76 3000"},
    )
    add_note(ticket, actor=agent, body="Checked the bank: nothing yet")
    reply(ticket, actor=agent, body="We are on it.")
    older = new_case(seller, subject="Older question")
    new_case(other_seller)
    html = page(login(client, agent), ticket)
    assert '<li class="message message-internal"' in html and "Internal note</span>" in html
    assert "Checked the bank: nothing yet" in html and "We are on it." in html
    plain = text(html)
    assert "Sam Seller" in plain and "seller@example.com" in plain
    assert "1 other case:" in plain and f'href="/staff/cases/{older.ref}"' in html
    assert "ORD-9" in plain and "Refund request" in plain
    assert '<p class="refund-fields">Refund of 12.50 to FR76 3000</p>' in html
    assert "Risk score: 40" in plain and "Account created yesterday (+40)" in plain
    assert "First response Given" in plain and "Resolution" in plain
    assert re.search(rf"Ada Agent added an internal note — {WHEN}", plain)
    assert re.search(rf"Ada Agent replied — {WHEN}", plain)


def test_extra_fields_without_a_template_are_listed(client, login, seller, agent):
    ticket = new_case(seller, type_key="refund_question", fields={"amount": "99"})
    assert "<dt>Amount paid</dt><dd>99</dd>" in page(login(client, agent), ticket)


def test_deadlines_carry_their_state(client, login, seller, agent):
    from datetime import timedelta

    from supportdesk.models import utcnow

    ticket = new_case(seller)
    due = utcnow() - timedelta(minutes=1)
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(first_response_due=due, next_due_at=due)
    )
    db.session.commit()
    html = page(login(client, agent), ticket)
    sla = html.split('id="sla-heading"')[1].split("</section>")[0]
    assert '<span class="badge badge-overdue">Overdue</span>' in sla
    transition(ticket, actor=agent, status=Status.WAITING)
    sla = page(client, ticket).split('id="sla-heading"')[1].split("</section>")[0]
    assert "badge-overdue" not in sla and "The clock stands still" in sla


# --- who may come in --------------------------------------------------------------------------

POSTS = {
    "reply": {"reply-body": "Hello", "reply-send": "1"},
    "note": {"note-body": "Hmm"},
    "status": {"status": "closed"},
    "priority": {"priority": "urgent"},
    "assign": {"assignee": ""},
    "take": {},
    "merge": {"into": "SD-0000-0000"},
}


def assert_untouched(ticket):
    db.session.expire_all()
    assert ticket.status == Status.NEW and ticket.assignee_id is None
    assert ticket.priority == "normal" and len(ticket.messages) == 1


def test_an_agent_outside_the_queue_gets_404_on_the_page_and_every_form(
    client, login, seller, outsider
):
    ticket = new_case(seller)
    login(client, outsider)
    assert client.get(f"/staff/cases/{ticket.ref}").status_code == 404
    for action, data in POSTS.items():
        response = client.post(f"/staff/cases/{ticket.ref}/{action}", data=data)
        assert response.status_code == 404, action
    assert client.get("/staff/cases/SD-0000-0000").status_code == 404
    assert client.get("/staff/cases/not-a-ref").status_code == 404
    assert_untouched(ticket)


def test_a_type_hidden_from_an_agent_of_its_queue_is_404(client, login, seller, make_user):
    trainee = make_user("agent", email="trainee@example.com", queues=["refunds"])
    ticket = new_case(seller, type_key="refund_request", fields={"amount": "1"})
    login(client, trainee)
    assert client.get(f"/staff/cases/{ticket.ref}").status_code == 404
    for action, data in POSTS.items():
        assert client.post(f"/staff/cases/{ticket.ref}/{action}", data=data).status_code == 404
    assert_untouched(ticket)


def test_a_reference_in_lower_case_opens_the_case(client, login, seller, agent):
    ticket = new_case(seller)
    assert client.get(f"/staff/cases/{ticket.ref.lower()}").status_code == 302  # not signed in
    assert login(client, agent).get(f"/staff/cases/{ticket.ref.lower()}").status_code == 200


# --- replying and noting ----------------------------------------------------------------------


def test_a_reply_can_set_the_next_status_at_once(client, login, seller, agent):
    ticket = new_case(seller)
    login(client, agent)
    html = page(client, ticket)
    choices = re.search(r'<select id="reply-status".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\w*)"', choices) == ["", "waiting", "resolved"]
    response = client.post(
        f"/staff/cases/{ticket.ref}/reply",
        data={"reply-body": "Paid today.", "reply-status": "resolved", "reply-send": "1"},
    )
    assert response.status_code == 302 and response.location.endswith(f"/staff/cases/{ticket.ref}")
    db.session.expire_all()
    assert ticket.status == Status.RESOLVED and ticket.first_response_at is not None
    mail = db.session.scalar(sa.select(Outbox).where(Outbox.kind == "staff_reply"))
    assert mail.recipient == seller.email
    assert "Your reply is sent to the seller." in flashes(
        client.get(response.location).get_data(as_text=True)
    )


def test_a_bad_reply_keeps_the_text_and_says_why_at_the_field(client, login, seller, agent):
    ticket = new_case(seller)
    login(client, agent)
    response = client.post(
        f"/staff/cases/{ticket.ref}/reply", data={"reply-body": "   ", "reply-send": "1"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="reply-body-error">Please write your message.</p>', html)
    response = client.post(
        f"/staff/cases/{ticket.ref}/reply",
        data={"reply-body": "Kept <text>", "reply-status": "closed", "reply-send": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="reply-status-error"' in html
    assert "Kept &lt;text&gt;</textarea>" in html
    transition(ticket, actor=agent, status=Status.RESOLVED)
    # The page offered "waiting" before the case was resolved elsewhere: the service says no.
    response = client.post(
        f"/staff/cases/{ticket.ref}/reply",
        data={"reply-body": "Still here", "reply-status": "waiting", "reply-send": "1"},
    )
    assert response.status_code == 400
    assert "Still here</textarea>" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_an_internal_note_is_added_and_marked(client, login, seller, agent):
    ticket = new_case(seller)
    login(client, agent)
    empty = client.post(f"/staff/cases/{ticket.ref}/note", data={"note-body": ""})
    assert empty.status_code == 400 and "Please write your note." in empty.get_data(as_text=True)
    response = client.post(
        f"/staff/cases/{ticket.ref}/note", data={"note-body": "Seller has 3 similar cases"}
    )
    assert response.status_code == 302
    note = db.session.scalar(sa.select(Message).where(Message.internal.is_(True)))
    assert note.body == "Seller has 3 similar cases"
    assert db.session.scalar(sa.select(Outbox).where(Outbox.kind == "staff_reply")) is None


# --- status, priority, assignment -------------------------------------------------------------


def test_only_the_allowed_status_moves_are_offered(client, login, seller, agent):
    ticket = new_case(seller)
    login(client, agent)
    transition(ticket, actor=agent, status=Status.RESOLVED)
    html = page(client, ticket)
    buttons = re.findall(r'<button type="submit" name="status" value="(\w+)"', html)
    assert buttons == ["open", "closed"]
    response = client.post(f"/staff/cases/{ticket.ref}/status", data={"status": "waiting"})
    assert response.status_code == 400
    assert "A resolved case cannot become waiting on the seller." in response.get_data(as_text=True)
    response = client.post(f"/staff/cases/{ticket.ref}/status", data={"status": "closed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.status == Status.CLOSED
    plain = text(page(client, ticket))
    assert re.search(rf"Ada Agent changed status from resolved to closed — {WHEN}", plain)
    assert (
        client.post(f"/staff/cases/{ticket.ref}/status", data={"status": "gone"}).status_code == 400
    )


def test_priority_and_assignment(client, login, seller, agent, colleague, outsider):
    ticket = new_case(seller)
    login(client, agent)
    html = page(client, ticket)
    people = re.search(r'<select id="assignee".*?</select>', html, re.S).group(0)
    assert "Bob Agent" in people and "Fay Fraud" not in people  # the queue's agents only
    assert (
        client.post(f"/staff/cases/{ticket.ref}/priority", data={"priority": "urgent"}).status_code
        == 302
    )
    assert (
        client.post(f"/staff/cases/{ticket.ref}/priority", data={"priority": "x"}).status_code
        == 400
    )
    response = client.post(f"/staff/cases/{ticket.ref}/assign", data={"assignee": str(outsider.id)})
    assert response.status_code == 400  # not among the choices
    response = client.post(
        f"/staff/cases/{ticket.ref}/assign", data={"assignee": str(colleague.id)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (ticket.priority, ticket.assignee_id) == ("urgent", colleague.id)
    plain = text(page(client, ticket))
    assert "Assigned to Bob Agent" in plain
    assert re.search(rf"Ada Agent changed priority from normal to urgent — {WHEN}", plain)
    assert re.search(rf"Ada Agent assigned the case to Bob Agent — {WHEN}", plain)
    client.post(f"/staff/cases/{ticket.ref}/assign", data={"assignee": ""})
    assert "Ada Agent unassigned the case" in text(page(client, ticket))


def test_taking_a_case_someone_has_taken_says_so_and_shows_who(
    client, login, seller, agent, colleague
):
    ticket = new_case(seller)
    claim(ticket, agent=colleague)
    login(client, agent)
    response = client.post(f"/staff/cases/{ticket.ref}/take", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert TAKEN in flashes(html) and "Assigned to Bob Agent" in text(html)
    db.session.expire_all()
    assert ticket.assignee_id == colleague.id
    assign(ticket, actor=agent, assignee=None)
    response = client.post(f"/staff/cases/{ticket.ref}/take", follow_redirects=True)
    assert f"You have taken {ticket.ref}." in flashes(response.get_data(as_text=True))
    again = client.post(f"/staff/cases/{ticket.ref}/take", follow_redirects=True)
    assert "This case is already yours." in flashes(again.get_data(as_text=True))
    assert re.search(rf"Ada Agent took the case — {WHEN}", text(page(client, ticket)))


# --- merging ----------------------------------------------------------------------------------


def test_merging_moves_the_messages_tells_the_seller_and_logs_both_cases(
    client, login, seller, agent
):
    keep = new_case(seller, subject="Payment missing")
    duplicate = new_case(seller, subject="Payment missing again", body="Still unpaid")
    add_note(duplicate, actor=agent, body="Same as the other one")
    login(client, agent)
    response = client.post(
        f"/staff/cases/{duplicate.ref}/merge", data={"into": keep.ref.lower().replace("-", "")}
    )
    assert response.status_code == 302 and response.location.endswith(f"/staff/cases/{keep.ref}")
    html = client.get(response.location).get_data(as_text=True)
    assert f"{duplicate.ref} is merged into this case." in flashes(html)
    assert "Still unpaid" in html and "Same as the other one" in html
    assert re.search(rf"Ada Agent merged {duplicate.ref} into this case — {WHEN}", text(html))
    db.session.expire_all()
    assert {m.ticket_id for m in db.session.scalars(sa.select(Message))} == {keep.id}
    assert duplicate.status == Status.CLOSED and duplicate.merged_into_id == keep.id
    told = db.session.scalar(sa.select(Outbox).where(Outbox.kind == "merged"))
    assert told.recipient == seller.email and told.payload["source_ref"] == duplicate.ref
    source = page(client, duplicate)
    assert "This case was merged into" in source
    assert f'action="/staff/cases/{duplicate.ref}/merge"' not in source
    assert f'action="/staff/cases/{duplicate.ref}/reply' not in source
    assert re.search(rf"Ada Agent merged this case into {keep.ref} — {WHEN}", text(source))
    kinds = {(e.ticket_id, e.kind) for e in db.session.scalars(sa.select(Event))}
    assert {(duplicate.id, "merged_into"), (keep.id, "merged_from")} <= kinds
    again = client.post(
        f"/staff/cases/{duplicate.ref}/merge", data={"into": keep.ref}, follow_redirects=True
    )
    assert f"This case is already merged into {keep.ref}." in flashes(again.get_data(as_text=True))


def test_a_merge_the_service_refuses_shows_the_error_at_the_field(
    client, login, seller, other_seller, agent, outsider
):
    mine = new_case(seller)
    theirs = new_case(other_seller)
    fraud = new_case(seller, type_key="fraud_report")
    login(client, agent)
    for target, message in (
        (theirs.ref, "A case can only be merged into another case of the same seller."),
        (mine.ref, "A case can only be merged into another case of the same seller."),
        ("SD-0000-0000", "There is no case with this reference that you may open."),
        ("nonsense", "There is no case with this reference that you may open."),
    ):
        response = client.post(f"/staff/cases/{mine.ref}/merge", data={"into": target})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, target
        assert f'<p class="error" id="into-error">{message}</p>' in html, target
        assert f'value="{target}"' in html  # what was typed stays
    # A case the agent may not open is not a target, even when the seller is the same.
    login(client, outsider)
    response = client.post(f"/staff/cases/{fraud.ref}/merge", data={"into": mine.ref})
    assert "There is no case with this reference that you may open." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert mine.merged_into_id is None and fraud.merged_into_id is None


# --- the forms are real forms -----------------------------------------------------------------


def test_every_form_carries_a_csrf_token_and_a_post_without_one_is_refused(
    make_app, make_user, login
):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seller = make_user()
        agent = make_user("agent", name="Ada", queues=["seller_support"])
        ref = new_case(seller).ref
        client = login(app.test_client(), agent)
    html = client.get(f"/staff/cases/{ref}").get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert len(forms) >= 6
    assert all("csrf_token" in form for form in forms)
    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    refused = client.post(f"/staff/cases/{ref}/reply", data={"reply-body": "Hi", "reply-send": "1"})
    assert refused.status_code == 400
    accepted = client.post(
        f"/staff/cases/{ref}/reply",
        data={"reply-csrf_token": token, "reply-body": "Hi", "reply-send": "1"},
    )
    assert accepted.status_code == 302


def test_a_case_changed_meanwhile_says_so_and_keeps_the_text(
    client, login, seller, agent, monkeypatch
):
    from supportdesk import tickets

    def changed_meanwhile(ticket, **kwargs):
        raise tickets.Conflict("This case was changed meanwhile; please reload it.")

    ticket = new_case(seller)
    monkeypatch.setattr(tickets, "add_note", changed_meanwhile)
    response = login(client, agent).post(
        f"/staff/cases/{ticket.ref}/note", data={"note-body": "My long note"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This case was changed meanwhile; please reload it." in flashes(html)
    assert "My long note</textarea>" in html
