"""The core tables: people, queues, cases and what hangs off them.

Plugins add their own tables with their own migrations; they reference these, never alter them.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

#: Crockford's alphabet: no I, L, O or U, so a reference read aloud is not misheard.
REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC without a zone (SQLite has none) and always hands back aware datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use supportdesk.models.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def new_ticket_ref() -> str:
    """``SD-`` and eight random characters (40 bits): public, and not worth enumerating."""
    chars = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
    return f"SD-{chars[:4]}-{chars[4:]}"


class Role(enum.StrEnum):
    SELLER = "seller"
    AGENT = "agent"
    ADMIN = "admin"


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # waiting on the seller
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


queue_members = sa.Table(
    "queue_members",
    db.metadata,
    sa.Column("queue_id", sa.ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.SELLER)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Raised when the password changes: sessions carrying the old value stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    # The host marketplace's own identifier, when the desk is mounted and maps its users.
    external_id: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    queues: Mapped[list[Queue]] = relationship(secondary=queue_members, back_populates="agents")

    def set_password(self, password: str) -> None:
        method = current_app.config["SUPPORTDESK_PASSWORD_HASH"] if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Queue(db.Model):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))

    agents: Mapped[list[User]] = relationship(secondary=queue_members, back_populates="queues")

    @property
    def display_name(self) -> str:
        """The queue's name in the reader's language when a ticket type gives one."""
        from .ticket_types import ticket_types

        for ttype in ticket_types().values():
            if ttype.queue == self.key and ttype.queue_label:
                return str(ttype.queue_label)
        return self.name


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("seller_id", "idempotency_key", name="uq_tickets_idempotency"),
        sa.Index("ix_tickets_queue_status", "queue_id", "status", "id"),
        sa.Index("ix_tickets_seller", "seller_id", "id"),
        sa.Index("ix_tickets_queue_due", "queue_id", "status", "next_due_at", "id"),
        sa.Index("ix_tickets_seller_status", "seller_id", "status", "id"),
        # A seller's cases around a moment: the help centre's report asks, for each search,
        # whether its seller filed a case soon after (revision 0009).
        sa.Index("ix_tickets_seller_created", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_ticket_ref)
    type_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.NEW)
    priority: Mapped[str] = mapped_column(sa.String(16), default=Priority.NORMAL)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    order_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    # Sum of the ``score_ticket`` signals, and the signals themselves for staff to read.
    risk_score: Mapped[int] = mapped_column(default=0)
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline that runs now (first response, then resolution); None once resolved.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the case waits on the seller: the SLA clock stands still.
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "seller" or "staff": who wrote the last public message ("answered" / "needs my reply").
    last_reply_by: Mapped[str] = mapped_column(sa.String(8), default="seller")
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    version: Mapped[int] = mapped_column(default=1)

    merged_into: Mapped[Ticket | None] = relationship(remote_side=[id])
    seller: Mapped[User] = relationship(foreign_keys=[seller_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    queue: Mapped[Queue] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    def __repr__(self) -> str:
        return f"<Ticket {self.ref} {self.type_key} {self.status}>"


class QueueCount(db.Model):
    """Cases per queue and status, kept by the ticket service in the same transaction as each
    change, so queue pages never count a million rows."""

    __tablename__ = "queue_counts"

    queue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class CannedReply(db.Model):
    """A prepared answer; ``{seller_name}`` and ``{ref}`` are filled in when it is used."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    queue: Mapped[Queue | None] = relationship()


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    # An internal note: shown to staff only, never to the seller, never emailed.
    internal: Mapped[bool] = mapped_column(default=False)
    via: Mapped[str] = mapped_column(sa.String(16), default="web")
    # The Message-ID of the email this message came from: the same mail is never added twice.
    source_id: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Generated name under the attachment folder; never derived from what the uploader sent.
    storage_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    message: Mapped[Message | None] = relationship(back_populates="attachments")


class Event(db.Model):
    """The audit trail: who did what to which case, and when."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship()
    actor: Mapped[User | None] = relationship()


class Outbox(db.Model):
    """A notification to deliver, written in the same transaction as the change it tells of."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32), default="email")
    kind: Mapped[str] = mapped_column(sa.String(64))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(sa.String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # A worker's lease on the row: a worker killed while sending lets it go when this passes.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(sa.String(100))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A bearer token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16), default="write")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SearchDocument(db.Model):
    """One document of the search index, in analysed form (see :mod:`supportdesk.search`)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        sa.UniqueConstraint("source", "doc_key", "locale", name="uq_search_documents_key"),
        # A case search joins thousands of full-text matches to their cases by key, testing
        # each one's source and language: read from this index, not from rows that carry each
        # document's text (11 -> 7 ms for 5,000 matches on SQLite).
        sa.Index("ix_search_documents_id_source", "id", "source", "locale", "doc_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64))
    doc_key: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[str] = mapped_column(sa.Text, default="")
    # Other ways of asking what the document answers (a help article's ``questions``).
    questions: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    facet: Mapped[str] = mapped_column(sa.String(100), default="")
    # Tokens naming the source, language and facet, so the index filters on them itself.
    scope: Mapped[str] = mapped_column(sa.String(100), default="")
    # The document's distinct folded words, to keep the vocabulary's counts right on change.
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    # The body as given, for snippets, where ``body`` holds analysed words (SQLite); None where
    # ``body`` is that text already (PostgreSQL) or for a document indexed before it was kept.
    body_text: Mapped[str | None] = mapped_column(sa.Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchTerm(db.Model):
    """A word the index knows, per source and language, with how many documents hold it."""

    __tablename__ = "search_terms"

    source: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    doc_count: Mapped[int] = mapped_column(default=0)
