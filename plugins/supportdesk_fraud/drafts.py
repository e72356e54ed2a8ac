"""A seller's unfinished report, kept on the server between the intake's steps.

One draft per seller, saved at every Back and Next (what was typed, valid or not), so that it
survives an expired session or a closed browser; it is given back when the seller returns,
deleted once the report or claim is sent, and forgotten ``SUPPORTDESK_FRAUD_DRAFT_DAYS`` after
its last change. Evidence files are not part of it: they are chosen on the last step.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import User, utcnow

from .models import FraudDraft
from .settings import setting

#: What a draft keeps of one field, at most (a description is the longest).
VALUE_MAX = 20_000


def _oldest_kept():
    return utcnow() - timedelta(days=setting("SUPPORTDESK_FRAUD_DRAFT_DAYS"))


def current(seller: User) -> FraudDraft | None:
    """The seller's draft, unless it is older than the settings keep drafts. Reading never
    deletes (a GET changes nothing): expired drafts go at the next save of any draft."""
    draft = db.session.scalar(sa.select(FraudDraft).where(FraudDraft.seller_id == seller.id))
    if draft is not None and draft.updated_at < _oldest_kept():
        return None
    return draft


def step_values(draft: FraudDraft | None, step: str) -> dict[str, str]:
    return dict((draft.data or {}).get(step) or {}) if draft else {}


def save_step(seller: User, step: str, values: dict[str, str]) -> FraudDraft:
    """Keep what the seller typed on ``step`` (replacing that step's earlier values)."""
    cleaned = {name: str(value)[:VALUE_MAX] for name, value in values.items()}
    try:
        return _write(seller, step, cleaned)
    except IntegrityError:
        # The seller's other tab created the draft meanwhile: update that one.
        db.session.rollback()
        return _write(seller, step, cleaned)


def _write(seller: User, step: str, values: dict[str, str]) -> FraudDraft:
    with write_transaction():
        db.session.execute(sa.delete(FraudDraft).where(FraudDraft.updated_at < _oldest_kept()))
        draft = db.session.scalar(sa.select(FraudDraft).where(FraudDraft.seller_id == seller.id))
        if draft is None:
            draft = FraudDraft(seller_id=seller.id, data={})
            db.session.add(draft)
        draft.data = {**(draft.data or {}), step: values}
        draft.updated_at = utcnow()
    return draft


def discard(seller: User) -> None:
    with write_transaction():
        db.session.execute(sa.delete(FraudDraft).where(FraudDraft.seller_id == seller.id))
