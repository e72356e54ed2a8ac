"""Email out: the outbox worker against a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from supportdesk.accounts import create_user
from supportdesk.extensions import db
from supportdesk.i18n import TRANSLATIONS_DIR
from supportdesk.mail.addresses import message_id, reply_token, token_is_valid
from supportdesk.mail.sender import OutboxWorker, backoff
from supportdesk.models import Outbox, Status, utcnow
from supportdesk.outbox import enqueue_to_address
from supportdesk.tickets import add_note, merge, open_ticket, reply, transition
from tests.servers import free_port

MAIL = {
    "SUPPORTDESK_SMTP_HOST": "127.0.0.1",
    "SUPPORTDESK_SMTP_TIMEOUT": 5,
    "SUPPORTDESK_MAIL_FROM": "support@desk.example",
    "SUPPORTDESK_REPLY_ADDRESS": "reply@desk.example",
}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    mail: EmailMessage


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.delay = delay
        self.received: list[Received] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = envelope.content
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 Message accepted"

    def start(self) -> SmtpInbox:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    inbox = SmtpInbox().start()
    app.config.update(MAIL, SUPPORTDESK_SMTP_PORT=inbox.port)
    yield inbox
    inbox.stop()


def send_all(**kwargs) -> OutboxWorker:
    worker = OutboxWorker(**kwargs)
    worker.run(once=True)
    return worker


def rows() -> list[Outbox]:
    db.session.commit()  # a fresh read: other connections or processes wrote meanwhile
    return list(db.session.scalars(sa.select(Outbox).order_by(Outbox.id)))


def new_case(seller, subject="Payment missing", body="Order 123 is unpaid."):
    return open_ticket(seller=seller, type_key="contact", subject=subject, body=body)


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("html",)).get_content()


def french_catalogue(folder: Path) -> str:
    """A French catalogue for the receipt's strings, whatever the shipped one holds yet."""
    catalog = Catalog(locale="fr", domain="messages")
    catalog.add("Hello %(name)s,", "Bonjour %(name)s,")
    catalog.add(
        "We have received your case: %(subject)s",
        "Nous avons bien reçu votre demande : %(subject)s",
    )
    target = folder / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    return f"{TRANSLATIONS_DIR};{folder}"


def test_the_receipt_arrives_in_the_sellers_language_with_signed_headers(make_app, tmp_path):
    inbox = SmtpInbox().start()
    app = make_app(
        **MAIL,
        SUPPORTDESK_SMTP_PORT=inbox.port,
        BABEL_TRANSLATION_DIRECTORIES=french_catalogue(tmp_path / "catalogue"),
    )
    try:
        with app.app_context():
            french = create_user("lea@example.com", name="Léa", locale="fr")
            english = create_user("sam@example.com", name="Sam")
            ticket = new_case(french)
            new_case(english, subject="Refund")
            send_all()
            receipt_row, english_row = rows()
            assert [r.status for r in (receipt_row, english_row)] == ["sent", "sent"]
            assert receipt_row.attempts == 1 and receipt_row.sent_at is not None
            by_recipient = {r.rcpt_tos[0]: r for r in inbox.received}
            assert len(inbox.received) == 2
            received = by_recipient["lea@example.com"]
            mail = received.mail
            assert received.rcpt_tos == ["lea@example.com"]
            assert received.mail_from == "support@desk.example"
            assert mail["Subject"] == (
                f"[{ticket.ref}] Nous avons bien reçu votre demande : Payment missing"
            )
            assert "Bonjour Léa," in text_of(mail) and "Bonjour Léa," in html_of(mail)
            assert mail["Content-Language"] == "fr"
            assert mail["From"].addresses[0].display_name == "Support vendeurs"
            expected_id = message_id(receipt_row.id, receipt_row.created_at.isoformat())
            assert mail["Message-ID"] == expected_id
            assert re.fullmatch(
                rf"<outbox-{receipt_row.id}\.[0-9a-f]{{12}}@desk\.example>", expected_id
            )
            token = reply_token(ticket.ref, french.id)
            assert token_is_valid(token, french.id) and not token_is_valid(token, english.id)
            assert mail["Reply-To"] == f"reply+{token}@desk.example"
            assert f"[ref:{token}]" in text_of(mail)
            assert mail["In-Reply-To"] == mail["References"] == f"<case.{ticket.ref}@desk.example>"
            assert mail["Auto-Submitted"] == "auto-generated"
            english_mail = by_recipient["sam@example.com"].mail
            assert "We have received your case: Refund" in english_mail["Subject"]
            assert english_mail["Content-Language"] == "en"
            assert "Hello Sam," in text_of(english_mail)
    finally:
        inbox.stop()


