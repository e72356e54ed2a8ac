"""The two ticket types check every field they are given, whichever way a case comes in."""

from __future__ import annotations

import pytest

from supportdesk import FieldErrors
from supportdesk.ticket_types import get_ticket_type

from .conftest import days_ago


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"category": "spam"}, "category"),
        ({"order_ids": [str(n) for n in range(21)]}, "order_ids"),
        ({"order_ids": ["x" * 101]}, "order_ids"),
        ({"party": "x" * 201}, "party"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"contacted_on": days_ago(-3)}, "contacted_on"),
        ({"party_rating": 6}, "party_rating"),
        ({"money_lost": "maybe"}, "money_lost"),
        ({"outcome": "confirmed"}, "outcome"),  # staff only
    ],
)
def test_a_report_refuses_a_field_of_the_wrong_shape(app, fields, bad):
    with pytest.raises(FieldErrors) as caught:
        get_ticket_type("fraud_report").clean_fields(fields)
    assert set(caught.value.errors) == {bad}


def test_a_report_cleans_what_it_keeps(app):
    cleaned = get_ticket_type("fraud_report").clean_fields(
        {
            "order_ids": " 402-1 \n402-2, 402-1;;",
            "party": "  Jo   Smith ",
            "amount": "1 250,5",
            "currency": "eur",
            "money_lost": "y",
            "party_rating": "2",
        }
    )
    assert cleaned == {
        "order_ids": ["402-1", "402-2"],
        "party": "Jo Smith",
        "amount": "1250.50",
        "currency": "EUR",
        "money_lost": True,
        "party_rating": 2,
    }


def test_staff_set_the_outcome_and_only_from_the_list(app):
    ttype = get_ticket_type("fraud_report")
    assert ttype.clean_fields({"outcome": "unfounded"}, partial=True) == {"outcome": "unfounded"}
    with pytest.raises(FieldErrors):
        ttype.clean_fields({"outcome": "banned"}, partial=True)


def test_a_claim_checks_its_reason_and_date(app):
    ttype = get_ticket_type("guarantee_claim")
    with pytest.raises(FieldErrors) as caught:
        ttype.clean_fields({"claim_reason": "bored", "order_date": "tomorrow"})
    assert set(caught.value.errors) == {"claim_reason", "order_date"}
