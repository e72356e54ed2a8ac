"""Database set-up the ORM does not do for us: SQLite pragmas and write transactions.

On SQLite every connection gets WAL (readers never block the writer), a ``busy_timeout`` (a
writer waits for the lock instead of failing) and ``foreign_keys=ON``. A write transaction
starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two writers queue on the
busy timeout instead of one failing at its first write with "database is locked".

A write made outside :func:`write_transaction` (a token's last use, a search logged, a language
remembered) would upgrade a read transaction to a write one, and SQLite refuses that at once,
without waiting, whenever another connection writes at the same moment. So the first write of
such a transaction ends its read and starts ``BEGIN IMMEDIATE`` before it: the write waits its
turn and sees the latest data, as it would under PostgreSQL's READ COMMITTED.

After an unhandled error the session's transaction is rolled back before the error page is
made, so that page can still read (the signed-in user, the language) instead of failing too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from flask import Flask, got_request_exception
from sqlalchemy import Engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("supportdesk_write_transaction", default=False)
#: Statements that need the write lock; a SAVEPOINT is taken as the start of writing too.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")
#: ``connection.info`` key: the SQLite transaction holds (or asked for) the write lock.
_WRITING = "supportdesk_writing"


def configure_engine(app: Flask) -> None:
    """Install the SQLite pragmas and transaction control on the desk's engines."""
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            _configure_sqlite(
                engine,
                app.config["SUPPORTDESK_SQLITE_BUSY_TIMEOUT_MS"],
                app.config["SUPPORTDESK_SQLITE_CACHE_KIB"],
            )
    got_request_exception.connect(_roll_back, app, weak=False)


