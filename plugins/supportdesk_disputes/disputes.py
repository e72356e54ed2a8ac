"""The disputes service: filing a dispute, appealing a decision and deciding, with every rule
about who may do what and when. Views and tests call these functions, never the tables.

Each function writes the plugin's own row and changes the case through ``supportdesk.tickets``:
the case is opened with ``open_ticket``; a decision sets the case's ``decision`` field with
``update_fields`` (so ``ticket_changed`` tells a marketplace plugin to act on the feedback) and
answers the seller with ``reply``, resolving the case; an appeal is the seller's ``reply``, which
reopens it. The plugin's row is written first and is the lock: of two agents deciding at once,
or two tabs appealing at once, the database lets one win. If the case change then fails, the
row is taken back, so that trying again does the whole change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from sqlalchemy.exc import IntegrityError

from supportdesk import FieldErrors, tickets
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.models import Status, User, utcnow
from supportdesk.permissions import may
from supportdesk.ticket_types import get_ticket_type
from supportdesk.tickets import NotAllowed

from . import messages
from .case_type import TYPE_KEY, today
from .models import APPEAL, FIRST, KEEP, OUTCOMES, REMOVE, STRIKE, Decision, Dispute
from .policy import FULFILLED_BY_MARKETPLACE, REASONS, PolicyHint, check_text, text_digest
from .settings import setting

ORDER_ID_MAX = 100
COMMENT_MAX = 2000
APPEAL_MAX = 5000


class AlreadyDisputed(FieldErrors):
    """The seller has disputed this feedback before: ``dispute`` is the first dispute."""

    def __init__(self, dispute: Dispute):
        super().__init__(
            {
                "order_id": _(
                    "You have already disputed the feedback on this order (case %(ref)s): "
                    "a feedback can be disputed once.",
                    ref=dispute.ticket.ref,
                )
            }
        )
        self.dispute = dispute


class Refused(Exception):
    """The dispute is not in a state that allows this now; the message says why."""


def already_appealed() -> str:
    return _("You have already appealed this decision: a decision can be appealed once.")


@dataclass(frozen=True)
class Assessment:
    """A dispute that may be filed: its cleaned case fields and the policy assistant's view."""

    order_id: str
    order_key: str
    fields: dict[str, Any]
    hints: list[PolicyHint]

    @property
    def digest(self) -> str:
        """Names the feedback text the hints are for (see ``policy.text_digest``)."""
        return text_digest(self.fields["feedback_text"])


def order_key(order_id: str) -> str:
    """How one order is recognised however it is typed: ``# 123-456 a`` → ``123456A``."""
    return "".join(ch for ch in (order_id or "") if ch not in " \t#-").upper()


def find_dispute(seller: User, key: str) -> Dispute | None:
    return db.session.scalar(
        sa.select(Dispute).where(Dispute.seller_id == seller.id, Dispute.order_key == key)
    )


def dispute_of(ticket_id: int) -> Dispute | None:
    return db.session.scalar(sa.select(Dispute).where(Dispute.ticket_id == ticket_id))


# --- filing -------------------------------------------------------------------------------


def assess(
    seller: User,
    *,
    order_id: str,
    feedback_date: date | str,
    rating: int | str,
    feedback_text: str,
    reason: str,
) -> Assessment:
    """Check a dispute before it is filed: the fields through the ticket type, then eligibility
    (one dispute per feedback, the window, the rating). ``FieldErrors`` name the field and the
    reason; ``AlreadyDisputed`` also carries the first dispute."""
    order_id = (order_id or "").strip()
    errors: dict[str, str] = {}
    if not order_key(order_id):
        errors["order_id"] = _("Please give the order number.")
    elif len(order_id) > ORDER_ID_MAX:
        errors["order_id"] = _("The order number is limited to %(n)d characters.", n=ORDER_ID_MAX)
    raw = {
        "feedback_date": feedback_date,
        "rating": rating,
        "feedback_text": feedback_text,
        "reason": reason,
    }
    try:
        fields = get_ticket_type(TYPE_KEY).clean_fields(raw)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    key = order_key(order_id)
    if (first := find_dispute(seller, key)) is not None:
        raise AlreadyDisputed(first)
    check_eligibility(fields)
    return Assessment(order_id, key, fields, check_text(fields["feedback_text"]))