def test_a_subject_cannot_inject_headers(app, smtp, seller):
    new_case(seller, subject="Help\r\nBcc: evil@x\nX-Evil: 1")
    send_all()
    (received,) = smtp.received
    assert received.rcpt_tos == [seller.email]
    assert "Bcc" not in received.mail and "X-Evil" not in received.mail
    header_block = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not re.search(r"^(Bcc|X-Evil):", header_block, re.M | re.I)
    subject_lines = [line for line in header_block.splitlines() if line.startswith("Subject:")]
    assert len(subject_lines) == 1
    assert received.mail["Subject"].endswith("Help Bcc: evil@x X-Evil: 1")


def test_a_bad_recipient_fails_at_once_and_is_never_retried(app, smtp):
    with db.session.begin():
        enqueue_to_address(
            "mail_answer", ticket=None, address="victim@example.com\r\nBcc: evil@x", locale=None
        )
    worker = send_all()
    (row,) = rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "unsafe address" in row.last_error and row.locked_by is None
    assert worker.totals == {"failed": 1}
    send_all(clock=lambda: utcnow() + timedelta(days=1))
    assert rows()[0].attempts == 1 and smtp.received == []


def test_server_down_then_up_delivers_everything_once(app, seller):
    port = free_port()  # nothing listens here yet
    app.config.update(MAIL, SUPPORTDESK_SMTP_PORT=port)
    for n in range(3):
        new_case(seller, subject=f"Case {n}")
    before = utcnow()
    worker = send_all()
    assert worker.totals == {"retry": 3}
    for row in rows():
        assert row.status == "pending" and row.attempts == 1 and row.locked_until is None
        assert "Connection refused" in row.last_error
        assert row.next_attempt_at >= before + timedelta(seconds=30)  # half the first backoff
    assert send_all().totals == {}  # not due yet: no retry storm
    later = utcnow() + timedelta(hours=1)
    send_all(clock=lambda: later)
    assert {row.attempts for row in rows()} == {2}
    inbox = SmtpInbox(port=port).start()
    try:
        send_all(clock=lambda: utcnow() + timedelta(days=1))
        assert [row.status for row in rows()] == ["sent"] * 3
        assert all(row.last_error is None for row in rows())
        assert len(inbox.received) == 3
        assert len({r.mail["Message-ID"] for r in inbox.received}) == 3
    finally:
        inbox.stop()


def test_backoff_grows_with_jitter_and_attempts_are_capped(app, seller):
    first, third = backoff(1), backoff(3)
    assert timedelta(seconds=30) <= first <= timedelta(seconds=60)
    assert timedelta(seconds=120) <= third <= timedelta(seconds=240)
    assert backoff(40) <= timedelta(hours=6)
    app.config.update(MAIL, SUPPORTDESK_SMTP_PORT=free_port(), SUPPORTDESK_OUTBOX_MAX_ATTEMPTS=2)
    new_case(seller)
    send_all()
    send_all(clock=lambda: utcnow() + timedelta(days=1))
    (row,) = rows()
    assert (row.status, row.attempts) == ("failed", 2)


def test_every_kind_of_notification_is_sent_and_notes_never_are(app, smtp, seller, agent):
    ticket = new_case(seller)
    duplicate = new_case(seller, subject="Payment missing again")
    reply(ticket, actor=agent, body="Please send <script>alert(1)</script> the invoice.")
    note = add_note(ticket, actor=agent, body="Secret: seller looks suspicious")
    transition(ticket, actor=agent, status=Status.RESOLVED)
    merge(duplicate, into=ticket, actor=agent)
    with db.session.begin():  # a row that would leak a note can only come from a bug: refused
        enqueue_to_address(
            "staff_reply", ticket=ticket, address=seller.email, locale=None, message_id=note.id
        )
    send_all()
    statuses = {(row.kind, row.status) for row in rows()}
    assert statuses == {
        ("ticket_opened", "sent"),
        ("staff_reply", "sent"),
        ("status_changed", "sent"),
        ("merged", "sent"),
        ("staff_reply", "failed"),
    }
    assert "internal note" in rows()[-1].last_error
    subjects = sorted(r.mail["Subject"] for r in smtp.received)
    assert len(subjects) == 5
    assert any("New answer on your case" in s for s in subjects)
    assert any("is now resolved" in s for s in subjects)
    assert any(f"was merged into {ticket.ref}" in s for s in subjects)
    for received in smtp.received:
        assert "Secret" not in text_of(received.mail) + html_of(received.mail)
    (answer,) = [r.mail for r in smtp.received if "New answer" in r.mail["Subject"]]
    assert "<script>alert(1)</script>" in text_of(answer)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_of(answer)
    assert "<script>" not in html_of(answer)