def _roll_back(_app: Flask, **_extra) -> None:
    db.session.rollback()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, cache_kib: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from the driver so that we can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Each worker's connection keeps a page cache of its own, in its own memory, which
        # SQLite empties whenever another connection has written (in a desk taking cases, all
        # the time); the operating system's cache, shared by all, holds the file anyway.
        # SQLite's default is 2,000 KiB; 512 saved a gunicorn worker 1.2 MiB.
        cursor.execute(f"PRAGMA cache_size = {-max(64, int(cache_kib))}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        immediate = _immediate.get()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        connection.info[_WRITING] = immediate

    @event.listens_for(engine, "before_cursor_execute")
    def before_write(connection, cursor, statement, _parameters, _context, _many) -> None:
        if connection.info.get(_WRITING, True) or not connection.in_transaction():
            return
        if statement.lstrip()[:9].upper().startswith(_WRITES):
            connection.info[_WRITING] = True
            cursor.execute("COMMIT")  # the transaction has only read: nothing is lost
            cursor.execute("BEGIN IMMEDIATE")


@contextmanager
def write_transaction(*, keep_loaded: bool = False) -> Iterator[Session]:
    """One write transaction on ``db.session``: committed on success, rolled back on error.

    A read transaction still open in this session is ended first, so the write starts from a
    fresh snapshot and (on SQLite) takes the write lock before its first statement. Ending it
    and committing expire what the session holds, so that a value read before the write lock is
    read again under it. ``keep_loaded`` keeps the objects as they are instead, for a
    transaction that only adds rows and decides nothing on what was read before it (a new
    case): the signed-in seller and the rows just written are then not read back.
    """
    session = db.session()
    with keeping_loaded(session) if keep_loaded else nullcontext():
        if session.in_transaction():
            session.commit()
        token = _immediate.set(True)
        try:
            with session.begin():
                yield session
        finally:
            _immediate.reset(token)


@contextmanager
def keeping_loaded(session: Session | None = None) -> Iterator[Session]:
    """Commits inside leave the session's objects loaded instead of expiring them: for a
    write that decides nothing on what was read before it (a search logged), so that the page
    does not read the signed-in user again after it."""
    session = db.session() if session is None else session
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield session
    finally:
        session.expire_on_commit = expire


class CommitTimeCounts:
    """Changes to counter rows (``+1``, ``-1``) kept with the session and written together just
    before its transaction commits, netted and in key order; forgotten if it does not commit.

    Counters are rows that many transactions change at once: a queue's count of new cases, the
    number of cases holding a common word. Written as they happen, two transactions that touch
    two counters in opposite orders each hold one and wait for the other, and PostgreSQL aborts
    one of them; and every transaction holds its counters from its first change to its end.
    Written at commit in one order (kinds by name, then keys), they are held only for the last
    moment, and no two transactions wait on each other.

    ``model`` is the counters' table: ``keys`` its unique columns, ``count`` the counter; each
    kind's changes are one batched upsert. ``after_write`` runs once they are written, given
    the keys written (to drop what a process keeps in memory from their old counts).
    """

    _kinds: dict[str, CommitTimeCounts] = {}

    def __init__(
        self,
        model: type,
        keys: tuple[str, ...],
        count: str,
        after_write: Callable[[list[tuple]], None] | None = None,
    ):
        self.model, self.keys, self.count, self.after_write = model, keys, count, after_write
        self.key = f"supportdesk.commit_time_counts.{model.__tablename__}"
        self._upserts: dict[str, tuple[str, tuple[int, ...] | None]] = {}
        CommitTimeCounts._kinds[self.key] = self

    def write(self, session: Session, changes: list[tuple[tuple, int]]) -> None:
        # A plain table statement does not flush the session as an ORM one would: the rows the
        # counters refer to (a queue made in this transaction) are written first.
        session.flush()
        connection = session.connection()
        sql, order = self._upsert(connection.dialect)
        # Handed to the driver as they are: a new case's words are some fifty rows, and the
        # statement layer's work on each parameter set would cost more than the upsert itself.
        rows = [(*key, delta) for key, delta in changes]
        if order is not None:
            rows = [tuple(row[i] for i in order) for row in rows]
        else:
            names = (*self.keys, self.count)
            rows = [dict(zip(names, row, strict=True)) for row in rows]
        connection.exec_driver_sql(sql, rows)
        if self.after_write:
            self.after_write([key for key, _delta in changes])

    def _upsert(self, dialect: Any) -> tuple[str, tuple[int, ...] | None]:
        """The batched upsert's SQL for ``dialect``, compiled once (it runs at every commit),
        and for a positional driver the order of a row's values in it (keys, then count)."""
        if (found := self._upserts.get(dialect.name)) is None:
            table = self.model.__table__
            statement = (pg_insert if dialect.name == "postgresql" else sqlite_insert)(table)
            statement = statement.on_conflict_do_update(
                index_elements=list(self.keys),
                set_={self.count: table.c[self.count] + statement.excluded[self.count]},
            )
            names = (*self.keys, self.count)
            compiled = statement.compile(dialect=dialect, column_keys=list(names))
            if any(table.c[name].type.bind_processor(dialect) for name in names):
                raise TypeError(f"{table.name}: counter columns must need no bind processing")
            order = None
            if compiled.positional:
                order = tuple(names.index(name) for name in compiled.positiontup)
            found = self._upserts[dialect.name] = (str(compiled), order)
        return found

    def add(self, key: Any, delta: int) -> None:
        self.add_all([key], delta)

    def add_all(self, keys: Iterable[Any], delta: int) -> None:
        """Add ``delta`` to each of ``keys`` (a document's words: the session is read once)."""
        pending = db.session.info.setdefault(self.key, Counter())
        for key in keys:
            pending[key] += delta

    def forget(self, drop: Callable[[Any], bool]) -> None:
        """Drop the pending changes whose key ``drop`` says yes to (their rows are deleted)."""
        if pending := db.session.info.get(self.key):
            for key in [k for k in pending if drop(k)]:
                del pending[key]


@event.listens_for(Session, "before_commit")
def _write_commit_time_counts(session: Session) -> None:
    for name, kind in sorted(CommitTimeCounts._kinds.items()):
        pending = session.info.pop(name, None)
        if changes := sorted((k, d) for k, d in (pending or {}).items() if d):
            kind.write(session, changes)


@event.listens_for(Session, "after_transaction_end")
def _forget_commit_time_counts(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back, closed) changed no counter."""
    if transaction.parent is None:
        for name in CommitTimeCounts._kinds:
            session.info.pop(name, None)
