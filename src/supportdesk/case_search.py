"""Finding cases: by reference, order id or seller email exactly, else by free text.

Every search starts from :func:`supportdesk.permissions.visible_tickets`, so it can never find
what the actor may not open.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, load_only

from . import search
from .extensions import db
from .models import Ticket, User
from .permissions import may, visible_tickets
from .tickets import CASE_SOURCE

#: How a list of cases loads them: in one statement, the seller and the assignee joined (a case
#: has at most one of each; a second and third SELECT cost more than the join), and only the
#: columns a list shows or sorts by: a case has 33, a dozen of them dates that each cost a
#: conversion, and a page of fifty read them all in a twentieth of its time. A deployment's
#: own list template that shows another column still works: that column is read when asked.
LISTED = (
    load_only(
        Ticket.ref,
        Ticket.type_key,
        Ticket.subject,
        Ticket.status,
        Ticket.priority,
        Ticket.queue_id,
        Ticket.seller_id,
        Ticket.assignee_id,
        Ticket.next_due_at,
    ),
    joinedload(Ticket.seller).load_only(User.name, User.email),
    joinedload(Ticket.assignee).load_only(User.name, User.email),
)
REF_PATTERN = re.compile(r"^SD-?[0-9A-Z]{4}-?[0-9A-Z]{4}$", re.I)


def normalise_ref(text: str) -> str | None:
    """``sd7k3m9qxd`` or ``SD-7K3M-9QXD`` → ``SD-7K3M-9QXD``; None if it is not a reference."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if not REF_PATTERN.match(compact):
        return None
    return f"SD-{compact[2:6]}-{compact[6:10]}"


def search_cases(
    actor: User, text: str, *, limit: int = 50, before: int | None = None
) -> list[Ticket]:
    """Cases the actor may see that match ``text``, newest first; with ``before`` (a case id,
    the last of the page shown), the older ones: the next page."""
    text = "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:200]
    if not text or not may(actor, "view", "staff"):
        return []  # the index holds internal notes: case search is for staff only
    visible = visible_tickets(actor).options(*LISTED)
    if before is not None:
        # Each kind of search below keeps the one it chose for the first page: that page had a
        # case older than ``before`` of its own kind, or it would have offered no next page.
        visible = visible.where(Ticket.id < before)
    if (ref := normalise_ref(text)) is not None:
        exact = db.session.scalars(visible.where(Ticket.ref == ref)).all()
        if exact:
            return list(exact)
    if "@" in text:
        seller_ids = sa.select(User.id).where(User.email == text.lower())
        return list(
            db.session.scalars(
                visible.where(Ticket.seller_id.in_(seller_ids))
                .order_by(Ticket.id.desc())
                .limit(limit)
            )
        )
    # The order's cases by a subquery of their ids: with the order id tested on the cases
    # themselves, SQLite walks every case newest first whenever its statistics call order ids
    # unselective (a desk where most cases carry none): 40 ms at 100,000 cases, for every
    # search of a word. Read through the index, 0.1 ms. Not correlated, the subquery reads the
    # cases table on its own (as an alias would, without adapting the statement to one).
    with_order = sa.select(Ticket.id).where(Ticket.order_id == text).correlate(None)
    by_order = db.session.scalars(
        visible.where(Ticket.id.in_(with_order)).order_by(Ticket.id.desc()).limit(limit)
    ).all()
    if by_order:
        return list(by_order)
    return free_text(visible, text, limit, before)


def free_text(visible: sa.Select, text: str, limit: int, before: int | None = None) -> list[Ticket]:
    """Every word in the subject, the reference, the order id or any message; newest first.

    First the ids of the newest matches, twice a page of them, read from the index alone, and
    the visible cases among them: an agent who sees every match has the page from these.
    Joining every match to its case before choosing the newest read all of them (5,452 cases
    for a common word at 100,000 cases: half of the search's time). Only when the visibility
    rules hide some of those cases are the older matches read that way."""
    matches = search.matching(CASE_SOURCE, text, locale="any")
    if matches is None:
        return []
    keys = matches.subquery()
    # The key is cast, not the case's id: the join then reads cases by their primary key, where
    # casting the id read every visible case for each match (minutes at 100,000 cases).
    case_id = sa.cast(keys.c.doc_key, sa.Integer)
    newest = sa.select(case_id).order_by(case_id.desc()).limit(2 * limit)
    if before is not None:
        newest = newest.where(case_id < before)
    first = db.session.scalars(newest).all()
    if not first:
        return []
    found = list(
        db.session.scalars(
            visible.where(Ticket.id.in_(first)).order_by(Ticket.id.desc()).limit(limit)
        )
    )
    if len(found) == limit or len(first) < 2 * limit:
        return found
    # The newest matches are chosen by their ids alone, then only those cases read whole: sorted
    # with their columns (and their people's), thousands of matches cost three times as much.
    older = (
        visible.with_only_columns(Ticket.id)
        .join(keys, Ticket.id == case_id)
        .where(Ticket.id < first[-1])
        .order_by(Ticket.id.desc())
        .limit(limit - len(found))
        .correlate(None)
    )
    query = visible.where(Ticket.id.in_(older.scalar_subquery()))
    return found + list(db.session.scalars(query.order_by(Ticket.id.desc())))
