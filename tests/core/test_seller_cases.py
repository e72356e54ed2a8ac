"""The seller's case log: the list and its tabs, the case page and what the seller does there."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from supportdesk import FieldErrors, tickets
from supportdesk.extensions import db
from supportdesk.models import Attachment, Event, Message, Status
from supportdesk.tickets import BODY_MAX, add_note, merge, open_ticket, reply, transition
from tests.plugins import sample

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new_case(seller, subject="Payment missing", **kwargs):
    return open_ticket(
        seller=seller, type_key="contact", subject=subject, body="Order 123 unpaid", **kwargs
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def refs_on(response) -> list[str]:
    return re.findall(r'<td class="case-ref">(SD-[0-9A-Z-]+)</td>', text(response))


def link(response, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', text(response))
    return html.unescape(found.group(1)) if found else None


def cursor_of(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def signed_in(app, user):
    """A client of ``app`` with ``user`` signed in (for tests that build their own desk)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    return client


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def cases_in_every_state(seller, agent) -> dict[str, set[str]]:
    """One or two cases per tab, as the ticket service leaves them; refs by expected tab."""
    fresh = new_case(seller, subject="fresh")
    chased = new_case(seller, subject="chased")
    reply(chased, actor=agent, body="Which order?")
    reply(chased, actor=seller, body="Order 123.")  # the seller wrote last: support's move
    answered = new_case(seller, subject="answered")
    reply(answered, actor=agent, body="It was paid yesterday.")
    waiting = new_case(seller, subject="waiting")
    reply(waiting, actor=agent, body="Please send the invoice.", status=Status.WAITING)
    resolved = new_case(seller, subject="resolved")
    reply(resolved, actor=agent, body="Refunded.", status=Status.RESOLVED)
    closed = new_case(seller, subject="closed")
    transition(closed, actor=seller, status=Status.CLOSED)
    return {
        "open": {fresh.ref, chased.ref},
        "answered": {answered.ref},
        "needs_reply": {waiting.ref},
        "closed": {resolved.ref, closed.ref},
    }


# --- the list ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(app, client, seller):
    ticket = new_case(seller)
    for url in ("/cases", f"/cases/{ticket.ref}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")
    assert client.post(f"/cases/{ticket.ref}/close").status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.NEW


def test_each_tab_shows_exactly_its_cases_and_never_another_sellers(
    app, client, login, seller, other_seller, agent
):
    mine = cases_in_every_state(seller, agent)
    theirs = cases_in_every_state(other_seller, agent)
    login(client, seller)
    for tab, expected in mine.items():
        assert set(refs_on(client.get(f"/cases?filter={tab}"))) == expected, tab
    everything = refs_on(client.get("/cases"))
    assert sorted(everything) == sorted(set().union(*mine.values()))  # each case once
    for response in [client.get("/cases")] + [client.get(f"/cases?filter={t}") for t in mine]:
        assert not set(refs_on(response)) & set().union(*theirs.values())
    login(client, other_seller)
    assert set(refs_on(client.get("/cases?filter=needs_reply"))) == theirs["needs_reply"]


def test_the_current_tab_is_marked_and_an_unknown_one_shows_everything(
    app, client, login, seller, agent
):
    mine = cases_in_every_state(seller, agent)
    login(client, seller)
    page = text(client.get("/cases?filter=answered"))
    assert '<a href="/cases?filter=answered" aria-current="page">Answered</a>' in page
    assert len(refs_on(client.get("/cases?filter=nonsense"))) == sum(map(len, mine.values()))


def test_rows_show_subject_type_status_and_a_marker_when_a_reply_is_awaited(
    app, client, login, seller, agent
):
    cases_in_every_state(seller, agent)
    login(client, seller)
    page = text(client.get("/cases"))
    assert page.count("Your reply is needed") == 1  # only the waiting case
    waiting_row = re.search(r'<tr class="case-your-turn">.*?</tr>', page, re.S).group(0)
    assert "waiting" in waiting_row and "Waiting for your reply" in waiting_row
    assert "Seller support" in waiting_row  # the type's label
    assert "<time datetime=" in waiting_row
    assert "Resolved" in page and "Closed" in page and "New" in page


