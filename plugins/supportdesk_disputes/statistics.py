"""Figures for staff: disputes by reason, how many were granted, how long a decision took.

A dispute counts as granted when the decision that stands (the appeal's, else the first) removes
the feedback or strikes its rating through. Time to decision runs from the dispute to its first
decision. The figures cover the disputes filed in the period.
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from supportdesk.extensions import db
from supportdesk.models import utcnow

from .models import ACCEPTED, APPEAL, FIRST, OUTCOMES, Dispute
from .policy import REASONS


@dataclass
class ReasonRow:
    reason: str
    filed: int = 0
    decided: int = 0
    granted: int = 0

    @property
    def rate(self) -> float | None:
        return self.granted / self.decided if self.decided else None


@dataclass
class DisputeFigures:
    since: datetime | None
    filed: int = 0
    decided: int = 0
    granted: int = 0
    waiting: int = 0
    appeals: int = 0
    appeals_decided: int = 0
    appeals_changed: int = 0
    by_reason: list[ReasonRow] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    # Hours from the dispute to its first decision, one per decided dispute.
    hours_to_decision: list[float] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return self.granted / self.decided if self.decided else None

    @property
    def median_hours(self) -> float | None:
        return stats.median(self.hours_to_decision) if self.hours_to_decision else None

    @property
    def mean_hours(self) -> float | None:
        return stats.fmean(self.hours_to_decision) if self.hours_to_decision else None


def figures(days: int | None) -> DisputeFigures:
    """The figures for the disputes filed in the last ``days`` days (None: all of them)."""
    since = utcnow() - timedelta(days=days) if days else None
    query = sa.select(Dispute).options(selectinload(Dispute.decisions))
    if since is not None:
        query = query.where(Dispute.created_at >= since)
    result = DisputeFigures(since=since)
    rows = {key: ReasonRow(key) for key in REASONS}
    for dispute in db.session.scalars(query.execution_options(yield_per=1000)):
        _count(result, rows.setdefault(dispute.reason, ReasonRow(dispute.reason)), dispute)
    result.by_reason = list(rows.values())
    return result


def _count(result: DisputeFigures, row: ReasonRow, dispute: Dispute) -> None:
    result.filed += 1
    row.filed += 1
    first, final = dispute.decision(FIRST), dispute.final
    if first is None:
        result.waiting += 1
        return
    result.decided += 1
    row.decided += 1
    result.outcomes[final.outcome] += 1
    if final.outcome in ACCEPTED:
        result.granted += 1
        row.granted += 1
    hours = (first.decided_at - dispute.created_at).total_seconds() / 3600
    result.hours_to_decision.append(max(hours, 0.0))
    if dispute.appealed_at is not None:
        result.appeals += 1
        second = dispute.decision(APPEAL)
        if second is None:
            result.waiting += 1
        else:
            result.appeals_decided += 1
            result.appeals_changed += second.outcome != first.outcome


def outcome_counts(result: DisputeFigures) -> list[tuple[str, int]]:
    return [(outcome, result.outcomes.get(outcome, 0)) for outcome in OUTCOMES]
