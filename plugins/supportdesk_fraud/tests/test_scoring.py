"""Risk scoring through ``score_ticket``: amount, urgency, a repeat party, contact outside the
messaging service (in the description or a saved email)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from supportdesk.attachments import Upload
from supportdesk.extensions import db
from supportdesk.tickets import open_ticket
from supportdesk_fraud.case_types import party_key
from supportdesk_fraud.markers import email_text, find_markers
from supportdesk_fraud.models import ReportedParty

from .conftest import EML


def signals(ticket) -> dict[str, int]:
    return {reason["signal"]: reason["points"] for reason in ticket.risk_reasons}


def test_a_plain_report_scores_nothing(report, seller):
    ticket = report(seller, party=None)
    assert (ticket.risk_score, ticket.risk_reasons) == (0, [])


@pytest.mark.parametrize(
    ("amount", "points"), [("99.99", 0), ("100", 10), ("650", 20), ("2000", 35)]
)
def test_the_amount_at_stake_scores_by_threshold(report, seller, amount, points):
    ticket = report(seller, party=None, amount=amount, currency="EUR")
    assert ticket.risk_score == points
    if points:
        assert ticket.risk_reasons[0]["reason"].startswith(f"{float(amount):.2f} EUR at stake")


def test_the_amount_thresholds_are_a_setting(make_app, seller):
    app = make_app(SUPPORTDESK_FRAUD_AMOUNT_POINTS=[[50, 7], [60, 9]])
    with app.app_context():
        ticket = open_ticket(
            seller=seller,
            type_key="fraud_report",
            subject="x",
            body="y",
            fields={"amount": "55", "currency": "EUR"},
        )
        assert ticket.risk_score == 7


def test_urgency_an_account_takeover_and_money_already_gone(report, seller):
    ticket = report(seller, party=None, category="account_takeover", money_lost=True)
    assert signals(ticket) == {"takeover": 30, "money_lost": 20}
    assert ticket.risk_score == 50


def test_a_party_named_in_other_reports_scores_and_identifiers_are_normalised(
    report, seller, other_seller
):
    first = report(seller, party="Jo Smith42")
    assert "repeat" not in signals(first)
    second = report(other_seller, party="  jo smith 42 ")
    assert signals(second)["repeat"] == 10
    assert "named in 1 other report" in second.risk_reasons[0]["reason"]
    third = report(seller, party="JO\u00a0SMITH42")
    fourth = report(seller, party="JoSmith42")
    assert signals(third)["repeat"] == 20 and signals(fourth)["repeat"] == 30
    fifth = report(seller, party="josmith42")
    assert signals(fifth)["repeat"] == 30  # counted up to three other reports
    assert report(seller, party="someone else").risk_score == 0
    keys = set(db.session.scalars(sa.select(ReportedParty.party_key)))
    assert keys == {"josmith42", "someoneelse"}


def test_party_keys_ignore_case_spaces_and_compatibility_forms():
    assert party_key(" Jo.Smith 42 ") == party_key("jo.smith42") == party_key("ＪＯ.smith42")
    assert party_key(None) == party_key("   ") == ""


def test_contact_details_in_the_description_score(report, seller):
    ticket = report(
        seller,
        party=None,
        order_ids=["402-1234567"],
        description=(
            "Order 402-1234567: the buyer asked me to write to pay.me@mail.example or to call "
            "+44 20 7946 0958, and sent https://pay-secure.example/login"
        ),
    )
    (signal,) = ticket.risk_reasons
    assert signal["points"] == 35
    assert signal["found"] == {
        "email": ["pay.me@mail.example"],
        "phone": ["+44 20 7946 0958"],
        "link": ["https://pay-secure.example/login"],
    }
    assert "an email address, a phone number, a link (in the description)" in signal["reason"]


def test_a_saved_email_among_the_evidence_is_read(report, seller):
    ticket = report(seller, party=None, attachments=[Upload("from-buyer.eml", EML)])
    (signal,) = ticket.risk_reasons
    assert signal["found"] == {"phone": ["+33 6 12 34 56 78"]}
    assert signal["sources"] == ["from-buyer.eml"]
    assert signal["points"] == 10


def test_order_ids_dates_amounts_and_the_marketplaces_own_links_are_not_markers(make_app, seller):
    app = make_app(SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS=["market.example"])
    with app.app_context():
        ticket = open_ticket(
            seller=seller,
            type_key="fraud_report",
            subject="x",
            body=(
                "Order 4021-5583-1176 of 2025-03-03 for 1,250.00 EUR; see "
                "https://www.market.example/orders/4021 and help@market.example"
            ),
            fields={"order_ids": ["4021-5583-1176"]},
        )
        assert ticket.risk_reasons == []


def test_a_saved_email_in_an_unknown_charset_is_still_read(report, seller):
    odd = (
        b"From: x@y.example\r\nSubject: y\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\ncall 0612345678"
    )
    ticket = report(seller, party=None, attachments=[Upload("odd.eml", odd)])
    assert ticket.risk_reasons[0]["found"] == {"phone": ["0612345678"]}


def test_html_emails_give_their_links_and_words():
    data = (
        b"From: a@b.example\r\nSubject: Payment\r\nContent-Type: text/html\r\n\r\n"
        b'<p>Confirm <a href="https://evil.example/pay">here</a> or mail x@evil.example</p>'
    )
    found = find_markers(email_text(data), ours=[])
    assert found.examples == {"email": ["x@evil.example"], "link": ["https://evil.example/pay"]}


def test_other_cases_are_not_scored(app, seller):
    contact = open_ticket(
        seller=seller, type_key="contact", subject="Payout", body="Call me on +33 6 12 34 56 78"
    )
    assert contact.risk_reasons == []


def test_reasons_are_written_in_the_desks_language(report, seller, app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("fr"):
        ticket = report(seller, party=None, category="account_takeover")
    assert ticket.risk_reasons[0]["reason"].startswith("Account takeover")


def test_the_fraud_team_sees_the_score_and_its_reasons(report, client, login, seller, fraud_agent):
    ticket = report(seller, party=None, amount="650", currency="EUR", money_lost=True)
    login(client, fraud_agent)
    page = client.get(f"/staff/cases/{ticket.ref}").get_data(as_text=True)
    assert "Risk score: 40" in page and "650.00 EUR at stake" in page and "(+20)" in page
    review = client.get(f"/staff/fraud/{ticket.ref}").get_data(as_text=True)
    assert "Risk score: 40" in review and "The money is already gone" in review