def test_a_type_whose_plugin_is_gone_shows_its_key(register_plugin, make_app, make_user):
    with register_plugin(sample).app_context():
        owner = make_user()
        owner_id = owner.get_id()
        open_ticket(
            seller=owner, type_key="sample_case", subject="x", body="y", fields={"amount": 3}
        )
    without = make_app()
    client = without.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = owner_id
    with without.app_context():
        row = re.search(r"<tbody>.*?</tbody>", text(client.get("/cases")), re.S).group(0)
    assert "sample_case" in row


@pytest.mark.parametrize(
    ("tab", "empty"),
    [
        ("all", "You have no cases yet."),
        ("open", "No case is waiting for support right now."),
        ("answered", "No case has a new answer from support."),
        ("needs_reply", "Support is not waiting for anything from you."),
        ("closed", "You have no resolved or closed cases."),
    ],
)
def test_every_tab_has_its_empty_state(app, client, login, seller, other_seller, tab, empty):
    new_case(other_seller)
    login(client, seller)
    response = client.get(f"/cases?filter={tab}")
    assert response.status_code == 200
    assert empty in text(response)
    assert "<table" not in text(response)


@pytest.mark.parametrize(("size", "pages"), [(None, 2), (10, 5)])
def test_pages_follow_one_another_and_show_each_case_once(make_app, make_user, size, pages):
    app = make_app(**({"SUPPORTDESK_PAGE_SIZE": size} if size else {}))
    with app.app_context():
        seller, other = make_user(), make_user()
        made = [new_case(seller, subject=f"case {i}").ref for i in range(45)]
        new_case(other)
        client = signed_in(app, seller)
        seen, url, visited = [], "/cases", 0
        while url:
            response = client.get(url)
            assert response.status_code == 200
            seen += refs_on(response)
            visited += 1
            if visited > 1:
                assert '<a href="/cases">First page</a>' in text(response)
            url = link(response, "next")
    assert visited == pages
    assert seen == list(reversed(made))  # newest first, each exactly once


def test_the_next_link_keeps_the_tab(app, client, login, seller, agent):
    app.config["SUPPORTDESK_PAGE_SIZE"] = 2
    for i in range(3):
        reply(new_case(seller, subject=f"q{i}"), actor=agent, body="?", status=Status.WAITING)
    new_case(seller)
    login(client, seller)
    first = client.get("/cases?filter=needs_reply")
    assert "filter=needs_reply" in link(first, "next")
    second = client.get(link(first, "next"))
    assert len(refs_on(first)) == 2 and len(refs_on(second)) == 1
    assert '<a href="/cases?filter=needs_reply">First page</a>' in text(second)


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        cursor_of(["SD-1"]),
        cursor_of([{"t": "2024-01-01T00:00:00"}]),
        cursor_of([2**70]),
        cursor_of([True]),
        cursor_of([1, 2]),
        cursor_of({"id": 1}),
    ],
)
def test_a_bad_cursor_shows_the_first_page(app, client, login, seller, cursor):
    refs = {new_case(seller).ref for _ in range(3)}
    login(client, seller)
    response = client.get("/cases", query_string={"cursor": cursor})
    assert response.status_code == 200
    assert set(refs_on(response)) == refs


def test_staff_see_their_own_cases_only(app, client, login, seller, agent):
    new_case(seller)
    login(client, agent)
    response = client.get("/cases")
    assert response.status_code == 200
    assert refs_on(response) == []
    assert "You have no cases yet." in text(response)


# --- the start page and the menu --------------------------------------------------------------


def test_sellers_get_a_my_cases_link_staff_do_not(app, client, login, seller, agent):
    login(client, seller)
    assert '<a href="/cases">My cases</a>' in text(client.get("/"))
    assert '<a href="/cases" aria-current="page">My cases</a>' in text(client.get("/cases"))
    login(client, agent)
    assert 'href="/cases"' not in text(client.get("/"))


def test_the_start_page_lists_the_latest_three_cases_awaiting_the_seller(
    app, client, login, seller, other_seller, agent
):
    asked = []
    for i in range(4):
        ticket = new_case(seller, subject=f"question {i}")
        reply(ticket, actor=agent, body="Please send the invoice.", status=Status.WAITING)
        asked.append(ticket)
    new_case(seller, subject="not waiting")
    theirs = new_case(other_seller, subject="their question")
    reply(theirs, actor=agent, body="?", status=Status.WAITING)
    login(client, seller)
    page = text(client.get("/"))
    listed = re.search(r'<section class="awaiting-reply".*?</section>', page, re.S).group(0)
    assert re.findall(r"question \d", listed) == ["question 3", "question 2", "question 1"]
    assert "not waiting" not in listed and "their question" not in listed
    assert 'href="/cases?filter=needs_reply"' in listed
    client.get("/sign-out")
    assert "awaiting-reply" not in text(app.test_client().get("/"))
    login(client, other_seller)
    assert "question 3" not in text(client.get("/"))


