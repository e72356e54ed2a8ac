"""The ``contact`` ticket type: a seller's message to seller support, in the "Seller support"
queue, with the topic chosen and the language the seller wants the answer in.

Both fields are optional for the type, since cases also come from the API and from email
without them; the form asks for both, and the type refuses a value it does not know, whoever
sends it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from supportdesk import ExtraField, FilingLimit, SlaPolicy, TicketType
from supportdesk.i18n import gettext as _
from supportdesk.i18n import languages
from supportdesk.i18n import lazy_gettext as _l

from .settings import setting, topics

TYPE_KEY = "contact"
QUEUE = "seller_support"
#: One counter per seller for the form and for contact cases filed through the JSON API.
FILING_LIMIT = FilingLimit("contact", lambda: setting("SUPPORTDESK_CONTACT_RATE_LIMIT"))


def clean_topic(value: Any) -> str:
    key = str(value).strip()
    if key not in topics():
        raise ValueError(_("Choose one of the topics in the list."))
    return key


def clean_reply_language(value: Any) -> str:
    code = str(value).strip().lower()
    if code not in languages():
        raise ValueError(_("Choose one of the languages in the list."))
    return code


def contact_type() -> TicketType:
    return TicketType(
        key=TYPE_KEY,
        label=_l("Seller support"),
        queue=QUEUE,
        queue_label=_l("Seller support"),
        extra_fields=[
            ExtraField("topic", _l("Topic"), clean=clean_topic),
            ExtraField("reply_language", _l("Reply language"), clean=clean_reply_language),
        ],
        sla=SlaPolicy(first_response=timedelta(hours=8), resolution=timedelta(hours=40)),
        fields_template="supportdesk_contact/_fields.html",
        filing_limit=FILING_LIMIT,
        reply_language_field="reply_language",
    )