def test_the_worker_command_reports_what_it_did(app, smtp, seller):
    new_case(seller)
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--batch", "5"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^sent #1 ticket_opened to seller@example.com$", result.output, re.M)
    assert "Stopped. 1 sent" in result.output
    app.config["SUPPORTDESK_SMTP_TLS"] = "maybe"
    refused = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert refused.exit_code != 0 and "SUPPORTDESK_SMTP_TLS" in refused.output


def test_a_lapsed_lease_hands_rows_to_another_worker(app, smtp, seller):
    for n in range(3):
        new_case(seller, subject=f"Case {n}")
    crashed = OutboxWorker(worker_id="crashed")
    assert len(crashed.claim()) == 3  # ... and then it dies without sending
    assert send_all().totals == {}  # leased: nobody else takes them
    lease = timedelta(seconds=app.config["SUPPORTDESK_OUTBOX_LEASE_SECONDS"] + 1)
    later = send_all(clock=lambda: utcnow() + lease)
    assert later.totals == {"sent": 3} and len(smtp.received) == 3
    assert not crashed._renew(rows()[0].id)  # the old worker, back, sends nothing twice


def test_concurrent_workers_never_take_the_same_row(app, seller):
    for n in range(20):
        new_case(seller, subject=f"Case {n}")
    barrier = threading.Barrier(4)
    taken: list[list[int]] = []

    def take():
        with app.app_context():
            barrier.wait()
            taken.append(OutboxWorker(batch=6).claim())
            db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [row_id for batch in taken for row_id in batch]
    assert len(everything) == len(set(everything)) == 20


def test_a_worker_killed_mid_batch_loses_nothing(app, seller, tmp_path):
    """A real ``supportdesk worker`` process, killed with SIGKILL in the middle of a batch."""
    inbox = SmtpInbox(delay=0.3).start()
    app.config.update(MAIL)
    for n in range(20):
        new_case(seller, subject=f"Case {n:02d}")
    expected_ids = {message_id(row.id, row.created_at.isoformat()) for row in rows()}
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SUPPORTDESK_INSTANCE": app.config["SUPPORTDESK_INSTANCE_PATH"],
        "SUPPORTDESK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SUPPORTDESK_SECRET_KEY": app.config["SECRET_KEY"],
        "SUPPORTDESK_SMTP_HOST": "127.0.0.1",
        "SUPPORTDESK_SMTP_PORT": str(inbox.port),
        "SUPPORTDESK_MAIL_FROM": "support@desk.example",
        "SUPPORTDESK_OUTBOX_LEASE_SECONDS": "2",
    }
    env.pop("SUPPORTDESK_TEST_DATABASE_URL", None)
    command = [Path(sys.executable).with_name("supportdesk"), "worker", "--interval", "0.2"]
    try:
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for(lambda: len(inbox.received) >= 4, timeout=30, process=first)
        first.kill()
        first.communicate(timeout=10)
        assert 4 <= len(inbox.received) < 20
        second = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        wait_for(lambda: all(row.status == "sent" for row in rows()), timeout=60, process=second)
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=20)
        assert second.returncode == 0, output.decode()
        assert b"Stopped." in output
    finally:
        inbox.stop()
    ids = Counter(r.mail["Message-ID"] for r in inbox.received)
    assert set(ids) == expected_ids  # every row delivered
    assert sum(ids.values()) <= 21  # at most one duplicate (the message in flight)
    per_case = {}
    for received in inbox.received:  # a copy carries the same Message-ID as the original
        per_case.setdefault(received.mail["Subject"], set()).add(received.mail["Message-ID"])
    assert all(len(message_ids) == 1 for message_ids in per_case.values())


def wait_for(condition, *, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"worker exited early: {process.communicate()[0].decode()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"timed out: {process.communicate()[0].decode()}")
        time.sleep(0.05)
