"""What sending the form does: one case, however often it is sent; its confirmation, receipt,
place in the seller's case log and in the "Seller support" queue; and the per-seller limit."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from supportdesk import tickets
from supportdesk.extensions import db
from supportdesk.mail.render import compose
from supportdesk.models import Outbox, Role, Status, Ticket, User
from supportdesk.sla import calendar

from .conftest import ORDER, count_cases, form_input, hidden, only_case


def test_a_sent_form_opens_a_contact_case_and_shows_its_reference(seller_client, seller):
    response = seller_client.post(
        "/contact", data=form_input(order_id=ORDER, topic="payments", reply_language="fr")
    )
    ticket = only_case()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/contact/sent/{ticket.ref}"
    assert (ticket.type_key, ticket.status, ticket.order_id) == ("contact", Status.NEW, ORDER)
    assert ticket.subject == "Payout missing"
    assert ticket.fields == {"topic": "payments", "reply_language": "fr"}
    assert ticket.messages[0].body == "My payout of last week has not arrived on my bank account."
    page = seller_client.get(response.headers["Location"]).get_data(as_text=True)
    assert ticket.ref in page and "Your message has reached seller support" in page
    assert f"We have sent a receipt to {seller.email}." in page
    assert f'href="/cases/{ticket.ref}"' in page


def test_the_seller_gets_a_receipt_through_the_outbox(seller_client, seller):
    seller_client.post("/contact", data=form_input())
    ticket = only_case()
    receipt = db.session.scalars(sa.select(Outbox)).one()
    assert (receipt.kind, receipt.recipient, receipt.ticket_id) == (
        "ticket_opened",
        seller.email,
        ticket.id,
    )
    assert receipt.payload["ref"] == ticket.ref


def test_mail_about_the_case_speaks_the_reply_language_the_seller_chose(
    seller_client, seller, agent
):
    """The form's "language of our answer" wins over the account's language for the seller's
    mail about that case (receipt and staff answers); staff mail keeps the staff's language."""
    seller.locale = "en"
    db.session.commit()
    seller_client.post("/contact", data=form_input(reply_language="fr"))
    ticket = only_case()
    tickets.reply(ticket, actor=agent, body="Your payout is on its way.")
    db.session.commit()
    mails = {row.kind: compose(row) for row in db.session.scalars(sa.select(Outbox))}
    assert (
        "Nous avons bien reçu votre demande : Payout missing" in mails["ticket_opened"]["Subject"]
    )
    assert "Nouvelle réponse à votre demande" in mails["staff_reply"]["Subject"]
    assert "Your payout is on its way." in mails["staff_reply"].get_body(("plain",)).get_content()

    seller.locale = "fr"  # and the other way round: the choice on the case still wins
    ticket.fields = {**ticket.fields, "reply_language": "en"}
    db.session.commit()
    reply = db.session.scalars(sa.select(Outbox).where(Outbox.kind == "staff_reply")).one()
    assert "New answer on your case: Payout missing" in compose(reply)["Subject"]


def test_the_case_is_in_the_case_log_and_the_seller_support_queue_with_its_sla(
    seller_client, agent, login
):
    seller_client.post("/contact", data=form_input())
    ticket = only_case()
    assert ticket.ref in seller_client.get("/cases").get_data(as_text=True)
    assert (ticket.queue.key, ticket.queue.name) == ("seller_support", "Seller support")
    assert ticket.first_response_due is not None
    assert calendar().between(ticket.created_at, ticket.first_response_due) == timedelta(hours=8)
    queue_page = login(seller_client, agent).get("/staff/queues/seller_support")
    assert ticket.ref in queue_page.get_data(as_text=True)


def test_the_confirmation_is_only_for_its_seller(client, login, seller, other_seller):
    login(client, seller).post("/contact", data=form_input())
    ref = only_case().ref
    assert login(client, other_seller).get(f"/contact/sent/{ref}").status_code == 404
    assert login(client, seller).get(f"/contact/sent/{ref.lower()}").status_code == 200
    assert client.get("/contact/sent/SD-0000-0000").status_code == 404
    client.post("/sign-out")
    assert client.get(f"/contact/sent/{ref}").status_code == 302


# --- twice the same form ---------------------------------------------------------------------


def test_the_same_form_sent_twice_opens_one_case(seller_client):
    key = hidden(seller_client.get("/contact").get_data(as_text=True), "idempotency_key")
    first = seller_client.post("/contact", data=form_input(idempotency_key=key))
    second = seller_client.post("/contact", data=form_input(idempotency_key=key))
    assert count_cases() == 1
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 1
    # A new form is a new key, and a new case.
    other = hidden(seller_client.get("/contact").get_data(as_text=True), "idempotency_key")
    seller_client.post("/contact", data=form_input(idempotency_key=other))
    assert count_cases() == 2


def test_the_same_form_sent_twice_at_once_opens_one_case(make_app, login):
    app = make_app()
    with app.app_context():
        from supportdesk.accounts import create_user

        seller_id = create_user("racer@example.com", role=Role.SELLER, password="pw").id
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        with app.app_context():
            client = login(app.test_client(), db.session.get(User, seller_id))
        barrier.wait()
        response = client.post("/contact", data=form_input(idempotency_key="same-form-key-0001"))
        answers.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=send) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        ref = db.session.scalars(sa.select(Ticket.ref)).one()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 1
    assert answers == [(303, f"/contact/sent/{ref}")] * threads_count


# --- the per-seller limit --------------------------------------------------------------------


def test_a_seller_sends_at_most_the_configured_number_of_messages(make_app, login):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORTDESK_CONTACT_RATE_LIMIT="2 per hour")
    with app.app_context():
        from supportdesk.accounts import create_user

        seller = create_user("busy@example.com", password="pw")
        neighbour = create_user("neighbour@example.com", password="pw")
        client = login(app.test_client(), seller)
        for _ in range(3):  # refused forms do not count
            assert client.post("/contact", data=form_input(subject="")).status_code == 400
        for n in range(2):
            sent = client.post("/contact", data=form_input(idempotency_key=f"key-number-{n:08d}"))
            assert sent.status_code == 303
        over = client.post(
            "/contact",
            data=form_input(idempotency_key="key-number-00000003", body="A third one, kept."),
        )
        html = over.get_data(as_text=True)
        assert over.status_code == 429 and count_cases() == 2
        assert int(over.headers["Retry-After"]) > 0
        assert "You have sent as many messages to support as we accept in a short time." in html
        assert "Please send this one in 60 minutes: what you wrote is kept below." in html
        assert "A third one, kept." in html and 'href="/cases"' in html
        french = client.post(
            "/contact", data=form_input(body="Un troisième."), headers={"Accept-Language": "fr"}
        )
        french_html = french.get_data(as_text=True)
        assert french.status_code == 429 and '<html lang="fr">' in french_html
        assert (
            "Un troisième." in french_html and 'class="form-errors contact-refusal"' in french_html
        )
        # Keyed on the seller, not the address: a neighbour on the same network still writes.
        other = login(app.test_client(), neighbour)
        assert other.post("/contact", data=form_input()).status_code == 303
        # Reading the form is never limited.
        assert client.get("/contact").status_code == 200
