"""Queue pages at one million cases: page 1 and page 10,000 with keyset pagination, beside
OFFSET pagination at the same depth. Target: page 10,000 within 1.5x of page 1.

Cases are inserted in bulk (the ticket service writes one at a time, which would take hours),
all in the "Seller support" queue, with the statuses and dates a busy desk has. The page
figures are whole HTTP requests to the staff queue view through the test client; the query
figures time the page's database query alone, keyset and OFFSET, so the two can be compared.
``add_messages_and_index`` gives bulk cases their first message and search document (the peer
benchmark searches them).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from supportdesk import search
from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.models import (
    Message,
    Queue,
    QueueCount,
    SearchDocument,
    SearchTerm,
    Status,
    Ticket,
    utcnow,
)
from supportdesk.pagination import SortKey, encode_cursor, keyset_page
from supportdesk.permissions import visible_tickets
from supportdesk.search.analysis import words
from supportdesk.search.backends import scope_text
from supportdesk.tickets import CASE_SOURCE, case_document

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


def document_row(document: search.Document) -> dict:
    """The row ``search.index`` writes for ``document``, for an insert in bulk (one at a time,
    100,000 take minutes); ``check_index_rows`` compares the two on every run."""
    store = search.backend()
    return {
        "source": document.source,
        "doc_key": document.key,
        "locale": document.locale,
        "title": store.stored_text(document.title, document.locale),
        "tags": store.stored_text(" ".join(document.tags), document.locale),
        "body": store.stored_text(document.body, document.locale),
        "body_text": store.kept_body_text(document.body),
        "facet": document.facet,
        "scope": scope_text(document.source, document.locale, document.facet),
        "terms": " ".join(
            sorted(set(words(f"{document.title} {' '.join(document.tags)} {document.body}")))
        ),
    }


def add_messages_and_index(
    first_message: Callable[[random.Random, int], str], batch: int = 5_000
) -> None:
    """Each case gets its first message (``first_message(rng, number)``) and its search
    document, as filing it would give."""
    rng = random.Random(20261207)
    counts: Counter = Counter()
    rows = db.session.execute(
        sa.select(
            Ticket.id, Ticket.ref, Ticket.subject, Ticket.seller_id, Ticket.created_at
        ).order_by(Ticket.id)
    ).all()
    for first in range(0, len(rows), batch):
        messages, documents = [], []
        for number, (ticket_id, ref, subject, seller_id, created) in enumerate(
            rows[first : first + batch], first
        ):
            body = first_message(rng, number)
            message = {"ticket_id": ticket_id, "author_id": seller_id, "body": body}
            messages.append({**message, "internal": False, "via": "web", "created_at": created})
            document = search.Document(
                source=CASE_SOURCE,
                key=str(ticket_id),
                locale="any",
                title=subject,
                tags=[ref, "", "contact"],
                body=body,
            )
            documents.append(document_row(document))
            counts.update(documents[-1]["terms"].split())
        db.session.execute(Message.__table__.insert(), messages)
        db.session.execute(SearchDocument.__table__.insert(), documents)
        db.session.commit()
    db.session.execute(
        SearchTerm.__table__.insert(),
        [
            {"source": CASE_SOURCE, "locale": "any", "term": t, "doc_count": n}
            for t, n in counts.items()
        ],
    )
    db.session.commit()
    analyse_db()


def check_index_rows() -> None:
    """The bulk rows are the service's: a case indexed again by ``search.index``, from the case
    itself (``tickets.case_document``), keeps every column of its row but the time."""
    ticket = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
    row = db.session.scalar(
        sa.select(SearchDocument).where(
            SearchDocument.source == CASE_SOURCE, SearchDocument.doc_key == str(ticket.id)
        )
    )
    columns = [c.key for c in SearchDocument.__table__.columns if c.key != "updated_at"]
    bulk = {column: getattr(row, column) for column in columns}
    search.index(case_document(ticket))  # rewrites that row in place
    differ = [column for column in columns if getattr(row, column) != bulk[column]]
    db.session.rollback()
    if differ:
        raise RuntimeError(f"bench_peer's bulk index rows differ from search.index in {differ}")


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
