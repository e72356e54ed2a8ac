"""The contact form: who may use it, what fills it, and how it refuses bad input (in English and
in French) without losing what the seller typed."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from supportdesk import FieldErrors
from supportdesk.attachments import Upload
from supportdesk.models import Role
from supportdesk.ticket_types import get_ticket_type
from supportdesk.tickets import open_ticket
from supportdesk_contact import held

from .conftest import ORDER, PDF, PNG, count_cases, field_error, form_input, hidden, only_case

FR = {"Accept-Language": "fr"}


# --- who may write ---------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in_and_back_with_the_help_search_words(client, seller):
    response = client.get("/contact?q=payout+missing")
    assert response.status_code == 302
    sign_in = urlsplit(response.headers["Location"])
    assert sign_in.path == "/sign-in"
    assert parse_qs(sign_in.query)["next"] == ["/contact?q=payout+missing"]
    signed_in = client.post(
        "/sign-in",
        data={
            "email": seller.email,
            "password": "correct horse battery",
            "next": "/contact?q=payout+missing",
        },
    )
    assert signed_in.headers["Location"] == "/contact?q=payout+missing"
    html = client.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert 'value="payout missing"' in html  # the subject
    assert re.search(r"<textarea[^>]*>\s*payout missing", html)  # and the message's start


def test_a_visitor_who_posts_signs_in_and_finds_the_draft(client, seller):
    typed = form_input(order_id=ORDER, body="Where is my payout? Typed before signing in.")
    posted = client.post(
        "/contact",
        data={**typed, "attachments": [(io.BytesIO(PNG), "proof.png")]},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 303 and count_cases() == 0
    back_to = posted.headers["Location"]
    assert back_to.startswith("/contact?draft=")
    to_sign_in = client.get(back_to)
    next_url = parse_qs(urlsplit(to_sign_in.headers["Location"]).query)["next"][0]
    assert next_url == back_to
    signed_in = client.post(
        "/sign-in",
        data={"email": seller.email, "password": "correct horse battery", "next": next_url},
    )
    html = client.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert "Welcome back: your message is below, ready to send." in html
    assert "Files are not kept while you sign in: please attach them again." in html
    assert "Where is my payout? Typed before signing in." in html
    assert f'value="{ORDER}"' in html
    assert re.search(r'<option selected value="payments">', html)
    # The draft is given back once, then gone.
    again = client.get(back_to).get_data(as_text=True)
    assert "Typed before signing in" not in again


def test_the_draft_is_kept_even_when_the_session_and_its_token_are_gone(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        posted = app.test_client().post(
            "/contact", data=form_input(csrf_token="from-a-lost-session")
        )
        assert posted.status_code == 303
        assert posted.headers["Location"].startswith("/contact?draft=")


def test_a_draft_token_is_only_a_token(seller_client):
    html = seller_client.get("/contact?draft=../../etc").get_data(as_text=True)
    assert "Welcome back" not in html


def test_staff_do_not_file_cases_here(client, login, agent):
    login(client, agent)
    assert client.get("/contact").status_code == 403
    assert client.post("/contact", data=form_input()).status_code == 403
    assert count_cases() == 0


def test_sellers_see_the_link_staff_do_not(client, login, seller, agent):
    assert 'href="/contact"' in login(client, seller).get("/").get_data(as_text=True)
    assert 'href="/contact"' not in login(client, agent).get("/").get_data(as_text=True)


# --- what the form shows ---------------------------------------------------------------------


def test_the_form_carries_a_fresh_key_and_answers_in_the_page_language(seller_client):
    first = seller_client.get("/contact").get_data(as_text=True)
    second = seller_client.get("/contact", headers=FR).get_data(as_text=True)
    assert hidden(first, "idempotency_key") != hidden(second, "idempotency_key")
    assert re.search(r'<option selected value="en">English</option>', first)
    assert re.search(r'<option selected value="fr">Français</option>', second)
    assert 'src="/contact/static/contact.js"' in first
    assert 'aria-live="polite"' in first
    assert "onclick" not in first and "<script>" not in first  # the CSP allows neither


def test_topics_are_configurable_and_only_known_ones_are_named(make_app, client, login):
    app = make_app(SUPPORTDESK_CONTACT_TOPICS=["orders", "vat_invoices"])
    with app.app_context():
        from supportdesk.accounts import create_user

        seller = create_user("vat@example.com", role=Role.SELLER, password="pw")
        client = login(app.test_client(), seller)
        html = client.get("/contact").get_data(as_text=True)
        choices = re.findall(r'<option(?: selected)? value="([^"]*)">([^<]*)</option>', html)
        assert choices[:3] == [
            ("", "Choose a topic"),
            ("orders", "An order"),
            ("vat_invoices", "vat_invoices"),
        ]
        refused = client.post("/contact", data=form_input(topic="payments"))
        assert refused.status_code == 400
        assert (
            field_error(refused.get_data(as_text=True), "topic")
            == "Choose one of the topics in the list."
        )


# --- the ticket type's fields ------------------------------------------------------------------


def test_the_contact_type_declares_and_checks_its_fields(app, seller):
    contact = get_ticket_type("contact")
    assert [f.name for f in contact.extra_fields] == ["topic", "reply_language"]
    assert contact.queue == "seller_support"
    assert contact.clean_fields({"topic": " orders ", "reply_language": "FR"}) == {
        "topic": "orders",
        "reply_language": "fr",
    }
    with pytest.raises(FieldErrors) as caught:
        contact.clean_fields({"topic": "weather", "reply_language": "de"})
    assert caught.value.errors == {
        "topic": "Choose one of the topics in the list.",
        "reply_language": "Choose one of the languages in the list.",
    }
    # Cases from the API or from email come without them: both stay optional for the type.
    ticket = open_ticket(seller=seller, type_key="contact", subject="By email", body="Hello")
    assert ticket.fields == {}


def test_the_case_pages_show_the_topic_and_the_reply_language(seller_client, seller, agent, login):
    seller_client.post("/contact", data=form_input(topic="shipping", reply_language="fr"))
    ticket = only_case()
    assert ticket.fields == {"topic": "shipping", "reply_language": "fr"}
    for who in (seller, agent):
        html = login(seller_client, who).get(
            f"/cases/{ticket.ref}" if who is seller else f"/staff/cases/{ticket.ref}"
        )
        page = html.get_data(as_text=True)
        assert "Shipping and delivery" in page and "Français" in page


# --- refusals, in both languages, with the typed text kept --------------------------------------


def test_missing_fields_are_named_and_nothing_typed_is_lost(seller_client):
    response = seller_client.post(
        "/contact", data=form_input(topic="", subject="", body="Only the message was typed.")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and count_cases() == 0
    assert field_error(html, "topic") == "Please choose a topic."
    assert field_error(html, "subject") == "Please give your case a subject."
    assert field_error(html, "body") is None
    assert "Only the message was typed." in html
    assert hidden(html, "idempotency_key") == form_input()["idempotency_key"]


def test_a_bad_order_number_is_explained_with_an_example(seller_client):
    response = seller_client.post("/contact", data=form_input(order_id="ABC-42"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and count_cases() == 0
    assert field_error(html, "order_id") == (
        "This is not an order number. Order numbers look like 4021-5583-1176: "
        "copy it from the order&#39;s page."
    )
    assert 'value="ABC-42"' in html
    assert "My payout of last week has not arrived" in html


def test_in_french_the_page_and_its_errors_are_french_and_the_text_is_kept(seller_client):
    response = seller_client.post(
        "/contact",
        data=form_input(order_id="ABC-42", subject="", body="Mon virement n’est pas arrivé."),
        headers=FR,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<html lang="fr">' in html
    assert field_error(html, "subject") == "Veuillez donner un objet à votre demande."
    assert field_error(html, "order_id")
    assert field_error(html, "order_id") != field_error(
        seller_client.post("/contact", data=form_input(order_id="ABC-42")).get_data(as_text=True),
        "order_id",
    )  # the English message differs: the French one is a translation, not a copy
    assert 'value="ABC-42"' in html
    assert "Mon virement n’est pas arrivé." in html


def test_the_order_number_format_is_the_marketplaces(make_app, login):
    app = make_app(
        SUPPORTDESK_ORDER_ID_PATTERN=r"^[0-9]{3}-[0-9]{7}-[0-9]{7}$",
        SUPPORTDESK_ORDER_ID_EXAMPLE="123-1234567-1234567",
    )
    with app.app_context():
        from supportdesk.accounts import create_user

        client = login(app.test_client(), create_user("m@example.com", password="pw"))
        refused = client.post("/contact", data=form_input(order_id=ORDER))
        assert "123-1234567-1234567" in field_error(refused.get_data(as_text=True), "order_id")
        accepted = client.post("/contact", data=form_input(order_id=" 402-1234567-7654321 "))
        assert accepted.status_code == 303
        assert only_case().order_id == "402-1234567-7654321"


def files(*names_and_data):
    return [(io.BytesIO(data), name) for name, data in names_and_data]


def test_at_most_five_files_by_default_and_the_limit_is_configurable(seller_client, app):
    six = files(*[(f"p{i}.png", PNG) for i in range(6)])
    response = seller_client.post(
        "/contact", data={**form_input(), "attachments": six}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "attachments") == (
        "You can attach up to 5 files to one message."
    )
    app.config["SUPPORTDESK_MAX_ATTACHMENTS"] = 2
    three = files(("a.png", PNG), ("b.png", PNG), ("c.pdf", PDF))
    response = seller_client.post(
        "/contact", data={**form_input(), "attachments": three}, content_type="multipart/form-data"
    )
    assert field_error(response.get_data(as_text=True), "attachments") == (
        "You can attach up to 2 files to one message."
    )
    assert count_cases() == 0


def test_files_are_sniffed_and_sized_by_the_service(seller_client, app):
    page = seller_client.post(
        "/contact",
        data={**form_input(), "attachments": files(("evil.png", b"<html><script>x</script>"))},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "evil.png is not an accepted kind of file" in field_error(page, "attachments")
    app.config["SUPPORTDESK_ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    big = PNG + b"\x00" * (1024 * 1024)
    response = seller_client.post(
        "/contact",
        data={**form_input(), "attachments": files(("big.png", big))},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "attachments") == (
        "big.png is larger than 1 MB."
    )
    assert count_cases() == 0


def test_files_chosen_before_an_error_are_kept_for_the_next_try(seller_client):
    first = seller_client.post(
        "/contact",
        data={**form_input(subject=""), "attachments": files(("proof.png", PNG))},
        content_type="multipart/form-data",
    )
    html = first.get_data(as_text=True)
    assert first.status_code == 400 and "Files attached: proof.png" in html
    token = hidden(html, "held")
    sent = seller_client.post(
        "/contact",
        data={**form_input(), "held": token, "attachments": files(("invoice.pdf", PDF))},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    names = sorted(a.filename for a in only_case().messages[0].attachments)
    assert names == ["invoice.pdf", "proof.png"]
    assert held.load(token, owner_id=None) is None  # used up


def test_kept_files_count_towards_the_limit_and_can_be_removed(seller_client, app):
    app.config["SUPPORTDESK_MAX_ATTACHMENTS"] = 2
    first = seller_client.post(
        "/contact",
        data={**form_input(body=""), "attachments": files(("a.png", PNG), ("b.png", PNG))},
        content_type="multipart/form-data",
    )
    token = hidden(first.get_data(as_text=True), "held")
    over = seller_client.post(
        "/contact",
        data={**form_input(), "held": token, "attachments": files(("c.png", PNG))},
        content_type="multipart/form-data",
    )
    assert over.status_code == 400
    assert "Files attached: a.png, b.png" in over.get_data(as_text=True)
    removed = seller_client.post(
        "/contact",
        data={
            **form_input(),
            "held": token,
            "drop_files": "y",
            "attachments": files(("c.png", PNG)),
        },
        content_type="multipart/form-data",
    )
    assert removed.status_code == 303
    assert [a.filename for a in only_case().messages[0].attachments] == ["c.png"]


def test_files_no_longer_kept_are_asked_again(seller_client):
    response = seller_client.post("/contact", data=form_input(held="x" * 32))
    assert response.status_code == 400 and count_cases() == 0
    assert field_error(response.get_data(as_text=True), "attachments") == (
        "The files you attached before are no longer kept: please attach them again."
    )


def test_an_expired_form_is_shown_again_with_the_text(make_app, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from supportdesk.accounts import create_user

        client = login(app.test_client(), create_user("c@example.com", password="pw"))
        response = client.post("/contact", data=form_input(csrf_token="stale"))
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and count_cases() == 0
        assert "This form had expired. Your message is kept below: please send it again." in html
        assert "My payout of last week has not arrived" in html
        retried = client.post("/contact", data=form_input(csrf_token=hidden(html, "csrf_token")))
        assert retried.status_code == 303 and count_cases() == 1


def test_held_things_expire(app, seller, monkeypatch):
    token = held.hold(owner_id=seller.id, files=[Upload("a.png", PNG)])
    assert held.load(token, seller.id).files[0].filename == "a.png"
    assert held.load(token, seller.id + 1) is None  # another seller's token gives nothing
    monkeypatch.setattr(held, "KEEP_FOR", timedelta(seconds=-1))
    held.hold(owner_id=None, fields={"subject": "x"})  # holding purges what expired
    assert held.load(token, seller.id) is None
