"""The tabs of the seller's case log, each answering "whose move is it?".

The four tabs besides "all" split the cases without overlap or gap, so every case sits in
exactly one of them:

* **open**: support has the next move: the case is new or open and the seller wrote last;
* **answered**: support replied last and the case is still new or open (nobody asked the seller
  for anything; the seller may read the answer and close the case, or write again);
* **needs my reply**: the case is waiting: support asked the seller something and the case's
  SLA clock stands still until the seller answers;
* **closed**: resolved or closed (merged cases are closed too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import LazyString, lazy_pgettext

from ..i18n import lazy_gettext as _l
from ..models import Status, Ticket

ACTIVE = (Status.NEW, Status.OPEN)
FINISHED = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class CaseFilter:
    """One tab: its key in the URL (``?filter=``), its label and what to say when it is empty."""

    key: str
    label: LazyString
    empty: LazyString
    condition: Callable[[], sa.ColumnElement[bool]] | None = None


FILTERS: dict[str, CaseFilter] = {
    f.key: f
    for f in (
        CaseFilter("all", lazy_pgettext("cases", "All"), _l("You have no cases yet.")),
        CaseFilter(
            "open",
            _l("Open"),
            _l("No case is waiting for support right now."),
            lambda: sa.and_(Ticket.status.in_(ACTIVE), Ticket.last_reply_by == "seller"),
        ),
        CaseFilter(
            "answered",
            _l("Answered"),
            _l("No case has a new answer from support."),
            lambda: sa.and_(Ticket.status.in_(ACTIVE), Ticket.last_reply_by == "staff"),
        ),
        CaseFilter(
            "needs_reply",
            _l("Needs my reply"),
            _l("Support is not waiting for anything from you."),
            lambda: Ticket.status == Status.WAITING,
        ),
        CaseFilter(
            "closed",
            lazy_pgettext("cases", "Closed"),
            _l("You have no resolved or closed cases."),
            lambda: Ticket.status.in_(FINISHED),
        ),
    )
}


def filter_named(key: str | None) -> CaseFilter:
    """The tab called ``key``; an unknown or missing key shows all cases."""
    return FILTERS.get(key or "", FILTERS["all"])


def awaits_seller(ticket: Ticket) -> bool:
    """True when support waits on the seller: the "needs my reply" tab and its marker."""
    return ticket.status == Status.WAITING
