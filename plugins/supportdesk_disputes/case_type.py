"""The ``feedback_dispute`` ticket type and the validation of its extra fields.

The fields are checked here, by the type, on every way a case is opened; the eligibility rules
that depend on the seller's other disputes and on the settings are in :mod:`.disputes`.
``decision`` is staff-only: set through ``tickets.update_fields`` when staff decide, so that
``ticket_changed`` tells a marketplace plugin what to do with the feedback.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from supportdesk import ExtraField, SlaPolicy, TicketType, clean_past_date, clean_rating
from supportdesk.i18n import gettext as _
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.models import utcnow

from .models import OUTCOMES
from .policy import REASONS
from .settings import FILING_LIMIT

TYPE_KEY = "feedback_dispute"
QUEUE = "feedback"
FEEDBACK_MAX = 2000


def today() -> date:
    return utcnow().date()


def clean_feedback_date(value: Any) -> str:
    return clean_past_date(value, _("The date of the feedback cannot be in the future."))


def clean_feedback_text(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError(_("Please copy the text of the feedback."))
    if len(text) > FEEDBACK_MAX:
        raise ValueError(_("The feedback is limited to %(n)d characters.", n=FEEDBACK_MAX))
    return text


def clean_reason(value: Any) -> str:
    if value not in REASONS:
        raise ValueError(_("Choose a reason from the list."))
    return value


def clean_decision(value: Any) -> str:
    if value not in OUTCOMES:
        raise ValueError(_("Choose to remove the feedback, strike its rating through or keep it."))
    return value


def dispute_type() -> TicketType:
    return TicketType(
        key=TYPE_KEY,
        own_intake=True,
        label=_l("Feedback dispute"),
        queue=QUEUE,
        queue_label=_l("Feedback disputes"),
        sla=SlaPolicy(first_response=timedelta(hours=16), resolution=timedelta(hours=40)),
        extra_fields=[
            ExtraField(
                "feedback_date",
                _l("Date of the feedback"),
                required=True,
                clean=clean_feedback_date,
            ),
            ExtraField("rating", _l("Rating"), required=True, clean=clean_rating),
            ExtraField(
                "feedback_text",
                _l("Text of the feedback"),
                required=True,
                clean=clean_feedback_text,
            ),
            ExtraField("reason", _l("Reason"), required=True, clean=clean_reason),
            ExtraField("decision", _l("Decision"), clean=clean_decision, staff_only=True),
        ],
        fields_template="supportdesk_disputes/_case_fields.html",
        filing_limit=FILING_LIMIT,
    )
