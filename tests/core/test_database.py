"""SQLite settings read back from the database, write transactions, and migrations."""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from supportdesk import migrate
from supportdesk.database import write_transaction
from supportdesk.extensions import db
from supportdesk.models import User
from supportdesk.search.schema import is_modelled
from supportdesk.testing import database_url_for_tests, reset_postgres_schema

sqlite_only = pytest.mark.skipif(database_url_for_tests() is not None, reason="SQLite settings")


@sqlite_only
def test_sqlite_pragmas_are_set_on_every_connection(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -512  # KiB


@sqlite_only
def test_busy_timeout_is_configurable(make_app):
    app = make_app(SUPPORTDESK_SQLITE_BUSY_TIMEOUT_MS=1234)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


@sqlite_only
@pytest.mark.parametrize(("kib", "pages_kib"), [(4096, 4096), (10, 64)])
def test_the_page_cache_is_configurable_within_a_floor(make_app, kib, pages_kib):
    app = make_app(SUPPORTDESK_SQLITE_CACHE_KIB=kib)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -pages_kib


@sqlite_only
def test_foreign_keys_are_enforced(app):
    with pytest.raises(sa.exc.IntegrityError), write_transaction():
        db.session.execute(
            sa.text(
                "INSERT INTO messages (ticket_id, body, internal, via, created_at) "
                "VALUES (999, 'x', 0, 'web', '2026-01-01')"
            )
        )


@sqlite_only
def test_a_write_transaction_takes_the_write_lock_before_its_first_write(app):
    """BEGIN IMMEDIATE: while our transaction has only read, another writer is already shut out."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    outcome: dict[str, str] = {}

    def other_writer():
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            outcome["other"] = "got the lock"
            other.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            outcome["other"] = str(exc)
        finally:
            other.close()

    with write_transaction():
        db.session.execute(sa.text("SELECT count(*) FROM users"))  # a read only, so far
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join()
    assert outcome["other"] == "database is locked"
    assert "BEGIN IMMEDIATE" in statements


@sqlite_only
def test_reads_outside_write_transactions_do_not_lock(app):
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    db.session.execute(sa.text("SELECT count(*) FROM users")).scalar()
    assert db.session().in_transaction()
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


@sqlite_only
def test_a_write_after_a_read_outside_write_transactions_does_not_fail(app, seller):
    """Another process writes while this session has only read: this session's own write then
    starts a new BEGIN IMMEDIATE transaction instead of failing with "database is locked"."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    assert db.session.get(type(seller), seller.id).locale is None  # a read transaction is open
    other = sqlite3.connect(path, timeout=1, isolation_level=None)
    other.execute("UPDATE users SET name = 'Renamed elsewhere' WHERE id = ?", (seller.id,))
    other.close()
    seller.locale = "fr"
    db.session.commit()
    db.session.expire_all()
    assert (seller.locale, seller.name) == ("fr", "Renamed elsewhere")


def test_the_error_page_still_shows_after_a_failed_write(make_app, make_user, login):
    """A write that fails in the database leaves the session's transaction broken; it is rolled
    back before the error page is made, so the page (which reads the signed-in user) shows."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def write_twice():
        db.session.add(User(email="twice@example.com", role="seller"))
        db.session.add(User(email="twice@example.com", role="seller"))
        db.session.flush()

    app.add_url_rule("/write-twice", view_func=write_twice)
    with app.app_context():
        client = login(app.test_client(), make_user())
        answer = client.get("/write-twice")
    assert answer.status_code == 500
    assert b'action="/sign-out"' in answer.data  # the desk's own page, for the signed-in user


def test_a_failed_write_transaction_leaves_nothing(app, make_user):
    from supportdesk.models import Queue

    with pytest.raises(RuntimeError), write_transaction():
        db.session.add(Queue(key="half", name="Half"))
        db.session.flush()
        raise RuntimeError("crash after the first write")
    assert db.session.scalar(sa.select(Queue).where(Queue.key == "half")) is None


# SQLite cannot reflect an expression index (help articles by helpfulness): autogenerate
# skips it, and the end of this test reads its definition instead.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_build_the_schema_the_models_describe(make_app, tmp_path):
    """`supportdesk db upgrade` on an empty database gives exactly the tables of the models."""
    url = database_url_for_tests()
    if url is None:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = make_app(SQLALCHEMY_DATABASE_URI=url, create_tables=False)
    with app.app_context():
        reset_postgres_schema()
    migrate.upgrade(app)
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parent: is_modelled(
                    name, type_, parent.get("table_name")
                ),
            },
        )
        diff = compare_metadata(context, db.metadata)
        assert diff == []
        script = ScriptDirectory.from_config(migrate.alembic_config(app))
        assert set(context.get_current_heads()) == set(script.get_heads())
        if conn.dialect.name == "sqlite":
            definition = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_help_articles_popular'"
            ).scalar()
        else:
            definition = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_help_articles_popular'"
            ).scalar()
        # Read without its brackets and spaces, which PostgreSQL writes back its own way.
        written = re.sub(r"[()\s]", "", definition)
        assert "published,helpful_yes-helpful_noDESC,updated_atDESC,id" in written
