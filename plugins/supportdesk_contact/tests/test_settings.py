"""The contact form's settings: defaults, and a clear refusal of a value it cannot use."""

from __future__ import annotations

import pytest

from supportdesk.plugins import PluginError
from supportdesk_contact.settings import DEFAULTS, setting, topic_label


def test_defaults(app):
    assert {name: setting(name) for name in DEFAULTS} == {
        "SUPPORTDESK_CONTACT_TOPICS": [
            "orders",
            "payments",
            "shipping",
            "returns",
            "listings",
            "account",
            "feedback",
            "other",
        ],
        "SUPPORTDESK_CONTACT_RATE_LIMIT": "5 per hour",
        "SUPPORTDESK_ORDER_ID_PATTERN": r"^[0-9]{4}-?[0-9]{4}-?[0-9]{4}$",
        "SUPPORTDESK_ORDER_ID_EXAMPLE": "4021-5583-1176",
    }
    assert app.config["SUPPORTDESK_MAX_ATTACHMENTS"] == 5  # the core's, shared with replies


def test_default_topics_have_labels_in_both_languages_and_others_keep_their_key(app):
    assert all(topic_label(key) != key for key in DEFAULTS["SUPPORTDESK_CONTACT_TOPICS"])
    assert topic_label("vat_invoices") == "vat_invoices"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SUPPORTDESK_CONTACT_TOPICS": []}, "SUPPORTDESK_CONTACT_TOPICS must be a non-empty list"),
        ({"SUPPORTDESK_CONTACT_TOPICS": "orders"}, "SUPPORTDESK_CONTACT_TOPICS must be"),
        (
            {"SUPPORTDESK_ORDER_ID_PATTERN": "[0-9"},
            "SUPPORTDESK_ORDER_ID_PATTERN must be a regular",
        ),
        (
            {"SUPPORTDESK_ORDER_ID_PATTERN": r"^\d{3}$"},
            "SUPPORTDESK_ORDER_ID_EXAMPLE '4021-5583-1176'",
        ),
        ({"SUPPORTDESK_CONTACT_RATE_LIMIT": "often"}, "must be a rate such as '5 per hour'"),
    ],
)
def test_a_bad_setting_stops_the_desk_with_its_name(make_app, settings, message):
    with pytest.raises(PluginError, match=message):
        make_app(**settings)
