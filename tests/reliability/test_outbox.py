"""The outbox against real ``supportdesk worker`` processes and a real SMTP server: an outage
loses nothing (rows wait with their attempts and a growing back-off, then all go out once), and
a worker killed with SIGKILL in the middle of a batch loses nothing either: its lease runs out,
another worker sends the rest, and only the message that was in flight at the kill arrives
twice, with the same Message-ID both times. Runs on the configured database."""

from __future__ import annotations

import re
import signal
from collections import defaultdict

import pytest
import sqlalchemy as sa

from supportdesk.models import Outbox
from tests.servers import free_port

from .checks import assert_delivered_once, expected_message_ids, wait_for_outbox_sent
from .processes import SmtpReceiver, Worker, wait_until

pytestmark = pytest.mark.reliability

CASES = 30
#: Rounds of failed attempts the outage lasts (about 1 + 2 + 4 seconds with the back-off below).
ROUNDS = 3
BATCH = 20
#: The first retry waits 1-2 s, the next 2-4 s, then 4-8 s: several retries fit in the outage.
BACKOFF = {"SUPPORTDESK_OUTBOX_BACKOFF_SECONDS": 2, "SUPPORTDESK_OUTBOX_BACKOFF_MAX_SECONDS": 60}
RETRY_LINE = re.compile(r"^retry #(\d+) .*: attempt (\d+), next in (\d+)s: (.*)$", re.M)


def outbox_rows(desk) -> list[Outbox]:
    engine = sa.create_engine(desk.url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Outbox).order_by(Outbox.id)).all()
    engine.dispose()
    return rows


def test_an_smtp_outage_loses_nothing_and_everything_goes_out_once_after(desk, report):
    seller = desk.accounts("seller", 1, label="seller")[0]
    desk.open_cases(seller, [f"Outage case {n}" for n in range(CASES)])
    port = free_port()  # nothing listens there yet: the mail server is down

    down = Worker(desk, port, name="worker-outage", **BACKOFF)
    wait_until(
        lambda: len(RETRY_LINE.findall(down.output())) >= ROUNDS * CASES,
        timeout=60,
        what=f"{ROUNDS} rounds of failed attempts",
    )
    output = down.stop()

    rows = outbox_rows(desk)
    assert len(rows) == CASES and {row.status for row in rows} == {"pending"}
    assert all(row.attempts >= ROUNDS and "SMTP server" in row.last_error for row in rows)
    delays = defaultdict(list)
    for row_id, attempt, delay, error in RETRY_LINE.findall(output):
        delays[int(row_id)].append((int(attempt), int(delay)))
        assert "SMTP server 127.0.0.1" in error
    for row_id, seen in delays.items():
        attempts = [attempt for attempt, _delay in seen]
        assert attempts == list(range(1, len(seen) + 1)), f"row {row_id}: {seen}"
        for attempt, delay in seen:  # 2 s x 2^(attempt-1), times a jitter of 0.5 to 1
            assert 2 ** (attempt - 1) - 1 <= delay <= 2**attempt, f"row {row_id}: {seen}"

    receiver = SmtpReceiver(port=port).start()
    try:
        up = Worker(desk, port, name="worker-back", **BACKOFF)
        wait_for_outbox_sent(desk, timeout=60)
        up.stop()
        delivered = assert_delivered_once(desk, receiver)
    finally:
        receiver.stop()
    most = max(row.attempts for row in rows)
    report(
        f"{desk.url.split(':')[0]}: {CASES} mails held through the outage (up to {most} "
        f"attempts each, back-off growing), then {delivered} delivered once each"
    )


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_the_mail_in_flight(desk, report):
    seller = desk.accounts("seller", 1, label="seller")[0]
    desk.open_cases(seller, [f"Kill case {n}" for n in range(CASES)])
    expected = expected_message_ids(desk)
    slow = SmtpReceiver(delay=0.4).start()
    lease = {"SUPPORTDESK_OUTBOX_LEASE_SECONDS": 3}
    try:
        first = Worker(desk, slow.port, "--batch", str(BATCH), name="worker-killed", **lease)
        wait_until(
            lambda: len(slow.received) >= 3 and slow.in_flight.is_set(),
            timeout=60,
            what="the first worker to be in the middle of sending",
            poll=0.005,
        )
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        in_flight = slow.received[-1].message_id
        before = len(slow.received)
        assert before < CASES

        rows = outbox_rows(desk)  # the batch of 20: sent but the last, the rest leased
        assert sum(row.status == "sent" for row in rows) == before - 1
        leased = [row for row in rows if row.status == "pending" and row.locked_by]
        assert len(leased) == BATCH - (before - 1)

        second = Worker(desk, slow.port, name="worker-after", **lease)
        wait_for_outbox_sent(desk, timeout=120)
        second.stop()
    finally:
        slow.stop()
    received = slow.message_ids()
    assert set(received) == set(expected.values())  # nothing lost
    copies = {message_id: n for message_id, n in received.items() if n > 1}
    assert copies == {in_flight: 2}, copies  # the one mail the killed worker never heard back about
    assert sum(received.values()) == CASES + 1
    report(
        f"{desk.url.split(':')[0]}: worker killed after {before} of {CASES} mails; "
        f"the rest sent by another after its lease ran out; 1 duplicate (same Message-ID)"
    )
