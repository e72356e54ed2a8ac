"""The plugin's settings, read from the application's configuration with these defaults.

Like every desk setting they can be set in ``instance/config.py`` or as ``SUPPORTDESK_*``
environment variables; :func:`check` refuses a bad value at start-up.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from supportdesk import ConfigurationError, FilingLimit
from supportdesk.rate_limits import require_rate

DEFAULTS: dict[str, Any] = {
    # Feedback can be disputed this many days after it was left.
    "SUPPORTDESK_DISPUTE_WINDOW_DAYS": 90,
    # Only feedback rated this or lower can be disputed (4 and 5 are positive).
    "SUPPORTDESK_DISPUTE_MAX_RATING": 3,
    # How many disputes one seller may open, as a Flask-Limiter rate ("5 per day").
    "SUPPORTDESK_DISPUTE_RATE_LIMIT": "5 per day",
    # A decision can be appealed once, within this many days.
    "SUPPORTDESK_DISPUTE_APPEAL_DAYS": 30,
}


def setting(name: str, app: Flask | None = None) -> Any:
    config = (app or current_app).config
    return config.get(name, DEFAULTS[name])


#: One counter per seller for feedback disputes.
FILING_LIMIT = FilingLimit("disputes", lambda: setting("SUPPORTDESK_DISPUTE_RATE_LIMIT"))


def _positive_int(app: Flask, name: str, maximum: int | None = None) -> None:
    value = setting(name, app)
    valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not valid or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigurationError(f"{name} must be a whole number above 0{limit}, not {value!r}")


def check(app: Flask) -> None:
    """Refuse to start with a setting the plugin cannot use."""
    _positive_int(app, "SUPPORTDESK_DISPUTE_WINDOW_DAYS")
    _positive_int(app, "SUPPORTDESK_DISPUTE_APPEAL_DAYS")
    _positive_int(app, "SUPPORTDESK_DISPUTE_MAX_RATING", maximum=5)
    require_rate(
        "SUPPORTDESK_DISPUTE_RATE_LIMIT",
        setting("SUPPORTDESK_DISPUTE_RATE_LIMIT", app),
        "5 per day",
    )
