"""The plugin's settings: defaults, and a clear refusal of a value it cannot use."""

from __future__ import annotations

import pytest

from supportdesk.plugins import PluginError
from supportdesk_disputes.settings import DEFAULTS, setting


def test_defaults(app):
    assert {name: setting(name) for name in DEFAULTS} == {
        "SUPPORTDESK_DISPUTE_WINDOW_DAYS": 90,
        "SUPPORTDESK_DISPUTE_MAX_RATING": 3,
        "SUPPORTDESK_DISPUTE_RATE_LIMIT": "5 per day",
        "SUPPORTDESK_DISPUTE_APPEAL_DAYS": 30,
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SUPPORTDESK_DISPUTE_WINDOW_DAYS", 0, "must be a whole number above 0"),
        ("SUPPORTDESK_DISPUTE_APPEAL_DAYS", "30", "must be a whole number above 0"),
        ("SUPPORTDESK_DISPUTE_MAX_RATING", 6, "and at most 5"),
        ("SUPPORTDESK_DISPUTE_RATE_LIMIT", "lots", "must be a rate such as '5 per day'"),
    ],
)
def test_a_bad_setting_stops_the_desk_with_its_name(make_app, name, value, message):
    with pytest.raises(PluginError, match=message) as caught:
        make_app(**{name: value})
    assert name in str(caught.value)
