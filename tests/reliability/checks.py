"""What a reliability run is judged by: the responses the clients saw, the server logs, the cases
and files the desk stored, and the mail that reached the SMTP receiver."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.mail.addresses import message_id
from supportdesk.models import Attachment, Outbox, Ticket

from .clients import Load
from .processes import Desk, SmtpReceiver, wait_until

#: Lines that must never appear in a server's or a worker's log.
BAD_LOG_LINES = ("database is locked", "Traceback", "WORKER TIMEOUT", "Exception on ")


def assert_clean_run(load: Load, logs: dict[str, str]) -> None:
    """Every response as expected (no 5xx, no 'database is locked'), every log clean."""
    problems = load.problems()
    by_kind = Counter(f"{e.label}: {e.problem[:60]}" for e in problems)
    assert not problems, (
        f"{len(problems)} of {len(load.exchanges)} responses went wrong:\n"
        + "\n".join(f"  {n} x {kind}" for kind, n in by_kind.most_common(10))
        + "\nfirst: "
        + problems[0].problem
        + "".join(_first_trouble(name, text) for name, text in logs.items())
    )
    for name, text in logs.items():
        for bad in BAD_LOG_LINES:
            if bad in text:
                at = text.index(bad)
                raise AssertionError(
                    f"{name} log says {bad!r}:\n{text[max(0, at - 2000) : at + 500]}"
                )


def _first_trouble(name: str, text: str) -> str:
    """The first bad line of a log with what led to it, to say why a response went wrong."""
    found = [text.index(bad) for bad in BAD_LOG_LINES if bad in text]
    if not found:
        return ""
    at = min(found)
    return f"\n{name} log:\n{text[at : at + 4000]}"


@dataclass(frozen=True)
class StoredCase:
    ref: str
    files: tuple[tuple[str, str], ...]  # (storage name, sha256) of each attachment


def stored_cases(url: str, prefix: str) -> dict[str, list[StoredCase]]:
    """The cases whose subject starts with ``prefix``, by subject, read straight from the
    database (a second copy of one subject would show as a second entry)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tickets = conn.execute(
                sa.select(Ticket.id, Ticket.subject, Ticket.ref).where(
                    Ticket.subject.like(f"{prefix}-%")
                )
            ).all()
            files: dict[int, list[tuple[str, str]]] = {}
            for ticket_id, storage_name, sha256 in conn.execute(
                sa.select(Attachment.ticket_id, Attachment.storage_name, Attachment.sha256).where(
                    Attachment.ticket_id.in_(
                        sa.select(Ticket.id).where(Ticket.subject.like(f"{prefix}-%"))
                    )
                )
            ):
                files.setdefault(ticket_id, []).append((storage_name, sha256))
    finally:
        engine.dispose()
    found: dict[str, list[StoredCase]] = {}
    for ticket_id, subject, ref in tickets:
        found.setdefault(subject, []).append(StoredCase(ref, tuple(files.get(ticket_id, ()))))
    return found


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def missing_cases(
    url: str, attachments: Path, load: Load, acknowledged: dict | None = None, *, exact: bool = True
) -> list[str]:
    """What is wrong between what the desk acknowledged and what it stored: a case lost, stored
    twice, under another reference, without its file (or with a file whose bytes changed), and
    (with ``exact``) a case stored that no client was told about."""
    stored = stored_cases(url, load.prefix)
    acknowledged = load.acknowledged() if acknowledged is None else acknowledged
    wrong = [f"{s}: stored {len(c)} times" for s, c in stored.items() if len(c) > 1]
    if exact:
        wrong += [f"{s}: stored, but no client was told" for s in stored if s not in acknowledged]
    for subject, filing in acknowledged.items():
        if subject not in stored:
            wrong.append(f"{subject} ({filing.channel}, {filing.ref}): acknowledged, not stored")
            continue
        case = stored[subject][0]
        if case.ref != filing.ref:
            wrong.append(f"{subject}: stored as {case.ref}, acknowledged as {filing.ref}")
        if filing.attached:
            names = [name for name, sha in case.files if sha == filing.sha256]
            path = attachments / names[0] if names else None
            if path is None or not path.is_file() or sha256_of(path) != filing.sha256:
                wrong.append(f"{subject} ({filing.channel}): the attachment is missing or changed")
    return wrong


def expected_message_ids(desk: Desk) -> dict[int, str]:
    """The Message-ID of every outbox row (as the sender makes it), by row id."""
    app = desk.app()
    with app.app_context():
        rows = db.session.scalars(sa.select(Outbox).order_by(Outbox.id)).all()
        ids = {row.id: message_id(row.id, row.created_at.isoformat()) for row in rows}
        db.session.remove()
    return ids


def outbox_statuses(url: str) -> Counter[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return Counter(
                dict(
                    conn.execute(
                        sa.select(Outbox.status, sa.func.count()).group_by(Outbox.status)
                    ).all()
                )
            )
    finally:
        engine.dispose()


def wait_for_outbox_sent(desk: Desk, *, timeout: float) -> None:
    def everything_sent() -> bool:
        statuses = outbox_statuses(desk.url)
        return set(statuses) == {"sent"}

    wait_until(everything_sent, timeout=timeout, what="every outbox row to be sent", poll=0.5)


def assert_delivered_once(desk: Desk, receiver: SmtpReceiver) -> int:
    """Every outbox row's message reached the receiver exactly once; returns how many."""
    expected = set(expected_message_ids(desk).values())
    received = receiver.message_ids()
    assert expected, "the run created no outbox rows"
    assert set(received) == expected, (
        f"{len(expected - set(received))} never arrived, "
        f"{len(set(received) - expected)} arrived without a row"
    )
    twice = {mid: n for mid, n in received.items() if n > 1}
    assert not twice, f"delivered more than once: {twice}"
    return len(expected)
