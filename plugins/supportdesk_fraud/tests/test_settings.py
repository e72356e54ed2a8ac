"""Bad settings stop the desk at start-up with a message naming the setting."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS", 0),
        ("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS", "48"),
        ("SUPPORTDESK_GUARANTEE_WINDOW_DAYS", -1),
        ("SUPPORTDESK_FRAUD_DRAFT_DAYS", True),
        ("SUPPORTDESK_FRAUD_AMOUNT_POINTS", [[100]]),
        ("SUPPORTDESK_FRAUD_AMOUNT_POINTS", "100:10"),
        ("SUPPORTDESK_FRAUD_CURRENCIES", ["euro"]),
        ("SUPPORTDESK_FRAUD_CURRENCIES", []),
        ("SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS", "market.example"),
    ],
)
def test_a_bad_setting_is_refused_by_name(make_app, name, value):
    with pytest.raises(Exception, match=name):
        make_app(**{name: value})


def test_good_settings_start(make_app):
    app = make_app(
        SUPPORTDESK_GUARANTEE_RESPONSE_HOURS=72,
        SUPPORTDESK_FRAUD_AMOUNT_POINTS=[[0.5, 1]],
        SUPPORTDESK_FRAUD_CURRENCIES=["PLN"],
        SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS=["market.example"],
    )
    assert "fraud_report" in app.extensions["supportdesk"].ticket_types