def check_eligibility(fields: dict[str, Any]) -> None:
    """The window from the feedback's date, and the rating threshold."""
    errors = {}
    window = setting("SUPPORTDESK_DISPUTE_WINDOW_DAYS")
    age = (today() - date.fromisoformat(fields["feedback_date"])).days
    if age > window:
        errors["feedback_date"] = _(
            "Feedback can be disputed within %(window)d days of being left; this one was left "
            "%(age)d days ago.",
            window=window,
            age=age,
        )
    highest = setting("SUPPORTDESK_DISPUTE_MAX_RATING")
    if fields["rating"] > highest:
        errors["rating"] = _(
            "Only feedback rated %(highest)d or lower can be disputed: a better rating does not "
            "harm your account.",
            highest=highest,
        )
    if errors:
        raise FieldErrors(errors)


def file_dispute(seller: User, *, explanation: str, **feedback: Any) -> Dispute:
    """Open the dispute's case and write its row. Raises ``FieldErrors`` (``AlreadyDisputed``
    too, also when the same dispute is sent twice at once: the case's idempotency key, one per
    order, lets the ticket service open it once)."""
    checked = assess(seller, **feedback)
    ticket = tickets.open_ticket(
        seller=seller,
        type_key=TYPE_KEY,
        subject=_("Feedback dispute, order %(order)s", order=checked.order_id),
        body=explanation,
        fields=checked.fields,
        order_id=checked.order_id,
        idempotency_key=f"{TYPE_KEY}:{checked.order_key}",
    )
    if ticket.type_key != TYPE_KEY:  # the seller used this key for another case of theirs
        raise FieldErrors({"order_id": _("This order cannot be disputed here; contact support.")})
    if (found := dispute_of(ticket.id)) is not None:
        raise AlreadyDisputed(found)
    dispute = Dispute(
        ticket_id=ticket.id,
        seller_id=seller.id,
        order_key=checked.order_key,
        reason=checked.fields["reason"],
        rating=checked.fields["rating"],
        feedback_date=date.fromisoformat(checked.fields["feedback_date"]),
        hints=[hint.as_dict() for hint in checked.hints],
        created_at=ticket.created_at,
    )
    try:
        with write_transaction():
            db.session.add(dispute)
    except IntegrityError:
        db.session.rollback()
        raise AlreadyDisputed(find_dispute(seller, checked.order_key)) from None
    return dispute


# --- deciding -----------------------------------------------------------------------------


def next_stage(dispute: Dispute) -> str | None:
    """``first``, ``appeal`` (appealed and not yet decided again), or None: nothing to decide."""
    if dispute.decision(FIRST) is None:
        return FIRST
    if dispute.appealed_at is not None and dispute.decision(APPEAL) is None:
        return APPEAL
    return None


def may_decide(agent: User | None, dispute: Dispute) -> bool:
    """Staff who may see the case: the agents of its queue, and admins."""
    return bool(agent and agent.is_staff and may(agent, "view", dispute.ticket))


def made_first_decision(dispute: Dispute, agent: User) -> bool:
    first = dispute.decision(FIRST)
    return first is not None and first.agent_id == agent.id


def decision_refusal(dispute: Dispute, agent: User) -> str | None:
    """Why ``agent`` may not decide now, or None if they may."""
    stage = next_stage(dispute)
    if stage is None:
        return _("This dispute is decided and no appeal is waiting.")
    if stage == APPEAL and made_first_decision(dispute, agent):
        return _(
            "You made the first decision on this dispute: its appeal must be decided by "
            "another agent."
        )
    ticket = dispute.ticket
    if ticket.merged_into_id is not None or ticket.status == Status.CLOSED:
        return _("This case is closed: reopen it before deciding.")
    return None


def checked_rule(outcome: str, rule: str | None) -> str | None:
    """The rule a decision rests on: any but the fulfilment one to remove, the fulfilment one
    to strike through, none to keep."""
    if outcome not in OUTCOMES:
        raise FieldErrors({"outcome": _("Choose a decision.")})
    if outcome == KEEP:
        return None
    if outcome == STRIKE:
        if rule not in (None, "", FULFILLED_BY_MARKETPLACE):
            only = _(
                "Only a delivery complaint about an order the marketplace fulfilled is struck "
                "through."
            )
            raise FieldErrors({"rule": only})
        return FULFILLED_BY_MARKETPLACE
    if rule not in REASONS:
        raise FieldErrors({"rule": _("Choose the rule the feedback breaks.")})
    if rule == FULFILLED_BY_MARKETPLACE:
        struck = _(
            "A delivery complaint about an order the marketplace fulfilled is struck through, "
            "not removed."
        )
        raise FieldErrors({"rule": struck})
    return rule


