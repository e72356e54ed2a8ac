"""Steps 2 to 5: contact first (unless phishing or account takeover), the report, the evidence;
Back and Next keep what was typed, and the draft outlives the session."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Attachment, Event
from supportdesk_fraud.models import FraudDraft

from .conftest import EML, PDF, answers, cases, days_ago, field_error, text


def send(client, files=()):
    return client.post(
        "/fraud/report/evidence",
        data={"go": "next", "evidence": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
    )


# --- contact first ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "field", "message"),
    [
        ("contacted", "contacted", "Write to the other party through the messaging service first"),
        ("contacted_on", "contacted_on", "Give the date of your message"),
        ("party_rating", "party_rating", "Rate the other party"),
    ],
)
def test_without_contact_and_rating_the_report_cannot_go_on(
    walk, seller_client, missing, field, message
):
    walk(until="category")
    values = {**answers("contact"), "go": "next"}
    del values[missing]
    response = seller_client.post("/fraud/report/contact", data=values)
    assert response.status_code == 400
    assert message in field_error(text(response), field)
    assert seller_client.get("/fraud/report/details").location.endswith("/fraud/report/contact")


def test_the_contact_step_explains_itself(walk, seller_client):
    walk(until="category")
    page = text(seller_client.get("/fraud/report/contact"))
    assert "write to the other party through the marketplace messaging service" in page
    assert "Without these two steps the report cannot go on." in page


@pytest.mark.parametrize(
    ("category", "why"),
    [
        ("off_platform", "never answer a phishing message"),
        ("account_takeover", "after an account takeover, the person using your account"),
    ],
)
def test_phishing_and_account_takeover_skip_the_contact_step_and_say_why(
    walk, seller_client, category, why
):
    response = walk(until="category", category={"category": category})
    assert response.location.endswith("/fraud/report/details")
    page = text(seller_client.get("/fraud/report/details"))
    assert why in page and "Contact the other party" not in page
    assert seller_client.get("/fraud/report/contact").location.endswith("/fraud/report/details")
    back = seller_client.post("/fraud/report/details", data={"go": "back"})
    assert back.location.endswith("/fraud/report/category")


# --- the report -------------------------------------------------------------------------------


def test_the_report_step_checks_its_fields(walk, seller_client):
    walk(until="contact")
    response = seller_client.post(
        "/fraud/report/details",
        data={"description": "", "order_ids": "", "party": "", "amount": "12,5x", "go": "next"},
    )
    page = text(response)
    assert response.status_code == 400
    assert "describe what happened" in field_error(page, "description")
    # Paid outside the checkout: the order id is the only way to find the transaction.
    assert "Give the id of the order concerned." in field_error(page, "order_ids")
    assert "username or identifier" in field_error(page, "party")
    assert "Give the amount as a number" in field_error(page, "amount")


def test_after_an_account_takeover_the_other_party_may_be_unknown(walk, seller_client):
    walk(
        until="category", coverage={"order_kind": "none"}, category={"category": "account_takeover"}
    )
    response = seller_client.post(
        "/fraud/report/details",
        data={"description": "Someone changed my payout bank details.", "go": "next"},
    )
    assert response.location.endswith("/fraud/report/evidence")


def test_steps_cannot_be_skipped_by_their_address(walk, seller_client):
    assert seller_client.get("/fraud/report/evidence").location.endswith("/fraud/report/coverage")
    walk(until="coverage")
    assert seller_client.get("/fraud/report/details").location.endswith("/fraud/report/category")
    assert seller_client.get("/fraud/report/nowhere").status_code == 404


# --- back and forth, and the draft ----------------------------------------------------------


def test_back_keeps_what_was_typed_without_checking_it(walk, seller_client):
    walk(until="contact")
    typed = {"description": "Half written", "party": "", "amount": "not yet", "go": "back"}
    response = seller_client.post("/fraud/report/details", data=typed)
    assert response.location.endswith("/fraud/report/contact")
    assert f'value="{days_ago(3)}"' in text(seller_client.get("/fraud/report/contact"))
    page = text(seller_client.get("/fraud/report/details"))
    assert "Half written" in page and 'value="not yet"' in page
    assert 'class="error"' not in page


def test_a_refused_step_is_kept_too(walk, seller_client):
    walk(until="contact")
    seller_client.post("/fraud/report/details", data={"description": "Only this", "go": "next"})
    assert "Only this" in text(seller_client.get("/fraud/report/details"))


def test_the_draft_survives_the_end_of_the_session(walk, seller_client, app, login, seller):
    walk(until="contact")
    seller_client.post("/fraud/report/details", data={"description": "Typed before", "go": "back"})
    fresh = login(app.test_client(), seller)  # a new browser session: nothing in the cookie
    response = fresh.get("/fraud/report")
    assert response.location.endswith("/fraud/report/details")
    page = text(fresh.get("/fraud/report/details"))
    assert "Typed before" in page and "Your answers are saved as you go" in page


def test_drafts_are_the_sellers_own(walk, app, login, other_seller):
    walk(until="contact")
    other = login(app.test_client(), other_seller)
    assert other.get("/fraud/report").location.endswith("/fraud/report/coverage")
    assert "Jo Smith42" not in text(other.get("/fraud/report/coverage"))


def test_an_old_draft_is_forgotten(walk, seller_client, seller):
    walk(until="contact")
    draft = db.session.scalar(sa.select(FraudDraft))
    draft.updated_at -= timedelta(days=31)  # the setting keeps drafts 30 days
    db.session.commit()
    assert seller_client.get("/fraud/report").location.endswith("/fraud/report/coverage")
    # Reading deletes nothing (no GET changes the database); the next save starts afresh.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FraudDraft)) == 1
    walk(until="coverage")
    db.session.expire_all()
    kept = db.session.scalar(sa.select(FraudDraft))
    assert set(kept.data) == {"coverage"}


def test_start_over_deletes_the_draft(walk, seller_client):
    walk(until="contact")
    response = seller_client.post("/fraud/report/discard")
    assert response.location.endswith("/fraud/report/coverage")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FraudDraft)) == 0


# --- sending ----------------------------------------------------------------------------------


def test_the_last_step_shows_the_answers_and_sends_the_report(walk, seller_client, seller):
    walk()
    page = text(seller_client.get("/fraud/report/evidence"))
    assert "Jo Smith42" in page and "650 EUR" in page and "Payment or chargeback fraud" in page
    response = send(seller_client, [("receipt.pdf", PDF), ("message.eml", EML)])
    (report,) = cases()
    assert response.location.endswith(f"/cases/{report.ref}")
    assert (report.type_key, report.queue.key, report.seller_id) == (
        "fraud_report",
        "fraud",
        seller.id,
    )
    assert report.subject == "Payment or chargeback fraud: Jo Smith42"
    assert report.order_id == "402-1234567"
    assert report.fields == {
        "category": "payment",
        "order_kind": "outside",
        "order_ids": ["402-1234567", "402-7654321"],
        "party": "Jo Smith42",
        "amount": "650.00",
        "currency": "EUR",
        "money_lost": False,
        "contacted_on": days_ago(3),
        "party_rating": 1,
    }
    assert report.messages[0].body.startswith("The buyer paid by bank transfer")
    kinds = {a.filename: a.content_type for a in db.session.scalars(sa.select(Attachment))}
    assert kinds == {"receipt.pdf": "application/pdf", "message.eml": "message/rfc822"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FraudDraft)) == 0
    assert [e.kind for e in db.session.scalars(sa.select(Event))] == ["opened"]


def test_a_file_the_desk_refuses_keeps_the_report_and_asks_for_the_files_again(walk, seller_client):
    walk()
    response = send(seller_client, [("page.html", b"<html><script>alert(1)</script>")])
    page = text(response)
    assert response.status_code == 400 and cases() == []
    assert "not an accepted kind of file" in field_error(page, "evidence")
    assert "please choose them again" in page
    assert send(seller_client, [("receipt.pdf", PDF)]).status_code == 302
    assert len(cases()) == 1


def test_a_report_sent_twice_opens_one_case(walk, seller_client, seller):
    walk()
    draft = db.session.scalar(sa.select(FraudDraft))
    key, data = draft.key, dict(draft.data)
    first = send(seller_client)
    # A second request that read the same draft before the first one deleted it.
    db.session.add(FraudDraft(seller_id=seller.id, key=key, data=data))
    db.session.commit()
    second = send(seller_client)
    assert first.location == second.location and len(cases()) == 1


def test_staff_do_not_file_reports(client, login, agent):
    login(client, agent)
    for url in ("/fraud/report", "/fraud/report/coverage", "/fraud/claim"):
        assert client.get(url).status_code == 404
    assert client.post("/fraud/report/coverage", data={"order_kind": "none"}).status_code == 404


def test_visitors_are_asked_to_sign_in(client):
    response = client.get("/fraud/report/coverage")
    assert response.status_code == 302 and "/sign-in" in response.location
