"""The outbox worker: takes due rows under a lease, sends them over SMTP, records each outcome.

Rows of another ``channel`` than ``email`` go to the deliver function a plugin registered for
that channel (``register_notification_channels``), with the same lease, retries and back-off.

Taking rows is one short write transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers
on several hosts never take the same row; ``BEGIN IMMEDIATE`` on SQLite) that stamps them with a
lease (``locked_until``, ``locked_by``) and commits before anything is sent. Right before a row
is sent its lease is renewed, only if this worker still holds it; right after, the row is marked
sent. A worker killed at any point leaves rows whose lease runs out, and another worker takes
them: nothing is lost, and at most the message in flight is sent twice, with the same
Message-ID, so the receiving mail system can drop the copy.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from ..database import write_transaction
from ..extensions import db
from ..models import Outbox, utcnow
from .render import Undeliverable, compose

log = logging.getLogger(__name__)
PENDING, SENT, FAILED = "pending", "sent", "failed"
TLS_MODES = ("none", "starttls", "ssl")
_jitter = secrets.SystemRandom()


class SmtpUnavailable(ConnectionError):
    """The SMTP server cannot be reached or refuses the session: every row waits its turn."""


@dataclass(frozen=True)
class Outcome:
    row_id: int
    kind: str
    recipient: str
    status: str  # sent, retry, failed, or skipped (another worker holds it now)
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.status} #{self.row_id} {self.kind} to {self.recipient}"
        return f"{text}: {self.detail}" if self.detail else text


class SmtpConnection:
    """One SMTP session for a batch: opened at the first message, reopened after an error."""

    def __init__(self) -> None:
        config = current_app.config
        self.tls = str(config["SUPPORTDESK_SMTP_TLS"]).lower()
        if self.tls not in TLS_MODES:
            raise ValueError(f"SUPPORTDESK_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
        self.host, self.port = config["SUPPORTDESK_SMTP_HOST"], int(config["SUPPORTDESK_SMTP_PORT"])
        self.timeout = float(config["SUPPORTDESK_SMTP_TIMEOUT"])
        # str(): a password of digits set through the environment arrives as a number.
        self.username = config["SUPPORTDESK_SMTP_USERNAME"]
        self.password = str(config["SUPPORTDESK_SMTP_PASSWORD"] or "")
        self.envelope_from = config["SUPPORTDESK_MAIL_FROM"]
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.tls == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.tls == "starttls":
                    smtp.starttls(context=context)
            if self.username:
                smtp.login(str(self.username), self.password)
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpUnavailable(f"SMTP server {self.host}:{self.port}: {exc}") from exc
        return smtp

    def send(self, mail: EmailMessage, recipient: str) -> None:
        """Send to ``recipient`` only: the envelope never comes from the headers."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(mail, from_addr=self.envelope_from, to_addrs=[recipient])
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


