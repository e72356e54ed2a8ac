"""The templated reasons sent to the seller with a decision, in the seller's language.

The text goes on the case as staff's public reply, so the seller reads it on their case page
and gets it by email through the outbox like any staff answer.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, format_date

from supportdesk.i18n import gettext as _

from .models import APPEAL, REMOVE, STRIKE, Decision, Dispute
from .policy import REASONS
from .settings import setting


def seller_locale(dispute: Dispute) -> str:
    chosen = dispute.seller.locale
    supported = current_app.config["SUPPORTDESK_LANGUAGES"]
    return chosen if chosen in supported else current_app.config["BABEL_DEFAULT_LOCALE"]


def _outcome_text(decision: Decision) -> str:
    if decision.outcome == REMOVE:
        return _(
            "It breaks our feedback rules (%(rule)s), so we have removed it: it no longer "
            "appears on your profile and no longer counts in your rating.",
            rule=str(REASONS[decision.rule]).lower(),
        )
    if decision.outcome == STRIKE:
        return _(
            "The buyer complains about a delivery that the marketplace handled itself. As our "
            "rules provide, the comment stays visible but its rating is struck through: it no "
            "longer counts in your rating."
        )
    return _(
        "It does not break our feedback rules, so it stays on your profile. You can still "
        "answer the buyer publicly under the feedback."
    )


def _closing(decision: Decision) -> str | None:
    if decision.stage == APPEAL:
        return _("Another member of our team reviewed your appeal: this decision is final.")
    if decision.outcome == REMOVE:
        return None
    return _(
        "If you disagree, you can appeal once, within %(days)d days, from your dispute's page.",
        days=setting("SUPPORTDESK_DISPUTE_APPEAL_DAYS"),
    )


def decision_message(dispute: Dispute, decision: Decision, comment: str = "") -> str:
    """The reply that tells the seller the decision and its reason."""
    with force_locale(seller_locale(dispute)):
        parts = [
            _("Hello %(name)s,", name=dispute.seller.display_name),
            _(
                "We have reviewed the feedback you disputed on order %(order)s (rated %(rating)d "
                "out of 5, left on %(date)s).",
                order=dispute.ticket.order_id or dispute.order_key,
                rating=dispute.rating,
                date=format_date(dispute.feedback_date, "long"),
            ),
            _outcome_text(decision),
        ]
        if closing := _closing(decision):
            parts.append(closing)
        if comment:
            parts.append(comment)
        parts.append(_("The seller support team"))
    return "\n\n".join(parts)
