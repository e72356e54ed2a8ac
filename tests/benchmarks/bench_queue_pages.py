"""Queue pages at one million cases: page 1 and page 10,000 with keyset pagination, beside
OFFSET pagination at the same depth. Target: page 10,000 within 1.5x of page 1.

Cases are inserted in bulk (the ticket service writes one at a time, which would take hours),
all in the "Seller support" queue, with the statuses and dates a busy desk has. The page
figures are whole HTTP requests to the staff queue view through the test client; the query
figures time the page's database query alone, keyset and OFFSET, so the two can be compared.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

import sqlalchemy as sa

from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import Queue, QueueCount, Status, Ticket, utcnow
from supportdesk.pagination import SortKey, encode_cursor, keyset_page
from supportdesk.permissions import visible_tickets

from .common import analyse_db, benchmark_app, percentile, summary, timings

CASES = int(os.environ.get("BENCH_CASES", 1_000_000))
PAGE = 25
DEPTH = 10_000
REPEAT = 40
BATCH = 20_000
STATUSES = (
    [Status.NEW] * 2
    + [Status.OPEN] * 5
    + [Status.WAITING] * 2
    + [Status.RESOLVED, Status.CLOSED] * 5
)


def fill(queue_id: int, seller_id: int) -> None:
    rng = random.Random(7)
    start = utcnow() - timedelta(days=400)
    counts: dict[str, int] = {}
    for first in range(0, CASES, BATCH):
        rows = []
        for i in range(first, min(CASES, first + BATCH)):
            status = rng.choice(STATUSES)
            counts[status] = counts.get(status, 0) + 1
            created = start + timedelta(seconds=i * 30)
            rows.append(
                {
                    "ref": f"SD-B{i:010d}",
                    "type_key": "contact",
                    "seller_id": seller_id,
                    "subject": f"Question about order {i}",
                    "status": status,
                    "priority": rng.choice(["low", "normal", "normal", "high"]),
                    "queue_id": queue_id,
                    "fields": {},
                    "risk_score": 0,
                    "risk_reasons": [],
                    "created_at": created,
                    "updated_at": created,
                    "last_reply_by": "seller",
                    "version": 1,
                    "next_due_at": created + timedelta(hours=8)
                    if status in (Status.NEW, Status.OPEN)
                    else None,
                }
            )
        db.session.execute(sa.insert(Ticket), rows)
        db.session.commit()
    db.session.add_all(QueueCount(queue_id=queue_id, status=s, count=n) for s, n in counts.items())
    db.session.commit()
    analyse_db()


def main() -> None:
    app = benchmark_app("queues")
    with app.app_context():
        queue = Queue(key="seller_support", name="Seller support")
        db.session.add(queue)
        db.session.commit()
        agent = create_user(
            "agent@bench.example",
            role="agent",
            password="bench-password",
            queues=["seller_support"],
        )
        seller = create_user("seller@bench.example", password="bench-password")
        fill(queue.id, seller.id)
        keys = [SortKey(Ticket.id, descending=True)]
        base = visible_tickets(agent).where(
            Ticket.queue_id == queue.id,
            Ticket.status.in_([Status.NEW, Status.OPEN, Status.WAITING]),
        )
        boundary = db.session.scalar(
            base.with_only_columns(Ticket.id)
            .order_by(Ticket.id.desc())
            .offset(DEPTH * PAGE - 1)
            .limit(1)
        )
        assert boundary is not None, "not enough open cases for that depth"
        cursor = encode_cursor([boundary])
        keyset_1 = timings([lambda: keyset_page(base, keys, None, PAGE)] * REPEAT)
        keyset_deep = timings([lambda: keyset_page(base, keys, cursor, PAGE)] * REPEAT)
        offset_1 = timings(
            [lambda: db.session.scalars(base.order_by(Ticket.id.desc()).limit(PAGE)).all()] * REPEAT
        )
        offset_deep = timings(
            [
                lambda: db.session.scalars(
                    base.order_by(Ticket.id.desc()).offset(DEPTH * PAGE).limit(PAGE)
                ).all()
            ]
            * REPEAT
        )
        agent_id = agent.get_id()
        dialect = db.engine.dialect.name
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = agent_id
    url = "/staff/queues/seller_support"
    assert client.get(url).status_code == 200
    deep_response = client.get(f"{url}?cursor={cursor}")
    assert deep_response.status_code == 200
    page_1 = timings([lambda: client.get(url)] * REPEAT)
    page_deep = timings([lambda: client.get(f"{url}?cursor={cursor}")] * REPEAT)
    print(
        f"\nqueue pages at {CASES:,} cases on {dialect}, {PAGE} per page, page {DEPTH:,} = {DEPTH * PAGE:,} rows deep"
    )
    print(f"  page 1, whole request (keyset)        {summary(page_1)}")
    print(f"  page {DEPTH:,}, whole request (keyset)   {summary(page_deep)}")
    print(f"  query, page 1, keyset                 {summary(keyset_1)}")
    print(f"  query, page {DEPTH:,}, keyset            {summary(keyset_deep)}")
    print(f"  query, page 1, OFFSET                 {summary(offset_1)}")
    print(f"  query, page {DEPTH:,}, OFFSET            {summary(offset_deep)}")
    ratio = percentile(page_deep, 95) / percentile(page_1, 95)
    print(
        f"  page {DEPTH:,} / page 1 (p95, whole request, keyset): {ratio:.2f}x  target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}"
    )
    print(
        f"  OFFSET page {DEPTH:,} / keyset page {DEPTH:,} (p95, query): {percentile(offset_deep, 95) / percentile(keyset_deep, 95):.1f}x"
    )


if __name__ == "__main__":
    main()
