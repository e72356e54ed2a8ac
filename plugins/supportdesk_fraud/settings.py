"""The plugin's settings, read from the application's configuration with these defaults.

Like every desk setting they can be set in ``instance/config.py`` or as ``SUPPORTDESK_*``
environment variables; :func:`check` refuses a bad value at start-up, naming the setting.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app

from supportdesk import ConfigurationError, FilingLimit
from supportdesk.rate_limits import require_rate

DEFAULTS: dict[str, Any] = {
    # The guarantee team answers a claim within so many hours, weekends included.
    "SUPPORTDESK_GUARANTEE_RESPONSE_HOURS": 48,
    # A matter is a guarantee claim up to so many days after the (estimated) delivery date.
    "SUPPORTDESK_GUARANTEE_WINDOW_DAYS": 30,
    # Risk points for the amount at stake: [[at least, points], …]; the highest reached counts.
    "SUPPORTDESK_FRAUD_AMOUNT_POINTS": [[100, 10], [500, 20], [2000, 35]],
    # The currencies a report may name (ISO 4217 codes), the first one preselected.
    "SUPPORTDESK_FRAUD_CURRENCIES": ["EUR", "GBP", "USD", "CHF"],
    # The marketplace's own domains: links and addresses there are not "outside" contact.
    "SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS": [],
    # An unfinished report is kept for the seller so many days after its last change.
    "SUPPORTDESK_FRAUD_DRAFT_DAYS": 30,
    # How many fraud reports and guarantee claims, together, one seller may file.
    "SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT": "10 per day",
}

CURRENCY = re.compile(r"[A-Z]{3}")


def setting(name: str, app: Flask | None = None) -> Any:
    config = (app or current_app).config
    return config.get(name, DEFAULTS[name])


#: One counter per seller for the intake's two kinds of case.
FILING_LIMIT = FilingLimit("fraud", lambda: setting("SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT"))


def _positive_int(app: Flask, name: str) -> int:
    value = setting(name, app)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{name} must be a whole number above 0, not {value!r}")
    return value


def guarantee_hours(app: Flask) -> int:
    """The guarantee's response deadline, checked (the ticket type is built from it)."""
    return _positive_int(app, "SUPPORTDESK_GUARANTEE_RESPONSE_HOURS")


def _amount_points(app: Flask) -> None:
    name = "SUPPORTDESK_FRAUD_AMOUNT_POINTS"
    value = setting(name, app)
    message = f"{name} must be a list of [amount, points] pairs such as [[100, 10], [500, 20]], not {value!r}"
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ConfigurationError(message)
    for pair in value:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ConfigurationError(message)
        if any(isinstance(n, bool) or not isinstance(n, int | float) or n < 0 for n in pair):
            raise ConfigurationError(message)


def _code_list(app: Flask, name: str, pattern: re.Pattern[str] | None, example: str) -> None:
    value = setting(name, app)
    valid = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if valid and pattern is not None:
        valid = bool(value) and all(pattern.fullmatch(v) for v in value)
    if not valid:
        raise ConfigurationError(f"{name} must be a list such as {example}, not {value!r}")


def check(app: Flask) -> None:
    """Refuse to start with a setting the plugin cannot use."""
    guarantee_hours(app)
    _positive_int(app, "SUPPORTDESK_GUARANTEE_WINDOW_DAYS")
    _positive_int(app, "SUPPORTDESK_FRAUD_DRAFT_DAYS")
    _amount_points(app)
    _code_list(app, "SUPPORTDESK_FRAUD_CURRENCIES", CURRENCY, '["EUR", "USD"]')
    _code_list(app, "SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS", None, '["example.com"]')
    require_rate(
        "SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT", setting("SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT", app)
    )
