"""The plugin's two ticket types and the validation of their extra fields.

``fraud_report`` (queue ``fraud``) is a report the buyer guarantee does not cover;
``guarantee_claim`` (queue ``guarantee``) is a matter it covers, answered within
``SUPPORTDESK_GUARANTEE_RESPONSE_HOURS`` around the clock.

The types check the shape of every field they are given, whichever way a case comes in (the
intake pages, the JSON API); which fields a seller must fill is the intake's business
(:mod:`.steps`), so a case opened by other means with fewer facts is still accepted.
``outcome`` is staff-only: set through ``tickets.update_fields`` when the fraud team decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask

from supportdesk import ExtraField, SlaPolicy, TicketType, clean_past_date, clean_rating
from supportdesk.i18n import gettext as _
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.models import utcnow

from .settings import FILING_LIMIT, guarantee_hours, setting

REPORT_TYPE = "fraud_report"
CLAIM_TYPE = "guarantee_claim"
FRAUD_QUEUE = "fraud"
CLAIM_QUEUE = "guarantee"

OFF_PLATFORM = "off_platform"
PAYMENT = "payment"
RETURN_ABUSE = "return_abuse"
FALSE_CLAIM = "false_claim"
ACCOUNT_TAKEOVER = "account_takeover"
OTHER = "other"
CATEGORIES = {
    OFF_PLATFORM: _l("A request to talk outside the messaging service, or phishing"),
    PAYMENT: _l("Payment or chargeback fraud"),
    RETURN_ABUSE: _l("Return or refund abuse"),
    FALSE_CLAIM: _l("A false claim"),
    ACCOUNT_TAKEOVER: _l("Account takeover"),
    OTHER: _l("Something else"),
}
#: Reports that skip "contact the other party first": one does not write to a phisher, nor to
#: whoever has taken over one's account.
NO_CONTACT_STEP = frozenset({OFF_PLATFORM, ACCOUNT_TAKEOVER})

CONFIRMED = "confirmed"
UNFOUNDED = "unfounded"
MORE_INFO = "more_info"
OUTCOMES = {
    CONFIRMED: _l("Fraud confirmed"),
    UNFOUNDED: _l("Unfounded"),
    MORE_INFO: _l("More information needed from the seller"),
}

#: How the order was paid, as the coverage questions ask it.
ON_MARKETPLACE = "marketplace"
PAID_OUTSIDE = "outside"
NO_ORDER = "none"
ORDER_KINDS = {
    ON_MARKETPLACE: _l("Yes: it was placed and paid through the marketplace checkout"),
    PAID_OUTSIDE: _l("No: it was paid outside the checkout (bank transfer, cash, a payment app)"),
    NO_ORDER: _l("No order is involved (a suspicious message, a hacked account, …)"),
}

#: The same answers, short, as the case pages show them.
PAID_LABELS = {
    ON_MARKETPLACE: _l("Through the marketplace checkout"),
    PAID_OUTSIDE: _l("Outside the checkout"),
    NO_ORDER: _l("No order"),
}

NOT_RECEIVED = "not_received"
NOT_AS_DESCRIBED = "not_as_described"
CLAIM_REASONS = {
    NOT_RECEIVED: _l("The item was not received"),
    NOT_AS_DESCRIBED: _l("The item is not as described"),
    OTHER: _l("Something else about this order"),
}

ORDER_ID_MAX = 100
ORDERS_MAX = 20
PARTY_MAX = 200
AMOUNT_MAX = Decimal("1000000000")


def today() -> date:
    return utcnow().date()


def clean_choice(choices: dict[str, Any]):
    def clean(value: Any) -> str:
        if value not in choices:
            raise ValueError(_("Choose one of the options."))
        return value

    return clean


def split_order_ids(value: Any) -> list[str]:
    """Order ids as typed: one a line, or separated by commas or semicolons."""
    items: Iterable[Any] = re.split(r"[\n,;]+", value) if isinstance(value, str) else value
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def clean_order_ids(value: Any) -> list[str]:
    if not isinstance(value, str | list | tuple):
        raise ValueError(_("Give the order ids one a line."))
    ids = split_order_ids(value)
    if len(ids) > ORDERS_MAX:
        raise ValueError(_("A report names at most %(n)d orders.", n=ORDERS_MAX))
    if any(len(order) > ORDER_ID_MAX for order in ids):
        raise ValueError(_("An order id is at most %(n)d characters.", n=ORDER_ID_MAX))
    return ids


def clean_party(value: Any) -> str:
    text = " ".join(str(value).split())
    if len(text) > PARTY_MAX:
        raise ValueError(_("The identifier is limited to %(n)d characters.", n=PARTY_MAX))
    return text


def party_key(identifier: str | None) -> str:
    """The identifier as compared between reports: ``" Jo.Smith 42 "`` and ``"jo.smith42"``
    name the same party (Unicode compatibility forms, case and spaces do not count)."""
    text = unicodedata.normalize("NFKC", identifier or "").casefold()
    return "".join(text.split())[:PARTY_MAX]


def clean_amount(value: Any) -> str:
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("Give the amount as a number, e.g. 125.50.")) from None
    if not amount.is_finite() or amount < 0 or amount >= AMOUNT_MAX:
        raise ValueError(_("Give the amount as a number, e.g. 125.50."))
    return str(amount.quantize(Decimal("0.01")))


def clean_currency(value: Any) -> str:
    code = str(value).strip().upper()
    if code not in setting("SUPPORTDESK_FRAUD_CURRENCIES"):
        raise ValueError(_("Choose one of the currencies offered."))
    return code


def clean_flag(value: Any) -> bool:
    if value in (True, "y", "yes", "true", "on", "1", 1):
        return True
    if value in (False, "n", "no", "false", "off", "0", 0):
        return False
    raise ValueError(_("Answer yes or no."))


def report_type() -> TicketType:
    return TicketType(
        key=REPORT_TYPE,
        own_intake=True,
        label=_l("Fraud report"),
        queue=FRAUD_QUEUE,
        queue_label=_l("Fraud reports"),
        sla=SlaPolicy(first_response=timedelta(hours=8), resolution=timedelta(hours=80)),
        extra_fields=[
            ExtraField("category", _l("What happened"), clean=clean_choice(CATEGORIES)),
            ExtraField("order_kind", _l("Order"), clean=clean_choice(ORDER_KINDS)),
            ExtraField("order_date", _l("Delivery date"), clean=clean_past_date),
            ExtraField("order_ids", _l("Order ids"), clean=clean_order_ids),
            ExtraField("party", _l("The other party"), clean=clean_party),
            ExtraField("amount", _l("Amount"), clean=clean_amount),
            ExtraField("currency", _l("Currency"), clean=clean_currency),
            ExtraField("money_lost", _l("Money already lost"), clean=clean_flag),
            ExtraField("contacted_on", _l("Contacted through messaging on"), clean=clean_past_date),
            ExtraField("party_rating", _l("Rating given to the other party"), clean=clean_rating),
            ExtraField("outcome", _l("Outcome"), clean=clean_choice(OUTCOMES), staff_only=True),
        ],
        fields_template="supportdesk_fraud/_report_fields.html",
        filing_limit=FILING_LIMIT,
    )


def claim_type(app: Flask) -> TicketType:
    return TicketType(
        key=CLAIM_TYPE,
        own_intake=True,
        label=_l("Guarantee claim"),
        queue=CLAIM_QUEUE,
        queue_label=_l("Guarantee claims"),
        # The guarantee promises an answer within so many hours, weekends included.
        sla=SlaPolicy(
            first_response=timedelta(hours=guarantee_hours(app)),
            resolution=timedelta(days=10),
            business_hours=False,
        ),
        extra_fields=[
            ExtraField("claim_reason", _l("Reason"), clean=clean_choice(CLAIM_REASONS)),
            ExtraField("order_date", _l("Delivery date"), clean=clean_past_date),
        ],
        fields_template="supportdesk_fraud/_claim_fields.html",
        filing_limit=FILING_LIMIT,
    )
