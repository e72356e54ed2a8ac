"""Filing a dispute: the form, its policy check, and each eligibility rule with its reason."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from supportdesk import FieldErrors
from supportdesk.extensions import db
from supportdesk.models import Outbox, Status, Ticket
from supportdesk.tickets import open_ticket
from supportdesk_disputes import disputes
from supportdesk_disputes.models import Dispute
from supportdesk_disputes.policy import text_digest

from .conftest import days_ago, feedback_input, form_input

NEW = "/disputes/new"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def refused(seller, **overrides) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        disputes.assess(seller, **feedback_input(**overrides))
    return caught.value.errors


# --- the service -----------------------------------------------------------------------------


def test_a_dispute_opens_a_case_of_its_type_with_its_fields_and_its_own_row(app, seller, file):
    dispute = file(seller, order_id=" 402-1234567 ", rating="2", reason="personal_info")
    ticket = dispute.ticket
    assert (ticket.type_key, ticket.queue.key, ticket.status) == (
        "feedback_dispute",
        "feedback",
        Status.NEW,
    )
    assert ticket.order_id == "402-1234567"
    assert ticket.subject == "Feedback dispute, order 402-1234567"
    assert ticket.fields == {
        "feedback_date": days_ago(10),
        "rating": 2,
        "feedback_text": "Never again, the worst experience I have had.",
        "reason": "personal_info",
    }
    assert [m.body for m in ticket.messages] == ["The buyer is describing another order."]
    assert (dispute.order_key, dispute.rating, dispute.reason) == ("4021234567", 2, "personal_info")
    assert db.session.scalar(sa.select(Outbox.kind)) == "ticket_opened"


def test_the_policy_assistants_suggestions_are_stored_with_the_case(app, seller, file):
    dispute = file(seller, feedback_text="Idiot. Call me on 06 12 34 56 78")
    assert dispute.hints == [
        {"reason": "obscene", "matches": ["idiot"]},
        {"reason": "personal_info", "matches": ["06 12 34 56 78"]},
    ]


def test_feedback_older_than_the_window_is_refused_with_its_age(app, seller):
    assert disputes.assess(seller, **feedback_input(feedback_date=days_ago(90)))
    errors = refused(seller, feedback_date=days_ago(91))
    assert errors == {
        "feedback_date": "Feedback can be disputed within 90 days of being left; this one was "
        "left 91 days ago."
    }


def test_the_window_is_configurable(make_app, make_user):
    app = make_app(SUPPORTDESK_DISPUTE_WINDOW_DAYS=30)
    with app.app_context():
        seller = make_user()
        assert "within 30 days" in refused(seller, feedback_date=days_ago(31))["feedback_date"]


def test_a_feedback_date_in_the_future_or_not_a_date_is_refused(app, seller):
    assert refused(seller, feedback_date=days_ago(-3)) == {
        "feedback_date": "The date of the feedback cannot be in the future."
    }
    assert "year-month-day" in refused(seller, feedback_date="31/05/2024")["feedback_date"]


@pytest.mark.parametrize("rating", ["1", "2", "3"])
def test_ratings_up_to_three_may_be_disputed(app, seller, rating):
    assert disputes.assess(seller, **feedback_input(rating=rating)).fields["rating"] == int(rating)


@pytest.mark.parametrize("rating", ["4", "5"])
def test_positive_ratings_are_refused_with_the_threshold(app, seller, rating):
    assert refused(seller, rating=rating) == {
        "rating": "Only feedback rated 3 or lower can be disputed: a better rating does not "
        "harm your account."
    }


def test_the_rating_threshold_is_configurable(make_app, make_user):
    app = make_app(SUPPORTDESK_DISPUTE_MAX_RATING=2)
    with app.app_context():
        seller = make_user()
        assert "rated 2 or lower" in refused(seller, rating="3")["rating"]


def test_a_rating_outside_one_to_five_and_an_unknown_reason_are_refused(app, seller):
    assert refused(seller, rating="6", reason="dislike") == {
        "rating": "Choose a rating from 1 to 5.",
        "reason": "Choose a reason from the list.",
    }


def test_a_feedback_is_disputed_once_and_a_second_attempt_names_the_first(app, seller, file):
    first = file(seller, order_id="402-1234567")
    with pytest.raises(disputes.AlreadyDisputed) as caught:
        file(
            seller, order_id="# 4021234567 ", feedback_date=days_ago(3), feedback_text="Other text"
        )
    assert caught.value.dispute.id == first.id
    assert first.ticket.ref in caught.value.errors["order_id"]
    assert count(Ticket) == count(Dispute) == 1


def test_another_seller_may_dispute_the_same_order_id(app, seller, other_seller, file):
    file(seller)
    file(other_seller)  # order ids are the marketplace's, but only the seller's own count
    assert count(Dispute) == 2


def test_a_dispute_sent_twice_at_once_opens_one_case(app, seller, file, monkeypatch):
    """Both requests passed the check before either was written: the case's idempotency key
    (one per order) makes the ticket service return the first case, and the second is refused."""
    first = file(seller)
    monkeypatch.setattr(disputes, "find_dispute", lambda *args: None)
    with pytest.raises(disputes.AlreadyDisputed) as caught:
        file(seller)
    assert caught.value.dispute.id == first.id
    assert count(Ticket) == count(Dispute) == 1


def test_a_filing_cut_short_after_its_case_opened_is_finished_by_trying_again(app, seller, file):
    first = file(seller)
    db.session.delete(db.session.get(Dispute, first.id))  # as if the row had not been written
    db.session.commit()
    again = file(seller)
    assert again.ticket_id == first.ticket_id
    assert count(Ticket) == count(Dispute) == 1


def test_a_seller_cannot_set_the_decision_when_opening_the_case(app, seller):
    fields = {**feedback_input(), "decision": "remove"}
    del fields["order_id"]
    with pytest.raises(FieldErrors) as caught:
        open_ticket(
            seller=seller,
            type_key="feedback_dispute",
            subject="Remove it",
            body="Please",
            fields=fields,
        )
    assert caught.value.errors == {"decision": "This field is not accepted here."}
    assert count(Ticket) == 0


# --- the form ------------------------------------------------------------------------------


def test_the_form_is_for_signed_in_sellers(client, login, seller, agent):
    assert client.get(NEW).status_code == 302
    assert "/sign-in" in client.get(NEW).headers["Location"]
    login(client, agent)
    assert client.get(NEW).status_code == 403
    login(client, seller)
    page = text(client.get(NEW))
    assert "Dispute a feedback" in page and "/disputes/guidance" in page
    assert "within 90 days" in page and "rated 3 or lower" in page


def test_a_valid_dispute_without_suggestions_is_sent_at_once(client, login, seller):
    login(client, seller)
    response = client.post(NEW, data=form_input())
    assert response.status_code == 303
    dispute = db.session.scalar(sa.select(Dispute))
    assert response.headers["Location"].endswith(f"/disputes/{dispute.ticket.ref}")
    page = text(client.get(response.headers["Location"]))
    assert "Your dispute is sent" in page and "402-1234567" in page


def test_errors_are_shown_at_their_field_and_what_was_typed_is_kept(client, login, seller):
    login(client, seller)
    typed = form_input(
        feedback_date="yesterday", rating="", feedback_text="Rude <b>buyer</b> words", reason=""
    )
    response = client.post(NEW, data=typed)
    assert response.status_code == 400
    page = text(response)
    assert 'id="feedback_date-error">Give the date as year-month-day' in page
    assert 'id="rating-error">Choose the rating of the feedback.' in page
    assert 'id="reason-error">Choose the rule the feedback breaks.' in page
    assert 'value="yesterday"' in page and 'value="402-1234567"' in page
    assert "Rude <b>buyer</b> words</textarea>" in page
    assert "The buyer is describing another order.</textarea>" in page
    assert count(Ticket) == 0


def test_eligibility_refusals_are_shown_at_their_field(client, login, seller):
    login(client, seller)
    response = client.post(NEW, data=form_input(rating="5", feedback_date=days_ago(120)))
    assert response.status_code == 400
    page = text(response)
    assert "this one was left 120 days ago" in page
    assert "Only feedback rated 3 or lower can be disputed" in page
    assert count(Ticket) == 0


def test_a_second_attempt_links_to_the_first_dispute(client, login, seller, file):
    first = file(seller)
    login(client, seller)
    response = client.post(NEW, data=form_input(order_id="402 1234567"))
    assert response.status_code == 400
    page = text(response)
    assert "You have already disputed the feedback on this order" in page
    assert f'href="/disputes/{first.ticket.ref}"' in page
    assert count(Ticket) == 1


def test_suggestions_are_shown_before_sending_and_the_seller_confirms(client, login, seller):
    login(client, seller)
    typed = form_input(feedback_text="Call me: 06 12 34 56 78", reason="other")
    response = client.post(NEW, data=typed)
    assert response.status_code == 200
    page = text(response)
    assert "The seller's personal information" in page and "06 12 34 56 78" in page
    assert "Confirm and send my dispute" in page
    digest = re.search(r'name="checked" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert count(Ticket) == 0
    # The seller edits the text: its suggestions are shown again before it is sent.
    edited = {**typed, "checked": digest, "feedback_text": "Mail me: a@example.com"}
    assert client.post(NEW, data=edited).status_code == 200
    assert count(Ticket) == 0
    confirmed = client.post(NEW, data={**typed, "checked": digest, "reason": "personal_info"})
    assert confirmed.status_code == 303
    dispute = db.session.scalar(sa.select(Dispute))
    assert (dispute.reason, dispute.hints[0]["reason"]) == ("personal_info", "personal_info")


def test_the_check_endpoint_answers_the_forms_script(client, login, seller):
    assert client.post("/disputes/check", json={"text": "x"}).status_code == 302
    login(client, seller)
    response = client.post("/disputes/check", json={"text": "Idiot, the product quality!"})
    assert response.status_code == 200
    assert response.json == {
        "hints": [
            {"reason": "obscene", "label": "Obscene or abusive language", "matches": ["idiot"]},
            {
                "reason": "product_review",
                "label": "The comment is entirely a product review",
                "matches": ["product", "quality"],
            },
        ],
        "checked": text_digest("Idiot, the product quality!"),
    }
    # The digest the script stores lets the first submit send the dispute.
    typed = form_input(
        feedback_text="Idiot, the product quality!", checked=response.json["checked"]
    )
    assert client.post(NEW, data=typed).status_code == 303


def test_the_form_and_the_check_refuse_a_post_without_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seller = make_user()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = seller.get_id()
        assert client.post(NEW, data=form_input()).status_code == 400
        assert client.post("/disputes/check", json={"text": "x"}).status_code == 400
        page = client.get(NEW).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post(NEW, data={**form_input(), "csrf_token": token}).status_code == 303
        assert count(Ticket) == 1


def test_a_seller_over_the_rate_limit_is_refused_with_the_reason(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORTDESK_DISPUTE_RATE_LIMIT="2 per day")
    with app.app_context():
        seller, other = make_user(), make_user()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = seller.get_id()
        assert client.post(NEW, data=form_input(rating="")).status_code == 400  # not counted
        codes = [client.post(NEW, data=form_input(order_id=f"A-{n}")).status_code for n in (1, 2)]
        assert codes == [303, 303]
        limited = client.post(NEW, data=form_input(order_id="A-3", feedback_text="Kept words"))
        assert limited.status_code == 429
        page = text(limited)
        assert "You have sent as many feedback disputes as we accept in a short time" in page
        assert "Kept words</textarea>" in page and 'value="A-3"' in page
        assert count(Dispute) == 2
        # The limit is the seller's own: another seller, from the same address, may file.
        with client.session_transaction() as session:
            session["_user_id"] = other.get_id()
        assert client.post(NEW, data=form_input(order_id="B-1")).status_code == 303


def test_the_guidance_page_is_linked_from_the_form(client):
    page = text(client.get("/disputes/guidance"))
    assert "Ship fast" in page and "Answer messages quickly and politely" in page
    assert 'href="/help/earn-good-feedback"' in page  # the help centre's article, when installed
