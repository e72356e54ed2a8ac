"""Keyset pagination: every row once, in order, and forged cursors refused cleanly."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from supportdesk.models import Ticket
from supportdesk.pagination import BadCursor, SortKey, encode_cursor, keyset_page
from supportdesk.tickets import open_ticket


def forged(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def cases(app, seller):
    return [
        open_ticket(seller=seller, type_key="contact", subject=f"Case {i}", body="b").id
        for i in range(7)
    ]


def test_pages_cover_every_row_once_in_order(cases):
    keys = [SortKey(Ticket.id, descending=True)]
    seen, cursor = [], None
    while True:
        page = keyset_page(sa.select(Ticket), keys, cursor, 3)
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(cases, reverse=True)


def test_mixed_directions_and_null_sorting(cases):
    far = datetime(9999, 1, 1, tzinfo=UTC)
    keys = [SortKey(Ticket.next_due_at, null_as=far), SortKey(Ticket.id, descending=True)]
    seen, cursor = [], None
    while True:
        page = keyset_page(sa.select(Ticket), keys, cursor, 2)
        seen += [t.id for t in page.items]
        if not (cursor := page.next_cursor):
            break
    assert sorted(seen) == sorted(cases) and len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        forged(["text"]),
        forged([2**70]),
        forged([True]),
        forged([1, 2]),
        forged({"a": 1}),
        forged([{"t": "nope"}]),
        forged([None]),
    ],
)
def test_forged_cursors_are_refused(cases, cursor):
    with pytest.raises(BadCursor):
        keyset_page(sa.select(Ticket), [SortKey(Ticket.id, descending=True)], cursor, 3)


def test_a_datetime_cursor_needs_a_real_aware_datetime(cases):
    keys = [SortKey(Ticket.created_at), SortKey(Ticket.id)]
    with pytest.raises(BadCursor):
        keyset_page(sa.select(Ticket), keys, forged(["2026-01-01", 1]), 3)
    good = keyset_page(
        sa.select(Ticket), keys, encode_cursor([datetime(2026, 1, 1, tzinfo=UTC), 0]), 3
    )
    assert len(good.items) == 3
