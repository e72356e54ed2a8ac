"""Canned replies: filling their placeholders, inserting them without JavaScript, and the
administrators' pages that keep them."""

from __future__ import annotations

import html as html_lib
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import CannedReply, Message, Queue
from supportdesk.staff.canned import fill_placeholders
from supportdesk.tickets import open_ticket

VALUES = {"seller_name": "Sam Seller", "ref": "SD-7K3M-9QXD", "agent_name": "Ada Agent"}


def new_case(seller, **kwargs):
    defaults = {"type_key": "contact", "subject": "Payment missing", "body": "Order 123 unpaid"}
    return open_ticket(seller=seller, **{**defaults, **kwargs})


def canned(title, body, *, queue_key=None, locale=None):
    queue_id = None
    if queue_key:
        queue_id = db.session.scalar(sa.select(Queue.id).where(Queue.key == queue_key))
    reply = CannedReply(title=title, body=body, queue_id=queue_id, locale=locale)
    db.session.add(reply)
    db.session.commit()
    return reply


def textarea(html, field_id):
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    return html_lib.unescape(found.group(1))


# --- placeholders -----------------------------------------------------------------------------


def test_known_placeholders_are_filled():
    text = "Hello {seller_name}, about {ref}: {agent_name} here."
    assert (
        fill_placeholders(text, VALUES) == "Hello Sam Seller, about SD-7K3M-9QXD: Ada Agent here."
    )


@pytest.mark.parametrize(
    "text",
    [
        "{unknown} stays",
        "{0} and {} and {seller_name!r} and {ref:>20}",
        "{__class__.__init__.__globals__}",
        "a lone { brace and a lone } brace",
        "{Seller_Name} is not {seller_name} (case matters)",
    ],
)
def test_anything_else_in_braces_stays_as_written_and_never_raises(text):
    filled = fill_placeholders(text, VALUES)
    assert filled == text.replace("{seller_name}", "Sam Seller")


def test_a_value_is_not_filled_again():
    assert fill_placeholders("{seller_name}", {"seller_name": "{ref}", "ref": "x"}) == "{ref}"


# --- inserting into a reply -------------------------------------------------------------------


def test_insert_fills_the_reply_box_after_what_was_typed(client, login, seller, agent):
    ticket = new_case(seller)
    reply = canned("Refund sent", "Dear {seller_name}, the refund for {ref} is on its way. {sig}")
    login(client, agent)
    response = client.post(
        f"/staff/cases/{ticket.ref}/reply",
        data={"reply-body": "Hello again,", "reply-canned": str(reply.id), "reply-insert": "1"},
    )
    assert response.status_code == 200
    assert textarea(response.get_data(as_text=True), "reply-body") == (
        f"Hello again,\n\nDear Sam Seller, the refund for {ticket.ref} is on its way. {{sig}}"
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1  # not sent
    empty = client.post(
        f"/staff/cases/{ticket.ref}/reply",
        data={"reply-body": "", "reply-canned": str(reply.id), "reply-insert": "1"},
    )
    assert textarea(empty.get_data(as_text=True), "reply-body").startswith("Dear Sam Seller,")


def test_insert_without_a_choice_says_so_and_keeps_the_text(client, login, seller, agent):
    ticket = new_case(seller)
    canned("Anything", "Text")
    login(client, agent)
    for choice in ("", "999999"):
        response = client.post(
            f"/staff/cases/{ticket.ref}/reply",
            data={"reply-body": "My draft", "reply-canned": choice, "reply-insert": "1"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400, choice
        assert 'id="reply-canned-error"' in html and textarea(html, "reply-body") == "My draft"


def test_the_picker_offers_the_queue_s_replies_in_the_seller_s_language_first(
    client, login, make_user, agent
):
    french_seller = make_user("seller", name="Sophie", locale="fr")
    ticket = new_case(french_seller)
    canned("B everywhere", "x")
    canned("A in English", "x", locale="en")
    canned("C en français", "x", locale="fr", queue_key="seller_support")
    canned("D for fraud only", "x", queue_key="fraud")
    html = login(client, agent).get(f"/staff/cases/{ticket.ref}").get_data(as_text=True)
    picker = re.search(r'<select id="reply-canned".*?</select>', html, re.S).group(0)
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", picker)
    assert labels == [
        "Choose a canned reply",
        "B everywhere",
        "C en français (fr)",
        "A in English (en)",
    ]


# --- the administrators' pages ----------------------------------------------------------------


def test_agents_use_canned_replies_but_only_admins_edit_them(client, login, agent):
    reply = canned("Hello", "Hi")
    login(client, agent)
    assert client.get("/staff/canned").status_code == 403
    assert client.get("/staff/canned/new").status_code == 403
    assert client.post("/staff/canned/new", data={"title": "x", "body": "y"}).status_code == 403
    assert client.get(f"/staff/canned/{reply.id}/edit").status_code == 403
    assert client.post(f"/staff/canned/{reply.id}/delete").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 1
    assert 'href="/staff/canned"' not in client.get("/staff/").get_data(as_text=True)


def test_an_admin_creates_edits_and_deletes_a_canned_reply(client, login, admin, agent):
    login(client, admin)
    assert 'href="/staff/canned"' in client.get("/staff/").get_data(as_text=True)
    queue_id = db.session.scalar(sa.select(Queue.id).where(Queue.key == "seller_support"))
    response = client.post(
        "/staff/canned/new", data={"title": " ", "body": "Dear {seller_name}", "locale": "fr"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Give the reply a title." in html
    assert textarea(html, "body") == "Dear {seller_name}"  # kept
    assert "{seller_name}, {ref}" in html  # the placeholders are explained
    response = client.post(
        "/staff/canned/new",
        data={
            "title": "Refund sent",
            "body": "Dear {seller_name}",
            "locale": "fr",
            "queue": queue_id,
        },
    )
    assert response.status_code == 302
    reply = db.session.scalar(sa.select(CannedReply))
    assert (reply.title, reply.locale, reply.queue_id) == ("Refund sent", "fr", queue_id)
    listing = client.get("/staff/canned").get_data(as_text=True)
    assert "Refund sent" in listing and "Français" in listing and "Seller support" in listing
    form = client.get(f"/staff/canned/{reply.id}/edit").get_data(as_text=True)
    assert 'value="Refund sent"' in form and textarea(form, "body") == "Dear {seller_name}"
    response = client.post(
        f"/staff/canned/{reply.id}/edit",
        data={"title": "Refund on its way", "body": "Hi {seller_name}", "locale": "", "queue": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (reply.title, reply.locale, reply.queue_id) == ("Refund on its way", None, None)
    bad = client.post(
        f"/staff/canned/{reply.id}/edit", data={"title": "x", "body": "y", "queue": "12345"}
    )
    assert bad.status_code == 400
    response = client.post(f"/staff/canned/{reply.id}/delete", follow_redirects=True)
    assert "The canned reply “Refund on its way” is deleted." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0
    assert client.get(f"/staff/canned/{reply.id}/edit").status_code == 404
    assert client.post(f"/staff/canned/{reply.id}/delete").status_code == 404