def test_the_start_page_lists_nothing_when_nothing_waits(app, client, login, seller):
    new_case(seller)
    login(client, seller)
    assert "awaiting-reply" not in text(client.get("/"))


# --- the case page ----------------------------------------------------------------------------


def test_the_owner_sees_the_case(app, client, login, seller):
    ticket = new_case(seller, order_id="ORD-77")
    login(client, seller)
    response = client.get(f"/cases/{ticket.ref}")
    page = text(response)
    assert response.status_code == 200
    for shown in ("Payment missing", ticket.ref, "New", "Seller support", "ORD-77", "Opened"):
        assert shown in page
    assert "Order 123 unpaid" in page  # the thread
    assert f'action="/cases/{ticket.ref}/reply"' in page
    assert "Close this case" in page and "Reopen" not in page
    assert client.get(f"/cases/{ticket.ref.lower()}").status_code == 200


def test_other_sellers_and_agents_outside_the_queue_get_404(
    app, client, login, seller, other_seller, make_user
):
    ticket = new_case(seller, subject="Very private subject")
    outsider = make_user("agent", queues=["fraud"])
    for someone in (other_seller, outsider):
        login(client, someone)
        response = client.get(f"/cases/{ticket.ref}")
        assert response.status_code == 404
        assert "Very private subject" not in text(response)
    login(client, seller)
    assert client.get("/cases/SD-0000-0000").status_code == 404


def test_staff_of_the_case_read_the_page_without_the_sellers_forms(
    app, client, login, seller, agent, admin
):
    ticket = new_case(seller)
    for staff in (agent, admin):
        login(client, staff)
        page = text(client.get(f"/cases/{ticket.ref}"))
        assert "Payment missing" in page
        assert "staff workspace" in page
        assert "/reply" not in page and "Close this case" not in page


def test_internal_notes_are_never_shown_to_the_seller(app, client, login, seller, agent):
    ticket = new_case(seller)
    add_note(ticket, actor=agent, body="Secret: seller has 3 chargebacks")
    reply(ticket, actor=agent, body="We are on it.")
    login(client, seller)
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "We are on it." in page
    assert "chargebacks" not in page and "Internal note" not in page
    login(client, agent)
    assert "chargebacks" in text(client.get(f"/cases/{ticket.ref}"))


# --- replying ---------------------------------------------------------------------------------


