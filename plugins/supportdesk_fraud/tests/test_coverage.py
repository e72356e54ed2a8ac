"""Step 1: the buyer guarantee's coverage decides between a guarantee claim and a fraud report;
the claim path opens a ``guarantee_claim`` case."""

from __future__ import annotations

import io

import pytest

from supportdesk.extensions import db
from supportdesk.models import Attachment, Status
from supportdesk_fraud.models import FraudDraft

from .conftest import PNG, cases, days_ago, field_error, text


def coverage(client, **values):
    return client.post("/fraud/report/coverage", data={"go": "next", **values})


def test_the_first_page_explains_the_guarantee_and_asks_the_coverage_questions(seller_client):
    page = text(seller_client.get("/fraud/report", follow_redirects=True))
    assert "The buyer guarantee protects orders placed and paid through the marketplace" in page
    assert "answers within 48 hours" in page and "up to 30 days after the delivery date" in page
    assert 'name="order_kind"' in page and 'name="order_date"' in page


def test_a_paid_order_within_the_window_is_a_guarantee_claim(seller_client):
    response = coverage(seller_client, order_kind="marketplace", order_date=days_ago(12))
    assert response.status_code == 302 and response.location.endswith("/fraud/claim")
    page = text(seller_client.get("/fraud/claim"))
    assert "Covered by the buyer guarantee" in page and "within 48 hours" in page
    # The fraud steps are not for a covered matter.
    assert seller_client.get("/fraud/report/category").location.endswith("/fraud/claim")


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"order_kind": "outside"}, "The guarantee covers only orders paid through the checkout."),
        ({"order_kind": "none"}, "Without an order, the guarantee does not apply."),
        (
            {"order_kind": "marketplace", "order_date": days_ago(31)},
            "The delivery date is more than 30 days ago",
        ),
    ],
)
def test_what_the_guarantee_does_not_cover_goes_on_as_a_fraud_report(seller_client, values, reason):
    response = coverage(seller_client, **values)
    assert response.location.endswith("/fraud/report/category")
    page = text(seller_client.get("/fraud/report/category"))
    assert "Not covered by the buyer guarantee" in page and reason in page
    assert seller_client.get("/fraud/claim").location.endswith("/fraud/report/coverage")


def test_the_claim_window_is_a_setting(make_app, login, seller):
    client = login(make_app(SUPPORTDESK_GUARANTEE_WINDOW_DAYS=10).test_client(), seller)
    late = coverage(client, order_kind="marketplace", order_date=days_ago(11))
    assert late.location.endswith("/fraud/report/category")
    in_time = coverage(client, order_kind="marketplace", order_date=days_ago(10))
    assert in_time.location.endswith("/fraud/claim")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "order_kind", "Choose the answer that fits."),
        ({"order_kind": "marketplace"}, "order_date", "it decides whether the guarantee applies"),
        ({"order_kind": "marketplace", "order_date": "31/05/2024"}, "order_date", "year-month-day"),
        ({"order_kind": "marketplace", "order_date": days_ago(-5)}, "order_date", "future"),
    ],
)
def test_unanswered_or_wrong_coverage_questions_are_refused(seller_client, values, field, message):
    response = coverage(seller_client, **values)
    assert response.status_code == 400
    assert message in field_error(text(response), field)


def test_a_guarantee_claim_is_filed_with_its_files_and_the_draft_is_gone(seller_client, seller):
    coverage(seller_client, order_kind="marketplace", order_date=days_ago(5))
    response = seller_client.post(
        "/fraud/claim",
        data={
            "order_id": "402-1111111",
            "claim_reason": "not_received",
            "description": "The buyer says the parcel never came; tracking says delivered.",
            "evidence": [(io.BytesIO(PNG), "tracking.png")],
            "go": "next",
        },
        content_type="multipart/form-data",
    )
    (claim,) = cases()
    assert response.location.endswith(f"/cases/{claim.ref}")
    assert (claim.type_key, claim.queue.key, claim.status) == (
        "guarantee_claim",
        "guarantee",
        Status.NEW,
    )
    assert claim.order_id == "402-1111111"
    assert claim.fields == {"claim_reason": "not_received", "order_date": days_ago(5)}
    assert (claim.first_response_due - claim.created_at).total_seconds() == 48 * 3600
    assert db.session.query(Attachment).one().filename == "tracking.png"
    assert db.session.query(FraudDraft).count() == 0
    page = text(seller_client.get(f"/cases/{claim.ref}"))
    assert "Buyer guarantee" in page and "1 day 23 h left" in page


def test_a_refused_claim_keeps_what_was_typed_and_asks_for_the_files_again(seller_client):
    coverage(seller_client, order_kind="marketplace", order_date=days_ago(5))
    response = seller_client.post(
        "/fraud/claim",
        data={
            "order_id": "402-1111111",
            "claim_reason": "not_received",
            "description": "Never came.",
            "evidence": [(io.BytesIO(b"<html><script>x</script>"), "page.html")],
            "go": "next",
        },
        content_type="multipart/form-data",
    )
    page = text(response)
    assert response.status_code == 400 and cases() == []
    assert "not an accepted kind of file" in field_error(page, "evidence")
    assert "please choose them again" in page and "Never came." in page
    # Back to the coverage questions and forward again: the claim's text is still there.
    seller_client.post("/fraud/claim", data={"order_id": "402-9", "go": "back"})
    assert 'value="402-9"' in text(seller_client.get("/fraud/claim"))
