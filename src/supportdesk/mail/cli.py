"""``supportdesk worker`` (sends the outbox) and ``supportdesk ingest-email`` (reads mail in)."""

from __future__ import annotations

import mailbox
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from ..app import check_secret
from ..extensions import db
from ..tickets import Conflict
from .inbound import ingest
from .sender import OutboxWorker, SmtpConnection

#: sysexits.h EX_TEMPFAIL: the MTA keeps the mail and pipes it again later.
EX_TEMPFAIL = 75


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM and SIGINT ask for a clean stop instead of killing the process mid-send."""
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, lambda *_args: stop())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@click.command("worker")
@click.option("--once", is_flag=True, help="Send everything due, then exit.")
@click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.05),
    help="Seconds to wait when nothing is due.",
)
@with_appcontext
def worker_command(once: bool, batch: int, interval: float) -> None:
    """Send the outbox over SMTP, with retries; several workers may run at once."""
    check_secret(current_app._get_current_object())  # reply addresses are signed with it
    try:
        SmtpConnection()  # refuses a bad setting before any row is taken
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    worker = OutboxWorker(batch=batch, report=lambda outcome: click.echo(str(outcome)))
    config = current_app.config
    click.echo(
        f"Worker {worker.worker_id}: SMTP {config['SUPPORTDESK_SMTP_HOST']}:"
        f"{config['SUPPORTDESK_SMTP_PORT']} ({config['SUPPORTDESK_SMTP_TLS']})"
    )
    with stop_on_signals(worker.stop):
        worker.run(once=once, interval=interval)
    totals = ", ".join(f"{n} {status}" for status, n in sorted(worker.totals.items()))
    click.echo(f"Stopped. {totals or 'Nothing to send.'}")


@click.command("ingest-email")
@click.argument("message", type=click.File("rb"), default="-")
@click.option(
    "--maildir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read every unseen message of this Maildir instead of one from stdin.",
)
@click.option("--recipient", help="The envelope recipient, when the MTA passes it.")
@with_appcontext
def ingest_email_command(message: BinaryIO, maildir: Path | None, recipient: str | None) -> None:
    """Turn inbound mail into case replies, new cases or polite answers.

    Reads one RFC 822 MESSAGE (a file, or stdin by default: an MTA's pipe) or a Maildir."""
    check_secret(current_app._get_current_object())  # reply tokens are checked with it
    if maildir is not None:
        _ingest_maildir(maildir)
        return
    raw = message.read()
    try:
        click.echo(str(ingest(raw, recipient=recipient)))
    except (OperationalError, Conflict) as exc:
        # The database is away, or the case kept changing: the MTA retries instead of bouncing.
        db.session.rollback()
        click.echo(f"temporary failure: {exc}", err=True)
        raise SystemExit(EX_TEMPFAIL) from exc


def _ingest_maildir(path: Path) -> None:
    """Process new/ and cur/ messages not yet seen; each processed one is moved to cur/ and
    flagged seen (S), so a second run skips it. A message that fails stays unseen."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    keys = [key for key in box.iterkeys() if "S" not in box.get_message(key).get_flags()]
    counts: Counter[str] = Counter()
    for number, key in enumerate(keys, start=1):
        try:
            result = ingest(box.get_bytes(key))
        except Exception as exc:  # one bad message must not stop the others
            db.session.rollback()
            counts["error"] += 1
            click.echo(f"[{number}/{len(keys)}] {key}: error {exc}", err=True)
            continue
        message = box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
        counts[result.action] += 1
        click.echo(f"[{number}/{len(keys)}] {key}: {result}")
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
    click.echo(f"Done: {len(keys)} message(s)" + (f": {summary}." if summary else "."))
    if counts["error"]:
        raise SystemExit(1)