def test_a_reply_with_attachments_is_sent(app, client, login, seller):
    ticket = new_case(seller)
    login(client, seller)
    response = client.post(
        f"/cases/{ticket.ref}/reply",
        data={
            "body": "Here is the proof.",
            "attachments": [(io.BytesIO(PNG), "proof.png"), (io.BytesIO(b"a note"), "n.txt")],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{ticket.ref}"
    message = db.session.scalars(sa.select(Message).order_by(Message.id.desc())).first()
    assert message.body == "Here is the proof." and message.author_id == seller.id
    assert sorted(a.filename for a in message.attachments) == ["n.txt", "proof.png"]
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Your message was sent." in page
    assert f'href="/files/{message.attachments[0].id}"' in page


def test_a_reply_without_files_sends_the_empty_file_part_browsers_add(app, client, login, seller):
    ticket = new_case(seller)
    login(client, seller)
    response = client.post(
        f"/cases/{ticket.ref}/reply",
        data={"body": "Just text", "attachments": (io.BytesIO(b""), "")},
    )
    assert response.status_code == 302
    assert count(Attachment) == 0


def invalid_reply(client, ticket, **data):
    response = client.post(f"/cases/{ticket.ref}/reply", data=data)
    assert response.status_code == 400
    return text(response)


def test_an_invalid_reply_is_refused_at_the_field_and_keeps_the_text(app, client, login, seller):
    ticket = new_case(seller)
    login(client, seller)
    messages = count(Message)
    page = invalid_reply(client, ticket, body="   ")
    assert '<p class="error" id="body-error">Please write your message.</p>' in page
    assert 'aria-invalid="true"' in page
    page = invalid_reply(client, ticket, body="x" * (BODY_MAX + 1))
    assert "The message is limited to 20000 characters." in page
    assert "x" * (BODY_MAX + 1) in page
    six = [(io.BytesIO(PNG), f"p{i}.png") for i in range(6)]
    page = invalid_reply(client, ticket, body="My long explanation", attachments=six)
    assert "You can attach up to 5 files to one message." in page
    assert 'id="attachments-error"' in page
    assert ">\r\nMy long explanation</textarea>" in page
    assert "please choose them again" in page
    assert count(Message) == messages
    assert count(Attachment) == 0


def test_the_file_limit_comes_from_the_configuration(make_app, make_user):
    app = make_app(SUPPORTDESK_MAX_ATTACHMENTS=1)
    with app.app_context():
        seller = make_user()
        ticket = new_case(seller)
        client = signed_in(app, seller)
        two = [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")]
        page = invalid_reply(client, ticket, body="two files", attachments=two)
        assert "You can attach up to 1 file to one message." in page
        assert "Up to 1 file of 10 MB at most" in text(client.get(f"/cases/{ticket.ref}"))


def test_replying_to_a_closed_case_reopens_it_and_says_so(app, client, login, seller):
    ticket = new_case(seller)
    transition(ticket, actor=seller, status=Status.CLOSED)
    login(client, seller)
    assert "Writing here reopens your case." in text(client.get(f"/cases/{ticket.ref}"))
    client.post(f"/cases/{ticket.ref}/reply", data={"body": "Still broken."})
    db.session.refresh(ticket)
    assert ticket.status == Status.OPEN
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Your message was sent and your case is open again." in page
    assert "Writing here reopens your case." not in page


def test_a_conflict_is_flashed_and_the_page_reloaded(app, client, login, seller, monkeypatch):
    ticket = new_case(seller)

    def changed_meanwhile(*args, **kwargs):
        raise tickets.Conflict("This case was changed meanwhile; please reload it.")

    monkeypatch.setattr(tickets, "reply", changed_meanwhile)
    login(client, seller)
    response = client.post(f"/cases/{ticket.ref}/reply", data={"body": "hi"})
    assert response.status_code == 302
    assert "changed meanwhile" in text(client.get(f"/cases/{ticket.ref}"))


def test_forms_need_the_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seller = make_user()
        ticket = new_case(seller)
        client = signed_in(app, seller)
        page = text(client.get(f"/cases/{ticket.ref}"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        url = f"/cases/{ticket.ref}/reply"
        assert client.post(url, data={"body": "no token"}).status_code == 400
        assert client.post(url, data={"body": "ok", "csrf_token": token}).status_code == 302
        assert client.post(f"/cases/{ticket.ref}/close").status_code == 400


# --- closing, reopening, rating ---------------------------------------------------------------


def test_the_seller_closes_and_reopens_their_case(app, client, login, seller):
    ticket = new_case(seller)
    login(client, seller)
    response = client.post(f"/cases/{ticket.ref}/close")
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.CLOSED
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Your case is closed." in page
    assert "Reopen" in page and "Close this case" not in page
    client.post(f"/cases/{ticket.ref}/reopen")
    db.session.refresh(ticket)
    assert ticket.status == Status.OPEN
    assert "Your case is open again." in text(client.get(f"/cases/{ticket.ref}"))
    moves = db.session.scalars(sa.select(Event).where(Event.kind == "status")).all()
    assert [(e.actor_id, e.data["new"]) for e in moves] == [
        (seller.id, "closed"),
        (seller.id, "open"),
    ]


def test_a_refused_move_is_explained_next_to_the_buttons(app, client, login, seller, monkeypatch):
    ticket = new_case(seller)

    def refused(*args, **kwargs):
        raise FieldErrors({"status": "A new case cannot become closed."})

    monkeypatch.setattr(tickets, "transition", refused)
    login(client, seller)
    response = client.post(f"/cases/{ticket.ref}/close")
    assert response.status_code == 400
    assert (
        '<p class="error" id="status-error" role="alert">A new case cannot become closed.</p>'
        in (text(response))
    )


def test_another_seller_can_do_nothing(app, client, login, seller, other_seller, agent):
    ticket = new_case(seller)
    reply(ticket, actor=agent, body="Done.", status=Status.RESOLVED)
    login(client, other_seller)
    for action, data in [
        ("reply", {"body": "hi"}),
        ("close", {}),
        ("reopen", {}),
        ("rate", {"rating": "1"}),
    ]:
        assert client.post(f"/cases/{ticket.ref}/{action}", data=data).status_code == 404
    db.session.refresh(ticket)
    assert ticket.status == Status.RESOLVED and ticket.rating is None
    assert count(Message) == 2


def test_staff_cannot_act_through_the_sellers_forms(app, client, login, seller, agent):
    ticket = new_case(seller)
    login(client, agent)
    assert client.post(f"/cases/{ticket.ref}/reply", data={"body": "x"}).status_code == 404
    assert client.post(f"/cases/{ticket.ref}/close").status_code == 404
    assert count(Message) == 1


def test_a_case_is_rated_once_and_only_when_resolved(app, client, login, seller, agent):
    ticket = new_case(seller)
    login(client, seller)
    assert "Rate the help you got" not in text(client.get(f"/cases/{ticket.ref}"))
    early = client.post(f"/cases/{ticket.ref}/rate", data={"rating": "5", "comment": "Quick"})
    assert early.status_code == 400
    assert "You can rate a case once it is resolved." in text(early)
    assert "Quick</textarea>" in text(early)  # what the seller wrote is kept

    reply(ticket, actor=agent, body="Refunded.", status=Status.RESOLVED)
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Rate the help you got" in page
    assert re.search(r'<input id="rating-0" name="rating" required type="radio" value="5">', page)
    assert '<label for="rating-0">5 – Excellent</label>' in page
    bad = client.post(f"/cases/{ticket.ref}/rate", data={"rating": "9", "comment": "Nice"})
    assert bad.status_code == 400
    assert '<p class="error" id="rating-error">Choose a rating from 1 to 5.</p>' in text(bad)
    assert "Nice</textarea>" in text(bad)
    missing = client.post(f"/cases/{ticket.ref}/rate", data={"comment": "Nice"})
    assert missing.status_code == 400 and "Choose a rating from 1 to 5." in text(missing)

    done = client.post(f"/cases/{ticket.ref}/rate", data={"rating": "4", "comment": "Fast"})
    assert done.status_code == 302
    page = text(client.get(f"/cases/{ticket.ref}"))
    assert "Thank you for your rating." in page
    assert "You rated the help you got 4 out of 5." in page and "Fast" in page
    assert "Rate the help you got" not in page
    again = client.post(f"/cases/{ticket.ref}/rate", data={"rating": "1"})
    assert again.status_code == 400
    assert "You have already rated this case." in text(again)
    db.session.refresh(ticket)
    assert (ticket.rating, ticket.rating_comment) == (4, "Fast")


def test_a_merged_case_points_to_the_case_it_was_merged_into(app, client, login, seller, agent):
    duplicate = new_case(seller, subject="Duplicate")
    target = new_case(seller, subject="Original")
    merge(duplicate, into=target, actor=agent)
    login(client, seller)
    page = text(client.get(f"/cases/{duplicate.ref}"))
    assert "This case was merged into another case" in page
    assert f'<a href="/cases/{target.ref}">{target.ref}</a>' in page
    assert "/reply" not in page and "Rate the help you got" not in page and "Reopen" not in page
    for action, data in [("reply", {"body": "hello?"}), ("reopen", {})]:
        response = client.post(f"/cases/{duplicate.ref}/{action}", data=data)
        assert response.headers["Location"] == f"/cases/{target.ref}"
    db.session.refresh(duplicate)
    assert duplicate.status == Status.CLOSED
    assert count(Message) == 2
    assert "please continue there" in text(client.get(f"/cases/{target.ref}"))


def test_uploaded_files_are_removed_when_nothing_is_saved(app, client, login, seller):
    ticket = new_case(seller)
    login(client, seller)
    files = [(io.BytesIO(PNG), "ok.png"), (io.BytesIO(b"<html><script>x</script>"), "x.html")]
    page = invalid_reply(client, ticket, body="with a bad file", attachments=files)
    assert "x.html is not an accepted kind of file" in page
    folder = Path(app.config["SUPPORTDESK_ATTACHMENT_DIR"])
    assert not list(folder.glob("*")) and count(Attachment) == 0