def decide(
    dispute: Dispute, *, agent: User, outcome: str, rule: str | None = None, comment: str = ""
) -> Decision:
    """Decide the dispute, first or on appeal: record it, set the case's ``decision`` field,
    and send the seller the templated reason, resolving the case. An appeal is decided by
    another agent than the first decision's: the same one gets ``NotAllowed``."""
    if not may_decide(agent, dispute):
        raise NotAllowed(_("You may not decide on this dispute."))
    stage = next_stage(dispute)
    why = decision_refusal(dispute, agent)
    if stage == APPEAL and made_first_decision(dispute, agent):
        raise NotAllowed(why)
    if why is not None:
        raise Refused(why)
    rule = checked_rule(outcome, rule)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FieldErrors(
            {"comment": _("The comment is limited to %(n)d characters.", n=COMMENT_MAX)}
        )
    decision = Decision(
        dispute_id=dispute.id,
        stage=stage,
        outcome=outcome,
        rule=rule,
        agent_id=agent.id,
        decided_at=utcnow(),
    )
    try:
        with write_transaction():
            db.session.add(decision)
    except IntegrityError:
        db.session.rollback()
        raise Refused(_("Another agent has just decided on this dispute.")) from None
    ticket = dispute.ticket
    try:
        tickets.update_fields(ticket, actor=agent, fields={"decision": outcome})
        body = messages.decision_message(dispute, decision, comment)
        tickets.reply(ticket, actor=agent, body=body, status=Status.RESOLVED)
    except BaseException:
        _take_back(decision)
        raise
    return decision


def _take_back(decision: Decision) -> None:
    db.session.rollback()
    with write_transaction():
        db.session.execute(sa.delete(Decision).where(Decision.id == decision.id))
    db.session.expire_all()


# --- appealing ----------------------------------------------------------------------------


def appeal_deadline(dispute: Dispute) -> datetime | None:
    first = dispute.decision(FIRST)
    if first is None:
        return None
    return first.decided_at + timedelta(days=setting("SUPPORTDESK_DISPUTE_APPEAL_DAYS"))


def appeal_refusal(dispute: Dispute) -> str | None:
    """Why the dispute's seller may not appeal now, or None if they may."""
    first = dispute.decision(FIRST)
    if first is None:
        return _("There is no decision to appeal yet.")
    if dispute.appealed_at is not None:
        return already_appealed()
    if first.outcome == REMOVE:
        return _("The feedback was removed: there is nothing to appeal.")
    deadline = appeal_deadline(dispute)
    if deadline is not None and utcnow() > deadline:
        return _("The time to appeal this decision ended on %(date)s.", date=format_date(deadline))
    return None


def appeal(dispute: Dispute, *, seller: User, text: str) -> None:
    """The seller appeals the first decision, once, within the appeal period: their message
    goes on the case, which reopens for another agent to decide."""
    if seller.id != dispute.seller_id:
        raise NotAllowed(_("Only the seller who opened the dispute can appeal."))
    if (why := appeal_refusal(dispute)) is not None:
        raise Refused(why)
    text = (text or "").strip()
    if not text:
        raise FieldErrors({"text": _("Please explain why the decision should change.")})
    if len(text) > APPEAL_MAX:
        raise FieldErrors({"text": _("The appeal is limited to %(n)d characters.", n=APPEAL_MAX)})
    unappealed = (Dispute.id == dispute.id, Dispute.appealed_at.is_(None))
    with write_transaction():
        done = db.session.execute(
            sa.update(Dispute).where(*unappealed).values(appealed_at=utcnow())
        ).rowcount
    if done != 1:
        raise Refused(already_appealed())
    body = _("I appeal against the decision on this dispute:") + "\n\n" + text
    try:
        tickets.reply(dispute.ticket, actor=seller, body=body)
    except BaseException:
        db.session.rollback()
        with write_transaction():
            db.session.execute(
                sa.update(Dispute).where(Dispute.id == dispute.id).values(appealed_at=None)
            )
        raise
    db.session.refresh(dispute)
