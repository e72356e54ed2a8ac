"""The contact form's settings, read from the application's configuration with these defaults.

Like every desk setting they can be set in ``instance/config.py`` or as ``SUPPORTDESK_*``
environment variables (a list as JSON); :func:`check` refuses a bad value at start-up. How many
files a message carries and how large each may be are the core's settings
(``SUPPORTDESK_MAX_ATTACHMENTS``, ``SUPPORTDESK_ATTACHMENT_MAX_BYTES``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app

from supportdesk import ConfigurationError
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.rate_limits import require_rate

DEFAULTS: dict[str, Any] = {
    # The topics a seller chooses from, as keys; the default ones have translated labels,
    # another key is shown as it is written.
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
    # How many messages one seller may send through the form, as a Flask-Limiter rate.
    "SUPPORTDESK_CONTACT_RATE_LIMIT": "5 per hour",
    # The marketplace's order numbers (a regular expression the whole number must match), and
    # an example shown to a seller who typed one that does not.
    "SUPPORTDESK_ORDER_ID_PATTERN": r"^[0-9]{4}-?[0-9]{4}-?[0-9]{4}$",
    "SUPPORTDESK_ORDER_ID_EXAMPLE": "4021-5583-1176",
}

TOPIC_LABELS = {
    "orders": _l("An order"),
    "payments": _l("Payments and payouts"),
    "shipping": _l("Shipping and delivery"),
    "returns": _l("Returns and refunds"),
    "listings": _l("Listings"),
    "account": _l("My seller account"),
    "feedback": _l("Feedback and ratings"),
    "other": _l("Something else"),
}


def setting(name: str, app: Flask | None = None) -> Any:
    config = (app or current_app).config
    return config.get(name, DEFAULTS[name])


def topics() -> list[str]:
    return list(setting("SUPPORTDESK_CONTACT_TOPICS"))


def topic_label(key: str) -> str:
    """The translated name of a topic; a marketplace's own topic keeps its key."""
    return str(TOPIC_LABELS.get(key, key))


def order_id_pattern() -> re.Pattern[str]:
    return re.compile(setting("SUPPORTDESK_ORDER_ID_PATTERN"))


def check(app: Flask) -> None:
    """Refuse to start with a setting the form cannot use."""
    chosen = setting("SUPPORTDESK_CONTACT_TOPICS", app)
    if (
        not isinstance(chosen, list | tuple)
        or not chosen
        or not all(isinstance(key, str) and 0 < len(key) <= 64 for key in chosen)
    ):
        raise ConfigurationError(
            "SUPPORTDESK_CONTACT_TOPICS must be a non-empty list of topic keys "
            f"(at most 64 characters each), not {chosen!r}"
        )
    pattern = setting("SUPPORTDESK_ORDER_ID_PATTERN", app)
    try:
        re.compile(pattern)
    except (TypeError, re.error) as exc:
        raise ConfigurationError(
            f"SUPPORTDESK_ORDER_ID_PATTERN must be a regular expression, not {pattern!r}: {exc}"
        ) from exc
    example = setting("SUPPORTDESK_ORDER_ID_EXAMPLE", app)
    if not isinstance(example, str) or not re.fullmatch(pattern, example):
        raise ConfigurationError(
            f"SUPPORTDESK_ORDER_ID_EXAMPLE {example!r} does not match "
            f"SUPPORTDESK_ORDER_ID_PATTERN {pattern!r}: sellers would be shown a wrong example"
        )
    require_rate("SUPPORTDESK_CONTACT_RATE_LIMIT", setting("SUPPORTDESK_CONTACT_RATE_LIMIT", app))
