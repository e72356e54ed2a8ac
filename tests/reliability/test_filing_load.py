"""Sellers filing cases at once, through the contact form and the API, each with a file, into
gunicorn with several workers while agents answer cases of the same queue and an outbox worker
sends the receipts and answers: on SQLite (issue 10's first load) and on PostgreSQL (the same
test with ``SUPPORTDESK_TEST_DATABASE_URL``)."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from .checks import assert_clean_run, assert_delivered_once, missing_cases, wait_for_outbox_sent
from .clients import LOAD_SECONDS, Load, agent_client, seller_client
from .processes import Gunicorn, Worker

pytestmark = pytest.mark.reliability

#: Two sellers per gunicorn worker process: each worker always has the next request waiting.
SELLERS = 8
#: Agents answering cases meanwhile: two move cases both ways between the same statuses.
AGENTS = 2


def test_every_acknowledged_case_is_stored_once_with_its_file(desk, smtp, report):
    sellers = desk.accounts("seller", SELLERS, label="seller", tokens=True)
    agents = desk.accounts("agent", AGENTS, label="agent", agents_of="contact")
    server = Gunicorn(desk, workers=4)
    worker = Worker(desk, smtp.port)
    load = Load()
    queue = "seller_support"
    load.run(
        [seller_client(server.base, s.email, s.password, s.token) for s in sellers]
        + [agent_client(server.base, a.email, a.password, queue) for a in agents],
        LOAD_SECONDS,
    )
    server.stop()
    wait_for_outbox_sent(desk, timeout=120)
    worker.stop()

    assert_clean_run(load, {"gunicorn": server.output(), "worker": worker.output()})
    wrong = missing_cases(desk.url, desk.attachments, load)
    assert not wrong, "\n".join(wrong[:20]) + f"\n({len(wrong)} in all)"
    acknowledged = load.acknowledged()
    assert len(acknowledged) >= SELLERS, "the clients filed next to nothing"
    mails = assert_delivered_once(desk, smtp)

    channels = Counter(f.channel for f in acknowledged.values())
    filing = sorted(e.seconds for e in load.exchanges if e.label.startswith("file by"))
    answered = sum(e.label == "agent reply" and e.status == 302 for e in load.exchanges)
    assert answered >= AGENTS, "the agents answered next to nothing"
    report(
        f"{desk.url.split(':')[0]}: {len(acknowledged)} cases in {load.seconds:.0f} s = "
        f"{len(acknowledged) / load.seconds:.1f} cases/s ({channels['form']} by form, "
        f"{channels['api']} by API, each with a file); {len(load.exchanges)} requests, "
        f"filing p50 {statistics.median(filing) * 1000:.0f} ms, "
        f"max {filing[-1] * 1000:.0f} ms; {answered} agent answers meanwhile; {mails} mails "
        f"(receipts, answers, status changes) delivered once each"
    )