def is_permanent(exc: Exception) -> bool:
    """The server refused the recipient or the message for good (5xx): retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def backoff(attempts: int) -> timedelta:
    """Exponential, capped, with jitter so rows that failed together do not retry together."""
    config = current_app.config
    delay = min(
        float(config["SUPPORTDESK_OUTBOX_BACKOFF_MAX_SECONDS"]),
        float(config["SUPPORTDESK_OUTBOX_BACKOFF_SECONDS"]) * 2 ** max(attempts - 1, 0),
    )
    return timedelta(seconds=delay * _jitter.uniform(0.5, 1.0))


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


class OutboxWorker:
    """Sends the outbox. ``clock`` lets tests move time on; ``report`` hears every outcome."""

    def __init__(
        self,
        *,
        batch: int = 20,
        worker_id: str | None = None,
        report: Callable[[Outcome], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.batch = batch
        self.worker_id = worker_id or new_worker_id()
        self.report = report or (lambda outcome: None)
        self.clock = clock
        self.stopping = False
        self.totals: Counter[str] = Counter()

    def stop(self) -> None:
        """Finish the message being sent, hand the rest of the batch back, and stop."""
        self.stopping = True

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=float(current_app.config["SUPPORTDESK_OUTBOX_LEASE_SECONDS"]))

    def run(self, *, once: bool = False, interval: float = 5.0) -> None:
        """Send batches until stopped; with ``once``, until nothing is due."""
        while not self.stopping:
            if self.run_batch() == 0:
                if once:
                    return
                self._sleep(interval)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))

    def run_batch(self) -> int:
        """Take up to ``batch`` due rows and send them; returns how many were taken."""
        connection = SmtpConnection()
        row_ids = self.claim()
        smtp_down: str | None = None  # once the server is unreachable, mail rows wait their turn
        try:
            for position, row_id in enumerate(row_ids):
                if self.stopping:
                    self.release(row_ids[position:])
                    break
                try:
                    self._deliver(row_id, connection, smtp_down)
                except SmtpUnavailable as exc:
                    smtp_down = str(exc)
                    self._record(self._retry(row_id, smtp_down))
        finally:
            connection.close()
        return len(row_ids)

    def claim(self) -> list[int]:
        """Lease due rows to this worker and commit, before anything is sent."""
        now = self.clock()
        with write_transaction():
            # SKIP LOCKED: rows another worker is claiming right now are passed over, not
            # waited for. SQLite has no row locks; its BEGIN IMMEDIATE serialises claims.
            row_ids = list(
                db.session.scalars(
                    sa.select(Outbox.id)
                    .where(
                        Outbox.status == PENDING,
                        Outbox.next_attempt_at <= now,
                        sa.or_(Outbox.locked_until.is_(None), Outbox.locked_until <= now),
                    )
                    .order_by(Outbox.next_attempt_at, Outbox.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if row_ids:
                self._update(
                    Outbox.id.in_(row_ids), locked_until=now + self.lease, locked_by=self.worker_id
                )
        return row_ids

    def release(self, row_ids: list[int]) -> None:
        """Hand rows back at once (on stop) rather than let their lease run out."""
        with write_transaction():
            self._update(
                Outbox.id.in_(row_ids),
                Outbox.locked_by == self.worker_id,
                Outbox.status == PENDING,
                locked_until=None,
                locked_by=None,
            )

    def _update(self, *where: sa.ColumnElement[bool], **values) -> int:
        statement = sa.update(Outbox).where(*where).values(**values)
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        return result.rowcount

    def _renew(self, row_id: int) -> bool:
        """Extend the lease if this worker still holds the row (it may have run out while
        earlier rows were sent, and another worker may have taken it)."""
        with write_transaction():
            return (
                self._update(
                    Outbox.id == row_id,
                    Outbox.status == PENDING,
                    Outbox.locked_by == self.worker_id,
                    locked_until=self.clock() + self.lease,
                )
                == 1
            )

    def _deliver(self, row_id: int, connection: SmtpConnection, smtp_down: str | None) -> None:
        if not self._renew(row_id):
            self._record(Outcome(row_id, "?", "?", "skipped", "taken over by another worker"))
            return
        row = db.session.get(Outbox, row_id)
        if row is None:
            return
        if row.channel != "email":
            self._deliver_on_channel(row)
            return
        if smtp_down is not None:
            self._record(self._retry(row_id, smtp_down))
            return
        kind, recipient = row.kind, row.recipient
        try:
            mail = compose(row)
            db.session.commit()  # end the read: no transaction stays open while SMTP talks
            connection.send(mail, recipient)
        except SmtpUnavailable:
            raise
        except Undeliverable as exc:
            self._record(self._fail(row_id, str(exc), permanent=True))
        except (smtplib.SMTPException, OSError) as exc:
            self._record(self._fail(row_id, f"{type(exc).__name__}: {exc}", is_permanent(exc)))
        except Exception as exc:
            log.exception("outbox row %s could not be rendered", row_id)
            self._record(self._retry(row_id, f"{type(exc).__name__}: {exc}"))
        else:
            self._mark_sent(row_id, kind, recipient)

    def _deliver_on_channel(self, row: Outbox) -> None:
        """Hand ``row`` to its channel's deliver function, outside any transaction: a detached
        copy, so the plugin can read it without holding the database."""
        row_id, kind, recipient = row.id, row.kind, row.recipient
        deliver = current_app.extensions["supportdesk"].notification_channels.get(row.channel)
        db.session.expunge(row)
        db.session.commit()
        if deliver is None:
            self._record(self._fail(row_id, f"no plugin delivers channel {row.channel!r}", True))
            return
        try:
            deliver(row)
        except Undeliverable as exc:
            self._record(self._fail(row_id, str(exc), permanent=True))
        except Exception as exc:
            log.warning("outbox row %s on channel %s failed: %s", row_id, row.channel, exc)
            self._record(self._retry(row_id, f"{type(exc).__name__}: {exc}"))
        else:
            self._mark_sent(row_id, kind, recipient)

    def _mark_sent(self, row_id: int, kind: str, recipient: str) -> None:
        with write_transaction():
            self._update(
                Outbox.id == row_id,
                status=SENT,
                sent_at=self.clock(),
                attempts=Outbox.attempts + 1,
                last_error=None,
                locked_until=None,
                locked_by=None,
            )
        self._record(Outcome(row_id, kind, recipient, "sent"))

    def _retry(self, row_id: int, error: str) -> Outcome:
        return self._fail(row_id, error, permanent=False)

    def _fail(self, row_id: int, error: str, permanent: bool) -> Outcome:
        """Count the attempt; give the row up when the failure is permanent or too frequent."""
        db.session.rollback()
        with write_transaction():
            row = db.session.get(Outbox, row_id)
            if row.status != PENDING or row.locked_by != self.worker_id:
                return Outcome(row_id, row.kind, row.recipient, "skipped", "held by another worker")
            row.attempts += 1
            row.last_error = error[:2000]
            row.locked_until = row.locked_by = None
            if permanent or row.attempts >= int(
                current_app.config["SUPPORTDESK_OUTBOX_MAX_ATTEMPTS"]
            ):
                row.status = FAILED
                status, detail = FAILED, f"given up after {row.attempts} attempt(s): {error}"
            else:
                delay = backoff(row.attempts)
                row.next_attempt_at = self.clock() + delay
                status = "retry"
                detail = f"attempt {row.attempts}, next in {int(delay.total_seconds())}s: {error}"
            return Outcome(row_id, row.kind, row.recipient, status, detail)

    def _record(self, outcome: Outcome) -> None:
        self.totals[outcome.status] += 1
        self.report(outcome)
